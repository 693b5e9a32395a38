"""The in-place variants (torch.ops.torchact.relu_, ...) from Python: the out-of-place op's result
written into self, the out-of-place op's gradients (forward and reverse mode), PyTorch's in-place
rules under autograd, and the PyTorch 2 stack (opcheck, torch.compile, torch.func, vmap)."""
import pytest
import torch

from test_ops import OPS

ops = torch.ops.torchact

# in-place op -> (its call, the row of test_ops.OPS whose out-of-place call it must equal)
INPLACE = {
    "sigmoid_": (lambda x: ops.sigmoid_(x), "sigmoid"),
    "tanh_": (lambda x: ops.tanh_(x), "tanh"),
    "relu_": (lambda x: ops.relu_(x), "relu"),
    "leaky_relu_": (lambda x: ops.leaky_relu_(x, 0.2), "leaky_relu_0.2"),
    "gelu_": (lambda x: ops.gelu_(x, approximate="tanh"), "gelu_tanh"),
    "silu_": (lambda x: ops.silu_(x), "silu"),
    "mish_": (lambda x: ops.mish_(x), "mish"),
    "elu_": (lambda x: ops.elu_(x, 0.5, 2.0, 1.5), "elu_scaled"),
    "selu_": (lambda x: ops.selu_(x), "selu"),
    "celu_": (lambda x: ops.celu_(x, 0.7), "celu"),
    "hardsigmoid_": (lambda x: ops.hardsigmoid_(x), "hardsigmoid"),
    "hardswish_": (lambda x: ops.hardswish_(x), "hardswish"),
    "relu6_": (lambda x: ops.relu6_(x), "relu6"),
    "hardtanh_": (lambda x: ops.hardtanh_(x, -0.5, 2.0), "hardtanh"),
}
NAMES = sorted(INPLACE)
PT2 = hasattr(torch.library, "opcheck")


def inplace_ops():
    names = {str(s.name) for s in torch._C._jit_get_all_schemas() if str(s.name).startswith("torchact::")}
    return sorted(n.split("::")[1] for n in names if n.endswith("_"))


def test_every_inplace_op_has_a_row():
    missing = [op for op in inplace_ops() if op not in INPLACE]
    assert len(inplace_ops()) >= 14 and not missing, f"in-place ops without a row in INPLACE: {missing}"


def out_of_place(name, x):
    return OPS[INPLACE[name][1]][0](x)


LAYOUTS = {
    "contiguous": lambda t: t,
    "transposed": lambda t: t.t(),
    "every_other_row": lambda t: t[::2],
}


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64, torch.bfloat16], ids=str)
@pytest.mark.parametrize("name", NAMES)
def test_writes_the_out_of_place_result(name, dtype, layout):
    torch.manual_seed(0)
    base = (torch.randn(6, 8, dtype=torch.float64) * 3).to(dtype)
    expected_base = base.clone()
    self = LAYOUTS[layout](base)
    LAYOUTS[layout](expected_base).copy_(out_of_place(name, self.clone()))
    version = self._version
    result = INPLACE[name][0](self)
    assert result.data_ptr() == self.data_ptr() and result.shape == self.shape
    assert torch.equal(base, expected_base), "the view holds the result, the rest of base is untouched"
    assert self._version > version


@pytest.mark.parametrize("name", NAMES)
def test_gradients_match_the_out_of_place_op(name):
    """On a view of a non-leaf, first and second derivatives."""
    torch.manual_seed(1)
    x = (torch.randn(6, 8, dtype=torch.float64) * 3).requires_grad_()
    ref = x.detach().clone().requires_grad_()
    base = x * 1.5
    INPLACE[name][0](base[:, 2:6])
    ref_base = (ref * 1.5).clone()
    ref_base[:, 2:6] = out_of_place(name, (ref * 1.5)[:, 2:6])
    g = torch.randn(6, 8, dtype=torch.float64)
    (gx,) = torch.autograd.grad(base, x, g, create_graph=True)
    (gr,) = torch.autograd.grad(ref_base, ref, g, create_graph=True)
    torch.testing.assert_close(gx, gr)
    gg = torch.randn(6, 8, dtype=torch.float64)
    (ggx,) = torch.autograd.grad(gx, x, gg, allow_unused=True)
    (ggr,) = torch.autograd.grad(gr, ref, gg, allow_unused=True)
    if ggr is not None:
        torch.testing.assert_close(ggx, ggr)


