"""CPU: every torchact op against torch.compile (Inductor) of its PyTorch composition, forward and
forward+backward, and every op's per-call time against ATen's at small sizes. PyTorch 2.x.

    PYTHONPATH=<installed torchact> python benchmarks/compile_bench.py [--quick] [--ops silu,swiglu]
        [--threads 1,2] [--full]

- vs torch.compile: float32 and bfloat16; 2^16, 2^20 and 2^24 elements (gated ops: gate and up of
  that many elements each); 1 thread and all threads. torchact and the compiled composition are
  timed in alternation, round after round, on the same inputs; each one's time is the median of
  its rounds. Forward runs without autograd; forward+backward computes the input gradients with
  torch.autograd.grad (the compiled function's backward is Inductor's, from AOTAutograd).
  Compiled with dynamic=True (one kernel per op, dtype and pass for all sizes: a third of the
  compile time of dynamic=False).
- Inductor only vectorizes where its ISA check can load a kernel using Sleef's functions; where
  that fails (torch._inductor.cpu_vec_isa.pick_vec_isa() is invalid: on this project's machines
  its kernels are not linked to libtorch_cpu), it emits scalar loops 5-25x slower. The script then
  runs itself again with libtorch_cpu preloaded, so that Inductor's kernels are vectorized, and
  uses its own Inductor cache directory (a kernel cached without vectorization would be reused).
- per call: 2^10 and 2^16 float32 elements, 1 thread, torchact's Python function against ATen's
  (torch.nn.functional's, or the eager composition where PyTorch has no op), forward and
  forward+backward, median of 21 rounds of many calls.

Prints the summary table (README, CPU speed) and, with --full, every measurement. Ratio < 1: torchact
is faster.
"""
import argparse
import os
import statistics
import time

import torch
import torch.nn.functional as F

import torchact

SQRT_HALF = 0.5 ** 0.5


def _oai(g, u, alpha=1.702, limit=7.0):
    g, u = g.clamp(max=limit), u.clamp(-limit, limit)
    return g * torch.sigmoid(alpha * g) * (u + 1)


# name -> (torchact's function, the PyTorch composition, gated). A gated op takes (gate, up); a
# packed op x = cat([gate, up], -1).
OPS = {
    "sigmoid": (torchact.sigmoid, torch.sigmoid, False),
    "tanh": (torchact.tanh, torch.tanh, False),
    "relu": (torchact.relu, F.relu, False),
    "leaky_relu": (lambda x: torchact.leaky_relu(x, 0.1), lambda x: F.leaky_relu(x, 0.1), False),
    "gelu": (torchact.gelu, F.gelu, False),
    "gelu_tanh": (lambda x: torchact.gelu(x, approximate="tanh"),
                  lambda x: F.gelu(x, approximate="tanh"), False),
    "silu": (torchact.silu, F.silu, False),
    "swish": (lambda x: torchact.swish(x, 1.5), lambda x: x * torch.sigmoid(1.5 * x), False),
    "mish": (torchact.mish, F.mish, False),
    "elu": (torchact.elu, F.elu, False),
    "selu": (torchact.selu, F.selu, False),
    "celu": (lambda x: torchact.celu(x, 0.5), lambda x: F.celu(x, 0.5), False),
    "softplus": (torchact.softplus, F.softplus, False),
    "hardsigmoid": (torchact.hardsigmoid, F.hardsigmoid, False),
    "hardswish": (torchact.hardswish, F.hardswish, False),
    "relu6": (torchact.relu6, F.relu6, False),
    "hardtanh": (torchact.hardtanh, F.hardtanh, False),
    "quick_gelu": (torchact.quick_gelu, lambda x: x * torch.sigmoid(1.702 * x), False),
    "relu_squared": (torchact.relu_squared, lambda x: torch.square(F.relu(x)), False),
    "swiglu": (torchact.swiglu, lambda g, u: F.silu(g) * u, True),
    "geglu": (torchact.geglu, lambda g, u: F.gelu(g) * u, True),
    "reglu": (torchact.reglu, lambda g, u: F.relu(g) * u, True),
    "swiglu_oai": (torchact.swiglu_oai, _oai, True),
    "swiglu_step": (torchact.swiglu_step,
                    lambda g, u: F.silu(g).clamp(max=7.0) * u.clamp(-7.0, 7.0), True),
    "swiglu_packed": (lambda x: torchact.swiglu_packed(x, -1),
                      lambda x: (lambda g, u: F.silu(g) * u)(*x.chunk(2, -1)), "packed"),
}
GATED = [name for name, (_, _, gated) in OPS.items() if gated]


