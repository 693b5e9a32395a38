"""torchact from Python: every op against the built-in one, torch.autograd.gradcheck in float64,
and what autograd saves for the backward."""
import pytest
import torch
import torch.nn.functional as F

ops = torch.ops.torchact


def silu_ref(x):
    return F.silu(x)


def swiglu_oai_ref(gate, up, alpha, limit):
    """GPT-OSS's clamped SwiGLU, as the issue defines it."""
    g = gate.clamp(max=limit)
    return g * torch.sigmoid(alpha * g) * (up.clamp(-limit, limit) + 1)


# name -> (torchact call, reference call, number of inputs, kink at zero)
OPS = {
    "sigmoid": (lambda x: ops.sigmoid(x), torch.sigmoid, 1, False),
    "tanh": (lambda x: ops.tanh(x), torch.tanh, 1, False),
    "relu": (lambda x: ops.relu(x), torch.relu, 1, True),
    "leaky_relu": (lambda x: ops.leaky_relu(x), lambda x: F.leaky_relu(x, 0.01), 1, True),
    "leaky_relu_0.2": (lambda x: ops.leaky_relu(x, 0.2), lambda x: F.leaky_relu(x, 0.2), 1, True),
    "gelu": (lambda x: ops.gelu(x), F.gelu, 1, False),
    "gelu_tanh": (lambda x: ops.gelu(x, approximate="tanh"),
                  lambda x: F.gelu(x, approximate="tanh"), 1, False),
    "silu": (lambda x: ops.silu(x), silu_ref, 1, False),
    "swish": (lambda x: ops.swish(x), lambda x: x * torch.sigmoid(x), 1, False),
    "swish_1.7": (lambda x: ops.swish(x, 1.7), lambda x: x * torch.sigmoid(1.7 * x), 1, False),
    "mish": (lambda x: ops.mish(x), F.mish, 1, False),
    "elu": (lambda x: ops.elu(x), F.elu, 1, True),
    "elu_scaled": (lambda x: ops.elu(x, 0.5, 2.0, 1.5),
                   lambda x: torch.ops.aten.elu(x, 0.5, 2.0, 1.5), 1, True),
    "selu": (lambda x: ops.selu(x), F.selu, 1, True),
    "celu": (lambda x: ops.celu(x, 0.7), lambda x: F.celu(x, 0.7), 1, True),
    "softplus": (lambda x: ops.softplus(x), F.softplus, 1, False),
    "softplus_beta2_threshold5": (lambda x: ops.softplus(x, 2.0, 5.0),
                                  lambda x: F.softplus(x, 2.0, 5.0), 1, False),
    "hardsigmoid": (lambda x: ops.hardsigmoid(x), F.hardsigmoid, 1, True),
    "hardswish": (lambda x: ops.hardswish(x), F.hardswish, 1, True),
    "relu6": (lambda x: ops.relu6(x), F.relu6, 1, True),
    "hardtanh": (lambda x: ops.hardtanh(x, -0.5, 2.0), lambda x: F.hardtanh(x, -0.5, 2.0), 1, True),
    "quick_gelu": (lambda x: ops.quick_gelu(x), lambda x: x * torch.sigmoid(1.702 * x), 1, False),
    "relu_squared": (lambda x: ops.relu_squared(x), lambda x: F.relu(x) ** 2, 1, True),
    "swiglu": (lambda a, b: ops.swiglu(a, b), lambda a, b: silu_ref(a) * b, 2, False),
    "geglu": (lambda a, b: ops.geglu(a, b), lambda a, b: F.gelu(a) * b, 2, False),
    "geglu_tanh": (lambda a, b: ops.geglu(a, b, approximate="tanh"),
                   lambda a, b: F.gelu(a, approximate="tanh") * b, 2, False),
    "swiglu_packed": (lambda x: ops.swiglu_packed(x),
                      lambda x: silu_ref(x.chunk(2, -1)[0]) * x.chunk(2, -1)[1], 1, False),
    "swiglu_packed_dim0": (lambda x: ops.swiglu_packed(x, 0),
                           lambda x: silu_ref(x.chunk(2, 0)[0]) * x.chunk(2, 0)[1], 1, False),
    "reglu": (lambda a, b: ops.reglu(a, b), lambda a, b: F.relu(a) * b, 2, True),
    "swiglu_oai": (lambda a, b: ops.swiglu_oai(a, b, alpha=1.702, limit=2.0),
                   lambda a, b: swiglu_oai_ref(a, b, 1.702, 2.0), 2, False),
    "swiglu_step": (lambda a, b: ops.swiglu_step(a, b, limit=2.0),
                    lambda a, b: F.silu(a).clamp(max=2.0) * b.clamp(-2.0, 2.0), 2, False),
    "swiglu_packed_interleaved": (lambda x: ops.swiglu_packed(x, -1, interleaved=True),
                                  lambda x: F.silu(x[..., ::2]) * x[..., 1::2], 1, False),
    "swiglu_oai_packed_interleaved": (
        lambda x: ops.swiglu_oai_packed(x, -1, interleaved=True, limit=2.0),
        lambda x: swiglu_oai_ref(x[..., ::2], x[..., 1::2], 1.702, 2.0), 1, False),
    "reglu_packed_dim0_interleaved": (lambda x: ops.reglu_packed(x, 0, interleaved=True),
                                      lambda x: F.relu(x[::2]) * x[1::2], 1, True),
    "swiglu_step_packed": (lambda x: ops.swiglu_step_packed(x, limit=2.0),
                           lambda x: F.silu(x.chunk(2, -1)[0]).clamp(max=2.0)
                           * x.chunk(2, -1)[1].clamp(-2.0, 2.0), 1, False),
    "geglu_packed": (lambda x: ops.geglu_packed(x),
                     lambda x: F.gelu(x.chunk(2, -1)[0]) * x.chunk(2, -1)[1], 1, False),
    "geglu_packed_tanh": (lambda x: ops.geglu_packed(x, -1, approximate="tanh"),
                          lambda x: F.gelu(x.chunk(2, -1)[0], approximate="tanh") * x.chunk(2, -1)[1],
                          1, False),
}


