"""torch.nn modules calling the torchact ops: drop-in replacements for torch.nn's activations
(same names, arguments and repr), and the gated feed-forward blocks of Llama-style models."""
from torch import Tensor, jit, nn

from . import functional as F

__all__ = ["Sigmoid", "Tanh", "ReLU", "LeakyReLU", "GELU", "SiLU", "Mish", "Swish", "ELU", "SELU",
           "CELU", "Softplus", "Hardsigmoid", "Hardswish", "ReLU6", "Hardtanh", "QuickGELU",
           "ReLUSquared", "SwiGLU", "GEGLU", "GatedFeedForward", "SwiGLUFeedForward",
           "GEGLUFeedForward"]


def _inplace_repr(inplace: bool) -> str:
    return "inplace=True" if inplace else ""


class Sigmoid(nn.Module):
    def forward(self, input: Tensor) -> Tensor:
        return F.sigmoid(input)


class Tanh(nn.Module):
    def forward(self, input: Tensor) -> Tensor:
        return F.tanh(input)


class _InPlaceOption(nn.Module):
    """An activation with torch.nn's `inplace` option: inplace=True overwrites the input with the
    result (torchact.<name>_), as torch.nn's modules do."""

    def __init__(self, inplace: bool = False):
        super().__init__()
        self.inplace = inplace

    def extra_repr(self) -> str:
        return _inplace_repr(self.inplace)


class ReLU(_InPlaceOption):
    def forward(self, input: Tensor) -> Tensor:
        return F.relu_(input) if self.inplace else F.relu(input)


class LeakyReLU(_InPlaceOption):
    def __init__(self, negative_slope: float = 0.01, inplace: bool = False):
        super().__init__(inplace)
        self.negative_slope = negative_slope

    def forward(self, input: Tensor) -> Tensor:
        if self.inplace:
            return F.leaky_relu_(input, self.negative_slope)
        return F.leaky_relu(input, self.negative_slope)

    def extra_repr(self) -> str:
        return ", ".join(filter(None, [f"negative_slope={self.negative_slope}", _inplace_repr(self.inplace)]))


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


class SiLU(_InPlaceOption):
    def forward(self, input: Tensor) -> Tensor:
        return F.silu_(input) if self.inplace else F.silu(input)


class Mish(_InPlaceOption):
    def forward(self, input: Tensor) -> Tensor:
        return F.mish_(input) if self.inplace else F.mish(input)


class Swish(nn.Module):
    """x sigmoid(beta x); beta = 1 is SiLU."""

    def __init__(self, beta: float = 1.0):
        super().__init__()
        self.beta = beta

    def forward(self, input: Tensor) -> Tensor:
        return F.swish(input, self.beta)

    def extra_repr(self) -> str:
        return f"beta={self.beta}"


class SELU(_InPlaceOption):
    def forward(self, input: Tensor) -> Tensor:
        return F.selu_(input) if self.inplace else F.selu(input)


class Hardsigmoid(_InPlaceOption):
    def forward(self, input: Tensor) -> Tensor:
        return F.hardsigmoid_(input) if self.inplace else F.hardsigmoid(input)

    def extra_repr(self) -> str:
        return ""  # as torch.nn.Hardsigmoid's


class Hardswish(_InPlaceOption):
    def forward(self, input: Tensor) -> Tensor:
        return F.hardswish_(input) if self.inplace else F.hardswish(input)

    def extra_repr(self) -> str:
        return ""  # as torch.nn.Hardswish's


class ReLU6(_InPlaceOption):
    def forward(self, input: Tensor) -> Tensor:
        return F.relu6_(input) if self.inplace else F.relu6(input)


class QuickGELU(nn.Module):
    """x sigmoid(1.702 x) (CLIP)."""

    def forward(self, input: Tensor) -> Tensor:
        return F.quick_gelu(input)


class ReLUSquared(nn.Module):
    """relu(x)^2 (Primer, Nemotron)."""

    def forward(self, input: Tensor) -> Tensor:
        return F.relu_squared(input)


class ELU(_InPlaceOption):
    def __init__(self, alpha: float = 1.0, inplace: bool = False):
        super().__init__(inplace)
        self.alpha = alpha

    def forward(self, input: Tensor) -> Tensor:
        return F.elu_(input, self.alpha) if self.inplace else F.elu(input, self.alpha)

    def extra_repr(self) -> str:
        return ", ".join(filter(None, [f"alpha={self.alpha}", _inplace_repr(self.inplace)]))


class CELU(_InPlaceOption):
    def __init__(self, alpha: float = 1.0, inplace: bool = False):
        super().__init__(inplace)
        self.alpha = alpha

    def forward(self, input: Tensor) -> Tensor:
        return F.celu_(input, self.alpha) if self.inplace else F.celu(input, self.alpha)

    def extra_repr(self) -> str:
        return ", ".join(filter(None, [f"alpha={self.alpha}", _inplace_repr(self.inplace)]))


class Softplus(nn.Module):
    def __init__(self, beta: float = 1.0, threshold: float = 20.0):
        super().__init__()
        self.beta, self.threshold = beta, threshold

    def forward(self, input: Tensor) -> Tensor:
        return F.softplus(input, self.beta, self.threshold)

    def extra_repr(self) -> str:
        return f"beta={self.beta}, threshold={self.threshold}"


