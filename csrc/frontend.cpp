#include "frontend.h"

#include <ATen/MemoryOverlap.h>

#include <algorithm>

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

// ---- Layouts ----------------------------------------------------------------------------------
// The kernels run over memory: an element-wise op's tensors share one layout and the backend sees
// them as one flat row (unary ops: the tensors themselves, see backend.h). That layout is the leading input's (x, the saved tensor, gate) when it is
// dense (no gaps, no overlaps: contiguous, channels_last, permuted, transposed): the outputs get its
// strides (empty_like), as ATen's element-wise ops do, and an input with other strides is copied
// into them. A leading input with gaps or overlaps (a slice with steps, an expanded view) is copied
// contiguous first. Gated ops also take gate and up as rows of a larger tensor without copying
// them (torch.chunk(x, 2, -1)'s halves), with contiguous outputs.

// t itself if dense, else a contiguous copy.
at::Tensor dense(const at::Tensor& t) {
  return t.is_non_overlapping_and_dense() ? t : t.contiguous();
}

// t in the layout of `like` (dense): itself when it has like's strides and is dense, else a copy.
at::Tensor in_layout_of(const at::Tensor& t, const at::Tensor& like) {
  if (t.sym_strides() == like.sym_strides() && t.is_non_overlapping_and_dense()) return t;
  return at::empty_like(like).copy_(t);
}

// A dense tensor as [1, numel] over its memory (only for real tensors: a gated op's one row).
at::Tensor flat_row(const at::Tensor& t) { return t.as_strided({1, t.numel()}, {t.numel(), 1}); }

// The innermost dim before the last whose size is not 1, or -1: size-1 dims have arbitrary strides
// and take no part in the layout.
int64_t innermost_outer_dim(const at::Tensor& t) {
  for (int64_t i = t.dim() - 2; i >= 0; --i) {
    if (t.sym_size(i) != 1) return i;
  }
  return -1;
}

// Whether t is rows with contiguous elements (its last dim) whose other dims collapse into one
// stride, as torch.chunk(x, 2, -1)'s halves are; SymInt-aware, so the Meta kernels decide alike.
bool is_rows(const at::Tensor& t) {
  const int64_t d = t.dim();
  if (d < 2 || (t.sym_stride(d - 1) != 1 && t.sym_size(d - 1) != 1)) return false;
  int64_t inner = innermost_outer_dim(t);
  for (int64_t i = inner - 1; i >= 0; --i) {
    if (t.sym_size(i) == 1) continue;
    if (t.sym_stride(i) != t.sym_stride(inner) * t.sym_size(inner)) return false;
    inner = i;
  }
  return true;
}
// Such a t (real, not meta) as [rows, row_len].
at::Tensor as_rows(const at::Tensor& t) {
  const int64_t row_len = t.size(-1), outer = innermost_outer_dim(t);
  const int64_t row_stride = outer < 0 ? row_len : t.stride(outer);
  return t.as_strided({t.numel() / std::max<int64_t>(row_len, 1), row_len}, {row_stride, 1});
}

// The gated ops' layout: dense in gate's layout (the element-wise rule above), or, when gate is
// not dense but gate and up are rows of larger tensors, those rows as they are, with contiguous
// outputs. Every other tensor of the call (grad_output, ...) has gate's shape.
struct GatedLayout {
  bool rows;
  at::Tensor like;  // dense mode: what the outputs are allocated like
  at::Tensor empty(const at::Tensor& gate) const {
    return rows ? empty_like_sizes(gate) : at::empty_like(like);
  }
  at::Tensor input(const at::Tensor& t) const {  // t ready for view()
    if (rows) return is_rows(t) ? t : t.contiguous();
    return in_layout_of(t, like);
  }
  at::Tensor view(const at::Tensor& t) const { return rows ? as_rows(t) : flat_row(t); }
};
GatedLayout gated_layout(const at::Tensor& gate, const at::Tensor& up) {
  if (!gate.is_non_overlapping_and_dense() && is_rows(gate) && is_rows(up)) return {true, {}};
  return {false, dense(gate)};
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
  const at::Tensor xd = dense(x);
  at::Tensor y = at::empty_like(xd);
  const Backend* backend = backend_for(spec, x);
  if (backend != nullptr && x.numel() > 0) backend->forward(spec, xd, y);
  return y;
}

