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
void elementwise_loop(const Body& body, const void* const (&in)[Body::kInputs],
                      void* const (&out)[Body::kOutputs], int64_t n) {
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

// Calls fn with the storage traits of `dtype` and the activation struct of `act`.
template <typename Fn>
void visit(Act act, Dtype dtype, Fn&& fn) {
  auto with = [&](auto storage) {
    using S = decltype(storage);
    math::visit<typename S::opmath>(act.activation, act.param,
                                    [&](const auto& f) { fn(storage, f); });
  };
  switch (dtype) {
    case Dtype::Float32: return with(Float32{});
    case Dtype::Float64: return with(Float64{});
    case Dtype::Float16: return with(Float16{});
    case Dtype::BFloat16: return with(BFloat16{});
  }
}

// Runs the kernel kind Body<F> for the activation and dtype of this call.
template <template <typename> class Body, size_t kIn, size_t kOut>
void run(Act act, Dtype dtype, const void* const (&in)[kIn], void* const (&out)[kOut], int64_t n) {
  visit(act, dtype, [&](auto s, const auto& f) {
    using Kernel = Body<std::decay_t<decltype(f)>>;
    static_assert(Kernel::kInputs == kIn && Kernel::kOutputs == kOut, "argument count");
    elementwise_loop<decltype(s)>(Kernel{f}, in, out, n);
  });
}

void forward(Act act, Dtype dtype, const void* x, void* y, int64_t n) {
  run<elementwise::Forward>(act, dtype, {x}, {y}, n);
}

void backward(Act act, Dtype dtype, const void* grad, const void* saved, void* grad_input,
              int64_t n) {
  run<elementwise::Backward>(act, dtype, {grad, saved}, {grad_input}, n);
}

void gated_forward(Act act, Dtype dtype, const void* gate, const void* up, void* out, int64_t n) {
  run<elementwise::GatedForward>(act, dtype, {gate, up}, {out}, n);
}

void gated_backward(Act act, Dtype dtype, const void* grad, const void* gate, const void* up,
                    void* grad_gate, void* grad_up, int64_t n) {
  run<elementwise::GatedBackward>(act, dtype, {grad, gate, up}, {grad_gate, grad_up}, n);
}

void backward_backward(Act act, Dtype dtype, const void* gg, const void* grad, const void* saved,
                       void* grad_grad, void* grad_saved, int64_t n) {
  run<elementwise::BackwardBackward>(act, dtype, {gg, grad, saved}, {grad_grad, grad_saved}, n);
}

void gated_backward_backward(Act act, Dtype dtype, const void* gg_gate, const void* gg_up,
                             const void* grad, const void* gate, const void* up, void* grad_grad,
                             void* grad_gate, void* grad_up, int64_t n) {
  run<elementwise::GatedBackwardBackward>(act, dtype, {gg_gate, gg_up, grad, gate, up},
                                          {grad_grad, grad_gate, grad_up}, n);
}

#define TORCHACT_STRINGIFY2(x) #x
#define TORCHACT_STRINGIFY(x) TORCHACT_STRINGIFY2(x)
const KernelTable kTable{TORCHACT_STRINGIFY(TORCHACT_CPU_ISA), forward, backward, gated_forward,
                         gated_backward, backward_backward, gated_backward_backward};

}  // namespace
}  // namespace TORCHACT_CPU_ISA

const KernelTable* KERNELS_FUNCTION() { return &TORCHACT_CPU_ISA::kTable; }

}  // namespace cpu
}  // namespace torchact

#endif  // TORCHACT_CPU_ISA_NOT_BUILT
