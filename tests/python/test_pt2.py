"""PyTorch 2 integration: torch.library.opcheck on every op and dtype, torch.compile(fullgraph)
and torch.export of a module that uses every op. These need PyTorch >= 2.4; on older versions
(Debian's 1.13) they skip, saying why."""
import pytest
import torch

ops = torch.ops.torchact

HAS_PT2 = hasattr(torch, "library") and hasattr(torch.library, "opcheck")
pytestmark = pytest.mark.skipif(not HAS_PT2, reason=f"torch {torch.__version__} has no torch.library.opcheck / torch.compile / torch.export (PyTorch >= 2.4)")

DTYPES = [torch.float32, torch.float64, torch.float16, torch.bfloat16]


def t(shape, dtype, requires_grad=False):
    return (torch.randn(shape, dtype=torch.float64) * 2).to(dtype).requires_grad_(requires_grad)


def cases(dtype):
    """(op overload, args, kwargs) for every forward, backward and second-derivative op."""
    s = (3, 4)
    x, g, gg = t(s, dtype, True), t(s, dtype, True), t(s, dtype)
    a, b = t(s, dtype, True), t(s, dtype, True)
    xp, gp = t((3, 8), dtype, True), t((3, 4), dtype, True)
    y_sig = torch.sigmoid(x.detach().float()).to(dtype).requires_grad_(True)
    return [
        (ops.sigmoid.default, (x,), {}),
        (ops.tanh.default, (x,), {}),
        (ops.relu.default, (x,), {}),
        (ops.leaky_relu.default, (x, 0.2), {}),
        (ops.gelu.default, (x,), {"approximate": "none"}),
        (ops.gelu.default, (x,), {"approximate": "tanh"}),
        (ops.silu.default, (x,), {}),
        (ops.swish.default, (x, 1.5), {}),
        (ops.swiglu.default, (a, b), {}),
        (ops.geglu.default, (a, b), {"approximate": "tanh"}),
        (ops.swiglu_packed.default, (xp, -1), {}),
        (ops.sigmoid_backward.default, (g, y_sig), {}),
        (ops.tanh_backward.default, (g, y_sig), {}),
        (ops.relu_backward.default, (g, y_sig), {}),
        (ops.leaky_relu_backward.default, (g, x, 0.2), {}),
        (ops.gelu_backward.default, (g, x), {"approximate": "tanh"}),
        (ops.silu_backward.default, (g, x), {}),
        (ops.swish_backward.default, (g, x, 1.5), {}),
        (ops.swiglu_backward.default, (g, a, b), {}),
        (ops.geglu_backward.default, (g, a, b), {"approximate": "none"}),
        (ops.swiglu_packed_backward.default, (gp, xp, -1), {}),
    ] + [
        # The second-derivative ops are not differentiable again (third derivatives raise): they
        # are checked on inputs that do not require grad.
        (op, tuple(a.detach() if isinstance(a, torch.Tensor) else a for a in args), kwargs)
        for op, args, kwargs in [
            (ops.silu_backward_backward.default, (gg, g, x), {}),
            (ops.sigmoid_backward_backward.default, (gg, g, y_sig), {}),
            (ops.gelu_backward_backward.default, (gg, g, x), {"approximate": "tanh"}),
            (ops.swiglu_backward_backward.default, (gg, gg, g, a, b), {}),
            (ops.swiglu_packed_backward_backward.default, (gg.repeat(1, 2), gp, xp, -1), {}),
        ]
    ]


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
def test_opcheck(dtype):
    torch.manual_seed(0)
    for op, args, kwargs in cases(dtype):
        try:
            torch.library.opcheck(op, args, kwargs)
        except Exception as e:  # say which op failed
            raise AssertionError(f"opcheck failed for {op} ({dtype}): {e}") from e


class EveryOp(torch.nn.Module):
    """A small module that uses each torchact op once."""

    def forward(self, x, gate, up, packed):
        h = ops.sigmoid(x) + ops.tanh(x) + ops.relu(x) + ops.leaky_relu(x, 0.1)
        h = h + ops.gelu(x) + ops.gelu(x, approximate="tanh") + ops.silu(x) + ops.swish(x, 1.3)
        h = h + ops.swiglu(gate, up) + ops.geglu(gate, up, approximate="tanh")
        return h + ops.swiglu_packed(packed, -1)


def inputs(requires_grad=True):
    torch.manual_seed(1)
    return [torch.randn(s, requires_grad=requires_grad) for s in [(4, 6), (4, 6), (4, 6), (4, 12)]]


def eager_result():
    xs = inputs()
    out = EveryOp()(*xs)
    out.sum().backward()
    return out.detach(), [x.grad for x in xs]


def test_compile_fullgraph_matches_eager():
    expected, expected_grads = eager_result()
    compiled = torch.compile(EveryOp(), fullgraph=True, backend="inductor")
    xs = inputs()
    out = compiled(*xs)
    out.sum().backward()
    torch.testing.assert_close(out, expected)
    for x, g in zip(xs, expected_grads):
        torch.testing.assert_close(x.grad, g)


def test_export_runs_and_matches_eager():
    expected, _ = eager_result()
    xs = inputs(requires_grad=False)
    program = torch.export.export(EveryOp(), tuple(xs))
    torch.testing.assert_close(program.module()(*xs), expected)
    # The exported graph calls the torchact ops themselves.
    targets = {str(n.target) for n in program.graph.nodes if n.op == "call_function"}
    assert any("torchact" in t for t in targets), targets
