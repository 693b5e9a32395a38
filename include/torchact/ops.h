// torchact's C++ API: one function per op. Each goes through the PyTorch dispatcher, so autograd,
// CPU/CUDA/meta kernels and any other registered behaviour apply exactly as from Python's
// torch.ops.torchact.<name>.
//
// Calling any of these also keeps libtorchact.so linked into your program: a program that links
// the library but calls none of its functions loses it under the linker's --as-needed default, and
// then no torchact op is registered (see the README).
#pragma once

#include <ATen/ATen.h>

#include <tuple>

namespace torchact {

at::Tensor sigmoid(const at::Tensor& self);
at::Tensor tanh(const at::Tensor& self);
at::Tensor relu(const at::Tensor& self);
at::Tensor leaky_relu(const at::Tensor& self, double negative_slope = 0.01);
// approximate: "none" (x * Phi(x), with erf) or "tanh" (the tanh approximation).
at::Tensor gelu(const at::Tensor& self, c10::string_view approximate = "none");
at::Tensor silu(const at::Tensor& self);
// x * sigmoid(beta * x); beta = 1 is silu.
at::Tensor swish(const at::Tensor& self, double beta = 1.0);
// silu(gate) * up in one pass.
at::Tensor swiglu(const at::Tensor& gate, const at::Tensor& up);
// gelu(gate) * up in one pass.
at::Tensor geglu(const at::Tensor& gate, const at::Tensor& up,
                 c10::string_view approximate = "none");
// swiglu of the two halves of x along dim ([gate | up], as torch.chunk(x, 2, dim) splits it).
at::Tensor swiglu_packed(const at::Tensor& x, int64_t dim = -1);

// Backward ops: the gradient with respect to the inputs given the gradient of the output.
// sigmoid, tanh and relu take their forward output; the others take the forward inputs.
at::Tensor sigmoid_backward(const at::Tensor& grad_output, const at::Tensor& output);
at::Tensor tanh_backward(const at::Tensor& grad_output, const at::Tensor& output);
at::Tensor relu_backward(const at::Tensor& grad_output, const at::Tensor& output);
at::Tensor leaky_relu_backward(const at::Tensor& grad_output, const at::Tensor& self,
                               double negative_slope);
at::Tensor gelu_backward(const at::Tensor& grad_output, const at::Tensor& self,
                         c10::string_view approximate = "none");
at::Tensor silu_backward(const at::Tensor& grad_output, const at::Tensor& self);
at::Tensor swish_backward(const at::Tensor& grad_output, const at::Tensor& self, double beta);
// Returns (grad_gate, grad_up).
std::tuple<at::Tensor, at::Tensor> swiglu_backward(const at::Tensor& grad_output,
                                                   const at::Tensor& gate, const at::Tensor& up);
std::tuple<at::Tensor, at::Tensor> geglu_backward(const at::Tensor& grad_output,
                                                  const at::Tensor& gate, const at::Tensor& up,
                                                  c10::string_view approximate = "none");
at::Tensor swiglu_packed_backward(const at::Tensor& grad_output, const at::Tensor& x,
                                  int64_t dim);

// Second derivatives: given grad_grad_* (the gradient of a backward op's outputs), the gradients
// with respect to the backward op's inputs: (d grad_output, d saved tensor) for one-input ops,
// (d grad_output, d gate, d up) for gated ones, (d grad_output, d x) for swiglu_packed.
using TensorPair = std::tuple<at::Tensor, at::Tensor>;
using TensorTriple = std::tuple<at::Tensor, at::Tensor, at::Tensor>;
TensorPair sigmoid_backward_backward(const at::Tensor& grad_grad_input,
                                     const at::Tensor& grad_output, const at::Tensor& output);
TensorPair tanh_backward_backward(const at::Tensor& grad_grad_input,
                                  const at::Tensor& grad_output, const at::Tensor& output);
TensorPair relu_backward_backward(const at::Tensor& grad_grad_input,
                                  const at::Tensor& grad_output, const at::Tensor& output);
TensorPair leaky_relu_backward_backward(const at::Tensor& grad_grad_input,
                                        const at::Tensor& grad_output, const at::Tensor& self,
                                        double negative_slope);
TensorPair gelu_backward_backward(const at::Tensor& grad_grad_input,
                                  const at::Tensor& grad_output, const at::Tensor& self,
                                  c10::string_view approximate = "none");
TensorPair silu_backward_backward(const at::Tensor& grad_grad_input,
                                  const at::Tensor& grad_output, const at::Tensor& self);
TensorPair swish_backward_backward(const at::Tensor& grad_grad_input,
                                   const at::Tensor& grad_output, const at::Tensor& self,
                                   double beta);
TensorTriple swiglu_backward_backward(const at::Tensor& grad_grad_gate,
                                      const at::Tensor& grad_grad_up,
                                      const at::Tensor& grad_output, const at::Tensor& gate,
                                      const at::Tensor& up);
TensorTriple geglu_backward_backward(const at::Tensor& grad_grad_gate,
                                     const at::Tensor& grad_grad_up,
                                     const at::Tensor& grad_output, const at::Tensor& gate,
                                     const at::Tensor& up, c10::string_view approximate = "none");
TensorPair swiglu_packed_backward_backward(const at::Tensor& grad_grad_x,
                                           const at::Tensor& grad_output, const at::Tensor& x,
                                           int64_t dim);

// The CPU instruction set the kernels use on this machine: "baseline", "avx2" or "avx512".
const char* cpu_capability();
// Whether this build has CUDA kernels.
bool has_cuda_kernels();

}  // namespace torchact
