// The per-element work of every kernel kind, in the op-math type T, shared by the CPU loops
// (cpu/kernels_impl.h) and the CUDA kernels (cuda/cuda_backend.cu): each reads its inputs x and
// writes its outputs y in the order given, and F is one activation struct from math.h.
#pragma once

#include "torchact/math.h"

namespace torchact {
namespace elementwise {

// The kernel kinds below, for the backends' tables. With s the saved tensor (input, or output
// where the activation saves it):
//   Forward:                y = f(x)
//   Backward:               grad_input = grad * f'(s)
//   BackwardBackward:       grad_grad = gg * f'(s), grad_saved = gg * grad * df'(s)/ds
//   GatedForward:           out = f(gate) * up
//   GatedBackward:          grad_gate = grad * up * f'(gate), grad_up = grad * f(gate)
//   GatedBackwardBackward:  the gradients of GatedBackward's two outputs, given their incoming
//                           gradients gg_gate and gg_up, with respect to grad, gate and up.
// A unary kernel has the first three, a gated kernel the last three.
// Where F's gradient does not pass (math::gradient_passes: the ops whose ATen backward selects),
// a product with f' above is f' itself instead (0), whatever the incoming gradient: a nan or inf
// grad gives 0 there, as in PyTorch; likewise the products with f'' where
// math::second_derivative_passes says so.
enum Kind { kForward, kBackward, kBackwardBackward, kGatedForward, kGatedBackward,
            kGatedBackwardBackward, kKinds };

template <typename F>
struct Forward {  // x = {input}, y = {output}
  static constexpr int kInputs = 1, kOutputs = 1;
  F f;
  template <typename T>
  TORCHACT_HOST_DEVICE void operator()(const T* x, T* y) const {
    y[0] = f.forward(x[0]);
  }
};

template <typename F>
struct Backward {  // x = {grad, saved}, y = {grad_input}
  static constexpr int kInputs = 2, kOutputs = 1;
  F f;
  template <typename T>
  TORCHACT_HOST_DEVICE void operator()(const T* x, T* y) const {
    const T d = f.derivative(x[1]);
    y[0] = math::gradient_passes(f, x[1]) ? x[0] * d : d;
  }
};

// Gated kinds: out = f(gate) * u(up), u being the identity unless F transforms up (math::up_value).
template <typename F>
struct GatedForward {  // x = {gate, up}, y = {out}
  static constexpr int kInputs = 2, kOutputs = 1;
  F f;
  template <typename T>
  TORCHACT_HOST_DEVICE void operator()(const T* x, T* y) const {
    y[0] = f.forward(x[0]) * math::up_value(f, x[1]);
  }
};

// One pass: both gradients, the activation recomputed from the gate.
template <typename F>
struct GatedBackward {  // x = {grad, gate, up}, y = {grad_gate, grad_up}
  static constexpr int kInputs = 3, kOutputs = 2;
  F f;
  template <typename T>
  TORCHACT_HOST_DEVICE void operator()(const T* x, T* y) const {
    const math::ValueAndDerivative<T> fd = math::value_and_derivative_at_input(f, x[1]);
    const T d = fd.derivative;
    const bool passes = math::gradient_passes(f, math::saved_value(f, x[1]));
    y[0] = passes ? x[0] * math::up_value(f, x[2]) * d : d;
    y[1] = math::up_passes(f, x[2]) ? x[0] * fd.value : T(0);
  }
};

// The gradient of Backward's output (gg) taken back to its inputs grad and saved.
template <typename F>
struct BackwardBackward {  // x = {gg, grad, saved}, y = {grad_grad, grad_saved}
  static constexpr int kInputs = 3, kOutputs = 2;
  F f;
  template <typename T>
  TORCHACT_HOST_DEVICE void operator()(const T* x, T* y) const {
    const T d = f.derivative(x[2]), d2 = f.derivative_grad(x[2]);
    y[0] = math::gradient_passes(f, x[2]) ? x[0] * d : d;
    y[1] = math::second_derivative_passes(f, x[2]) ? x[0] * x[1] * d2 : d2;
  }
};

// The gradients of GatedBackward's outputs (gg_gate, gg_up) taken back to grad, gate and up.
template <typename F>
struct GatedBackwardBackward {  // x = {gg_gate, gg_up, grad, gate, up}, y = {d grad, d gate, d up}
  static constexpr int kInputs = 5, kOutputs = 3;
  F f;
  // With u = u(up), whose derivative is 1 where `passes` and 0 elsewhere (u'' = 0): the backward's
  // outputs are (gate_passes ? grad u f'(gate) : f'(gate)) and (passes ? grad f(gate) : 0).
  // Where the gate's gradient does not pass, each term is what autograd's chain through the
  // compositions gives there: 0, or the factors it multiplies into that zero (u, grad; f', f'').
  template <typename T>
  TORCHACT_HOST_DEVICE void operator()(const T* x, T* y) const {
    const math::ValueAndDerivative<T> fd = math::value_and_derivative_at_input(f, x[3]);
    const T fa = fd.value, d1 = fd.derivative;
    const T d2 = math::second_derivative_at_input(f, x[3]);
    const T u = math::up_value(f, x[4]);
    const bool passes = math::up_passes(f, x[4]);
    const T s = math::saved_value(f, x[3]);
    const bool gate_passes = math::gradient_passes(f, s);
    y[0] = (gate_passes ? x[0] * u * d1 : T(0) * u) + (passes ? x[1] * fa : T(0));
    y[1] = (math::second_derivative_passes(f, s) ? x[2] * x[0] * u * d2 : d2) +
           (passes ? (gate_passes ? x[2] * x[1] * d1 : d1) : T(0));
    y[2] = passes ? (gate_passes ? x[0] * x[2] * d1 : T(0) * x[2]) : T(0);
  }
};

}  // namespace elementwise
}  // namespace torchact
