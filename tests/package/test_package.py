"""Tests of the installed Python package (pip install .): `import torchact` loads the bundled
plugin; the wrappers are the ops; the modules equal torch.nn and its compositions; torchact.testing
catches wrong gradients; a PyTorch version mismatch gives a clear error."""
import io
import os
import shutil
import subprocess
import sys

import pytest
import torch
import torch.nn.functional as F

import torchact
import torchact.nn
import torchact.testing

HAS_COMPILE = hasattr(torch, "compile") and torchact.testing.HAS_OPCHECK
NO_COMPILE = f"torch {torch.__version__} has no torch.compile / torch.library.opcheck (PyTorch >= 2.4)"


def test_import_loads_the_bundled_plugin():
    assert os.path.dirname(torchact.library_path).startswith(os.path.dirname(torchact.__file__))
    assert torchact.library_path in {os.path.abspath(p) for p in torch.ops.loaded_libraries}
    assert torchact.built_with_torch.split("+")[0] == torch.__version__.split("+")[0]


# wrapper name -> (wrapper call, op call, built-in reference), on tensor inputs a, b
WRAPPERS = {
    "sigmoid": (lambda a, b: torchact.sigmoid(a), lambda a, b: torch.ops.torchact.sigmoid(a),
                lambda a, b: torch.sigmoid(a)),
    "tanh": (lambda a, b: torchact.tanh(a), lambda a, b: torch.ops.torchact.tanh(a),
             lambda a, b: torch.tanh(a)),
    "relu": (lambda a, b: torchact.relu(a), lambda a, b: torch.ops.torchact.relu(a),
             lambda a, b: torch.relu(a)),
    "leaky_relu": (lambda a, b: torchact.leaky_relu(a, 0.2),
                   lambda a, b: torch.ops.torchact.leaky_relu(a, 0.2),
                   lambda a, b: F.leaky_relu(a, 0.2)),
    "gelu": (lambda a, b: torchact.gelu(a), lambda a, b: torch.ops.torchact.gelu(a),
             lambda a, b: F.gelu(a)),
    "gelu_tanh": (lambda a, b: torchact.gelu(a, approximate="tanh"),
                  lambda a, b: torch.ops.torchact.gelu(a, approximate="tanh"),
                  lambda a, b: F.gelu(a, approximate="tanh")),
    "silu": (lambda a, b: torchact.silu(a), lambda a, b: torch.ops.torchact.silu(a),
             lambda a, b: F.silu(a)),
    "swish": (lambda a, b: torchact.swish(a, beta=1.7), lambda a, b: torch.ops.torchact.swish(a, 1.7),
              lambda a, b: a * torch.sigmoid(1.7 * a)),
    "swiglu": (lambda a, b: torchact.swiglu(a, b), lambda a, b: torch.ops.torchact.swiglu(a, b),
               lambda a, b: F.silu(a) * b),
    "geglu": (lambda a, b: torchact.geglu(a, b, approximate="tanh"),
              lambda a, b: torch.ops.torchact.geglu(a, b, approximate="tanh"),
              lambda a, b: F.gelu(a, approximate="tanh") * b),
    "swiglu_packed": (lambda a, b: torchact.swiglu_packed(torch.cat([a, b], 0), dim=0),
                      lambda a, b: torch.ops.torchact.swiglu_packed(torch.cat([a, b], 0), 0),
                      lambda a, b: F.silu(a) * b),
}


def assert_same_forward_and_backward(ours, reference, *inputs):
    """ours(*inputs) equals reference(*copies of the inputs), and so do the inputs' gradients for
    one random incoming gradient (an input that one side does not use has none on the other)."""
    copies = [t.detach().clone().requires_grad_(True) for t in inputs]
    out, expected = ours(*inputs), reference(*copies)
    torch.testing.assert_close(out, expected)
    grad = torch.randn_like(out)
    out.backward(grad)
    expected.backward(grad)
    for x, copy in zip(inputs, copies):
        if copy.grad is None:
            assert x.grad is None
        else:
            torch.testing.assert_close(x.grad, copy.grad)