def forward_ops():
    """Every registered torchact op that is not a backward op or in place (test_inplace.py)."""
    names = {str(s.name) for s in torch._C._jit_get_all_schemas() if str(s.name).startswith("torchact::")}
    return sorted(n.split("::")[1] for n in names if "_backward" not in n and not n.endswith("_"))


def test_every_op_of_the_list_is_in_the_table():
    """An op added to codegen/op_list.txt without a row here fails: the rows' calls name the ops."""
    called = {name for ours_fn, _, _, _ in OPS.values() for name in ours_fn.__code__.co_names}
    missing = [op for op in forward_ops() if op not in called]
    assert len(forward_ops()) >= 10 and not missing, f"ops without a row in OPS: {missing}"

TOLERANCES = {
    torch.float32: dict(rtol=1.3e-6, atol=1e-5),
    torch.float64: dict(rtol=1e-7, atol=1e-7),
    torch.bfloat16: dict(rtol=1.6e-2, atol=1e-5),
    torch.float16: dict(rtol=1e-3, atol=1e-5),
}


# ATen's backward ops for the ops whose backward takes their output.
OUTPUT_BACKWARD = {
    "sigmoid": torch.ops.aten.sigmoid_backward,
    "tanh": torch.ops.aten.tanh_backward,
    "relu": lambda g, y: torch.ops.aten.threshold_backward(g, y, 0),
}


class RoundedOutputReference(torch.autograd.Function):
    """The float64 built-in, rounded once to x's dtype; its backward sees the rounded output, as
    ATen's reduced-precision kernels' does."""

    @staticmethod
    def forward(ctx, x, name):
        y = OPS[name][1](x.double()).to(x.dtype)
        ctx.save_for_backward(y)
        ctx.name = name
        return y

    @staticmethod
    def backward(ctx, grad):
        (y,) = ctx.saved_tensors
        return OUTPUT_BACKWARD[ctx.name](grad.double(), y.double()).to(y.dtype), None


def make_inputs(name, dtype, shape=(6, 8), kink=False):
    torch.manual_seed(0)
    n = OPS[name][2]
    xs = []
    for _ in range(n):
        x = torch.randn(shape, dtype=torch.float64) * 3
        if kink:
            x = x.sign() * (x.abs() + 1e-3)
        xs.append(x.to(dtype).requires_grad_(True))
    return xs


@pytest.mark.parametrize("dtype", list(TOLERANCES), ids=str)
@pytest.mark.parametrize("name", list(OPS))
def test_matches_builtin(name, dtype):
    ours_fn, ref_fn, _, _ = OPS[name]
    xs = make_inputs(name, dtype)
    ref_xs = [x.detach().clone().requires_grad_(True) for x in xs]
    out = ours_fn(*xs)
    # Reduced types: compare with the built-in computed in float64 on the same values and rounded
    # once (ATen rounds between the steps of a composition; torchact computes in float and rounds
    # once).
    if dtype in (torch.float16, torch.bfloat16) and name in OUTPUT_BACKWARD:
        expected = RoundedOutputReference.apply(ref_xs[0], name)
    elif dtype in (torch.float16, torch.bfloat16):
        expected = ref_fn(*[x.double() for x in ref_xs]).to(dtype)
    else:
        expected = ref_fn(*ref_xs)
    torch.testing.assert_close(out, expected, **TOLERANCES[dtype])
    grad = torch.randn_like(out)
    out.backward(grad)
    expected.backward(grad)
    for x, r in zip(xs, ref_xs):
        torch.testing.assert_close(x.grad, r.grad, **TOLERANCES[dtype])


