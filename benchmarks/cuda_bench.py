"""CUDA benchmark: every torchact op, forward and backward, in bf16, fp16 and fp32 on 8192 x 14336
elements (one Llama-3-8B MLP activation for 8192 tokens), against ATen's op (or the PyTorch
composition where ATen has none) and, for the gated ops, torch.compile of the composition.

Each time is of `calls` back-to-back launches between two CUDA events, divided by `calls` (the
median of several such runs), so host overhead between launches does not hide in the kernel time.
Before timing, every result is checked against its reference (ATen's op, or the composition
computed in float32; tolerances per dtype). Bandwidth counts each tensor read
or written once; "% of copy" compares with a device-to-device copy of the same bytes. Also the
SwiGLU forward latency for 1, 16 and 256 tokens x 14336 against torch.compile. Prints one table.

    TORCHACT_LIBRARY=build/pypi/libtorchact.so python3 benchmarks/cuda_bench.py [--quick] [--no-compile]

--quick: bf16 only. --no-compile: no torch.compile columns or latency table (to compare two builds
of torchact quickly). A result that does not match its reference is marked in the table (and the
exit status is 1) rather than stopping the run.
"""
import os
import statistics
import sys

import torch
import torch.nn.functional as F

torch.ops.load_library(os.environ.get("TORCHACT_LIBRARY", "build/pypi/libtorchact.so"))
ops = torch.ops.torchact
aten = torch.ops.aten
SHAPE = (8192, 14336)
TOL = {torch.bfloat16: dict(rtol=1.6e-2, atol=1e-2), torch.float16: dict(rtol=1e-3, atol=1e-3),
       torch.float32: dict(rtol=1.3e-6, atol=1e-5)}


def time_ms(fn, calls=50, runs=7):
    fn()
    torch.cuda.synchronize()
    times = []
    for _ in range(runs):
        start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        start.record()
        for _ in range(calls):
            fn()
        end.record()
        end.synchronize()
        times.append(start.elapsed_time(end) / calls)
    return statistics.median(times)


def mismatch(name, ours, ref, dtype):
    """ours() against ref(): "" when they agree within the dtype's tolerance, else what differs."""
    got, expected = ours(), ref()
    try:
        for g, e in zip(got if isinstance(got, tuple) else (got,), expected if isinstance(expected, tuple) else (expected,)):
            torch.testing.assert_close(g.float(), e.float(), **TOL[dtype])
    except AssertionError as e:
        return f"{name}: " + " ".join(str(e).split())[:300]
    return ""


def oai(gate, up, alpha=1.702, limit=7.0):
    g = gate.clamp(max=limit)
    return g * torch.sigmoid(alpha * g) * (up.clamp(-limit, limit) + 1)


SELU_ALPHA, SELU_SCALE = 1.6732632423543772848170429916717, 1.0507009873554804934193349852946


def swiglu(gate, up):
    return F.silu(gate) * up


def step(gate, up, limit=7.0):
    return F.silu(gate).clamp(max=limit) * up.clamp(-limit, limit)


def composition(fn, *inputs):
    """A PyTorch reference as (eager, the same in float32): timed against the first, checked
    against the second (ATen's half-type kernels compute in float32 and round once, as torchact's;
    an eager composition rounds after each op)."""
    return (lambda: fn(*inputs)), (lambda: fn(*(t.float() for t in inputs)))


