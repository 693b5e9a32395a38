"""CUDA benchmark: every torchact op, forward and backward, in bf16, fp16 and fp32 on 8192 x 14336
elements (one Llama-3-8B MLP activation for 8192 tokens), timed with CUDA events (median of
repeated runs after warm-up), with effective bandwidth, the ratio to ATen's op and to a
device-to-device copy of the same bytes. SwiGLU also against eager silu(a) * b with autograd and
against torch.compile of that expression, forward and forward+backward. Prints one table.

    TORCHACT_LIBRARY=build/pypi/libtorchact.so python3 benchmarks/cuda_bench.py
"""
import os
import statistics

import torch
import torch.nn.functional as F

torch.ops.load_library(os.environ.get("TORCHACT_LIBRARY", "build/pypi/libtorchact.so"))
ops = torch.ops.torchact
aten = torch.ops.aten
SHAPE = (8192, 14336)


def time_ms(fn, warmup=5, reps=30):
    for _ in range(warmup):
        fn()
    torch.cuda.synchronize()
    times = []
    for _ in range(reps):
        start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        start.record()
        fn()
        end.record()
        end.synchronize()
        times.append(start.elapsed_time(end))
    return statistics.median(times)


def main():
    dev = torch.device("cuda")
    print(f"GPU: {torch.cuda.get_device_name()}, torch {torch.__version__}")
    rows = []
    for dtype in (torch.bfloat16, torch.float16, torch.float32):
        x = torch.randn(SHAPE, device=dev).mul_(3).to(dtype)
        g = torch.randn(SHAPE, device=dev).to(dtype)
        up = torch.randn(SHAPE, device=dev).to(dtype)
        y_sig, y_tanh, y_relu = torch.sigmoid(x), torch.tanh(x), torch.relu(x)
        out = torch.empty_like(x)
        elem = x.element_size() * x.numel()
        copy2 = time_ms(lambda: out.copy_(x))  # read 1, write 1
        def copy_time(n_tensors):  # copy time scaled to the op's bytes
            return copy2 * n_tensors / 2
        cases = [
            ("sigmoid", "fwd", 2, lambda: ops.sigmoid(x), lambda: torch.sigmoid(x)),
            ("sigmoid", "bwd", 3, lambda: ops.sigmoid_backward(g, y_sig), lambda: aten.sigmoid_backward(g, y_sig)),
            ("tanh", "fwd", 2, lambda: ops.tanh(x), lambda: torch.tanh(x)),
            ("tanh", "bwd", 3, lambda: ops.tanh_backward(g, y_tanh), lambda: aten.tanh_backward(g, y_tanh)),
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
            ("swiglu", "fwd", 3, lambda: ops.swiglu(x, up), lambda: F.silu(x) * up),
            ("swiglu", "bwd", 5, lambda: ops.swiglu_backward(g, x, up), None),
        ]
        for name, kind, tensors, ours, ref in cases:
            t = time_ms(ours)
            r = time_ms(ref) if ref else float("nan")
            gbs = tensors * elem / t / 1e6
            rows.append((name, kind, str(dtype)[6:], t, r, t / r, gbs, copy_time(tensors) / t))
        # SwiGLU end to end: eager composition and torch.compile, forward and forward+backward.
        a = x.detach().requires_grad_(True)
        b = up.detach().requires_grad_(True)
        compiled = torch.compile(lambda a, b: F.silu(a) * b)
        def fwd_bwd(f):
            return lambda: torch.autograd.grad(f(a, b), (a, b), g)
        ours_fb = time_ms(fwd_bwd(lambda a, b: ops.swiglu(a, b)))
        eager_fb = time_ms(fwd_bwd(lambda a, b: F.silu(a) * b))
        comp_fb = time_ms(fwd_bwd(compiled))
        ours_f = time_ms(lambda: ops.swiglu(x, up))
        comp_f = time_ms(lambda: compiled(x, up))
        rows.append(("swiglu vs torch.compile", "fwd", str(dtype)[6:], ours_f, comp_f, ours_f / comp_f, float("nan"), float("nan")))
        rows.append(("swiglu vs eager", "fwd+bwd", str(dtype)[6:], ours_fb, eager_fb, ours_fb / eager_fb, float("nan"), float("nan")))
        rows.append(("swiglu vs torch.compile", "fwd+bwd", str(dtype)[6:], ours_fb, comp_fb, ours_fb / comp_fb, float("nan"), float("nan")))
    print("\n| op | pass | dtype | torchact ms | reference ms | ratio | GB/s | % of copy |")
    print("|---|---|---|---|---|---|---|---|")
    for name, kind, dt, t, r, ratio, gbs, frac in rows:
        print(f"| {name} | {kind} | {dt} | {t:.3f} | {r:.3f} | {ratio:.2f} | {gbs:.0f} | {100 * frac:.0f}% |")


if __name__ == "__main__":
    main()
