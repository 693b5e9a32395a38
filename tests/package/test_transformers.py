"""torchact.integrations.transformers on tiny random models of each supported architecture (built
from config classes: no downloads): the patched model computes what the unpatched one computes
(logits, loss, every parameter's gradient, SGD steps), through torchact's fused ops (counted),
per instance and idempotently. Needs transformers (tests/requirements.txt pins the tested release)."""
import copy
import os
import subprocess
import sys
from collections import Counter

import pytest
import torch

if tuple(int(v) for v in torch.__version__.split(".")[:2]) < (2, 6):
    pytest.skip(f"transformers 5 needs PyTorch >= 2.6 (this is {torch.__version__}): tested in the "
                "pypi leg", allow_module_level=True)
transformers = pytest.importorskip("transformers", reason="transformers is not installed "
                                   "(tests/requirements.txt; scripts/install-deps.sh --pypi)")
from torch.utils._python_dispatch import TorchDispatchMode  # noqa: E402

import torchact  # noqa: E402
import torchact.integrations.transformers as tt  # noqa: E402

SMALL = dict(vocab_size=96, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
             num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=64,
             initializer_range=0.25)  # pre-activations of order 1: the functions' curvature counts


def _moe(**extra):
    return dict(SMALL, num_experts_per_tok=2, **extra)


# architecture -> (config, model class, inputs kind, torchact ops called by one forward)
ARCHITECTURES = {
    "llama": (lambda: transformers.LlamaConfig(**SMALL), "LlamaForCausalLM", "lm", {"swiglu": 2}),
    "mistral": (lambda: transformers.MistralConfig(**SMALL), "MistralForCausalLM", "lm", {"swiglu": 2}),
    "qwen2": (lambda: transformers.Qwen2Config(**SMALL), "Qwen2ForCausalLM", "lm", {"swiglu": 2}),
    "qwen3": (lambda: transformers.Qwen3Config(**SMALL, head_dim=8), "Qwen3ForCausalLM", "lm",
              {"swiglu": 2}),
    "phi3": (lambda: transformers.Phi3Config(**SMALL, pad_token_id=0), "Phi3ForCausalLM", "lm",
             {"swiglu_packed": 2}),
    "mixtral": (lambda: transformers.MixtralConfig(**_moe(num_local_experts=4)), "MixtralForCausalLM",
                "lm", {"swiglu_packed": 2}),
    "qwen2_moe": (lambda: transformers.Qwen2MoeConfig(**_moe(
        num_experts=4, moe_intermediate_size=32, shared_expert_intermediate_size=48)),
        "Qwen2MoeForCausalLM", "lm", {"swiglu_packed": 2, "swiglu": 2}),
    "gemma": (lambda: transformers.GemmaConfig(**SMALL, head_dim=8), "GemmaForCausalLM", "lm",
              {"geglu": 2}),
    "gpt2": (lambda: transformers.GPT2Config(vocab_size=96, n_embd=32, n_layer=2, n_head=4,
                                             n_positions=64, initializer_range=0.25), "GPT2LMHeadModel", "lm", {"gelu": 2}),
    "bert": (lambda: transformers.BertConfig(vocab_size=96, hidden_size=32, num_hidden_layers=2,
                                             num_attention_heads=4, intermediate_size=64,
                                             initializer_range=0.25), "BertForMaskedLM", "lm", {"gelu": 3}),
    "vit": (lambda: transformers.ViTConfig(image_size=16, patch_size=8, hidden_size=32,
                                           num_hidden_layers=2, num_attention_heads=4,
                                           intermediate_size=64, num_labels=3, initializer_range=0.25),
            "ViTForImageClassification", "image", {"gelu": 2}),
    "clip": (lambda: transformers.CLIPConfig(
        text_config=dict(vocab_size=96, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                         num_attention_heads=4, max_position_embeddings=64),
        vision_config=dict(image_size=16, patch_size=8, hidden_size=32, intermediate_size=64,
                           num_hidden_layers=2, num_attention_heads=4), projection_dim=16,
        initializer_factor=5.0),
             "CLIPModel", "clip", {"quick_gelu": 4}),
    "t5_v1_1": (lambda: transformers.T5Config(vocab_size=96, d_model=32, d_kv=8, d_ff=64, num_layers=2,
                                              num_heads=4, feed_forward_proj="gated-gelu",
                                              dropout_rate=0.0, decoder_start_token_id=0,
                                              pad_token_id=0), "T5ForConditionalGeneration",
                "seq2seq", {"geglu": 4}),
    # limit 0.5: the clamps of gate and up are active on a good share of the inputs
    "gpt_oss": (lambda: transformers.GptOssConfig(**_moe(num_local_experts=4, head_dim=8,
                                                         swiglu_limit=0.5)),
                "GptOssForCausalLM", "lm", {"swiglu_oai_packed": 2}),
}


