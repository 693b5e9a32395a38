#include "frontend.h"

namespace torchact {
namespace frontend {
namespace {

// The backend for the tensors' device; nullptr for Meta, where the frontend's work is all there is.
const Backend* backend_for(const Spec& spec, const at::Tensor& t) {
  switch (t.device().type()) {
    case c10::DeviceType::CPU:
      return &cpu_backend();
    case c10::DeviceType::Meta:
      return nullptr;
    case c10::DeviceType::CUDA: {
      const Backend* cuda = cuda_backend();
      TORCH_CHECK(cuda != nullptr, spec.op,
                  ": got a CUDA tensor, but this torchact was built without CUDA kernels "
                  "(configure with -DTORCHACT_CUDA=ON against a CUDA-enabled LibTorch)");
      return cuda;
    }
    default:
      TORCH_CHECK(false, spec.op, ": tensors on ", t.device(), " are not supported (CPU, CUDA, meta)");
  }
}

void check_tensor(const Spec& spec, const char* name, const at::Tensor& t) {
  TORCH_CHECK(t.defined(), spec.op, ": ", name, " is an undefined tensor");
  TORCH_CHECK(t.layout() == c10::kStrided, spec.op, ": ", name,
              " must be a dense (strided) tensor, got layout ", t.layout());
  const auto dtype = t.scalar_type();
  TORCH_CHECK(dtype == at::kFloat || dtype == at::kDouble || dtype == at::kHalf ||
                  dtype == at::kBFloat16,
              spec.op, ": ", name,
              " must be a floating-point tensor (float32, float64, float16 or bfloat16), got ",
              dtype);
}

// Both tensors checked, and alike in shape, dtype and device.
void check_pair(const Spec& spec, const char* a_name, const at::Tensor& a, const char* b_name,
                const at::Tensor& b) {
  check_tensor(spec, a_name, a);
  check_tensor(spec, b_name, b);
  TORCH_CHECK(a.device() == b.device(), spec.op, ": ", a_name, " and ", b_name,
              " must be on the same device, got ", a_name, " on ", a.device(), " and ", b_name,
              " on ", b.device());
  TORCH_CHECK(a.scalar_type() == b.scalar_type(), spec.op, ": ", a_name, " and ", b_name,
              " must have the same dtype, got ", a.scalar_type(), " and ", b.scalar_type());
  TORCH_CHECK(a.sym_sizes() == b.sym_sizes(), spec.op, ": ", a_name, " and ", b_name,
              " must have the same shape, got ", a.sym_sizes(), " and ", b.sym_sizes());
}

// Sizes are SymInts throughout, so that the Meta kernels also serve symbolic shapes
// (torch.compile's dynamic shapes, fake tensors); on CPU and CUDA they are plain integers.
at::Tensor empty_like_sizes(const at::Tensor& t) { return at::empty_symint(t.sym_sizes(), t.options()); }

// A contiguous tensor as the one-row 2-D layout the gated kernels take.
at::Tensor as_one_row(const at::Tensor& t) {
  return t.contiguous().view_symint({c10::SymInt(1), t.sym_numel()});
}

// A packed op's x: gate and up along dim, as halves [gate | up] or interleaved [g0, u0, g1, ...].
// With x (contiguous) as [outer, size, inner] and half = size / 2, the gated kernels get gate, up
// and the output-shaped tensors as 2-D [rows, row_len] views:
//   halves:                x as [outer, 2, half * inner]; rows: outer, row_len: half * inner
//   interleaved, inner > 1: x as [outer * half, 2, inner]; rows: outer * half, row_len: inner
//   interleaved, inner = 1: x as [1, outer * half, 2]; one row whose elements are 2 apart
struct PackedLayout {
  int64_t dim;
  bool interleaved;
  c10::SymInt outer, half, inner;
  std::vector<c10::SymInt> out_sizes;