at::Tensor& forward_(const Spec& spec, at::Tensor& self) {
  check_tensor(spec, "self", self);
  TORCH_CHECK(at::has_internal_overlap(self) != at::MemOverlap::Yes, spec.op,
              ": self has elements that share memory (e.g. an expanded tensor); an in-place op "
              "cannot write it: call .clone() first");
  const Backend* backend = backend_for(spec, self);
  if (backend == nullptr || self.numel() == 0) return self;
  if (self.is_non_overlapping_and_dense()) {
    backend->forward(spec, self, self);  // element-wise: y[i] over x[i]
  } else {
    self.copy_(forward(spec, self));  // gaps between the elements: through a dense copy
  }
  return self;
}

at::Tensor backward(const Spec& spec, const at::Tensor& grad, const at::Tensor& saved) {
  check_pair(spec, "grad_output", grad, "saved tensor", saved);
  const at::Tensor sd = dense(saved);
  at::Tensor grad_input = at::empty_like(sd);
  const Backend* backend = backend_for(spec, saved);
  if (backend != nullptr && saved.numel() > 0) {
    backend->backward(spec, in_layout_of(grad, sd), sd, grad_input);
  }
  return grad_input;
}

at::Tensor gated_forward(const Spec& spec, const at::Tensor& gate, const at::Tensor& up) {
  check_pair(spec, "gate", gate, "up", up);
  const GatedLayout layout = gated_layout(gate, up);
  at::Tensor out = layout.empty(gate);
  const Backend* backend = backend_for(spec, gate);
  if (backend != nullptr && gate.numel() > 0) {
    backend->gated_forward(spec, layout.view(layout.input(gate)), layout.view(layout.input(up)),
                           layout.view(out));
  }
  return out;
}

std::tuple<at::Tensor, at::Tensor> gated_backward(const Spec& spec, const at::Tensor& grad,
                                                  const at::Tensor& gate, const at::Tensor& up) {
  check_pair(spec, "gate", gate, "up", up);
  check_pair(spec, "grad_output", grad, "gate", gate);
  const GatedLayout layout = gated_layout(gate, up);
  at::Tensor grad_gate = layout.empty(gate);
  at::Tensor grad_up = layout.empty(gate);
  const Backend* backend = backend_for(spec, gate);
  if (backend != nullptr && gate.numel() > 0) {
    backend->gated_backward(spec, layout.view(layout.input(grad)), layout.view(layout.input(gate)),
                            layout.view(layout.input(up)), layout.view(grad_gate),
                            layout.view(grad_up));
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
  const at::Tensor sd = dense(saved);
  at::Tensor grad_grad = at::empty_like(sd);
  at::Tensor grad_saved = at::empty_like(sd);
  const Backend* backend = backend_for(spec, saved);
  if (backend != nullptr && saved.numel() > 0) {
    backend->backward_backward(spec, in_layout_of(grad_grad_input, sd), in_layout_of(grad, sd), sd,
                               grad_grad, grad_saved);
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
  const GatedLayout layout = gated_layout(gate, up);
  at::Tensor grad_grad = layout.empty(gate);
  at::Tensor grad_gate = layout.empty(gate);
  at::Tensor grad_up = layout.empty(gate);
  const Backend* backend = backend_for(spec, gate);
  if (backend != nullptr && gate.numel() > 0) {
    const auto in = [&](const at::Tensor& t) { return layout.view(layout.input(t)); };
    backend->gated_backward_backward(spec, in(grad_grad_gate), in(grad_grad_up), in(grad),
                                     in(gate), in(up), layout.view(grad_grad),
                                     layout.view(grad_gate), layout.view(grad_up));
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