MOE = ("mixtral", "qwen2_moe", "gpt_oss")


def build(name, dtype=torch.float32, seed=0):
    config, model_class, _, _ = ARCHITECTURES[name]
    torch.manual_seed(seed)
    model = getattr(transformers, model_class)(config()).to(dtype)
    if dtype == torch.float64 and name in MOE:
        model.set_experts_implementation("batched_mm")  # (grouped_mm has no float64)
    return model.eval()  # (no dropout; gradients are computed all the same)


def inputs(name, dtype, seed=1):
    kind = ARCHITECTURES[name][2]
    generator = torch.Generator().manual_seed(seed)
    ids = torch.randint(1, 96, (2, 7), generator=generator)
    pixels = torch.randn(2, 3, 16, 16, generator=generator).to(dtype)
    if kind == "lm":
        return dict(input_ids=ids, labels=ids)
    if kind == "seq2seq":
        return dict(input_ids=ids, labels=ids.flip(1))
    if kind == "image":
        return dict(pixel_values=pixels, labels=torch.tensor([0, 2]))
    return dict(input_ids=ids, pixel_values=pixels, return_loss=True)


def run(model, batch):
    """(logits, loss, {parameter name: gradient}) of one forward and backward."""
    model.zero_grad(set_to_none=True)
    out = model(**batch)
    logits = out.logits if hasattr(out, "logits") else out.logits_per_image
    out.loss.backward()
    grads = {n.removeprefix("_orig_mod."): p.grad  # (torch.compile's wrapper)
             for n, p in model.named_parameters() if p.grad is not None}
    return logits.detach(), out.loss.detach(), grads


class CountTorchactOps(TorchDispatchMode):
    """Counts the torchact ops called (by op name) below autograd."""

    def __init__(self):
        super().__init__()
        self.counts = Counter()

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        namespace, _, name = func._schema.name.partition("::")
        if namespace == "torchact":
            self.counts[name] += 1
        return func(*args, **(kwargs or {}))


def tolerance(dtype):
    return dict(rtol=1e-4, atol=1e-5) if dtype == torch.float32 else {}


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64], ids=["float32", "float64"])
@pytest.mark.parametrize("name", list(ARCHITECTURES))
def test_patched_model_computes_what_the_model_computes(name, dtype):
    model = build(name, dtype)
    patched = copy.deepcopy(model)
    report = tt.apply(patched)
    assert report.fused or report.activations, str(report)
    batch = inputs(name, dtype)
    logits, loss, grads = run(model, batch)
    logits_p, loss_p, grads_p = run(patched, batch)
    torch.testing.assert_close(logits_p, logits, **tolerance(dtype))
    torch.testing.assert_close(loss_p, loss, **tolerance(dtype))
    assert grads_p.keys() == grads.keys()
    for parameter in grads:
        torch.testing.assert_close(grads_p[parameter], grads[parameter], **tolerance(dtype),
                                   msg=lambda m: f"{name} {dtype}: gradient of {parameter}: {m}")


def _halves(x, dim, interleaved):
    return (x[..., ::2], x[..., 1::2]) if interleaved else x.chunk(2, dim)


def _oai(gate, up, alpha, limit):
    gate, up = gate.clamp(max=limit), up.clamp(-limit, limit)
    return gate * torch.sigmoid(alpha * gate) * (up + 1)


# torchact's gated ops as PyTorch compositions (the signatures of their schemas)
COMPOSITIONS = {
    "swiglu": lambda gate, up: torch.nn.functional.silu(gate) * up,
    "swiglu_packed": lambda x, dim=-1, *, interleaved=False:
        (lambda g, u: torch.nn.functional.silu(g) * u)(*_halves(x, dim, interleaved)),
    "geglu": lambda gate, up, approximate="none":
        torch.nn.functional.gelu(gate, approximate=approximate) * up,
    "swiglu_oai_packed": lambda x, dim=-1, *, interleaved=False, alpha=1.702, limit=7.0:
        _oai(*_halves(x, dim, interleaved), alpha, limit),
}


