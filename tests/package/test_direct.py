"""The functional wrappers' direct entry, torchact._C (python/torchact/functional.py): in eager mode
a wrapper called with plain tensors calls the op from torchact._C instead of torch.ops. Every
wrapper takes it and gives exactly the op's result and gradients; everything that needs torch.ops
(__torch_function__ modes and subclasses, arguments pybind11 does not take) still gets it; errors
are torch.ops' errors."""
import pytest
import torch

import torchact
import torchact.functional as functional
from torchact import _direct


class CountingEntry:
    """Stands in for torchact._C: counts the calls of each function, then makes them."""

    def __init__(self):
        self.calls = {}

    def __getattr__(self, name):
        function = getattr(_direct.C, name)

        def counted(*args):
            self.calls[name] = self.calls.get(name, 0) + 1
            return function(*args)
        return counted


@pytest.fixture
def entry(monkeypatch):
    counting = CountingEntry()
    monkeypatch.setattr(functional, "_C", counting)
    return counting


def _schema(name):
    return getattr(torch.ops.torchact, name).default._schema


def _tensors(name, dtype=torch.float64, requires_grad=False):
    """A random tensor per tensor argument of the op (a packed op splits any dim: all even)."""
    torch.manual_seed(0)
    count = sum(str(a.type) == "Tensor" for a in _schema(name).arguments)
    return [(torch.randn(6, 8, dtype=dtype) * 3).requires_grad_(requires_grad) for _ in range(count)]


# Non-default arguments (positional, as the wrappers take them), ints where the op takes floats.
ARGUMENTS = {
    "leaky_relu": (0.3,), "leaky_relu_": (0,), "gelu": ("tanh",), "gelu_": ("tanh",),
    "swish": (1.7,), "elu": (0.5, 2, 1.5), "elu_": (0.5, 2.0, 1.5), "celu": (0.7,), "celu_": (2,),
    "softplus": (2.0, 5), "hardtanh": (-0.5, 2), "hardtanh_": (-2, 0.5),
    "geglu": ("tanh",), "swiglu_oai": (1.5, 3), "swiglu_step": (2.5,),
    "swiglu_packed": (0, True), "geglu_packed": (-1, True, "tanh"), "reglu_packed": (1, False),
    "swiglu_oai_packed": (-1, True, 1.5, 3.0), "swiglu_step_packed": (0, False, 4),
}


def _op_call(name, tensors, args):
    """The same call through torch.ops (keyword-only parameters by name)."""
    schema = _schema(name).arguments[len(tensors):]
    positional = [a for a, s in zip(args, schema) if not s.kwarg_only]
    keywords = {s.name: a for a, s in zip(args, schema) if s.kwarg_only}
    return getattr(torch.ops.torchact, name)(*tensors, *positional, **keywords)


def test_the_direct_entry_is_built():
    assert _direct.C is not None, "the package was built without torchact._C (CMakeLists.txt)"


@pytest.mark.parametrize("args", ["defaults", "arguments"])
@pytest.mark.parametrize("name", functional.__all__)
def test_every_wrapper_takes_the_direct_entry_and_equals_the_op(entry, name, args):
    args = ARGUMENTS.get(name, ()) if args == "arguments" else ()
    inplace = name.endswith("_")
    tensors = _tensors(name, requires_grad=not inplace)
    copies = [t.detach().clone().requires_grad_(not inplace) for t in tensors]
    out = getattr(torchact, name)(*tensors, *args)
    expected = _op_call(name, copies, args)
    assert entry.calls == {name: 1}
    assert torch.equal(out, expected)
    if inplace:
        assert out is tensors[0]  # the input itself, as from torch.ops
        return
    grad = torch.randn_like(out)
    out.backward(grad)
    expected.backward(grad)
    for t, copy in zip(tensors, copies):
        assert torch.equal(t.grad, copy.grad)