def inputs(name, n, dtype, requires_grad=False):
    torch.manual_seed(0)
    gated = OPS[name][2]
    if gated == "packed":
        width = min(n, 4096)  # rows of [gate | up], as a Linear gives them
        tensors = [torch.randn(n // width, 2 * width) * 3]
    elif gated:
        tensors = [torch.randn(n) * 3, torch.randn(n)]
    else:
        tensors = [torch.randn(n) * 3]
    tensors = [t.to(dtype).requires_grad_(requires_grad) for t in tensors]
    return tensors


def forward_backward(fn):
    def run(*args):
        y = fn(*args)
        return torch.autograd.grad(y, args, torch.ones_like(y))
    return run


def interleaved(candidates, args, rounds, calls):
    """Median seconds per call of each candidate, timed in alternation."""
    times = [[] for _ in candidates]
    for fn in candidates:  # warm-up (and the compilation)
        fn(*args)
    for _ in range(rounds):
        for i, fn in enumerate(candidates):
            start = time.perf_counter()
            for _ in range(calls):
                fn(*args)
            times[i].append((time.perf_counter() - start) / calls)
    return [statistics.median(t) for t in times]


def compile_table(ops, sizes, dtypes, threads, rounds):
    rows = []
    torch._dynamo.config.cache_size_limit = 64
    for name in ops:
        ours, composed, _ = OPS[name]
        compiled = torch.compile(composed, dynamic=True)
        compiled_fb = torch.compile(forward_backward(composed), dynamic=True)
        ours_fb = forward_backward(ours)
        for dtype in dtypes:
            for n in sizes:
                calls = max(1, 2 ** 22 // n)
                fwd_args, fb_args = inputs(name, n, dtype), inputs(name, n, dtype, True)
                for t in threads:
                    torch.set_num_threads(t)
                    with torch.no_grad():
                        a, b = interleaved([ours, compiled], fwd_args, rounds, calls)
                    rows.append((name, "fwd", str(dtype).split(".")[-1], n, t, a, b))
                    a, b = interleaved([ours_fb, compiled_fb], fb_args, rounds, calls)
                    rows.append((name, "fwd+bwd", str(dtype).split(".")[-1], n, t, a, b))
        torch._dynamo.reset()
    return rows


def aten_of(name):
    """ATen's function for the per-call comparison: torch.nn.functional's, or the composition."""
    return OPS[name][1]


def per_call_table(ops, sizes, rounds):
    rows = []
    torch.set_num_threads(1)
    for name in ops:
        ours, aten = OPS[name][0], aten_of(name)
        for n in sizes:
            calls = 8000 if n <= 1024 else 400
            with torch.no_grad():
                a, b = interleaved([ours, aten], inputs(name, n, torch.float32), rounds, calls)
            rows.append((name, "fwd", n, a, b))
            a, b = interleaved([forward_backward(ours), forward_backward(aten)],
                               inputs(name, n, torch.float32, True), rounds, calls // 4)
            rows.append((name, "fwd+bwd", n, a, b))
    return rows


def vectorizing_inductor():
    """Re-runs this script with libtorch_cpu preloaded where Inductor cannot vectorize (above)."""
    import sys

    import torch._inductor.cpu_vec_isa as vec_isa
    if vec_isa.pick_vec_isa():
        return
    if os.environ.get("TORCHACT_BENCH_PRELOADED"):
        raise SystemExit("torch.compile does not vectorize on this machine even with libtorch_cpu "
                         "preloaded: the comparison would be meaningless")
    lib = os.path.join(os.path.dirname(torch.__file__), "lib", "libtorch_cpu.so")
    env = dict(os.environ, LD_PRELOAD=lib, TORCHACT_BENCH_PRELOADED="1",
               TORCHINDUCTOR_CACHE_DIR=os.path.join(
                   os.environ.get("TMPDIR", "/tmp"), "torchact-compile-bench-inductor"))
    print(f"(Inductor's vector ISA check failed: running again with LD_PRELOAD={lib})", flush=True)
    os.execve(sys.executable, [sys.executable] + sys.argv, env)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="2^16 and 2^20 only, fewer rounds")
    parser.add_argument("--ops", default=",".join(OPS), help="comma-separated op names")
    parser.add_argument("--threads", default=f"1,{os.cpu_count()}")
    parser.add_argument("--full", action="store_true", help="print every measurement")
    parser.add_argument("--no-compile", action="store_true", help="the per-call table only")
    args = parser.parse_args()
    if not args.no_compile:
        vectorizing_inductor()
    ops = [o for o in args.ops.split(",") if o]
    threads = sorted({int(t) for t in args.threads.split(",")})
    sizes = [2 ** 16, 2 ** 20] if args.quick else [2 ** 16, 2 ** 20, 2 ** 24]
    rounds = 5 if args.quick else 9
    import torch._inductor.cpu_vec_isa as vec_isa
    print(f"torch {torch.__version__}, {os.cpu_count()} CPUs, threads {threads}, Inductor's vector "
          f"ISA {vec_isa.pick_vec_isa()}, {time.strftime('%Y-%m-%d')}")

    # Many short rounds: a call's time on a shared machine drifts within seconds (per-round ratios
    # of 21 rounds agree to a few percent where 9 longer ones gave 0.95-1.07 for the same pair).
    calls = per_call_table(ops, [2 ** 10, 2 ** 16], 21)
    compiled = [] if args.no_compile else compile_table(
        ops, sizes, [torch.float32, torch.bfloat16], threads, rounds)

    if args.full:
        print("\n| op | pass | dtype | elements | threads | torchact | torch.compile | ratio |")
        print("|---|---|---|---|---|---|---|---|")
        for name, p, dtype, n, t, a, b in compiled:
            print(f"| {name} | {p} | {dtype} | 2^{n.bit_length() - 1} | {t} | {a * 1e6:.1f} us | "
                  f"{b * 1e6:.1f} us | {a / b:.2f} |")
        print("\n| op | pass | elements | torchact | ATen | ratio |")
        print("|---|---|---|---|---|---|")
        for name, p, n, a, b in calls:
            print(f"| {name} | {p} | 2^{n.bit_length() - 1} | {a * 1e6:.2f} us | {b * 1e6:.2f} us | "
                  f"{a / b:.2f} |")

    # Summary: per op, the worst ratio over dtypes and thread counts at each size.
    print("\nratio torchact / torch.compile (worst over float32, bfloat16 and the thread counts), "
          "and per-call time / ATen's (float32, 1 thread)")
    big = [n for n in sizes if n >= 2 ** 20]
    header = ["op"] + [f"fwd 2^{n.bit_length() - 1}" for n in sizes] + \
             [f"fwd+bwd 2^{n.bit_length() - 1}" for n in sizes] + \
             ["call fwd 2^10", "call fwd 2^16", "call fwd+bwd 2^10", "call fwd+bwd 2^16"]
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    misses = []
    for name in ops:
        cells = [name]
        for p in ("fwd", "fwd+bwd"):
            for n in sizes:
                r = [a / b for (o, q, _, m, _, a, b) in compiled if o == name and q == p and m == n]
                worst = max(r) if r else float("nan")
                target = 0.9 if (p == "fwd+bwd" and name in GATED) else 1.0
                if n in big and r and worst > target:
                    misses.append(f"{name} {p} 2^{n.bit_length() - 1}: {worst:.2f} (target {target})")
                cells.append(f"{worst:.2f}")
        for p in ("fwd", "fwd+bwd"):
            for n in (2 ** 10, 2 ** 16):
                r = [a / b for (o, q, m, a, b) in calls if o == name and q == p and m == n]
                if n == 2 ** 16 and r[0] > 1.0:
                    misses.append(f"{name} per call {p} 2^16: {r[0]:.2f} x ATen")
                cells.append(f"{r[0]:.2f}")
        print("| " + " | ".join(cells) + " |")
    print("\ntargets missed: " + ("; ".join(misses) if misses else "none"))


if __name__ == "__main__":
    main()
