"""torch.nn modules calling the torchact ops: drop-in replacements for torch.nn's activations
(same names, arguments and repr), and the gated feed-forward blocks of Llama-style models."""
from torch import Tensor, jit, nn

from . import functional as F

__all__ = ["Sigmoid", "Tanh", "ReLU", "LeakyReLU", "GELU", "SiLU", "Mish", "Swish", "SwiGLU", "GEGLU",
           "SwiGLUFeedForward", "GEGLUFeedForward"]


def _check_not_inplace(module, inplace):
    # torch.nn's activations accept inplace=True; torchact's ops always write a new tensor, and
    # silently ignoring the flag would break code that relies on the input being overwritten.
    if inplace:
        raise ValueError(f"torchact.nn.{module}: inplace=True is not supported (the op writes a new "
                         "tensor); use inplace=False")


class Sigmoid(nn.Module):
    def forward(self, input: Tensor) -> Tensor:
        return F.sigmoid(input)


class Tanh(nn.Module):
    def forward(self, input: Tensor) -> Tensor:
        return F.tanh(input)


class ReLU(nn.Module):
    def __init__(self, inplace: bool = False):
        super().__init__()
        _check_not_inplace("ReLU", inplace)

    def forward(self, input: Tensor) -> Tensor:
        return F.relu(input)


class LeakyReLU(nn.Module):
    def __init__(self, negative_slope: float = 0.01, inplace: bool = False):
        super().__init__()
        _check_not_inplace("LeakyReLU", inplace)
        self.negative_slope = negative_slope

    def forward(self, input: Tensor) -> Tensor:
        return F.leaky_relu(input, self.negative_slope)

    def extra_repr(self) -> str:
        return f"negative_slope={self.negative_slope}"


class GELU(nn.Module):
    def __init__(self, approximate: str = "none"):
        super().__init__()
        if approximate not in ("none", "tanh"):
            raise ValueError(f"torchact.nn.GELU: approximate must be 'none' or 'tanh', got {approximate!r}")
        self.approximate = approximate

    def forward(self, input: Tensor) -> Tensor:
        return F.gelu(input, approximate=self.approximate)

    def extra_repr(self) -> str:
        return f"approximate={self.approximate!r}"


class SiLU(nn.Module):
    def __init__(self, inplace: bool = False):
        super().__init__()
        _check_not_inplace("SiLU", inplace)

    def forward(self, input: Tensor) -> Tensor:
        return F.silu(input)


class Mish(nn.Module):
    def __init__(self, inplace: bool = False):
        super().__init__()
        _check_not_inplace("Mish", inplace)

    def forward(self, input: Tensor) -> Tensor:
        return F.mish(input)


class Swish(nn.Module):
    """x sigmoid(beta x); beta = 1 is SiLU."""

    def __init__(self, beta: float = 1.0):
        super().__init__()
        self.beta = beta

    def forward(self, input: Tensor) -> Tensor:
        return F.swish(input, self.beta)

    def extra_repr(self) -> str:
        return f"beta={self.beta}"


class SwiGLU(nn.Module):
    """silu(gate) * up of a packed input [gate | up], split in halves along dim."""

    def __init__(self, dim: int = -1):
        super().__init__()
        self.dim = dim

    def forward(self, input: Tensor) -> Tensor:
        return F.swiglu_packed(input, self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class GEGLU(nn.Module):
    """gelu(gate) * up of a packed input [gate | up], split in halves along dim."""

    def __init__(self, dim: int = -1, approximate: str = "none"):
        super().__init__()
        self.dim = dim
        self.approximate = approximate

    def forward(self, input: Tensor) -> Tensor:
        return F.geglu_packed(input, self.dim, approximate=self.approximate)

    def extra_repr(self) -> str:
        return f"dim={self.dim}, approximate={self.approximate!r}"


class _GatedFeedForward(nn.Module):
    """w2(act(w1 x) * w3 x). packed=True holds w1 and w3 as one Linear w13 producing [gate | up],
    whose output the packed op splits without a copy. Parameter names match the C++
    torchact::nn modules (w1, w2, w3 or w13)."""

    packed: jit.Final[bool]  # a constant to TorchScript, which then compiles only one branch

    def __init__(self, dim: int, hidden_dim: int, bias: bool = False, packed: bool = False,
                 device=None, dtype=None):
        super().__init__()
        if dim <= 0 or hidden_dim <= 0:
            raise ValueError(f"{type(self).__name__}: dim and hidden_dim must be positive, got "
                             f"{dim} and {hidden_dim}")
        self.dim, self.hidden_dim, self.packed = dim, hidden_dim, packed
        factory = dict(device=device, dtype=dtype)
        if packed:
            self.w13 = nn.Linear(dim, 2 * hidden_dim, bias=bias, **factory)
        else:
            self.w1 = nn.Linear(dim, hidden_dim, bias=bias, **factory)
            self.w3 = nn.Linear(dim, hidden_dim, bias=bias, **factory)
        self.w2 = nn.Linear(hidden_dim, dim, bias=bias, **factory)

    def extra_repr(self) -> str:
        return (f"dim={self.dim}, hidden_dim={self.hidden_dim}, bias={self.w2.bias is not None}, "
                f"packed={self.packed}")


class SwiGLUFeedForward(_GatedFeedForward):
    """The Llama MLP: w2(silu(w1 x) * w3 x), with swiglu fused into one op."""

    def forward(self, x: Tensor) -> Tensor:
        if self.packed:
            return self.w2(F.swiglu_packed(self.w13(x), -1))
        return self.w2(F.swiglu(self.w1(x), self.w3(x)))


class GEGLUFeedForward(_GatedFeedForward):
    """w2(gelu(w1 x) * w3 x), with geglu fused into one op."""

    def __init__(self, dim: int, hidden_dim: int, bias: bool = False, packed: bool = False,
                 approximate: str = "none", device=None, dtype=None):
        super().__init__(dim, hidden_dim, bias, packed, device, dtype)
        self.approximate = approximate

    def forward(self, x: Tensor) -> Tensor:
        if self.packed:
            return self.w2(F.geglu_packed(self.w13(x), -1, approximate=self.approximate))
        return self.w2(F.geglu(self.w1(x), self.w3(x), approximate=self.approximate))

    def extra_repr(self) -> str:
        return super().extra_repr() + f", approximate={self.approximate!r}"
