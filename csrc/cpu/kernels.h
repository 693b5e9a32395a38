// Element-wise CPU loops over raw, contiguous memory. They are compiled once per instruction set
// (kernels_<isa>.cpp) and the best table the running CPU supports is picked at first use.
// No ATen here: an instruction-set-specific object file must not carry inline ATen code that the
// linker could share with the baseline build.
#pragma once

#include <cstdint>

#include "torchact/math.h"

namespace torchact {
namespace cpu {

enum class Dtype { Float32, Float64, Float16, BFloat16 };

struct Act {
  math::Activation activation;
  double param;
};

// n elements each. With s the saved tensor (input, or output where the activation saves it):
//   backward:                grad_input = grad * f'(s)
//   backward_backward:       grad_grad = gg * f'(s), grad_saved = gg * grad * df'(s)/ds
//   gated_forward:           out = f(gate) * up
//   gated_backward:          grad_gate = grad * up * f'(gate), grad_up = grad * f(gate)
//   gated_backward_backward: the gradients of gated_backward's two outputs, given their incoming
//                            gradients gg_gate and gg_up, with respect to grad, gate and up.
struct KernelTable {
  const char* isa;
  void (*forward)(Act, Dtype, const void* x, void* y, int64_t n);
  void (*backward)(Act, Dtype, const void* grad, const void* saved, void* grad_input, int64_t n);
  void (*gated_forward)(Act, Dtype, const void* gate, const void* up, void* out, int64_t n);
  void (*gated_backward)(Act, Dtype, const void* grad, const void* gate, const void* up,
                         void* grad_gate, void* grad_up, int64_t n);
  void (*backward_backward)(Act, Dtype, const void* gg, const void* grad, const void* saved,
                            void* grad_grad, void* grad_saved, int64_t n);
  void (*gated_backward_backward)(Act, Dtype, const void* gg_gate, const void* gg_up,
                                  const void* grad, const void* gate, const void* up,
                                  void* grad_grad, void* grad_gate, void* grad_up, int64_t n);
};

// Tables for each instruction set built into this library (nullptr where not built).
const KernelTable* kernels_baseline();
const KernelTable* kernels_avx2();
const KernelTable* kernels_avx512();

// The table used: the widest the CPU supports, or the one named by the environment variable
// TORCHACT_CPU_CAPABILITY (baseline, avx2, avx512) when set and supported.
const KernelTable& kernels();

}  // namespace cpu
}  // namespace torchact