def _inputs(dtype=torch.float64):
    torch.manual_seed(0)
    return [(torch.randn(5, 7, dtype=dtype) * 3).requires_grad_(True) for _ in range(2)]


@pytest.mark.parametrize("name", list(WRAPPERS))
def test_wrapper_is_the_op(name):
    wrapper, op, _ = WRAPPERS[name]
    a, b = _inputs(torch.float32)
    assert torch.equal(wrapper(a, b), op(a, b))


@pytest.mark.parametrize("name", list(WRAPPERS))
def test_wrapper_matches_builtin_forward_and_backward(name):
    wrapper, _, reference = WRAPPERS[name]
    assert_same_forward_and_backward(wrapper, reference, *_inputs())


def test_wrappers_run_on_meta():
    x = torch.empty(4, 6, device="meta")
    assert torchact.swiglu_packed(x).shape == (4, 3)
    assert torchact.gelu(x, approximate="tanh").device.type == "meta"


def test_bad_input_raises_with_op_name():
    with pytest.raises(RuntimeError, match="swiglu"):
        torchact.swiglu(torch.randn(3), torch.randn(4))
    with pytest.raises(RuntimeError, match="gelu"):
        torchact.gelu(torch.randn(3), approximate="fast")


# module -> the torch.nn module (or composition) it replaces
MODULES = {
    "Sigmoid": (torchact.nn.Sigmoid(), torch.nn.Sigmoid()),
    "Tanh": (torchact.nn.Tanh(), torch.nn.Tanh()),
    "ReLU": (torchact.nn.ReLU(), torch.nn.ReLU()),
    "LeakyReLU": (torchact.nn.LeakyReLU(0.2), torch.nn.LeakyReLU(0.2)),
    "GELU": (torchact.nn.GELU(), torch.nn.GELU()),
    "GELU_tanh": (torchact.nn.GELU(approximate="tanh"), torch.nn.GELU(approximate="tanh")),
    "SiLU": (torchact.nn.SiLU(), torch.nn.SiLU()),
    "Mish": (torchact.nn.Mish(), torch.nn.Mish()),
    "ELU": (torchact.nn.ELU(0.5), torch.nn.ELU(0.5)),
    "SELU": (torchact.nn.SELU(), torch.nn.SELU()),
    "CELU": (torchact.nn.CELU(0.7), torch.nn.CELU(0.7)),
    "Softplus": (torchact.nn.Softplus(2.0, 5.0), torch.nn.Softplus(2.0, 5.0)),
    "Hardsigmoid": (torchact.nn.Hardsigmoid(), torch.nn.Hardsigmoid()),
    "Hardswish": (torchact.nn.Hardswish(), torch.nn.Hardswish()),
    "ReLU6": (torchact.nn.ReLU6(), torch.nn.ReLU6()),
    "Hardtanh": (torchact.nn.Hardtanh(-0.5, 2.0), torch.nn.Hardtanh(-0.5, 2.0)),
    "QuickGELU": (torchact.nn.QuickGELU(), lambda x: x * torch.sigmoid(1.702 * x)),
    "ReLUSquared": (torchact.nn.ReLUSquared(), lambda x: F.relu(x) ** 2),
    "Swish": (torchact.nn.Swish(beta=0.5), lambda x: x * torch.sigmoid(0.5 * x)),
    "SwiGLU": (torchact.nn.SwiGLU(dim=-1), lambda x: F.silu(x.chunk(2, -1)[0]) * x.chunk(2, -1)[1]),
    "GEGLU": (torchact.nn.GEGLU(dim=0), lambda x: F.gelu(x.chunk(2, 0)[0]) * x.chunk(2, 0)[1]),
}


@pytest.mark.parametrize("name", list(MODULES))
def test_module_equals_torch_nn(name):
    ours, reference = MODULES[name]
    x = (torch.randn(6, 8, dtype=torch.float64) * 3).requires_grad_(True)
    assert_same_forward_and_backward(ours, reference, x)
    if isinstance(reference, torch.nn.Module):  # same repr: a drop-in replacement
        assert repr(ours) == repr(reference)


