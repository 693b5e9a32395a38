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
// Outputs never alias inputs (the frontend allocates them), which ivdep tells the vectorizer.
template <typename S, typename Body>
void elementwise_loop(const Body& body, const void* const* in, void* const* out, int64_t n) {
  using T = typename S::opmath;
  const typename S::storage* x[Body::kInputs];
  typename S::storage* y[Body::kOutputs];
  for (int k = 0; k < Body::kInputs; ++k) x[k] = static_cast<const typename S::storage*>(in[k]);
  for (int k = 0; k < Body::kOutputs; ++k) y[k] = static_cast<typename S::storage*>(out[k]);
#pragma GCC ivdep
  for (int64_t i = 0; i < n; ++i) {
    T a[Body::kInputs];
    T r[Body::kOutputs];
    for (int k = 0; k < Body::kInputs; ++k) a[k] = S::load(x[k][i]);
    body(a, r);
    for (int k = 0; k < Body::kOutputs; ++k) y[k][i] = S::store(r[k]);
  }
}

// One kernel kind (Body, elementwise.h) of one activation (Math, math.h) for every dtype.
template <template <typename> class Body, template <typename> class Math>
void loop(Dtype dtype, const math::Params& params, const void* const* in, void* const* out,
          int64_t n) {
  const auto run = [&](auto storage) {
    using S = decltype(storage);
    using F = Math<typename S::opmath>;
    using Kernel = Body<F>;
    elementwise_loop<S>(Kernel{math::make<F>(params)}, in, out, n);
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

#define TORCHACT_STRINGIFY2(x) #x
#define TORCHACT_STRINGIFY(x) TORCHACT_STRINGIFY2(x)
const KernelTable kTable{TORCHACT_STRINGIFY(TORCHACT_CPU_ISA), kLoops};

}  // namespace
}  // namespace TORCHACT_CPU_ISA

const KernelTable* KERNELS_FUNCTION() { return &TORCHACT_CPU_ISA::kTable; }

}  // namespace cpu
}  // namespace torchact

#endif  // TORCHACT_CPU_ISA_NOT_BUILT
