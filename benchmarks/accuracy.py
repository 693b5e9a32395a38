"""float32 accuracy of every activation: torchact's and ATen's (or the PyTorch composition's)
forward and derivative against a float64 reference, over every 64th float of [-30, 30] (34 million
points), and GELU's over every float of [-9, -3].

    TORCHACT_LIBRARY=build/pypi/libtorchact.so python benchmarks/accuracy.py [--device cuda] [OP ...]

(PyTorch 2.x.) --device cuda measures the CUDA kernels (and ATen's), the float64 reference computed
on the GPU too; the default is the CPU. OP names a row of the table (default: every op).

The error is |f32 - f64| / |f64| over the points where |f64| >= 1e-3 (relative error means little
near a zero of the function: there both are rounding noise), in GELU's tail wherever the result is
a normal float; gated ops are measured as f(gate) * 1.
The float64 reference is the PyTorch composition in float64, written where needed so that it does
not cancel (GELU through erfc, ELU through expm1).
"""
import os
import sys

import torch
import torch.nn.functional as F

torch.ops.load_library(os.environ.get("TORCHACT_LIBRARY", "build/pypi/libtorchact.so"))
ops = torch.ops.torchact


def gelu_ref(x):  # x Phi(x), Phi by erfc: no cancellation for x << 0
    return x * 0.5 * torch.special.erfc(-x / 2 ** 0.5)


def elu_ref(x, alpha=1.0, scale=1.0, input_scale=1.0):
    return torch.where(x <= 0, scale * alpha * torch.expm1(x * input_scale), scale * x)


def oai_ref(g, alpha=1.702, limit=7.0):  # swiglu_oai's gate activation, times up + 1 = 2
    c = g.clamp(max=limit)
    return c * torch.sigmoid(alpha * c) * 2


# name -> (torchact float32 forward of x, ATen's float32 (or the composition's), float64 reference)
OPS = {
    "sigmoid": (ops.sigmoid, torch.sigmoid, torch.sigmoid),
    "tanh": (ops.tanh, torch.tanh, torch.tanh),
    "gelu": (ops.gelu, F.gelu, gelu_ref),
    "gelu_tanh": (lambda x: ops.gelu(x, approximate="tanh"), lambda x: F.gelu(x, approximate="tanh"),
                  lambda x: F.gelu(x, approximate="tanh")),
    "silu": (ops.silu, F.silu, F.silu),
    "swish(beta=1.5)": (lambda x: ops.swish(x, 1.5), lambda x: x * torch.sigmoid(1.5 * x),
                        lambda x: x * torch.sigmoid(1.5 * x)),
    "mish": (ops.mish, F.mish, lambda x: x * torch.tanh(F.softplus(x))),
    "elu": (ops.elu, F.elu, elu_ref),
    "selu": (ops.selu, F.selu,
             lambda x: elu_ref(x, 1.6732632423543772848170429916717, 1.0507009873554804934193349852946)),
    "celu(alpha=0.7)": (lambda x: ops.celu(x, 0.7), lambda x: F.celu(x, 0.7),
                        lambda x: elu_ref(x, 0.7, 1.0, 1 / 0.7)),
    "softplus": (ops.softplus, F.softplus, F.softplus),
    "softplus(beta=2, threshold=30)": (lambda x: ops.softplus(x, 2.0, 30.0),
                                       lambda x: F.softplus(x, 2.0, 30.0),
                                       lambda x: F.softplus(x, 2.0, 30.0)),
    "hardsigmoid": (ops.hardsigmoid, F.hardsigmoid, F.hardsigmoid),
    "hardswish": (ops.hardswish, F.hardswish, F.hardswish),
    "relu6": (ops.relu6, F.relu6, F.relu6),
    "hardtanh": (ops.hardtanh, F.hardtanh, F.hardtanh),
    "quick_gelu": (ops.quick_gelu, lambda x: x * torch.sigmoid(1.702 * x),
                   lambda x: x * torch.sigmoid(1.702 * x)),
    "relu_squared": (ops.relu_squared, lambda x: F.relu(x) ** 2, lambda x: F.relu(x) ** 2),
    "reglu (gate)": (lambda x: ops.reglu(x, torch.ones_like(x)), F.relu, F.relu),
    "swiglu_oai (gate)": (lambda x: ops.swiglu_oai(x, torch.ones_like(x)), oai_ref, oai_ref),
    "swiglu_step (gate)": (lambda x: ops.swiglu_step(x, torch.ones_like(x)),
                           lambda x: F.silu(x).clamp(max=7.0), lambda x: F.silu(x).clamp(max=7.0)),
    "geglu (gate)": (lambda x: ops.geglu(x, torch.ones_like(x)), F.gelu, gelu_ref),
}


def grid(lo, hi, step):
    """Every `step`-th float32 of [lo, hi] (lo < 0 < hi, symmetric here)."""
    top = torch.tensor([hi], dtype=torch.float32).view(torch.int32).item()
    positive = torch.arange(0, top + 1, step, dtype=torch.int32).view(torch.float32)
    return torch.cat([-positive.flip(0), positive[1:]])


def value_and_derivative(f, x):
    x = x.detach().requires_grad_(True)
    y = f(x)
    (d,) = torch.autograd.grad(y, x, torch.ones_like(y))
    return y.detach(), d.detach()


def rel_error(actual, reference, floor):
    actual, reference = actual.double(), reference
    keep = (reference.abs() >= floor) & reference.isfinite()
    err = ((actual - reference).abs() / reference.abs())[keep]
    bad = (~actual.isfinite() & keep).sum().item()
    return float("inf") if bad else err.max().item()


def measure(x32, names, floor=1e-3):
    x64 = x32.double()
    rows = []
    for name in names:
        ours, aten, ref = OPS[name]
        ref_y, ref_d = value_and_derivative(ref, x64)
        ours_y, ours_d = value_and_derivative(ours, x32)
        aten_y, aten_d = value_and_derivative(aten, x32)
        rows.append((name, rel_error(ours_y, ref_y, floor), rel_error(aten_y, ref_y, floor),
                     rel_error(ours_d, ref_d, floor), rel_error(aten_d, ref_d, floor)))
    return rows


def print_table(title, rows):
    print(f"\n{title}\n")
    print("| op | torchact f | ATen f | torchact f' | ATen f' |")
    print("|---|---|---|---|---|")
    for name, yo, ya, do, da in rows:
        print(f"| {name} | {yo:.1e} | {ya:.1e} | {do:.1e} | {da:.1e} |")


def main():
    args = sys.argv[1:]
    device = "cpu"
    if "--device" in args:
        at = args.index("--device")
        device = args[at + 1]
        del args[at:at + 2]
    where = torch.cuda.get_device_name(device) if device.startswith("cuda") else "CPU"
    print(f"torch {torch.__version__}, {where}: float32 relative error against float64 "
          "(|f64| >= 1e-3)")
    names = args or list(OPS)
    unknown = [n for n in names if n not in OPS]
    if unknown:
        sys.exit(f"accuracy.py: unknown op {unknown}; the ops are {list(OPS)}")
    print_table("every 64th float of [-30, 30]", measure(grid(-30.0, 30.0, 64).to(device), names))
    tail = grid(-9.0, 9.0, 1).to(device)
    tail = tail[(tail >= -9) & (tail <= -3)]
    print_table("GELU's tail: every float of [-9, -3] (relative error wherever the result is a "
                "normal float)", measure(tail, [n for n in ("gelu", "geglu (gate)") if n in names],
                                         floor=1.2e-38))


if __name__ == "__main__":
    main()
