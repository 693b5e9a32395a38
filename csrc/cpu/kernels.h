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

struct KernelTable {
  const char* isa;
  const Loop (*loops)[elementwise::kKinds];  // [kernel id][kind]; nullptr for the other family's
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
