// The CPU loops, included once per instruction set by kernels_<isa>.cpp, which defines
// TORCHACT_CPU_ISA (the namespace and name of that build) and KERNELS_FUNCTION (its table getter).
// Each loop is a plain indexed loop over one activation struct from math.h: GCC vectorizes it for
// the instruction set the file is compiled for.
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

#include "storage.h"

namespace torchact {
namespace cpu {
namespace TORCHACT_CPU_ISA {
namespace {

template <typename S, typename F>
void forward_loop(const F& f, const typename S::storage* __restrict x,
                  typename S::storage* __restrict y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] = S::store(f.forward(S::load(x[i])));
}

template <typename S, typename F>
void backward_loop(const F& f, const typename S::storage* __restrict grad,
                   const typename S::storage* __restrict saved,
                   typename S::storage* __restrict grad_input, int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    grad_input[i] = S::store(S::load(grad[i]) * f.derivative(S::load(saved[i])));
  }
}

template <typename S, typename F>
void gated_forward_loop(const F& f, const typename S::storage* __restrict gate,
                        const typename S::storage* __restrict up,
                        typename S::storage* __restrict out, int64_t n) {
  for (int64_t i = 0; i < n; ++i) out[i] = S::store(f.forward(S::load(gate[i])) * S::load(up[i]));
}

template <typename S, typename F>
void gated_backward_loop(const F& f, const typename S::storage* __restrict grad,
                         const typename S::storage* __restrict gate,
                         const typename S::storage* __restrict up,
                         typename S::storage* __restrict grad_gate,
                         typename S::storage* __restrict grad_up, int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    const auto g = S::load(grad[i]);
    const auto a = S::load(gate[i]);
    grad_gate[i] = S::store(g * S::load(up[i]) * math::derivative_at_input(f, a));
    grad_up[i] = S::store(g * f.forward(a));
  }
}

template <typename S, typename F>
void backward_backward_loop(const F& f, const typename S::storage* __restrict gg,
                            const typename S::storage* __restrict grad,
                            const typename S::storage* __restrict saved,
                            typename S::storage* __restrict grad_grad,
                            typename S::storage* __restrict grad_saved, int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    const auto ggi = S::load(gg[i]);
    const auto s = S::load(saved[i]);
    grad_grad[i] = S::store(ggi * f.derivative(s));
    grad_saved[i] = S::store(ggi * S::load(grad[i]) * f.derivative_grad(s));
  }
}

template <typename S, typename F>
void gated_backward_backward_loop(const F& f, const typename S::storage* __restrict gg_gate,
                                  const typename S::storage* __restrict gg_up,
                                  const typename S::storage* __restrict grad,
                                  const typename S::storage* __restrict gate,
                                  const typename S::storage* __restrict up,
                                  typename S::storage* __restrict grad_grad,
                                  typename S::storage* __restrict grad_gate,
                                  typename S::storage* __restrict grad_up, int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    const auto gga = S::load(gg_gate[i]);
    const auto ggb = S::load(gg_up[i]);
    const auto g = S::load(grad[i]);
    const auto a = S::load(gate[i]);
    const auto b = S::load(up[i]);
    const auto fa = f.forward(a);
    const auto d1 = math::derivative_at_input(f, a);
    const auto d2 = math::second_derivative_at_input(f, a);
    grad_grad[i] = S::store(gga * b * d1 + ggb * fa);
    grad_gate[i] = S::store(g * (gga * b * d2 + ggb * d1));
    grad_up[i] = S::store(gga * g * d1);
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

template <typename S>
using Ptr = typename S::storage*;
template <typename S>
using ConstPtr = const typename S::storage*;

void forward(Act act, Dtype dtype, const void* x, void* y, int64_t n) {
  visit(act, dtype, [&](auto s, const auto& f) {
    using S = decltype(s);
    forward_loop<S>(f, static_cast<ConstPtr<S>>(x), static_cast<Ptr<S>>(y), n);
  });
}

void backward(Act act, Dtype dtype, const void* grad, const void* saved, void* grad_input,
              int64_t n) {
  visit(act, dtype, [&](auto s, const auto& f) {
    using S = decltype(s);
    backward_loop<S>(f, static_cast<ConstPtr<S>>(grad), static_cast<ConstPtr<S>>(saved),
                     static_cast<Ptr<S>>(grad_input), n);
  });
}

void gated_forward(Act act, Dtype dtype, const void* gate, const void* up, void* out, int64_t n) {
  visit(act, dtype, [&](auto s, const auto& f) {
    using S = decltype(s);
    gated_forward_loop<S>(f, static_cast<ConstPtr<S>>(gate), static_cast<ConstPtr<S>>(up),
                          static_cast<Ptr<S>>(out), n);
  });
}

void gated_backward(Act act, Dtype dtype, const void* grad, const void* gate, const void* up,
                    void* grad_gate, void* grad_up, int64_t n) {
  visit(act, dtype, [&](auto s, const auto& f) {
    using S = decltype(s);
    gated_backward_loop<S>(f, static_cast<ConstPtr<S>>(grad), static_cast<ConstPtr<S>>(gate),
                           static_cast<ConstPtr<S>>(up), static_cast<Ptr<S>>(grad_gate),
                           static_cast<Ptr<S>>(grad_up), n);
  });
}

void backward_backward(Act act, Dtype dtype, const void* gg, const void* grad, const void* saved,
                       void* grad_grad, void* grad_saved, int64_t n) {
  visit(act, dtype, [&](auto s, const auto& f) {
    using S = decltype(s);
    backward_backward_loop<S>(f, static_cast<ConstPtr<S>>(gg), static_cast<ConstPtr<S>>(grad),
                              static_cast<ConstPtr<S>>(saved), static_cast<Ptr<S>>(grad_grad),
                              static_cast<Ptr<S>>(grad_saved), n);
  });
}

void gated_backward_backward(Act act, Dtype dtype, const void* gg_gate, const void* gg_up,
                             const void* grad, const void* gate, const void* up, void* grad_grad,
                             void* grad_gate, void* grad_up, int64_t n) {
  visit(act, dtype, [&](auto s, const auto& f) {
    using S = decltype(s);
    gated_backward_backward_loop<S>(
        f, static_cast<ConstPtr<S>>(gg_gate), static_cast<ConstPtr<S>>(gg_up),
        static_cast<ConstPtr<S>>(grad), static_cast<ConstPtr<S>>(gate),
        static_cast<ConstPtr<S>>(up), static_cast<Ptr<S>>(grad_grad),
        static_cast<Ptr<S>>(grad_gate), static_cast<Ptr<S>>(grad_up), n);
  });
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
