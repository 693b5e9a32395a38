// The CPU backend: splits the work over threads with at::parallel_for (this file is compiled with
// OpenMP, without which at::parallel_for runs on one thread) and runs the vectorized loops of
// kernels.h on each piece.
#include <ATen/Parallel.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdlib>
#include <cstring>

#if defined(__linux__)
#include <sys/mman.h>
#endif

#include "../backend.h"
#include "kernels.h"

namespace torchact {
namespace cpu {

const KernelTable& kernels() {
  static const KernelTable* const table = [] {
    const KernelTable* best = kernels_baseline();
#if defined(__x86_64__) || defined(__i386__)
    if (kernels_avx2() && __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") &&
        __builtin_cpu_supports("f16c")) {
      best = kernels_avx2();
    }
    if (kernels_avx512() && __builtin_cpu_supports("avx512f") &&
        __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl") &&
        __builtin_cpu_supports("avx512dq")) {
      best = kernels_avx512();
    }
#endif
    // A lower instruction set can be asked for (tests, benchmarks), never one the CPU lacks.
    if (const char* wanted = std::getenv("TORCHACT_CPU_CAPABILITY")) {
      for (const KernelTable* t : {kernels_baseline(), kernels_avx2(), kernels_avx512()}) {
        if (t == nullptr) continue;
        if (std::strcmp(t->isa, wanted) == 0) {
          best = t;
          break;
        }
        if (t == best) break;
      }
    }
    return best;
  }();
  return *table;
}

namespace {

Dtype dtype_of(const at::Tensor& t) {
  switch (t.scalar_type()) {
    case at::kFloat: return Dtype::Float32;
    case at::kDouble: return Dtype::Float64;
    case at::kHalf: return Dtype::Float16;
    case at::kBFloat16: return Dtype::BFloat16;
    default: TORCH_CHECK(false, "torchact: unsupported dtype ", t.scalar_type());  // checked before
  }
}

// Work is split into blocks of kBlock elements so that every thread count cuts the data at the
// same places: results are bit-identical whatever the number of threads.
constexpr int64_t kBlock = 4096;
constexpr int64_t kGrainBlocks = 8;  // ~32K elements per task, ATen's grain size

// `rows` of a unary call: its tensors (dense, any shape, see backend.h) are one row over their
// memory. Gated calls pass 2-D tensors [rows, row_len] whose elements are contiguous, or 2 apart
// (interleaved gate and up).
constexpr int64_t kFlat = -1;

// Runs body(pointers, len) over K tensors in parallel, on pieces that never cross a row end;
// pointers[k] is the first element of the piece in tensor k.
template <size_t K, typename Body>
void for_each_piece(const std::array<const at::Tensor*, K>& tensors, int64_t rows, int64_t row_len,
                    const Body& body) {
  std::array<char*, K> base;
  std::array<int64_t, K> row_stride_bytes, element_stride_bytes;
  const int64_t element_size = static_cast<int64_t>(tensors[0]->element_size());
  const bool flat = rows == kFlat;
  if (flat) rows = 1;
  for (size_t k = 0; k < K; ++k) {
    const at::Tensor& t = *tensors[k];
    base[k] = static_cast<char*>(t.data_ptr());
    row_stride_bytes[k] = rows > 1 ? t.stride(0) * element_size : 0;
    element_stride_bytes[k] = (flat ? 1 : t.stride(1)) * element_size;
  }
  const int64_t n = rows * row_len;
  const int64_t blocks = (n + kBlock - 1) / kBlock;
  at::parallel_for(0, blocks, kGrainBlocks, [&](int64_t b0, int64_t b1) {
    int64_t begin = b0 * kBlock;
    const int64_t end = std::min(b1 * kBlock, n);
    while (begin < end) {
      const int64_t row = begin / row_len;
      const int64_t col = begin - row * row_len;
      const int64_t len = std::min(end - begin, row_len - col);
      std::array<char*, K> pointers;
      for (size_t k = 0; k < K; ++k) {
        pointers[k] = base[k] + row * row_stride_bytes[k] + col * element_stride_bytes[k];
      }
      body(pointers, len);
      begin += len;
    }
  });
}

// Outputs of 32 MiB and more are mapped afresh by glibc's malloc (above its largest mmap
// threshold), and touching them the first time, 4 KiB page by page, took more time than the
// kernel's work: 16384 page faults per 2^24 floats; relu's forward at 2^24 took 45 ms, 13 with
// huge pages. MADV_HUGEPAGE on the buffer's 2 MiB-aligned interior lets Linux back it with huge
// pages where transparent huge pages are enabled ('madvise' or 'always'), as c10's CPU allocator
// does under THP_MEM_ALLOC_ENABLE=1. Only advice: the memory and the results are the same (an
// in-place op's output, touched before, only gets the flag). Smaller outputs are left alone
// (malloc reuses their memory, and advising part of its heap would split it into more mappings);
// TORCHACT_HUGE_PAGES=0 turns this off.
void advise_huge_pages(const at::Tensor& output) {
#if defined(__linux__) && defined(MADV_HUGEPAGE)
  static const bool enabled = [] {
    const char* setting = std::getenv("TORCHACT_HUGE_PAGES");
    return setting == nullptr || std::strcmp(setting, "0") != 0;
  }();
  constexpr size_t kMinBytes = size_t{32} << 20;
  constexpr uintptr_t kHugePage = uintptr_t{2} << 20;
  const size_t bytes = output.nbytes();
  if (!enabled || bytes < kMinBytes) return;
  const uintptr_t start = reinterpret_cast<uintptr_t>(output.data_ptr());
  const uintptr_t begin = (start + kHugePage - 1) & ~(kHugePage - 1);
  const uintptr_t end = (start + bytes) & ~(kHugePage - 1);
  if (end > begin) madvise(reinterpret_cast<void*>(begin), end - begin, MADV_HUGEPAGE);
#else
  (void)output;
#endif
}

// Runs kernel kind `kind` of the spec's kernel over the pieces: inputs first, then outputs. For
// a packed op with interleaved gate and up (the gate's elements 2 apart), the kind's pair loop.
template <size_t K>
void run(const Spec& spec, elementwise::Kind kind, int kInputs,
         const std::array<const at::Tensor*, K>& tensors, int64_t rows, int64_t row_len,
         bool pairs = false) {
  const Loop loop = pairs ? kernels().pair_loops[spec.kernel][kind - elementwise::kGatedForward]
                          : kernels().loops[spec.kernel][kind];
  TORCH_CHECK(loop != nullptr, spec.op, ": no such kernel (kind ", static_cast<int>(kind), ")");
  const Dtype dtype = dtype_of(*tensors[0]);
  for (size_t k = kInputs; k < K; ++k) advise_huge_pages(*tensors[k]);
  for_each_piece<K>(tensors, rows, row_len, [&](const std::array<char*, K>& p, int64_t len) {
    std::array<const void*, K> in;
    std::array<void*, K> out;
    for (int k = 0; k < kInputs; ++k) in[k] = p[k];
    for (size_t k = kInputs; k < K; ++k) out[k - kInputs] = p[k];
    loop(dtype, spec.params, in.data(), out.data(), len);
  });
}

void forward(const Spec& spec, const at::Tensor& x, const at::Tensor& y) {
  run<2>(spec, elementwise::kForward, 1, {&x, &y}, kFlat, x.numel());
}

void backward(const Spec& spec, const at::Tensor& grad, const at::Tensor& saved,
              const at::Tensor& grad_input) {
  run<3>(spec, elementwise::kBackward, 2, {&grad, &saved, &grad_input}, kFlat, saved.numel());
}

void gated_forward(const Spec& spec, const at::Tensor& gate, const at::Tensor& up,
                   const at::Tensor& out) {
  run<3>(spec, elementwise::kGatedForward, 2, {&gate, &up, &out}, gate.size(0), gate.size(1),
         gate.stride(1) == 2);
}

void gated_backward(const Spec& spec, const at::Tensor& grad, const at::Tensor& gate,
                    const at::Tensor& up, const at::Tensor& grad_gate, const at::Tensor& grad_up) {
  run<5>(spec, elementwise::kGatedBackward, 3, {&grad, &gate, &up, &grad_gate, &grad_up},
         gate.size(0), gate.size(1), gate.stride(1) == 2);
}

void backward_backward(const Spec& spec, const at::Tensor& gg, const at::Tensor& grad,
                       const at::Tensor& saved, const at::Tensor& grad_grad,
                       const at::Tensor& grad_saved) {
  run<5>(spec, elementwise::kBackwardBackward, 3, {&gg, &grad, &saved, &grad_grad, &grad_saved},
         kFlat, saved.numel());
}

void gated_backward_backward(const Spec& spec, const at::Tensor& gg_gate, const at::Tensor& gg_up,
                             const at::Tensor& grad, const at::Tensor& gate, const at::Tensor& up,
                             const at::Tensor& grad_grad, const at::Tensor& grad_gate,
                             const at::Tensor& grad_up) {
  run<8>(spec, elementwise::kGatedBackwardBackward, 5,
         {&gg_gate, &gg_up, &grad, &gate, &up, &grad_grad, &grad_gate, &grad_up}, gate.size(0),
         gate.size(1), gate.stride(1) == 2);
}

}  // namespace
}  // namespace cpu

const Backend& cpu_backend() {
  static const Backend backend{cpu::forward,           cpu::backward,
                               cpu::gated_forward,     cpu::gated_backward,
                               cpu::backward_backward, cpu::gated_backward_backward};
  return backend;
}

}  // namespace torchact