class Hardtanh(_InPlaceOption):
    def __init__(self, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False):
        super().__init__(inplace)
        if min_val > max_val:
            raise ValueError(f"torchact.nn.Hardtanh: min_val ({min_val}) cannot be greater than "
                             f"max_val ({max_val})")
        self.min_val, self.max_val = min_val, max_val

    def forward(self, input: Tensor) -> Tensor:
        if self.inplace:
            return F.hardtanh_(input, self.min_val, self.max_val)
        return F.hardtanh(input, self.min_val, self.max_val)

    def extra_repr(self) -> str:
        return ", ".join(filter(None, [f"min_val={self.min_val}, max_val={self.max_val}",
                                       _inplace_repr(self.inplace)]))


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


class GatedFeedForward(nn.Module):
    """w2(act(w1 x) * w3 x), the activation step one fused gated op: activation 'silu' (swiglu,
    the Llama MLP), 'gelu' or 'gelu_tanh' (geglu), 'relu' (reglu), 'swiglu_oai' (GPT-OSS: gate
    clamped, up clamped + 1; alpha = 1.702, limit = 7), 'swiglu_step'. packed=True holds w1 and
    w3 as one Linear w13 producing gate and up, as halves [gate | up] or, interleaved=True, as
    [g0, u0, g1, u1, ...]; the packed op splits them without a copy. Parameter names match the C++
    torchact::nn modules (w1, w2, w3 or w13)."""

    packed: jit.Final[bool]  # constants to TorchScript, which then compiles only one branch
    interleaved: jit.Final[bool]
    activation: jit.Final[str]

    def __init__(self, dim: int, hidden_dim: int, activation: str = "silu", bias: bool = False,
                 packed: bool = False, interleaved: bool = False, device=None, dtype=None):
        super().__init__()
        if dim <= 0 or hidden_dim <= 0:
            raise ValueError(f"{type(self).__name__}: dim and hidden_dim must be positive, got "
                             f"{dim} and {hidden_dim}")
        if activation not in ("silu", "gelu", "gelu_tanh", "relu", "swiglu_oai", "swiglu_step"):
            raise ValueError(f"{type(self).__name__}: unknown activation {activation!r} (silu, gelu, "
                             "gelu_tanh, relu, swiglu_oai, swiglu_step)")
        if interleaved and not packed:
            raise ValueError(f"{type(self).__name__}: interleaved=True needs packed=True")
        self.dim, self.hidden_dim, self.activation = dim, hidden_dim, activation
        self.packed, self.interleaved = packed, interleaved
        factory = dict(device=device, dtype=dtype)
        if packed:
            self.w13 = nn.Linear(dim, 2 * hidden_dim, bias=bias, **factory)
        else:
            self.w1 = nn.Linear(dim, hidden_dim, bias=bias, **factory)
            self.w3 = nn.Linear(dim, hidden_dim, bias=bias, **factory)
        self.w2 = nn.Linear(hidden_dim, dim, bias=bias, **factory)

    def forward(self, x: Tensor) -> Tensor:
        # Spelled out per activation (not a table lookup), so that TorchScript compiles it.
        if self.packed:
            h = self.w13(x)
            if self.activation == "silu":
                return self.w2(F.swiglu_packed(h, -1, interleaved=self.interleaved))
            if self.activation == "gelu":
                return self.w2(F.geglu_packed(h, -1, interleaved=self.interleaved))
            if self.activation == "gelu_tanh":
                return self.w2(F.geglu_packed(h, -1, interleaved=self.interleaved, approximate="tanh"))
            if self.activation == "relu":
                return self.w2(F.reglu_packed(h, -1, interleaved=self.interleaved))
            if self.activation == "swiglu_oai":
                return self.w2(F.swiglu_oai_packed(h, -1, interleaved=self.interleaved))
            return self.w2(F.swiglu_step_packed(h, -1, interleaved=self.interleaved))
        gate, up = self.w1(x), self.w3(x)
        if self.activation == "silu":
            return self.w2(F.swiglu(gate, up))
        if self.activation == "gelu":
            return self.w2(F.geglu(gate, up))
        if self.activation == "gelu_tanh":
            return self.w2(F.geglu(gate, up, approximate="tanh"))
        if self.activation == "relu":
            return self.w2(F.reglu(gate, up))
        if self.activation == "swiglu_oai":
            return self.w2(F.swiglu_oai(gate, up))
        return self.w2(F.swiglu_step(gate, up))

    def extra_repr(self) -> str:
        extra = f", interleaved={self.interleaved}" if self.packed else ""
        return (f"dim={self.dim}, hidden_dim={self.hidden_dim}, activation={self.activation!r}, "
                f"bias={self.w2.bias is not None}, packed={self.packed}{extra}")


class SwiGLUFeedForward(GatedFeedForward):
    """The Llama MLP: w2(silu(w1 x) * w3 x), with swiglu fused into one op."""

    def __init__(self, dim: int, hidden_dim: int, bias: bool = False, packed: bool = False,
                 interleaved: bool = False, device=None, dtype=None):
        super().__init__(dim, hidden_dim, "silu", bias, packed, interleaved, device, dtype)


class GEGLUFeedForward(GatedFeedForward):
    """w2(gelu(w1 x) * w3 x), with geglu fused into one op; approximate='tanh' for the tanh form."""

    def __init__(self, dim: int, hidden_dim: int, bias: bool = False, packed: bool = False,
                 approximate: str = "none", interleaved: bool = False, device=None, dtype=None):
        if approximate not in ("none", "tanh"):
            raise ValueError(f"GEGLUFeedForward: approximate must be 'none' or 'tanh', got {approximate!r}")
        super().__init__(dim, hidden_dim, "gelu_tanh" if approximate == "tanh" else "gelu", bias,
                         packed, interleaved, device, dtype)
        self.approximate = approximate
