"""Train-in-Python half of the deployment test: a module calling torch.ops.torchact.* is scripted
with TorchScript and saved, carrying a sample input and the outputs and gradients Python computes,
which deploy/load_scripted.cpp checks after torch::jit::load.

    python make_scripted.py LIBTORCHACT OUT.pt
"""
import sys

import torch

torch.ops.load_library(sys.argv[1])


class Block(torch.nn.Module):
    def __init__(self):
        super().__init__()
        torch.manual_seed(0)
        self.up = torch.nn.Linear(6, 16)
        self.down = torch.nn.Linear(8, 6)

    def forward(self, x):
        h = torch.ops.torchact.swiglu_packed(self.up(x), -1)
        h = torch.ops.torchact.gelu(self.down(h), approximate="tanh")
        return torch.ops.torchact.silu(h) + torch.ops.torchact.leaky_relu(h, 0.1)


class Deployed(torch.nn.Module):
    """The scripted block plus what C++ should reproduce."""

    def __init__(self):
        super().__init__()
        self.block = Block()
        x = torch.randn(5, 6, requires_grad=True)
        out = self.block(x)
        out.sum().backward()
        self.register_buffer("sample_input", x.detach())
        self.register_buffer("expected_output", out.detach())
        self.register_buffer("expected_input_grad", x.grad.detach())

    def forward(self, x):
        return self.block(x)


torch.jit.script(Deployed()).save(sys.argv[2])