@pytest.mark.parametrize("name", NAMES)
def test_gradcheck_through_the_inplace_op(name):
    torch.manual_seed(2)
    x = (torch.randn(5, dtype=torch.float64) * 2 + 0.3).requires_grad_()  # away from the kinks
    x = x.detach().masked_fill(x.detach().abs() < 0.1, 0.5).requires_grad_()
    f = lambda t: INPLACE[name][0](t * 1.0)  # noqa: E731  (a non-leaf to write)
    assert torch.autograd.gradcheck(f, (x,))
    assert torch.autograd.gradgradcheck(f, (x,))


def test_refuses_a_leaf_that_requires_grad():
    for name in NAMES:
        with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
            INPLACE[name][0](torch.randn(3, requires_grad=True))


def test_refuses_elements_sharing_memory():
    for name in NAMES:
        with pytest.raises(RuntimeError, match=f"torchact::{name}"):
            INPLACE[name][0](torch.randn(1, 4).expand(3, 4))


def test_overwriting_a_saved_tensor_is_caught():
    x = torch.randn(5, requires_grad=True)
    y = ops.sigmoid(x)  # saves its output
    ops.relu_(y)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()


def test_meta_kernels():
    x = torch.empty(4, 3, device="meta")
    for name in NAMES:
        out = INPLACE[name][0](x)
        assert out.device.type == "meta" and out.shape == x.shape


@pytest.mark.parametrize("name", NAMES)
def test_forward_mode_tangent_is_updated_in_place(name):
    import torch.autograd.forward_ad as fwAD

    torch.manual_seed(3)
    p, t = torch.randn(7, dtype=torch.float64) * 2, torch.randn(7, dtype=torch.float64)
    # Element-wise: the JVP f'(p) t is the VJP with t, which reverse mode computes.
    x = p.clone().requires_grad_()
    (expected,) = torch.autograd.grad(out_of_place(name, x), x, t)
    with fwAD.dual_level():
        dual = fwAD.make_dual(p.clone(), t.clone())
        INPLACE[name][0](dual)
        primal, tangent = fwAD.unpack_dual(dual)
    torch.testing.assert_close(primal, out_of_place(name, p))
    torch.testing.assert_close(tangent, expected)


@pytest.mark.skipif(not PT2, reason="torch.library.opcheck / torch.compile need PyTorch >= 2.4")
@pytest.mark.parametrize("name", NAMES)
def test_opcheck(name):
    op = getattr(ops, name).default
    args = {"leaky_relu_": (0.2,), "elu_": (0.5, 2.0, 1.5), "celu_": (0.7,), "hardtanh_": (-0.5, 2.0)}
    torch.library.opcheck(op, (torch.randn(4, 6) * 3,) + args.get(name, ()))


@pytest.mark.skipif(not PT2, reason="torch.compile needs PyTorch >= 2.4")
def test_compile_functionalizes_inplace_ops():
    def f(x):
        y = x * 2
        ops.relu_(y)
        ops.silu_(y[:, 1:])  # on a view
        return y + 1

    x = torch.randn(5, 6)
    torch.testing.assert_close(torch.compile(f, fullgraph=True, backend="aot_eager")(x), f(x))
    torch.testing.assert_close(torch.compile(f, fullgraph=True)(x), f(x))


@pytest.mark.skipif(not PT2, reason="torch.func needs PyTorch >= 2.0")
def test_func_grad_and_vmap():
    x = torch.randn(4, 6, dtype=torch.float64)
    grad = torch.func.grad(lambda t: ops.mish_(t * 1.0).sum())(x)
    torch.testing.assert_close(grad, torch.func.grad(lambda t: torch.nn.functional.mish(t).sum())(x))
    per_row = torch.func.vmap(lambda r: ops.elu_(r * 1.0, 0.5, 2.0, 1.5))(x)
    torch.testing.assert_close(per_row, torch.ops.aten.elu(x, 0.5, 2.0, 1.5))
