"""Checks to run in your own CI, on torchact or on your own ops and autograd Functions.

    import torchact.testing
    torchact.testing.check_torchact()                        # every torchact op, as installed
    torchact.testing.check_gradients(my_fn, x, w)            # gradcheck + gradgradcheck in float64
    torchact.testing.check_op(torch.ops.mylib.op.default, (x,))  # torch.library.opcheck (torch >= 2.4)

Each raises AssertionError, saying what failed, when a check fails.
"""
import torch

__all__ = ["HAS_OPCHECK", "check_gradients", "check_op", "check_torchact"]

# torch.library.opcheck (schema, autograd registration, fake tensor, AOT dispatch) is in
# PyTorch >= 2.4; on older versions check_op does nothing and returns False.
HAS_OPCHECK = hasattr(torch, "library") and hasattr(torch.library, "opcheck")


def _float64_inputs(inputs):
    # Finite differences need float64: in float32 their own error exceeds any useful tolerance.
    return tuple(
        t.detach().to(torch.float64).requires_grad_(True)
        if isinstance(t, torch.Tensor) and t.is_floating_point() else t
        for t in inputs)


def check_gradients(fn, *inputs, second_order=True, eps=1e-6, atol=1e-5, rtol=1e-3, name=None):
    """torch.autograd.gradcheck, and gradgradcheck when second_order, of fn at float64 copies of
    the floating-point tensor inputs (other arguments are passed as they are). Keep the inputs
    away from kinks (ReLU and LeakyReLU at 0), where finite differences are meaningless."""
    name = name or getattr(fn, "__name__", repr(fn))
    inputs = _float64_inputs(inputs)
    checks = [("gradcheck", torch.autograd.gradcheck)]
    if second_order:
        checks.append(("gradgradcheck", torch.autograd.gradgradcheck))
    for check_name, check in checks:
        try:
            ok = check(fn, inputs, eps=eps, atol=atol, rtol=rtol, raise_exception=True)
        except RuntimeError as error:  # GradcheckError is a RuntimeError
            raise AssertionError(f"{name}: {check_name} failed: {error}") from error
        if not ok:
            raise AssertionError(f"{name}: {check_name} failed")


def check_op(op, args, kwargs=None, **opcheck_kwargs):
    """torch.library.opcheck(op, args, kwargs) where the PyTorch version has it: returns True when
    it ran and passed, False when this PyTorch has no opcheck; raises AssertionError on failure."""
    if not HAS_OPCHECK:
        return False
    try:
        torch.library.opcheck(op, args, kwargs, **opcheck_kwargs)
    except Exception as error:  # opcheck raises OpCheckError (and others) with the failing test
        raise AssertionError(f"{op}: opcheck failed: {error}") from error
    return True


def _sample(shape, dtype, device, away_from_zero):
    x = torch.randn(shape, dtype=dtype, device=device) * 2
    if away_from_zero:  # finite differences across a kink measure nothing
        x = x.sign() * (x.abs() + 0.1)
    return x


# name -> (op, number of tensor inputs, non-tensor arguments, keyword arguments, has a kink at 0)
def _cases():
    ops = torch.ops.torchact
    return {
        "sigmoid": (ops.sigmoid, 1, (), {}, False),
        "tanh": (ops.tanh, 1, (), {}, False),
        "relu": (ops.relu, 1, (), {}, True),
        "leaky_relu": (ops.leaky_relu, 1, (0.2,), {}, True),
        "gelu": (ops.gelu, 1, (), {}, False),
        "gelu_tanh": (ops.gelu, 1, (), {"approximate": "tanh"}, False),
        "silu": (ops.silu, 1, (), {}, False),
        "swish": (ops.swish, 1, (1.7,), {}, False),
        "swiglu": (ops.swiglu, 2, (), {}, False),
        "geglu": (ops.geglu, 2, (), {}, False),
        "geglu_tanh": (ops.geglu, 2, (), {"approximate": "tanh"}, False),
        "swiglu_packed": (ops.swiglu_packed, 1, (-1,), {}, False),
    }


def check_torchact(device="cpu", dtypes=(torch.float32, torch.float64, torch.float16, torch.bfloat16),
                   seed=0):
    """Checks every torchact op on device: gradcheck and gradgradcheck in float64, and opcheck
    (where available) in each of dtypes. Returns the list of checks run."""
    generator_state = torch.random.get_rng_state()
    torch.manual_seed(seed)
    ran = []
    try:
        for name, (op, n_tensors, args, kwargs, kink) in _cases().items():
            shape = (3, 4)
            tensors = [_sample(shape, torch.float64, device, kink) for _ in range(n_tensors)]
            check_gradients(lambda *t: op(*t, *args, **kwargs), *tensors, name=f"torchact.{name}")
            ran.append(f"{name}: gradcheck, gradgradcheck")
            if HAS_OPCHECK:
                for dtype in dtypes:
                    inputs = [_sample(shape, dtype, device, kink).requires_grad_(True)
                              for _ in range(n_tensors)]
                    check_op(op.default, (*inputs, *args), kwargs)
                    ran.append(f"{name}: opcheck {dtype}")
    finally:
        torch.random.set_rng_state(generator_state)
    return ran
