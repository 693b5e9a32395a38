"""The snippet to paste into your CI: load torchact, use its ops in an nn.Module, gradcheck them.

    python python_ci_snippet.py path/to/libtorchact.so
"""
import sys

import torch

torch.ops.load_library(sys.argv[1] if len(sys.argv) > 1 else "libtorchact.so")


class SwiGLUMLP(torch.nn.Module):
    def __init__(self, dim=8, hidden=16):
        super().__init__()
        self.w13 = torch.nn.Linear(dim, 2 * hidden, bias=False)  # [gate | up]
        self.w2 = torch.nn.Linear(hidden, dim, bias=False)

    def forward(self, x):
        return self.w2(torch.ops.torchact.swiglu_packed(self.w13(x), -1))


model = SwiGLUMLP().double()
x = torch.randn(4, 8, dtype=torch.double, requires_grad=True)
assert torch.autograd.gradcheck(model, (x,)), "first derivatives"
assert torch.autograd.gradgradcheck(model, (x,)), "second derivatives"
for op in (torch.ops.torchact.silu, torch.ops.torchact.sigmoid, torch.ops.torchact.tanh):
    assert torch.autograd.gradcheck(op, (torch.randn(6, dtype=torch.double, requires_grad=True),))
print("torchact gradcheck and gradgradcheck passed")
