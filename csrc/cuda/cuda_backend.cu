// The CUDA backend: picks the table of the tensors' dtype (kernels_<dtype>.cu) and launches the
// spec's kernel on the tensors' device and current stream.
#include <c10/cuda/CUDAGuard.h>

#include <array>

#include "../backend.h"
#include "kernels.h"

namespace torchact {
namespace cuda {
namespace {

// Launches kind `kind` of the spec's kernel: kInputs inputs, then the outputs, as [rows, row_len].
template <size_t K>
void run(const Spec& spec, elementwise::Kind kind, int kInputs,
         const std::array<const at::Tensor*, K>& tensors, int64_t rows, int64_t row_len) {
  const at::Tensor& first = *tensors[0];
  const c10::cuda::CUDAGuard guard(first.device());
  const Launch (*table)[elementwise::kKinds] = nullptr;
  switch (first.scalar_type()) {
    case at::kFloat: table = kernels_float32(); break;
    case at::kDouble: table = kernels_float64(); break;
    case at::kHalf: table = kernels_float16(); break;
    case at::kBFloat16: table = kernels_bfloat16(); break;
    default: TORCH_CHECK(false, spec.op, ": unsupported dtype ", first.scalar_type());  // checked before
  }
  const Launch launch = table[spec.kernel][kind];
  TORCH_CHECK(launch != nullptr, spec.op, ": no such kernel (kind ", static_cast<int>(kind), ")");
  launch(spec.params, tensors.data(), tensors.data() + kInputs, rows, row_len);
}

// A unary call's dense tensor (any shape, backend.h) as [1, numel] over its memory: the launch's
// one row (a view costs little beside a kernel launch).
at::Tensor flat(const at::Tensor& t) { return t.as_strided({1, t.numel()}, {t.numel(), 1}); }

void forward(const Spec& spec, const at::Tensor& x, const at::Tensor& y) {
  const at::Tensor xf = flat(x), yf = flat(y);
  run<2>(spec, elementwise::kForward, 1, {&xf, &yf}, 1, x.numel());
}

void backward(const Spec& spec, const at::Tensor& grad, const at::Tensor& saved,
              const at::Tensor& grad_input) {
  const at::Tensor g = flat(grad), s = flat(saved), gi = flat(grad_input);
  run<3>(spec, elementwise::kBackward, 2, {&g, &s, &gi}, 1, saved.numel());
}

void gated_forward(const Spec& spec, const at::Tensor& gate, const at::Tensor& up,
                   const at::Tensor& out) {
  run<3>(spec, elementwise::kGatedForward, 2, {&gate, &up, &out}, gate.size(0), gate.size(1));
}

// One pass: reads grad, gate and up, writes both gradients, recomputing the activation.
void gated_backward(const Spec& spec, const at::Tensor& grad, const at::Tensor& gate,
                    const at::Tensor& up, const at::Tensor& grad_gate, const at::Tensor& grad_up) {
  run<5>(spec, elementwise::kGatedBackward, 3, {&grad, &gate, &up, &grad_gate, &grad_up},
         gate.size(0), gate.size(1));
}

void backward_backward(const Spec& spec, const at::Tensor& gg, const at::Tensor& grad,
                       const at::Tensor& saved, const at::Tensor& grad_grad,
                       const at::Tensor& grad_saved) {
  const at::Tensor ggf = flat(gg), g = flat(grad), s = flat(saved), gradf = flat(grad_grad),
                   gs = flat(grad_saved);
  run<5>(spec, elementwise::kBackwardBackward, 3, {&ggf, &g, &s, &gradf, &gs}, 1, saved.numel());
}

void gated_backward_backward(const Spec& spec, const at::Tensor& gg_gate, const at::Tensor& gg_up,
                             const at::Tensor& grad, const at::Tensor& gate, const at::Tensor& up,
                             const at::Tensor& grad_grad, const at::Tensor& grad_gate,
                             const at::Tensor& grad_up) {
  run<8>(spec, elementwise::kGatedBackwardBackward, 5,
         {&gg_gate, &gg_up, &grad, &gate, &up, &grad_grad, &grad_gate, &grad_up}, gate.size(0),
         gate.size(1));
}

}  // namespace
}  // namespace cuda

const Backend* cuda_backend() {
  static const Backend backend{cuda::forward,           cuda::backward,
                               cuda::gated_forward,     cuda::gated_backward,
                               cuda::backward_backward, cuda::gated_backward_backward};
  return &backend;
}

}  // namespace torchact