  bool pairs() const { return interleaved && inner == 1; }
  c10::SymInt rows() const { return interleaved ? (pairs() ? c10::SymInt(1) : outer * half) : outer; }
  c10::SymInt row_len() const { return interleaved ? (pairs() ? outer * half : inner) : half * inner; }
  // Gate (part 0) or up (part 1) of t, a contiguous tensor of x's shape.
  at::Tensor part(const at::Tensor& t, int64_t k) const {
    if (pairs()) return t.view_symint({c10::SymInt(1), outer * half, c10::SymInt(2)}).select(2, k);
    return t.view_symint({rows(), c10::SymInt(2), row_len()}).select(1, k);
  }
  // t, a contiguous tensor of the output's shape.
  at::Tensor rows_of(const at::Tensor& t) const { return t.view_symint({rows(), row_len()}); }
};

PackedLayout packed_layout(const Spec& spec, const at::Tensor& x, int64_t dim, bool interleaved) {
  const int64_t ndim = x.dim();
  TORCH_CHECK(ndim > 0, spec.op, ": x must have at least one dimension to split in two, got a 0-dim tensor");
  TORCH_CHECK(dim >= -ndim && dim < ndim, spec.op, ": dim ", dim, " is out of range for a tensor of ",
              ndim, " dimension(s) (expected in [", -ndim, ", ", ndim - 1, "])");
  const int64_t d = dim < 0 ? dim + ndim : dim;
  const c10::SymInt size = x.sym_size(d);
  TORCH_CHECK(size % 2 == 0, spec.op, ": x.size(", dim, ") must be even to split into gate and up, got ",
              size, " (shape ", x.sym_sizes(), ")");
  PackedLayout layout{d, interleaved, 1, size / 2, 1, x.sym_sizes().vec()};
  for (int64_t i = 0; i < d; ++i) layout.outer = layout.outer * x.sym_size(i);
  for (int64_t i = d + 1; i < ndim; ++i) layout.inner = layout.inner * x.sym_size(i);
  layout.out_sizes[d] = size / 2;
  return layout;
}

// grad_output of a packed op: like x, with the output's shape.
void check_packed_grad(const Spec& spec, const at::Tensor& grad, const at::Tensor& x,
                       const PackedLayout& layout) {
  check_tensor(spec, "grad_output", grad);
  TORCH_CHECK(grad.device() == x.device() && grad.scalar_type() == x.scalar_type(), spec.op,
              ": grad_output and x must have the same device and dtype, got ", grad.device(), " ",
              grad.scalar_type(), " and ", x.device(), " ", x.scalar_type());
  TORCH_CHECK(grad.sym_sizes() == c10::SymIntArrayRef(layout.out_sizes), spec.op,
              ": grad_output must have the output's shape ", c10::SymIntArrayRef(layout.out_sizes),
              ", got ", grad.sym_sizes());
}

}  // namespace

at::Tensor forward(const Spec& spec, const at::Tensor& x) {
  check_tensor(spec, "input", x);
  at::Tensor y = empty_like_sizes(x);
  const Backend* backend = backend_for(spec, x);
  if (backend != nullptr && x.numel() > 0) backend->forward(spec, x.contiguous(), y);
  return y;
}

at::Tensor backward(const Spec& spec, const at::Tensor& grad, const at::Tensor& saved) {
  check_pair(spec, "grad_output", grad, "saved tensor", saved);
  at::Tensor grad_input = empty_like_sizes(saved);
  const Backend* backend = backend_for(spec, saved);
  if (backend != nullptr && saved.numel() > 0) {
    backend->backward(spec, grad.contiguous(), saved.contiguous(), grad_input);
  }
  return grad_input;
}

at::Tensor gated_forward(const Spec& spec, const at::Tensor& gate, const at::Tensor& up) {
  check_pair(spec, "gate", gate, "up", up);
  at::Tensor out = empty_like_sizes(gate);
  const Backend* backend = backend_for(spec, gate);
  if (backend != nullptr && gate.numel() > 0) {
    backend->gated_forward(spec, as_one_row(gate), as_one_row(up), as_one_row(out));
  }
  return out;
}

std::tuple<at::Tensor, at::Tensor> gated_backward(const Spec& spec, const at::Tensor& grad,
                                                  const at::Tensor& gate, const at::Tensor& up) {
  check_pair(spec, "gate", gate, "up", up);
  check_pair(spec, "grad_output", grad, "gate", gate);
  at::Tensor grad_gate = empty_like_sizes(gate);
  at::Tensor grad_up = empty_like_sizes(up);
  const Backend* backend = backend_for(spec, gate);
  if (backend != nullptr && gate.numel() > 0) {
    backend->gated_backward(spec, as_one_row(grad), as_one_row(gate), as_one_row(up),
                            as_one_row(grad_gate), as_one_row(grad_up));
  }
  return std::make_tuple(grad_gate, grad_up);
}

at::Tensor packed_forward(const Spec& spec, const at::Tensor& x, int64_t dim, bool interleaved) {
  check_tensor(spec, "x", x);
  const PackedLayout layout = packed_layout(spec, x, dim, interleaved);
  at::Tensor out = at::empty_symint(layout.out_sizes, x.options());
  const Backend* backend = backend_for(spec, x);
  if (backend != nullptr && out.numel() > 0) {
    const at::Tensor xc = x.contiguous();
    backend->gated_forward(spec, layout.part(xc, 0), layout.part(xc, 1), layout.rows_of(out));
  }
  return out;
}

at::Tensor packed_backward(const Spec& spec, const at::Tensor& grad, const at::Tensor& x,
                           int64_t dim, bool interleaved) {
  check_tensor(spec, "x", x);
  const PackedLayout layout = packed_layout(spec, x, dim, interleaved);
  check_packed_grad(spec, grad, x, layout);
  at::Tensor grad_x = empty_like_sizes(x);
  const Backend* backend = backend_for(spec, x);
  if (backend != nullptr && grad.numel() > 0) {
    const at::Tensor xc = x.contiguous();
    backend->gated_backward(spec, layout.rows_of(grad.contiguous()), layout.part(xc, 0),
                            layout.part(xc, 1), layout.part(grad_x, 0), layout.part(grad_x, 1));
  }
  return grad_x;
}

std::tuple<at::Tensor, at::Tensor> backward_backward(const Spec& spec,
                                                     const at::Tensor& grad_grad_input,
                                                     const at::Tensor& grad,
                                                     const at::Tensor& saved) {
  check_pair(spec, "grad_output", grad, "saved tensor", saved);
  check_pair(spec, "grad_grad_input", grad_grad_input, "saved tensor", saved);
  at::Tensor grad_grad = empty_like_sizes(saved);
  at::Tensor grad_saved = empty_like_sizes(saved);
  const Backend* backend = backend_for(spec, saved);
  if (backend != nullptr && saved.numel() > 0) {
    backend->backward_backward(spec, grad_grad_input.contiguous(), grad.contiguous(),
                               saved.contiguous(), grad_grad, grad_saved);
  }
  return std::make_tuple(grad_grad, grad_saved);
}

std::tuple<at::Tensor, at::Tensor, at::Tensor> gated_backward_backward(
    const Spec& spec, const at::Tensor& grad_grad_gate, const at::Tensor& grad_grad_up,
    const at::Tensor& grad, const at::Tensor& gate, const at::Tensor& up) {
  check_pair(spec, "gate", gate, "up", up);
  check_pair(spec, "grad_output", grad, "gate", gate);
  check_pair(spec, "grad_grad_gate", grad_grad_gate, "gate", gate);
  check_pair(spec, "grad_grad_up", grad_grad_up, "gate", gate);
  at::Tensor grad_grad = empty_like_sizes(gate);
  at::Tensor grad_gate = empty_like_sizes(gate);
  at::Tensor grad_up = empty_like_sizes(gate);
  const Backend* backend = backend_for(spec, gate);
  if (backend != nullptr && gate.numel() > 0) {
    backend->gated_backward_backward(spec, as_one_row(grad_grad_gate), as_one_row(grad_grad_up),
                                     as_one_row(grad), as_one_row(gate), as_one_row(up),
                                     as_one_row(grad_grad), as_one_row(grad_gate),
                                     as_one_row(grad_up));
  }
  return std::make_tuple(grad_grad, grad_gate, grad_up);
}

std::tuple<at::Tensor, at::Tensor> packed_backward_backward(const Spec& spec,
                                                            const at::Tensor& grad_grad_x,
                                                            const at::Tensor& grad,
                                                            const at::Tensor& x, int64_t dim,
                                                            bool interleaved) {
  check_pair(spec, "grad_grad_x", grad_grad_x, "x", x);
  const PackedLayout layout = packed_layout(spec, x, dim, interleaved);
  check_packed_grad(spec, grad, x, layout);
  at::Tensor grad_grad = at::empty_symint(layout.out_sizes, x.options());
  at::Tensor grad_x = empty_like_sizes(x);
  const Backend* backend = backend_for(spec, x);
  if (backend != nullptr && grad.numel() > 0) {
    const at::Tensor xc = x.contiguous();
    const at::Tensor ggc = grad_grad_x.contiguous();
    backend->gated_backward_backward(spec, layout.part(ggc, 0), layout.part(ggc, 1),
                                     layout.rows_of(grad.contiguous()), layout.part(xc, 0),
                                     layout.part(xc, 1), layout.rows_of(grad_grad),
                                     layout.part(grad_x, 0), layout.part(grad_x, 1));
  }
  return std::make_tuple(grad_grad, grad_x);
}

}  // namespace frontend
}  // namespace torchact
