"""Functional API: each function calls the registered op torch.ops.torchact.<name>, so it works
with autograd (first and second derivatives), torch.compile, torch.export, TorchScript and the
meta device. float32, float64, float16 and bfloat16, CPU and (when built) CUDA tensors of any
shape and strides; the result has the input's shape and dtype."""
from torch import Tensor
import torch

__all__ = ["sigmoid", "tanh", "relu", "leaky_relu", "gelu", "silu", "swish", "swiglu", "geglu",
           "swiglu_packed"]


def sigmoid(input: Tensor) -> Tensor:
    """1 / (1 + exp(-x)); range (0, 1); derivative y (1 - y), at most 0.25."""
    return torch.ops.torchact.sigmoid(input)


def tanh(input: Tensor) -> Tensor:
    """tanh(x); range (-1, 1); derivative 1 - y^2, at most 1."""
    return torch.ops.torchact.tanh(input)


def relu(input: Tensor) -> Tensor:
    """max(x, 0); derivative 0 for x <= 0, 1 for x > 0."""
    return torch.ops.torchact.relu(input)


def leaky_relu(input: Tensor, negative_slope: float = 0.01) -> Tensor:
    """x for x > 0, negative_slope * x otherwise."""
    return torch.ops.torchact.leaky_relu(input, negative_slope)


def gelu(input: Tensor, approximate: str = "none") -> Tensor:
    """x Phi(x) with the exact normal CDF (approximate='none') or its tanh approximation
    (approximate='tanh'), as torch.nn.functional.gelu."""
    return torch.ops.torchact.gelu(input, approximate=approximate)


def silu(input: Tensor) -> Tensor:
    """x sigmoid(x) (Swish with beta = 1); minimum about -0.278 at x about -1.278."""
    return torch.ops.torchact.silu(input)


def swish(input: Tensor, beta: float = 1.0) -> Tensor:
    """x sigmoid(beta x)."""
    return torch.ops.torchact.swish(input, beta)


def swiglu(gate: Tensor, up: Tensor) -> Tensor:
    """silu(gate) * up in one pass (the Llama feed-forward's gate); gate and up have one shape."""
    return torch.ops.torchact.swiglu(gate, up)


def geglu(gate: Tensor, up: Tensor, approximate: str = "none") -> Tensor:
    """gelu(gate, approximate) * up in one pass; gate and up have one shape."""
    return torch.ops.torchact.geglu(gate, up, approximate=approximate)


def swiglu_packed(input: Tensor, dim: int = -1) -> Tensor:
    """swiglu(gate, up) with [gate | up] = input split in two equal halves along dim (the order of
    torch.chunk(input, 2, dim)): the output of one Linear layer producing both."""
    return torch.ops.torchact.swiglu_packed(input, dim)