# inplace=True modules -> the torch.nn module (or in-place composition) they replace
INPLACE_MODULES = {
    "ReLU": (torchact.nn.ReLU(inplace=True), torch.nn.ReLU(inplace=True)),
    "LeakyReLU": (torchact.nn.LeakyReLU(0.2, inplace=True), torch.nn.LeakyReLU(0.2, inplace=True)),
    "SiLU": (torchact.nn.SiLU(inplace=True), torch.nn.SiLU(inplace=True)),
    "Mish": (torchact.nn.Mish(inplace=True), torch.nn.Mish(inplace=True)),
    "ELU": (torchact.nn.ELU(0.5, inplace=True), torch.nn.ELU(0.5, inplace=True)),
    "SELU": (torchact.nn.SELU(inplace=True), torch.nn.SELU(inplace=True)),
    "CELU": (torchact.nn.CELU(0.7, inplace=True), torch.nn.CELU(0.7, inplace=True)),
    "Hardsigmoid": (torchact.nn.Hardsigmoid(inplace=True), torch.nn.Hardsigmoid(inplace=True)),
    "Hardswish": (torchact.nn.Hardswish(inplace=True), torch.nn.Hardswish(inplace=True)),
    "ReLU6": (torchact.nn.ReLU6(inplace=True), torch.nn.ReLU6(inplace=True)),
    "Hardtanh": (torchact.nn.Hardtanh(-0.5, 2.0, inplace=True), torch.nn.Hardtanh(-0.5, 2.0, inplace=True)),
}


@pytest.mark.parametrize("name", list(INPLACE_MODULES))
def test_inplace_module_overwrites_its_input_as_torch_nn(name):
    ours, reference = INPLACE_MODULES[name]
    x = (torch.randn(6, 8, dtype=torch.float64) * 3).requires_grad_(True)
    # In place on a non-leaf (the output of the layer before), gradients through it.
    assert_same_forward_and_backward(lambda t: ours(t * 1.0), lambda t: reference(t * 1.0), x)
    y = torch.randn(5)
    assert ours(y).data_ptr() == y.data_ptr()
    if isinstance(reference, torch.nn.Module):
        assert repr(ours) == repr(reference)
    scripted = torch.jit.script(ours)  # TorchScript takes the inplace branch too
    z = torch.randn(5)
    torch.testing.assert_close(scripted(z.clone()), reference(z.clone()))


def _forward_peak_bytes(model, x):
    """The most CPU memory the forward pass (autograd on) holds at once, from the profiler's
    allocation records."""
    from torch.profiler import ProfilerActivity, profile

    with profile(activities=[ProfilerActivity.CPU], profile_memory=True) as prof:
        model(x)
    records = [e for e in prof.profiler.kineto_results.events() if e.name() == "[memory]"]
    live = peak = 0
    for e in sorted(records, key=lambda e: e.start_ns()):
        live += e.nbytes()
        peak = max(peak, live)
    return peak


def _small_resnet_stem(relu):
    """Conv-BN-ReLU blocks built as torchvision builds them (ReLU(inplace=True))."""
    torch.manual_seed(0)
    return torch.nn.Sequential(
        torch.nn.Conv2d(3, 16, 3, padding=1), torch.nn.BatchNorm2d(16), relu(),
        torch.nn.Conv2d(16, 16, 3, padding=1), torch.nn.BatchNorm2d(16), relu(),
        torch.nn.AdaptiveAvgPool2d(1), torch.nn.Flatten(), torch.nn.Linear(16, 10))


@pytest.mark.skipif(not hasattr(torch.library, "opcheck"), reason="the profiler's allocation "
                    "records as read here need PyTorch >= 2.4")
