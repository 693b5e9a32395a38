"""torch.func transforms and forward-mode AD on every op, against the same transforms of the
PyTorch composition (tests/python/test_ops.py's table): grad, vjp, jacrev, hessian, jvp, jacfwd,
jacfwd(jacrev), vmap(grad), grad(grad), and torch.autograd.forward_ad dual tensors. PyTorch 2.x
only (LibTorch 1.13 has no torch.func)."""
import pytest
import torch

from test_ops import OPS, make_inputs

func = pytest.importorskip("torch.func", reason="torch 1.13 has no torch.func")

# Ops whose second derivative PyTorch's composition does not have (hardsigmoid) are compared
# where it exists (first-order transforms) and checked to be 0 otherwise.
NO_BUILTIN_SECOND = {"hardsigmoid"}


def close(a, b):
    torch.testing.assert_close(a, b, rtol=1e-7, atol=1e-7)


def scalar(fn, n):
    """(x0, ..., x_{n-1}) -> sum(fn(...)): a scalar function for grad/hessian."""
    return lambda *xs: fn(*xs).sum()


@pytest.mark.parametrize("name", list(OPS))
def test_reverse_mode_transforms(name):
    ours, ref, n, kink = OPS[name]
    xs = [x.detach() for x in make_inputs(name, torch.float64, shape=(4, 6), kink=kink)]
    argnums = tuple(range(n))
    close(func.grad(scalar(ours, n), argnums)(*xs), func.grad(scalar(ref, n), argnums)(*xs))
    out, vjp_fn = func.vjp(ours, *xs)
    ref_out, ref_vjp_fn = func.vjp(ref, *xs)
    close(out, ref_out)
    cotangent = torch.randn_like(out)
    close(vjp_fn(cotangent), ref_vjp_fn(cotangent))
    close(func.jacrev(ours, argnums)(*xs), func.jacrev(ref, argnums)(*xs))


@pytest.mark.parametrize("name", list(OPS))
def test_forward_mode_transforms(name):
    ours, ref, n, kink = OPS[name]
    xs = [x.detach() for x in make_inputs(name, torch.float64, shape=(4, 6), kink=kink)]
    tangents = tuple(torch.randn_like(x) for x in xs)
    out, t = func.jvp(ours, tuple(xs), tangents)
    ref_out, ref_t = func.jvp(ref, tuple(xs), tangents)
    close(out, ref_out)
    close(t, ref_t)
    argnums = tuple(range(n))
    close(func.jacfwd(ours, argnums)(*xs), func.jacfwd(ref, argnums)(*xs))
    # Dual tensors.
    import torch.autograd.forward_ad as fwAD
    with fwAD.dual_level():
        duals = [fwAD.make_dual(x, tt) for x, tt in zip(xs, tangents)]
        close(fwAD.unpack_dual(ours(*duals)).tangent, ref_t)


@pytest.mark.parametrize("name", list(OPS))
def test_second_order_transforms(name):
    ours, ref, n, kink = OPS[name]
    xs = [x.detach() for x in make_inputs(name, torch.float64, shape=(2, 4), kink=kink)]
    argnums = tuple(range(n))
    f, g = scalar(ours, n), scalar(ref, n)
    ours_hessians = [func.hessian(f, argnums)(*xs),                       # jacfwd(jacrev)
                     func.jacrev(func.jacrev(f, argnums), argnums)(*xs)]
    ours_gradgrad = func.grad(lambda *a: func.grad(f)(*a).sum())(*xs)
    if name.split("_")[0] in NO_BUILTIN_SECOND:
        for h in ours_hessians:
            for row in h:
                for block in row:
                    assert block.abs().max() == 0
        return
    expected = func.jacrev(func.jacrev(g, argnums), argnums)(*xs)
    for h in ours_hessians:
        close(h, expected)
    close(ours_gradgrad, func.grad(lambda *a: func.grad(g)(*a).sum())(*xs))


@pytest.mark.parametrize("name", list(OPS))
def test_vmap_of_grad(name):
    ours, ref, n, kink = OPS[name]
    xs = [x.detach() for x in make_inputs(name, torch.float64, shape=(5, 4), kink=kink)]
    argnums = tuple(range(n))
    per_sample = func.vmap(func.grad(scalar(ours, n), argnums))(*xs)
    expected = func.vmap(func.grad(scalar(ref, n), argnums))(*xs)
    close(per_sample, expected)