class CheckBFloat16Ops(TorchDispatchMode):
    """Checks every bfloat16 call of a torchact gated op against its composition computed in
    float32 and rounded once to bfloat16."""

    def __init__(self):
        super().__init__()
        self.checked = Counter()

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        out = func(*args, **kwargs)
        namespace, _, name = func._schema.name.partition("::")
        if namespace == "torchact" and name in COMPOSITIONS and out.dtype == torch.bfloat16:
            upcast = [a.float() if isinstance(a, torch.Tensor) else a for a in args]
            expected = COMPOSITIONS[name](*upcast, **kwargs).to(torch.bfloat16)
            torch.testing.assert_close(out, expected, msg=lambda m: f"{name}: {m}")  # bf16 tolerance
            self.checked[name] += 1
        return out


@pytest.mark.parametrize("name", ["llama", "phi3", "mixtral", "gemma", "t5_v1_1", "gpt_oss"])
def test_bfloat16(name):
    # Each fused op: within bfloat16 tolerance of its composition in float32, rounded once. The
    # whole dense model: as close to the float32 model as the unpatched bfloat16 model is (both
    # round every matmul and norm to bfloat16).
    reference = run(build(name, torch.float32), inputs(name, torch.float32))[0]
    unpatched = build(name, torch.bfloat16)
    patched = copy.deepcopy(unpatched)
    tt.apply(patched)
    batch = inputs(name, torch.bfloat16)
    with CheckBFloat16Ops() as checker:
        logits_p = run(patched, batch)[0].float()
    assert sum(checker.checked.values()) == sum(ARCHITECTURES[name][3].values())
    if name in MOE:
        return  # (a router's top-k is discontinuous: one rounding can change which experts run)
    logits_u = run(unpatched, batch)[0].float()
    error_p = (logits_p - reference).abs().max().item()
    error_u = (logits_u - reference).abs().max().item()
    assert error_p <= 1.25 * error_u + 1e-3 * reference.abs().max().item(), (error_p, error_u)


@pytest.mark.parametrize("name", list(ARCHITECTURES))
def test_the_fused_ops_are_called_once_per_gated_mlp(name):
    model = build(name)
    tt.apply(model)
    with CountTorchactOps() as counter, torch.no_grad():
        model(**inputs(name, torch.float32))
    assert dict(counter.counts) == ARCHITECTURES[name][3]


@pytest.mark.parametrize("name", list(ARCHITECTURES))
def test_three_sgd_steps_give_the_same_losses(name):
    losses = []
    for patch in (False, True):
        model = build(name)
        if patch:
            tt.apply(model)
        optimizer = torch.optim.SGD(model.parameters(), lr=0.5)
        batch = inputs(name, torch.float32)
        steps = []
        for _ in range(3):
            optimizer.zero_grad()
            loss = model(**batch).loss
            loss.backward()
            optimizer.step()
            steps.append(loss.item())
        losses.append(steps)
    assert losses[1] == pytest.approx(losses[0], rel=1e-4, abs=1e-5)


@pytest.mark.parametrize("name", MOE)
@pytest.mark.parametrize("implementation", ["eager", "batched_mm"])
def test_experts_in_every_implementation(name, implementation):
    model = build(name)
    model.set_experts_implementation(implementation)
    patched = copy.deepcopy(model)
    tt.apply(patched)
    batch = inputs(name, torch.float32)
    logits, loss, grads = run(model, batch)
    logits_p, loss_p, grads_p = run(patched, batch)
    torch.testing.assert_close(logits_p, logits, rtol=1e-4, atol=1e-5)
    for parameter in grads:
        torch.testing.assert_close(grads_p[parameter], grads[parameter], rtol=1e-4, atol=1e-5)


def test_apply_twice_patches_nothing_more():
    model = build("qwen2_moe")
    first = tt.apply(model)
    batch = inputs("qwen2_moe", torch.float32)
    logits = run(model, batch)[0]
    second = tt.apply(model)
    assert not second.fused and not second.activations, str(second)
    assert second.already_patched == sum(first.fused.values()) + sum(first.activations.values())
    torch.testing.assert_close(run(model, batch)[0], logits, rtol=0, atol=0)
    assert str(first) == ("swiglu: 2 MLPs, swiglu_packed: 2 expert modules, "
                          "activations: 4 modules (silu 4)")