def test_torchvision_style_network_with_inplace_relu():
    builtin = _small_resnet_stem(lambda: torch.nn.ReLU(inplace=True))
    ours = _small_resnet_stem(lambda: torchact.nn.ReLU(inplace=True))
    ours_copying = _small_resnet_stem(lambda: torchact.nn.ReLU())
    x = torch.randn(8, 3, 32, 32)
    for model in (builtin, ours):
        model(x).square().sum().backward()
    torch.testing.assert_close(ours(x), builtin(x))
    for (name, p), q in zip(builtin.named_parameters(), ours.parameters()):
        torch.testing.assert_close(q.grad, p.grad, msg=lambda m: f"{name}: {m}")
    # In place, each block's ReLU writes over the batch norm's output instead of allocating one
    # more activation (8 x 16 x 32 x 32 floats, 512 KiB) while both are alive (measured: 503 KiB
    # less at the peak).
    activation = 8 * 16 * 32 * 32 * 4
    peak_inplace, peak_copying = _forward_peak_bytes(ours, x), _forward_peak_bytes(ours_copying, x)
    assert peak_inplace <= peak_copying - activation * 3 // 4, (peak_inplace, peak_copying)
    assert peak_inplace <= _forward_peak_bytes(builtin, x)


def _composed(ff, x, act):
    if ff.packed:
        gate, up = ff.w13(x).chunk(2, dim=-1)
    else:
        gate, up = ff.w1(x), ff.w3(x)
    return ff.w2(act(gate) * up)


@pytest.mark.parametrize("packed", [False, True], ids=["separate", "packed"])
@pytest.mark.parametrize("bias", [False, True], ids=["nobias", "bias"])
@pytest.mark.parametrize("kind", ["swiglu", "geglu"])
def test_feed_forward_equals_composed_mlp(kind, bias, packed):
    torch.manual_seed(1)
    if kind == "swiglu":
        ff, act = torchact.nn.SwiGLUFeedForward(16, 40, bias=bias, packed=packed), F.silu
    else:
        ff = torchact.nn.GEGLUFeedForward(16, 40, bias=bias, packed=packed, approximate="tanh")
        act = lambda t: F.gelu(t, approximate="tanh")  # noqa: E731
    ff = ff.double()
    x = torch.randn(3, 5, 16, dtype=torch.float64)
    out, expected = ff(x), _composed(ff, x, act)
    torch.testing.assert_close(out, expected)
    params = list(ff.parameters())
    grads = torch.autograd.grad(out.square().sum(), params)
    expected_grads = torch.autograd.grad(expected.square().sum(), params)
    for g, e in zip(grads, expected_grads):
        torch.testing.assert_close(g, e)
    names = {n for n, _ in ff.named_parameters()}
    assert {"w13.weight" if packed else "w1.weight", "w2.weight"} <= names


def _swiglu_oai(gate, up):
    g = gate.clamp(max=7.0)
    return g * torch.sigmoid(1.702 * g) * (up.clamp(-7.0, 7.0) + 1)


GATED = {
    "silu": lambda g, u: F.silu(g) * u,
    "gelu": lambda g, u: F.gelu(g) * u,
    "gelu_tanh": lambda g, u: F.gelu(g, approximate="tanh") * u,
    "relu": lambda g, u: F.relu(g) * u,
    "swiglu_oai": _swiglu_oai,
    "swiglu_step": lambda g, u: F.silu(g).clamp(max=7.0) * u.clamp(-7.0, 7.0),
}


@pytest.mark.parametrize("layout", ["separate", "halves", "interleaved"])
@pytest.mark.parametrize("activation", list(GATED))
def test_gated_feed_forward_equals_composed_mlp(activation, layout):
    torch.manual_seed(5)
    ff = torchact.nn.GatedFeedForward(16, 24, activation, bias=True, packed=layout != "separate",
                                      interleaved=layout == "interleaved").double()
    x = torch.randn(3, 16, dtype=torch.float64) * 3
    if layout == "separate":
        gate, up = ff.w1(x), ff.w3(x)
    else:
        h = ff.w13(x)
        gate, up = (h[..., ::2], h[..., 1::2]) if layout == "interleaved" else h.chunk(2, -1)
    expected = ff.w2(GATED[activation](gate, up))
    out = ff(x)
    torch.testing.assert_close(out, expected)
    params = list(ff.parameters())
    for g, e in zip(torch.autograd.grad(out.square().sum(), params),
                    torch.autograd.grad(expected.square().sum(), params)):
        torch.testing.assert_close(g, e)
    assert f"activation='{activation}'" in repr(ff)


