// Device-independent kernels behind every op: argument checks, output allocation, layouts, and the
// choice of backend by device type (CPU, CUDA, or Meta, which only computes shapes and dtypes).
#pragma once

#include <tuple>

#include "backend.h"

namespace torchact {
namespace frontend {

at::Tensor forward(const Spec& spec, const at::Tensor& x);
// In place: self = f(self), over self's memory (self must not have elements sharing memory).
at::Tensor& forward_(const Spec& spec, at::Tensor& self);
// `saved` is the op's output y for activations that save it (sigmoid, tanh, relu), else the input x.
at::Tensor backward(const Spec& spec, const at::Tensor& grad, const at::Tensor& saved);

at::Tensor gated_forward(const Spec& spec, const at::Tensor& gate, const at::Tensor& up);
std::tuple<at::Tensor, at::Tensor> gated_backward(const Spec& spec, const at::Tensor& grad,
                                                  const at::Tensor& gate, const at::Tensor& up);

// x holds gate and up along `dim`: as halves [gate | up] (torch.chunk(x, 2, dim)), or interleaved
// [g0, u0, g1, u1, ...].
at::Tensor packed_forward(const Spec& spec, const at::Tensor& x, int64_t dim, bool interleaved);
at::Tensor packed_backward(const Spec& spec, const at::Tensor& grad, const at::Tensor& x,
                           int64_t dim, bool interleaved);

// Second derivatives: the gradients of the backward ops' outputs (grad_grad_*) taken back to the
// backward ops' inputs. Returns (grad wrt grad_output, grad wrt saved) for unary ops,
// (grad wrt grad_output, grad wrt gate, grad wrt up) for gated ops, and
// (grad wrt grad_output, grad wrt x) for packed ones.
std::tuple<at::Tensor, at::Tensor> backward_backward(const Spec& spec,
                                                     const at::Tensor& grad_grad_input,
                                                     const at::Tensor& grad,
                                                     const at::Tensor& saved);
std::tuple<at::Tensor, at::Tensor, at::Tensor> gated_backward_backward(
    const Spec& spec, const at::Tensor& grad_grad_gate, const at::Tensor& grad_grad_up,
    const at::Tensor& grad, const at::Tensor& gate, const at::Tensor& up);
std::tuple<at::Tensor, at::Tensor> packed_backward_backward(const Spec& spec,
                                                            const at::Tensor& grad_grad_x,
                                                            const at::Tensor& grad,
                                                            const at::Tensor& x, int64_t dim,
                                                            bool interleaved);

}  // namespace frontend
}  // namespace torchact
