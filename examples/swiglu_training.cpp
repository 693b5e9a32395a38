// A Llama-style block, x + SwiGLUFeedForward(rmsnorm(x)), trained on a synthetic task with
// torchact's fused swiglu, and the same block built from built-in ops (silu(w1 x) * w3 x). The loss
// falls in both; torchact keeps only gate and up for the backward (the built-in composition also
// keeps silu(gate)), and takes less time per step.
//
//   swiglu_training
#include <cstdio>

#include <c10/core/CPUAllocator.h>

#include "lessons.h"

int main() {
  auto* counter = new examples::CountingAllocator(c10::GetDefaultCPUAllocator());
  c10::SetCPUAllocator(counter, /*priority=*/100);
  std::printf("Llama-style block (dim 64, hidden 172, 512 tokens), Adam, 60 steps, CPU\n");
  std::printf("  %-22s %10s %10s %12s %22s\n", "", "first loss", "last loss", "ms / step",
              "kept for backward (KiB)");
  for (bool use_torchact : {true, false}) {
    const auto r = examples::train_block(use_torchact, 60, 64, 172, 512, counter);
    std::printf("  %-22s %10.4f %10.4f %12.2f %22.1f\n",
                use_torchact ? "torchact swiglu" : "built-in silu(a) * b", r.first_loss,
                r.last_loss, r.ms_per_step, static_cast<double>(r.activation_bytes) / 1024);
  }
  return 0;
}