def test_gated_feed_forward_refuses_unknown_activation():
    with pytest.raises(ValueError, match="unknown activation 'tanh'"):
        torchact.nn.GatedFeedForward(8, 16, "tanh")
    with pytest.raises(ValueError, match="interleaved=True needs packed=True"):
        torchact.nn.GatedFeedForward(8, 16, interleaved=True)


def test_sequential_state_dict_round_trip():
    torch.manual_seed(2)
    model = torch.nn.Sequential(torch.nn.Linear(8, 16), torchact.nn.GELU(approximate="tanh"),
                                torchact.nn.SwiGLUFeedForward(16, 32, packed=True),
                                torchact.nn.LeakyReLU(0.1))
    buffer = io.BytesIO()
    torch.save(model.state_dict(), buffer)
    buffer.seek(0)
    copy = torch.nn.Sequential(torch.nn.Linear(8, 16), torchact.nn.GELU(approximate="tanh"),
                               torchact.nn.SwiGLUFeedForward(16, 32, packed=True),
                               torchact.nn.LeakyReLU(0.1))
    copy.load_state_dict(torch.load(buffer))
    x = torch.randn(4, 8)
    assert torch.equal(model(x), copy(x))
    assert torch.equal(model.to(torch.float64)(x.double()), copy.to(torch.float64)(x.double()))


@pytest.mark.parametrize("packed", [False, True], ids=["separate", "packed"])
def test_torchscript_save_load_matches_eager(packed, tmp_path):
    torch.manual_seed(4)
    model = torch.nn.Sequential(torch.nn.Linear(8, 16), torchact.nn.GELU(approximate="tanh"),
                                torchact.nn.SwiGLUFeedForward(16, 24, packed=packed),
                                torchact.nn.GEGLUFeedForward(16, 24, packed=packed),
                                torchact.nn.LeakyReLU(0.1), torchact.nn.Swish(1.5))
    torch.jit.script(model).save(str(tmp_path / "model.pt"))
    loaded = torch.jit.load(str(tmp_path / "model.pt"))
    x = torch.randn(5, 8)
    assert torch.equal(loaded(x), model(x))


@pytest.mark.skipif(not HAS_COMPILE, reason=NO_COMPILE)
def test_torch_compile_fullgraph_matches_eager():
    torch.manual_seed(3)
    model = torch.nn.Sequential(torch.nn.Linear(8, 16), torchact.nn.SiLU(), torchact.nn.Swish(2.0),
                                torchact.nn.GELU(), torchact.nn.SwiGLUFeedForward(16, 24),
                                torchact.nn.GEGLUFeedForward(16, 24, packed=True))
    compiled = torch.compile(model, fullgraph=True)
    assert_same_forward_and_backward(compiled, model, torch.randn(5, 8, requires_grad=True))


# ---- torchact.testing ---------------------------------------------------------------------------

class ScaledWrongGradient(torch.autograd.Function):
    """silu with a backward that is 10% too large: the bug a hand-written kernel can have."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * torch.sigmoid(x)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        s = torch.sigmoid(x)
        return grad * s * (1 + x * (1 - s)) * 1.1


class DetachedSecondDerivative(torch.autograd.Function):
    """x^2 with a right first derivative whose own derivative is lost (computed from a detached
    input): gradcheck passes, gradgradcheck must not."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * 2 * x.detach()


def test_check_gradients_passes_on_torchact():
    x = torch.randn(4, 3)
    torchact.testing.check_gradients(torchact.silu, x)
    torchact.testing.check_gradients(torchact.geglu, x, torch.randn(4, 3))


def test_check_gradients_catches_wrong_first_derivative():
    with pytest.raises(AssertionError, match="gradcheck"):
        torchact.testing.check_gradients(ScaledWrongGradient.apply, torch.randn(5))