@pytest.mark.parametrize("name", list(OPS))
def test_gradcheck(name):
    ours_fn, _, _, kink = OPS[name]
    xs = make_inputs(name, torch.float64, shape=(4, 6), kink=kink)
    assert torch.autograd.gradcheck(ours_fn, xs)


def saved_tensors(fn, *inputs):
    """The tensors autograd keeps for fn's backward."""
    saved = []

    def pack(t):
        saved.append(t)
        return t

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        out = fn(*inputs)
    return out, saved


@pytest.mark.parametrize("name", ["sigmoid", "tanh", "relu"])
def test_saves_only_output(name):
    x = torch.randn(16, requires_grad=True)
    out, saved = saved_tensors(OPS[name][0], x)
    assert len(saved) == 1 and saved[0].data_ptr() == out.data_ptr()


@pytest.mark.parametrize("name", ["leaky_relu", "gelu", "gelu_tanh", "silu", "swish", "swiglu_packed"])
def test_saves_only_input(name):
    x = torch.randn(16, requires_grad=True)
    _, saved = saved_tensors(OPS[name][0], x)
    assert len(saved) == 1 and saved[0].data_ptr() == x.data_ptr()


@pytest.mark.parametrize("name", ["swiglu", "geglu", "geglu_tanh"])
def test_gated_saves_only_inputs(name):
    gate = torch.randn(16, requires_grad=True)
    up = torch.randn(16, requires_grad=True)
    _, saved = saved_tensors(OPS[name][0], gate, up)
    assert sorted(t.data_ptr() for t in saved) == sorted([gate.data_ptr(), up.data_ptr()])


def test_schemas():
    expected = {
        "sigmoid": "sigmoid(Tensor self) -> Tensor",
        "leaky_relu": "leaky_relu(Tensor self, float negative_slope=0.01) -> Tensor",
        "gelu": "gelu(Tensor self, *, str approximate='none') -> Tensor",
        "swish": "swish(Tensor self, float beta=1.) -> Tensor",
        "swiglu": "swiglu(Tensor gate, Tensor up) -> Tensor",
        "geglu": "geglu(Tensor gate, Tensor up, *, str approximate='none') -> Tensor",
        "swiglu_packed": "swiglu_packed(Tensor x, int dim=-1, *, bool interleaved=False) -> Tensor",
    }
    for name, schema in expected.items():
        actual = str(getattr(ops, name).default._schema)
        # LibTorch 1.13 prints string defaults in double quotes.
        assert actual.replace("torchact::", "").replace('"', "'") == schema


def test_errors_name_the_op():
    with pytest.raises(RuntimeError, match=r"torchact::silu.*floating-point.*Long"):
        ops.silu(torch.ones(3, dtype=torch.long))
    with pytest.raises(RuntimeError, match=r"torchact::swiglu.*same shape"):
        ops.swiglu(torch.ones(2, 3), torch.ones(3))
    with pytest.raises(RuntimeError, match=r"torchact::gelu.*'none', 'tanh'"):
        ops.gelu(torch.ones(3), approximate="fast")
    with pytest.raises(RuntimeError, match=r"torchact::swiglu_packed.*even"):
        ops.swiglu_packed(torch.ones(2, 5))


def test_parameters_that_make_no_sense_raise():
    x = torch.ones(3)
    with pytest.raises(RuntimeError, match=r"torchact::celu: alpha cannot be 0"):
        ops.celu(x, 0.0)
    with pytest.raises(RuntimeError, match=r"torchact::hardtanh: min_val cannot be greater than max_val"):
        ops.hardtanh(x, 2.0, 1.0)
    with pytest.raises(RuntimeError, match=r"torchact::swiglu_oai: limit must be positive"):
        ops.swiglu_oai(x, x, limit=0.0)
    with pytest.raises(RuntimeError, match=r"torchact::softplus: beta cannot be 0"):
        ops.softplus(x, 0.0)


def test_meta_device():
    x = torch.empty(4, 10, device="meta", dtype=torch.bfloat16)
    assert ops.swiglu_packed(x).shape == (4, 5)
    assert ops.gelu(x, approximate="tanh").dtype == torch.bfloat16


@pytest.mark.parametrize("name", list(OPS))
def test_gradgradcheck(name):
    ours_fn, _, _, kink = OPS[name]
    xs = make_inputs(name, torch.float64, shape=(2, 4), kink=kink)
    assert torch.autograd.gradgradcheck(ours_fn, xs)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA GPU: CUDA tests skipped")
@pytest.mark.parametrize("name", list(OPS))
def test_gradcheck_cuda(name):
    ours_fn, _, _, kink = OPS[name]
    xs = [x.detach().cuda().requires_grad_(True)
          for x in make_inputs(name, torch.float64, shape=(4, 6), kink=kink)]
    assert torch.autograd.gradcheck(ours_fn, xs)
    assert torch.autograd.gradgradcheck(ours_fn, xs)
