// torchact's C++ API: one function per op, declared from the op list (codegen/op_list.txt) in
// torchact/generated/ops.h, e.g.
//
//   at::Tensor silu(const at::Tensor& self);
//   at::Tensor leaky_relu(const at::Tensor& self, double negative_slope = 0.01);
//   at::Tensor gelu(const at::Tensor& self, c10::string_view approximate = "none");
//   at::Tensor swiglu(const at::Tensor& gate, const at::Tensor& up);
//   at::Tensor swiglu_packed(const at::Tensor& x, int64_t dim = -1);
//   at::Tensor silu_backward(const at::Tensor& grad_output, const at::Tensor& self);
//   TensorPair silu_backward_backward(const at::Tensor& grad_grad_input,
//                                     const at::Tensor& grad_output, const at::Tensor& self);
//
// Each goes through the PyTorch dispatcher, so autograd, CPU/CUDA/meta kernels and any other
// registered behaviour apply exactly as from Python's torch.ops.torchact.<name>. Backward ops take
// grad_output and what the forward saved (its output for sigmoid, tanh and relu, else its inputs);
// second-derivative ops return the gradients of a backward op's inputs (grad_output first, then
// the saved tensors) given the gradients of its outputs.
//
// Calling any of these also keeps libtorchact.so linked into your program: a program that links
// the library but calls none of its functions loses it under the linker's --as-needed default, and
// then no torchact op is registered (see the README).
#pragma once

#include <ATen/ATen.h>

#include <tuple>

namespace torchact {

using TensorPair = std::tuple<at::Tensor, at::Tensor>;
using TensorTriple = std::tuple<at::Tensor, at::Tensor, at::Tensor>;

// The CPU instruction set the kernels use on this machine: "baseline", "avx2" or "avx512".
const char* cpu_capability();
// Whether this build has CUDA kernels.
bool has_cuda_kernels();

}  // namespace torchact

#include "torchact/generated/ops.h"