def test_second_derivatives_through_the_direct_entry(entry):
    x = torch.randn(6, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradgradcheck(lambda t: torchact.mish(t), (x,))
    assert torch.autograd.gradgradcheck(lambda t: torchact.swiglu_oai(t, t.flip(0)), (x,))
    assert entry.calls["mish"] > 0 and entry.calls["swiglu_oai"] > 0


def test_torch_function_modes_and_subclasses_get_the_op(entry):
    seen = []

    class Record(torch.overrides.TorchFunctionMode):
        def __torch_function__(self, func, types, args=(), kwargs=None):
            seen.append(func)
            return func(*args, **(kwargs or {}))

    x = torch.randn(4, 6)
    with Record():
        torchact.relu(x)
        torchact.swiglu(x, x)
        torchact.geglu_packed(x, -1, True)
    names = [str(f) for f in seen]
    assert any("torchact.relu" in n for n in names), names
    assert any("torchact.swiglu" in n for n in names), names
    assert any("torchact.geglu_packed" in n for n in names), names

    class Logged(torch.Tensor):
        calls = []

        @classmethod
        def __torch_function__(cls, func, types, args=(), kwargs=None):
            cls.calls.append(str(func))
            return super().__torch_function__(func, types, args, kwargs or {})

    torchact.silu(x.as_subclass(Logged))
    torchact.swiglu(x, x.as_subclass(Logged))  # either argument
    assert sum("torchact.silu" in c for c in Logged.calls) == 1, Logged.calls
    assert sum("torchact.swiglu" in c for c in Logged.calls) == 1, Logged.calls
    assert entry.calls == {}


def _outcome(call):
    try:
        return ("result", call())
    except Exception as error:  # noqa: BLE001  (compared, not handled)
        return (type(error), str(error))


@pytest.mark.parametrize("name,tensors,args", [
    ("leaky_relu", 1, ("0.1",)),           # a str for a float: torch.ops' error
    ("leaky_relu", 1, (None,)),
    ("gelu", 1, (0,)),                      # an int for a str
    ("swiglu_packed", 1, (-1.0,)),          # a float for an int
    ("swiglu_packed", 1, (-1, 1)),          # an int for a bool
    ("swiglu_packed", 1, (-1, None)),
    ("relu", 0, (None,)),                   # no tensor
    ("relu", 0, ([1.0, -1.0],)),
    ("swiglu", 1, ("up",)),
])
def test_arguments_the_entry_does_not_take_are_decided_by_torch_ops(name, tensors, args):
    x = torch.randn(4, 6)
    inputs = [x.clone() for _ in range(tensors)]
    ours = _outcome(lambda: getattr(torchact, name)(*inputs, *args))
    theirs = _outcome(lambda: _op_call(name, [x.clone() for _ in range(tensors)], args))
    assert ours[0] == theirs[0]
    if ours[0] == "result":
        assert torch.equal(ours[1], theirs[1])
    else:
        assert ours[1] == theirs[1]


@pytest.mark.parametrize("name,tensors,args", [
    ("hardtanh", lambda: [torch.randn(3)], (2.0, 1.0)),
    ("relu", lambda: [torch.arange(3)], ()),
    ("swiglu", lambda: [torch.randn(3), torch.randn(4)], ()),
    ("gelu", lambda: [torch.randn(3)], ("fast",)),
    ("swiglu_oai_packed", lambda: [torch.randn(2, 4)], (-1, False, 1.702, -1.0)),
    ("swiglu_packed", lambda: [torch.randn(2, 5)], ()),
    ("relu_", lambda: [torch.randn(3, requires_grad=True)], ()),
])
def test_errors_are_torch_ops_errors(entry, name, tensors, args):
    """The exception type and message torch.ops gives, without a C++ backtrace."""
    ours = _outcome(lambda: getattr(torchact, name)(*tensors(), *args))
    assert entry.calls == {name: 1}
    assert ours[0] != "result" and ours == _outcome(lambda: _op_call(name, tensors(), args))
    assert "Exception raised from" not in ours[1]
