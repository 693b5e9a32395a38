// The CPU loops, included once per instruction set by kernels_<isa>.cpp, which defines
// TORCHACT_CPU_ISA (the namespace and name of that build) and KERNELS_FUNCTION (its table getter).
// One plain indexed loop runs the per-element work of elementwise.h: GCC vectorizes it for the
// instruction set the file is compiled for.
#include <cstdint>

#include "kernels.h"

#if defined(TORCHACT_CPU_ISA_NOT_BUILT)
// This instruction set does not exist on the target architecture.
namespace torchact {
namespace cpu {
const KernelTable* KERNELS_FUNCTION() { return nullptr; }
}  // namespace cpu
}  // namespace torchact
#else

#include <type_traits>

#include "../elementwise.h"
#include "storage.h"

namespace torchact {
namespace cpu {
namespace TORCHACT_CPU_ISA {
namespace {

// One loop for every kernel kind: Body (elementwise.h) maps kInputs op-math values to kOutputs.
// An output is either its own memory or exactly an input's (an in-place op: y[i] over x[i], read
// before written), never overlapping otherwise, which ivdep tells the vectorizer.
// Tensor k (inputs first, then outputs) has its elements 2 apart where bit k of kPairs is set: a
// packed op's interleaved gate, up and their gradients.
// The body is a local copy: its parameters (hardtanh's limits, elu's alpha, ...) are then values
// the compiler keeps in registers; read through a reference inside a branch they became masked
// loads, which stopped the vectorizer in the 16-bit loops (bfloat16 elu 4x slower than ATen).
template <typename S, typename Body, unsigned kPairs = 0>
void elementwise_loop(const Body body, const void* const* in, void* const* out, int64_t n) {
  using T = typename S::opmath;
  constexpr int kIn = Body::kInputs;
  const typename S::storage* x[kIn];
  typename S::storage* y[Body::kOutputs];
  for (int k = 0; k < kIn; ++k) x[k] = static_cast<const typename S::storage*>(in[k]);
  for (int k = 0; k < Body::kOutputs; ++k) y[k] = static_cast<typename S::storage*>(out[k]);
#pragma GCC ivdep
  for (int64_t i = 0; i < n; ++i) {
    T a[kIn];
    T r[Body::kOutputs];
    for (int k = 0; k < kIn; ++k) a[k] = S::load(x[k][(kPairs >> k & 1u) ? 2 * i : i]);
    body(a, r);
    for (int k = 0; k < Body::kOutputs; ++k) {
      y[k][(kPairs >> (kIn + k) & 1u) ? 2 * i : i] = S::store(r[k]);
    }
  }
}

// One kernel kind (Body, elementwise.h) of one activation (Math, math.h) for every dtype.
template <template <typename> class Body, template <typename> class Math, unsigned kPairs = 0>
void loop(Dtype dtype, const math::Params& params, const void* const* in, void* const* out,
          int64_t n) {
  const auto run = [&](auto storage) {
    using S = decltype(storage);
    using F = Math<typename S::opmath>;
    using Kernel = Body<F>;
    elementwise_loop<S, Kernel, kPairs>(Kernel{math::make<F>(params)}, in, out, n);
  };
  switch (dtype) {
    case Dtype::Float32: return run(Float32{});
    case Dtype::Float64: return run(Float64{});
    case Dtype::Float16: return run(Float16{});
    case Dtype::BFloat16: return run(BFloat16{});
  }
}

// Each kernel of the op list with the kinds of its family.
#define TORCHACT_LOOPS_Unary(Math)                                                 \
  loop<elementwise::Forward, math::Math>, loop<elementwise::Backward, math::Math>, \
      loop<elementwise::BackwardBackward, math::Math>, nullptr, nullptr, nullptr
#define TORCHACT_LOOPS_Gated(Math)                                                    \
  nullptr, nullptr, nullptr, loop<elementwise::GatedForward, math::Math>,             \
      loop<elementwise::GatedBackward, math::Math>,                                   \
      loop<elementwise::GatedBackwardBackward, math::Math>
#define TORCHACT_LOOPS(id, Family, Math) {TORCHACT_LOOPS_##Family(Math)},
const Loop kLoops[kernel::kCount][elementwise::kKinds] = {TORCHACT_KERNELS(TORCHACT_LOOPS)};
#undef TORCHACT_LOOPS

// The gated kinds for interleaved gate and up (kPairs: gate, up and their gradients), in the order
// GatedForward, GatedBackward, GatedBackwardBackward; nothing for unary kernels.
#define TORCHACT_PAIR_LOOPS_Unary(Math) nullptr, nullptr, nullptr
#define TORCHACT_PAIR_LOOPS_Gated(Math)                                                        \
  loop<elementwise::GatedForward, math::Math, kGatedForwardPairs>,                            \
      loop<elementwise::GatedBackward, math::Math, kGatedBackwardPairs>,                      \
      loop<elementwise::GatedBackwardBackward, math::Math, kGatedBackwardBackwardPairs>
#define TORCHACT_PAIR_LOOPS(id, Family, Math) {TORCHACT_PAIR_LOOPS_##Family(Math)},
const Loop kPairLoops[kernel::kCount][3] = {TORCHACT_KERNELS(TORCHACT_PAIR_LOOPS)};
#undef TORCHACT_PAIR_LOOPS

#define TORCHACT_STRINGIFY2(x) #x
#define TORCHACT_STRINGIFY(x) TORCHACT_STRINGIFY2(x)
const KernelTable kTable{TORCHACT_STRINGIFY(TORCHACT_CPU_ISA), kLoops, kPairLoops};

}  // namespace
}  // namespace TORCHACT_CPU_ISA

const KernelTable* KERNELS_FUNCTION() { return &TORCHACT_CPU_ISA::kTable; }

}  // namespace cpu
}  // namespace torchact

#endif  // TORCHACT_CPU_ISA_NOT_BUILT
