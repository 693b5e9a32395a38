// Element-wise CPU loops over raw, contiguous memory. They are compiled once per instruction set
// (kernels_<isa>.cpp) and the best table the running CPU supports is picked at first use.
// No ATen here: an instruction-set-specific object file must not carry inline ATen code that the
// linker could share with the baseline build.
#pragma once

#include <cstdint>

#include "../elementwise.h"
#include "kernel_list.h"  // generated from the op list: the kernel ids

namespace torchact {
namespace cpu {

enum class Dtype { Float32, Float64, Float16, BFloat16 };

// One loop: n elements of each input (in kind order: x, grad, saved, ...) and output.
using Loop = void (*)(Dtype, const math::Params&, const void* const* in, void* const* out,
                      int64_t n);

// Which tensors of a gated kind (bit k: tensor k, inputs first, then outputs) have their elements
// 2 apart when a packed op's gate and up are interleaved: gate, up and their gradients.
constexpr unsigned kGatedForwardPairs = 0b011;               // gate, up -> out
constexpr unsigned kGatedBackwardPairs = 0b11110;            // grad, gate, up -> grad_gate, grad_up
constexpr unsigned kGatedBackwardBackwardPairs = 0b11011011; // gg_gate, gg_up, grad, gate, up ->
                                                             // grad_grad, grad_gate, grad_up
struct KernelTable {
  const char* isa;
  const Loop (*loops)[elementwise::kKinds];  // [kernel id][kind]; nullptr for the other family's
  const Loop (*pair_loops)[3];  // [kernel id][gated kind - kGatedForward], interleaved gate and up
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