def main():
    quick = "--quick" in sys.argv
    with_compile = "--no-compile" not in sys.argv
    failures = []
    dev = torch.device("cuda")
    props = torch.cuda.get_device_properties(dev)
    print(f"GPU: {props.name} ({props.multi_processor_count} SMs), torch {torch.__version__}, "
          f"CUDA {torch.version.cuda}")
    rows = []
    for dtype in ((torch.bfloat16,) if quick else (torch.bfloat16, torch.float16, torch.float32)):
        dt = str(dtype)[6:]
        x = torch.randn(SHAPE, device=dev).mul_(3).to(dtype)
        g = torch.randn(SHAPE, device=dev).to(dtype)
        up = torch.randn(SHAPE, device=dev).to(dtype)
        packed = torch.cat([x, up], -1)
        inter = torch.stack([x, up], -1).flatten(-2)  # [g0, u0, g1, u1, ...]
        y_sig, y_tanh, y_relu = torch.sigmoid(x), torch.tanh(x), torch.relu(x)
        out = torch.empty_like(x)
        size = x.element_size() * x.numel()
        copy_ms = time_ms(lambda: out.copy_(x))  # reads and writes one tensor: 2 x size bytes
        # (name, pass, tensors moved, torchact, reference[, what to check against]): reference
        # None: no ATen counterpart; a composition is checked against itself in float32.
        cases = [
            ("sigmoid", "fwd", 2, lambda: ops.sigmoid(x), lambda: torch.sigmoid(x)),
            ("sigmoid", "bwd", 3, lambda: ops.sigmoid_backward(g, y_sig), lambda: aten.sigmoid_backward(g, y_sig)),
            ("tanh", "fwd", 2, lambda: ops.tanh(x), lambda: torch.tanh(x)),
            ("tanh", "bwd", 3, lambda: ops.tanh_backward(g, y_tanh),  # ATen's half kernel: 1 - y^2 in half
             *composition(aten.tanh_backward, g, y_tanh)),
            ("relu", "fwd", 2, lambda: ops.relu(x), lambda: torch.relu(x)),
            ("relu", "bwd", 3, lambda: ops.relu_backward(g, y_relu), lambda: aten.threshold_backward(g, y_relu, 0)),
            ("leaky_relu", "fwd", 2, lambda: ops.leaky_relu(x, 0.01), lambda: F.leaky_relu(x, 0.01)),
            ("leaky_relu", "bwd", 3, lambda: ops.leaky_relu_backward(g, x, 0.01), lambda: aten.leaky_relu_backward(g, x, 0.01, False)),
            ("gelu", "fwd", 2, lambda: ops.gelu(x), lambda: F.gelu(x)),
            ("gelu", "bwd", 3, lambda: ops.gelu_backward(g, x), lambda: aten.gelu_backward(g, x)),
            ("gelu_tanh", "fwd", 2, lambda: ops.gelu(x, approximate="tanh"), lambda: F.gelu(x, approximate="tanh")),
            ("gelu_tanh", "bwd", 3, lambda: ops.gelu_backward(g, x, approximate="tanh"), lambda: aten.gelu_backward(g, x, approximate="tanh")),
            ("silu", "fwd", 2, lambda: ops.silu(x), lambda: F.silu(x)),
            ("silu", "bwd", 3, lambda: ops.silu_backward(g, x), lambda: aten.silu_backward(g, x)),
            ("mish", "fwd", 2, lambda: ops.mish(x), lambda: F.mish(x)),
            ("mish", "bwd", 3, lambda: ops.mish_backward(g, x), lambda: aten.mish_backward(g, x)),
            ("elu", "fwd", 2, lambda: ops.elu(x), lambda: F.elu(x)),
            ("elu", "bwd", 3, lambda: ops.elu_backward(g, x, 1.0, 1.0, 1.0), lambda: aten.elu_backward(g, 1.0, 1.0, 1.0, False, x)),
            ("softplus", "fwd", 2, lambda: ops.softplus(x), lambda: F.softplus(x)),
            ("softplus", "bwd", 3, lambda: ops.softplus_backward(g, x, 1.0, 20.0), lambda: aten.softplus_backward(g, x, 1.0, 20.0)),
            ("hardswish", "fwd", 2, lambda: ops.hardswish(x), lambda: F.hardswish(x)),
            ("hardswish", "bwd", 3, lambda: ops.hardswish_backward(g, x), lambda: aten.hardswish_backward(g, x)),
            ("selu", "fwd", 2, lambda: ops.selu(x), lambda: F.selu(x)),
            ("selu", "bwd", 3, lambda: ops.selu_backward(g, x),
             lambda: aten.elu_backward(g, SELU_ALPHA, SELU_SCALE, 1.0, False, x)),
            ("celu", "fwd", 2, lambda: ops.celu(x, 0.7), lambda: F.celu(x, 0.7)),
            ("hardtanh", "fwd", 2, lambda: ops.hardtanh(x), lambda: F.hardtanh(x)),
            ("hardtanh", "bwd", 3, lambda: ops.hardtanh_backward(g, x, -1.0, 1.0),
             lambda: aten.hardtanh_backward(g, x, -1.0, 1.0)),
            ("hardsigmoid", "fwd", 2, lambda: ops.hardsigmoid(x), lambda: F.hardsigmoid(x)),
            ("hardsigmoid", "bwd", 3, lambda: ops.hardsigmoid_backward(g, x), lambda: aten.hardsigmoid_backward(g, x)),
            ("relu6", "fwd", 2, lambda: ops.relu6(x), lambda: F.relu6(x)),
            ("relu6", "bwd", 3, lambda: ops.relu6_backward(g, x), lambda: aten.hardtanh_backward(g, x, 0.0, 6.0)),
            ("quick_gelu", "fwd", 2, lambda: ops.quick_gelu(x), *composition(lambda t: t * torch.sigmoid(1.702 * t), x)),
            ("relu_squared", "fwd", 2, lambda: ops.relu_squared(x), *composition(lambda t: torch.relu(t).square(), x)),
            ("swiglu", "fwd", 3, lambda: ops.swiglu(x, up), *composition(swiglu, x, up)),
            ("swiglu", "bwd", 5, lambda: ops.swiglu_backward(g, x, up), None),
            ("geglu", "fwd", 3, lambda: ops.geglu(x, up), *composition(lambda a, b: F.gelu(a) * b, x, up)),
            ("swiglu_oai", "fwd", 3, lambda: ops.swiglu_oai(x, up), *composition(oai, x, up)),
            ("swiglu_oai", "bwd", 5, lambda: ops.swiglu_oai_backward(g, x, up), None),
            ("geglu", "bwd", 5, lambda: ops.geglu_backward(g, x, up), None),
            ("reglu", "fwd", 3, lambda: ops.reglu(x, up), *composition(lambda a, b: F.relu(a) * b, x, up)),
            ("swiglu_step", "fwd", 3, lambda: ops.swiglu_step(x, up), *composition(step, x, up)),
            ("swiglu_packed", "fwd", 3, lambda: ops.swiglu_packed(packed), *composition(swiglu, x, up)),
            ("swiglu_packed interleaved", "fwd", 3, lambda: ops.swiglu_packed(inter, -1, interleaved=True),
             *composition(swiglu, x, up)),
        ]
        for name, kind, tensors, ours, ref, *exact in cases:
            bad = mismatch(f"{name} {kind} {dt}", ours, exact[0] if exact else ref, dtype) if ref else ""
            if bad:
                failures.append(bad)
                name = name + " (MISMATCH)"
            t = time_ms(ours)
            r = time_ms(ref) if ref else float("nan")
            rows.append((name, kind, dt, t, r, float("nan"), tensors * size / t / 1e6,
                         copy_ms * tensors / 2 / t))
        if not with_compile:
            continue
        # The gated ops end to end against eager and torch.compile of the composition.
        a = x.detach().requires_grad_(True)
        b = up.detach().requires_grad_(True)
        for name, ours_fn, composed in (("swiglu", ops.swiglu, swiglu),
                                        ("swiglu_oai", ops.swiglu_oai, oai)):
            compiled = torch.compile(composed)
            def fwd_bwd(f):
                return lambda: torch.autograd.grad(f(a, b), (a, b), g)
            ours_f, comp_f = time_ms(lambda: ours_fn(x, up)), time_ms(lambda: compiled(x, up))
            ours_fb, eager_fb = time_ms(fwd_bwd(ours_fn)), time_ms(fwd_bwd(composed))
            comp_fb = time_ms(fwd_bwd(compiled))
            rows.append((name, "fwd vs compile", dt, ours_f, float("nan"), comp_f, 3 * size / ours_f / 1e6,
                         copy_ms * 1.5 / ours_f))
            rows.append((name, "fwd+bwd", dt, ours_fb, eager_fb, comp_fb, float("nan"), float("nan")))
    print("\n| op | pass | dtype | torchact ms | ATen/eager ms | ratio | torch.compile ms | ratio | GB/s | % of copy |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for name, kind, dt, t, r, c, gbs, frac in rows:
        print(f"| {name} | {kind} | {dt} | {t:.3f} | {r:.3f} | {t / r:.2f} | {c:.3f} | {t / c:.2f} | "
              f"{gbs:.0f} | {100 * frac:.0f}% |")
    for bad in failures:
        print("MISMATCH", bad)
    if not with_compile:
        sys.exit(1 if failures else 0)
    # Latency for few tokens (decode): where kernel libraries usually lose to torch.compile.
    print("\n| swiglu fwd, bf16, tokens x 14336 | torchact us | torch.compile us | ratio |")
    print("|---|---|---|---|")
    compiled = torch.compile(swiglu)
    for tokens in (1, 16, 256):
        a = torch.randn(tokens, 14336, device=dev, dtype=torch.bfloat16)
        b = torch.randn_like(a)
        t, c = time_ms(lambda: ops.swiglu(a, b), calls=200), time_ms(lambda: compiled(a, b), calls=200)
        print(f"| {tokens} | {1000 * t:.1f} | {1000 * c:.1f} | {t / c:.2f} |")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
