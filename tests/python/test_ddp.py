"""A SwiGLU MLP built from torchact ops trains under DistributedDataParallel (two CPU processes,
gloo on localhost) to the same parameters as single-process training on the same data."""
import os
import socket
import tempfile

import torch
import torch.distributed as dist
import torch.multiprocessing as mp

STEPS, DIM, HIDDEN, BATCH = 5, 8, 16, 12


class SwiGLUMLP(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.w1 = torch.nn.Linear(DIM, HIDDEN, bias=False)
        self.w3 = torch.nn.Linear(DIM, HIDDEN, bias=False)
        self.w2 = torch.nn.Linear(HIDDEN, DIM, bias=False)

    def forward(self, x):
        return self.w2(torch.ops.torchact.swiglu(self.w1(x), self.w3(x)))


def make_problem():
    torch.manual_seed(0)
    model = SwiGLUMLP()
    x = torch.randn(STEPS, BATCH, DIM)
    y = torch.randn(STEPS, BATCH, DIM)
    return model.state_dict(), x, y


def train(model, x, y):
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    for step in range(STEPS):
        opt.zero_grad()
        loss = torch.nn.functional.mse_loss(model(x[step]), y[step])
        loss.backward()
        opt.step()


def worker(rank, world, port, library, out_dir):
    torch.ops.load_library(library)
    dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{port}", rank=rank,
                            world_size=world)
    state, x, y = make_problem()
    model = SwiGLUMLP()
    model.load_state_dict(state)
    ddp = torch.nn.parallel.DistributedDataParallel(model)
    shard = slice(rank * BATCH // world, (rank + 1) * BATCH // world)  # equal shards
    train(ddp, x[:, shard], y[:, shard])
    torch.save(model.state_dict(), os.path.join(out_dir, f"rank{rank}.pt"))
    dist.destroy_process_group()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_ddp_matches_single_process():
    state, x, y = make_problem()
    single = SwiGLUMLP()
    single.load_state_dict(state)
    train(single, x, y)

    with tempfile.TemporaryDirectory() as out_dir:
        mp.spawn(worker, args=(2, free_port(), os.environ["TORCHACT_LIBRARY"], out_dir), nprocs=2,
                 join=True)
        for rank in range(2):
            trained = torch.load(os.path.join(out_dir, f"rank{rank}.pt"))
            for name, value in single.state_dict().items():
                torch.testing.assert_close(trained[name], value, rtol=1e-5, atol=1e-6,
                                           msg=lambda m: f"rank {rank}, {name}: {m}")
            # Training moved the weights: the comparison is not of untouched initial values.
            assert not torch.equal(trained["w1.weight"], state["w1.weight"])
