// The interface between the device-independent op layer (ops.cpp, frontend.cpp) and the kernels of
// one device type. A backend only computes: the frontend has already checked the arguments,
// allocated the outputs and made every tensor it passes one of the two layouts below.
#pragma once

#include <ATen/ATen.h>

#include "torchact/math.h"

namespace torchact {

// What an op call computes: the kernel (an index into the kernel list generated from the op list,
// generated/kernel_list.h: one math struct and family), the op's float arguments, and the op's
// name for error messages.
struct Spec {
  const char* op;
  int kernel;
  math::Params params;
};

// Unary kernels take dense tensors of equal size and equal strides (contiguous, channels_last,
// transposed, ...; no gaps): element-wise, they run over the memory as one flat row, whatever the
// shape (the frontend passes the tensors themselves: a view per tensor would cost more than the
// work at small sizes).
// Gated kernels take 2-D tensors [rows, row_len], stride(0) anything: a separate gate and up are
// one row each; a packed op's halves are rows of the same tensor. Their elements are contiguous
// (stride(1) == 1), except in a packed op with interleaved gate and up, where gate, up and their
// gradients have stride(1) == 2 (the output-shaped tensors stay contiguous).
struct Backend {
  void (*forward)(const Spec&, const at::Tensor& x, const at::Tensor& y);
  void (*backward)(const Spec&, const at::Tensor& grad, const at::Tensor& saved,
                   const at::Tensor& grad_input);
  void (*gated_forward)(const Spec&, const at::Tensor& gate, const at::Tensor& up,
                        const at::Tensor& out);
  void (*gated_backward)(const Spec&, const at::Tensor& grad, const at::Tensor& gate,
                         const at::Tensor& up, const at::Tensor& grad_gate,
                         const at::Tensor& grad_up);
  // Second derivatives: the gradients of the backward ops (see cpu/kernels.h for the formulas).
  void (*backward_backward)(const Spec&, const at::Tensor& grad_grad_input,
                            const at::Tensor& grad, const at::Tensor& saved,
                            const at::Tensor& grad_grad, const at::Tensor& grad_saved);
  void (*gated_backward_backward)(const Spec&, const at::Tensor& grad_grad_gate,
                                  const at::Tensor& grad_grad_up, const at::Tensor& grad,
                                  const at::Tensor& gate, const at::Tensor& up,
                                  const at::Tensor& grad_grad, const at::Tensor& grad_gate,
                                  const at::Tensor& grad_up);
};

const Backend& cpu_backend();
// nullptr when torchact was built without CUDA kernels (TORCHACT_CUDA=OFF or a CPU-only LibTorch).
const Backend* cuda_backend();

}  // namespace torchact