def test_only_the_given_instance_changes():
    model, other = build("llama"), build("llama")
    mlp_class = type(model.model.layers[0].mlp)
    forward = mlp_class.forward
    tt.apply(model)
    assert mlp_class.forward is forward
    assert "forward" in vars(model.model.layers[0].mlp)
    assert "forward" not in vars(other.model.layers[0].mlp)
    assert type(other.model.layers[0].mlp.act_fn).__module__.startswith("transformers")
    assert isinstance(model.model.layers[0].mlp.act_fn, torchact.nn.SiLU)


def test_weights_names_and_state_dict_stay():
    model = build("phi3")
    state = copy.deepcopy(model.state_dict())
    names = [n for n, _ in model.named_parameters()]
    tt.apply(model)
    assert [n for n, _ in model.named_parameters()] == names
    after = model.state_dict()
    assert after.keys() == state.keys()
    assert all(torch.equal(after[k], state[k]) for k in state)
    fresh = build("phi3", seed=5)
    fresh.load_state_dict(after)  # a patched model's checkpoint loads into an unpatched one


def test_options_select_what_is_patched():
    only_mlp = tt.apply(build("llama"), activations=False)
    assert dict(only_mlp.fused) == {("swiglu", "MLPs"): 2} and not only_mlp.activations
    only_activations = tt.apply(build("llama"), mlp=False)
    assert not only_activations.fused and dict(only_activations.activations) == {"silu": 2}
    model = build("gemma")  # activations first, then the MLPs (whose act_fn is torchact's now)
    tt.apply(model, mlp=False)
    assert dict(tt.apply(model).fused) == {("geglu(tanh)", "MLPs"): 2}
    by_type = tt.apply(build("qwen2_moe"), module_types=["Qwen2MoeMLP"])
    assert dict(by_type.fused) == {("swiglu", "MLPs"): 2} and not by_type.activations
    with pytest.raises(TypeError, match="torch.nn.Module"):
        tt.apply("llama")


def test_activations_without_a_torchact_op_are_listed_and_left_alone():
    model = torch.nn.Sequential(torch.nn.Linear(4, 4), torch.nn.PReLU(), torch.nn.GELU("tanh"),
                                transformers.activations.LinearActivation(),
                                torch.nn.LeakyReLU(0.3, inplace=True))
    report = tt.apply(model)
    assert dict(report.left_alone) == {"PReLU": 1, "LinearActivation": 1}
    assert isinstance(model[1], torch.nn.PReLU)
    assert isinstance(model[2], torchact.nn.GELU) and model[2].approximate == "tanh"
    assert model[4].negative_slope == 0.3 and model[4].inplace


def test_compiled_patched_llama_has_no_graph_breaks():
    if not hasattr(torch, "compile"):
        pytest.skip(f"torch {torch.__version__} has no torch.compile")
    model = build("llama")
    tt.apply(model)
    batch = inputs("llama", torch.float32)
    expected = run(model, batch)
    compiled = torch.compile(model, fullgraph=True)  # fullgraph: a graph break is an error
    actual = run(compiled, batch)
    torch.testing.assert_close(actual[0], expected[0], rtol=1e-4, atol=1e-5)
    for parameter in expected[2]:
        torch.testing.assert_close(actual[2][parameter], expected[2][parameter], rtol=1e-4, atol=1e-5)


def test_deepcopy_keeps_the_patch():
    model = build("gpt_oss")
    tt.apply(model)
    clone = copy.deepcopy(model)
    with CountTorchactOps() as counter, torch.no_grad():
        clone(**inputs("gpt_oss", torch.float32))
    assert counter.counts == {"swiglu_oai_packed": 2}


def test_import_torchact_does_not_import_transformers_and_the_error_names_it():
    code = ("import sys, torchact; assert 'transformers' not in sys.modules; "
            "sys.modules['transformers'] = None\n"
            "try:\n    import torchact.integrations.transformers\n"
            "except ImportError as e:\n    print(e)\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            env=dict(os.environ), check=True)
    assert "needs Hugging Face transformers" in result.stdout, result.stdout + result.stderr