def test_check_gradients_catches_wrong_second_derivative():
    x = torch.randn(5)
    torchact.testing.check_gradients(DetachedSecondDerivative.apply, x, second_order=False)
    with pytest.raises(AssertionError, match="gradgradcheck"):
        torchact.testing.check_gradients(DetachedSecondDerivative.apply, x)


def test_check_op_runs_opcheck_where_available():
    ran = torchact.testing.check_op(torch.ops.torchact.silu.default, (torch.randn(3, 4),))
    assert ran == torchact.testing.HAS_OPCHECK


def test_check_torchact_checks_every_op():
    ran = torchact.testing.check_torchact(dtypes=(torch.float32, torch.bfloat16))
    checked = {entry.split(":")[0] for entry in ran}
    assert {"sigmoid", "tanh", "relu", "leaky_relu", "gelu", "gelu_tanh", "silu", "swish",
            "swiglu", "geglu", "geglu_tanh", "swiglu_packed"} == checked
    assert any("opcheck" in entry for entry in ran) == torchact.testing.HAS_OPCHECK


# ---- version mismatch ---------------------------------------------------------------------------

def test_version_check_names_both_versions():
    from torchact import _library

    _library.check_torch_version("2.11.0+cu130", "2.11.0+cpu")  # same release: fine
    with pytest.raises(ImportError, match=r"built against PyTorch 2\.10\.0.*PyTorch 2\.11\.0"):
        _library.check_torch_version("2.10.0", "2.11.0")


def test_import_with_another_torch_gives_a_clear_error(tmp_path):
    # A copy of the installed package that says it was built against another PyTorch.
    package = tmp_path / "torchact"
    shutil.copytree(os.path.dirname(torchact.__file__), package)
    info = (package / "_build_info.py").read_text()
    (package / "_build_info.py").write_text(
        info.replace(repr(torchact.built_with_torch), repr("1.2.3")))
    result = subprocess.run([sys.executable, "-c", "import torchact"], cwd=tmp_path,
                            capture_output=True, text=True,
                            env={**os.environ, "PYTHONPATH": str(tmp_path)})
    assert result.returncode != 0
    assert "ImportError" in result.stderr
    assert "PyTorch 1.2.3" in result.stderr and f"PyTorch {torch.__version__}" in result.stderr
    assert "undefined symbol" not in result.stderr


@pytest.mark.skipif(not hasattr(torch.library, "register_vmap"), reason="torch.vmap rules need PyTorch >= 2.4")
@pytest.mark.parametrize("call", [
    lambda x: torchact.silu(x),
    lambda x: torchact.gelu(x, "tanh"),
    lambda x: torchact.swiglu(x, x.flip(-1)),
    lambda x: torchact.swiglu_oai_packed(x, -1, True),
    lambda x: torchact.geglu_packed(x, 0),
    lambda x: torch.func.grad(lambda t: torchact.mish(t).sum())(x),
    lambda x: torchact.relu_(x * 1.0),
], ids=["silu", "gelu_tanh", "swiglu", "swiglu_oai_packed_interleaved", "geglu_packed_dim0", "grad_mish",
        "relu_inplace"])
def test_vmap_is_one_call_on_the_batch(call):
    """vmap over 512 rows calls each torchact op once on the whole batch (the batching rules), not
    once per row (PyTorch's fallback), and gives the per-row results."""
    from torch.utils._python_dispatch import TorchDispatchMode

    class CountTorchact(TorchDispatchMode):
        calls = 0

        def __torch_dispatch__(self, func, types, args=(), kwargs=None):
            if func.namespace == "torchact":
                CountTorchact.calls += 1
            return func(*args, **(kwargs or {}))

    x = torch.randn(512, 6, 8, dtype=torch.float64)
    expected = torch.stack([call(row) for row in x])
    with CountTorchact():
        out = torch.vmap(call)(x)
    torch.testing.assert_close(out, expected)
    assert CountTorchact.calls <= 2, f"{CountTorchact.calls} torchact calls for a batch of 512"
