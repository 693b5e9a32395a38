// The test table: every torchact op beside the built-in composition it must equal. Shared by the
// table-driven tests; adding an op adds one row here.
#pragma once

#include <torch/torch.h>
#include <torch/version.h>

#include <cstdint>
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

#include "torchact/ops.h"

namespace torchact_test {

using at::Tensor;
using Inputs = std::vector<Tensor>;
using OpFunction = std::function<Tensor(const Inputs&)>;

enum class Arity { Unary, Gated, Packed };  // packed: one input holding [gate | up] on the last dim

struct OpCase {
  std::string name;  // a valid GoogleTest name
  std::string op;    // the torchact op it calls, as named in error messages
  Arity arity;
  OpFunction ours;
  OpFunction reference;     // built from ATen ops
  bool composed;            // reference is several ATen ops (rounds between them in half types)
  bool kink_at_zero;        // relu, leaky_relu: no finite differences across 0
  // For ops whose backward uses their output (sigmoid, tanh, relu): ATen's backward op, given
  // (grad, output). In half types the output is rounded before the backward sees it.
  std::function<Tensor(const Tensor&, const Tensor&)> output_backward = nullptr;
};

inline Tensor silu_ref(const Tensor& x) { return torch::silu(x); }
inline Tensor gelu_ref(const Tensor& x, const std::string& a) {
  return torch::gelu(x, a);
}
// GPT-OSS's clamped SwiGLU and the step variant, as the issue defines them.
inline Tensor swiglu_oai_ref(const Tensor& gate, const Tensor& up, double alpha, double limit) {
  const Tensor g = gate.clamp_max(limit);
  return g * torch::sigmoid(alpha * g) * (up.clamp(-limit, limit) + 1);
}
inline Tensor swiglu_step_ref(const Tensor& gate, const Tensor& up, double limit) {
  return torch::silu(gate).clamp_max(limit) * up.clamp(-limit, limit);
}
// The even and odd elements of the last dimension: interleaved gate and up.
inline Tensor even(const Tensor& x) { return x.slice(-1, 0, INT64_MAX, 2); }
inline Tensor odd(const Tensor& x) { return x.slice(-1, 1, INT64_MAX, 2); }

inline const std::vector<OpCase>& op_table() {
  static const std::vector<OpCase> table = {
      {"sigmoid", "torchact::sigmoid", Arity::Unary, [](const Inputs& in) { return torchact::sigmoid(in[0]); },
       [](const Inputs& in) { return torch::sigmoid(in[0]); }, false, false,
       [](const Tensor& g, const Tensor& y) { return at::sigmoid_backward(g, y); }},
      {"tanh", "torchact::tanh", Arity::Unary, [](const Inputs& in) { return torchact::tanh(in[0]); },
       [](const Inputs& in) { return torch::tanh(in[0]); }, false, false,
       [](const Tensor& g, const Tensor& y) { return at::tanh_backward(g, y); }},
      {"relu", "torchact::relu", Arity::Unary, [](const Inputs& in) { return torchact::relu(in[0]); },
       [](const Inputs& in) { return torch::relu(in[0]); }, false, true,
       [](const Tensor& g, const Tensor& y) { return at::threshold_backward(g, y, 0); }},
      {"leaky_relu", "torchact::leaky_relu", Arity::Unary, [](const Inputs& in) { return torchact::leaky_relu(in[0]); },
       [](const Inputs& in) { return torch::leaky_relu(in[0], 0.01); }, false, true},
      {"leaky_relu_slope0p2", "torchact::leaky_relu", Arity::Unary,
       [](const Inputs& in) { return torchact::leaky_relu(in[0], 0.2); },
       [](const Inputs& in) { return torch::leaky_relu(in[0], 0.2); }, false, true},
      {"gelu", "torchact::gelu", Arity::Unary, [](const Inputs& in) { return torchact::gelu(in[0]); },
       [](const Inputs& in) { return gelu_ref(in[0], "none"); }, false, false},
      {"gelu_tanh", "torchact::gelu", Arity::Unary, [](const Inputs& in) { return torchact::gelu(in[0], "tanh"); },
       [](const Inputs& in) { return gelu_ref(in[0], "tanh"); }, false, false},
      {"silu", "torchact::silu", Arity::Unary, [](const Inputs& in) { return torchact::silu(in[0]); },
       [](const Inputs& in) { return silu_ref(in[0]); }, false, false},
      {"swish", "torchact::swish", Arity::Unary, [](const Inputs& in) { return torchact::swish(in[0]); },
       [](const Inputs& in) { return in[0] * torch::sigmoid(in[0]); }, true, false},
      {"swish_beta1p7", "torchact::swish", Arity::Unary, [](const Inputs& in) { return torchact::swish(in[0], 1.7); },
       [](const Inputs& in) { return in[0] * torch::sigmoid(1.7 * in[0]); }, true, false},
      {"mish", "torchact::mish", Arity::Unary, [](const Inputs& in) { return torchact::mish(in[0]); },
       [](const Inputs& in) { return torch::mish(in[0]); }, false, false},
      {"elu", "torchact::elu", Arity::Unary, [](const Inputs& in) { return torchact::elu(in[0]); },
       [](const Inputs& in) { return torch::elu(in[0]); }, false, true},
      {"elu_scaled", "torchact::elu", Arity::Unary,
       [](const Inputs& in) { return torchact::elu(in[0], 0.5, 2.0, 1.5); },
       [](const Inputs& in) { return torch::elu(in[0], 0.5, 2.0, 1.5); }, false, true},
      {"selu", "torchact::selu", Arity::Unary, [](const Inputs& in) { return torchact::selu(in[0]); },
       [](const Inputs& in) { return torch::selu(in[0]); }, false, true},
      {"celu", "torchact::celu", Arity::Unary, [](const Inputs& in) { return torchact::celu(in[0], 0.7); },
       [](const Inputs& in) { return torch::celu(in[0], 0.7); }, false, true},
      {"softplus", "torchact::softplus", Arity::Unary,
       [](const Inputs& in) { return torchact::softplus(in[0]); },
       [](const Inputs& in) { return torch::softplus(in[0], 1.0, 20.0); }, false, false},
      {"softplus_beta2_threshold5", "torchact::softplus", Arity::Unary,
       [](const Inputs& in) { return torchact::softplus(in[0], 2.0, 5.0); },
       [](const Inputs& in) { return torch::softplus(in[0], 2.0, 5.0); }, false, false},
      {"softplus_negative_beta", "torchact::softplus", Arity::Unary,
       [](const Inputs& in) { return torchact::softplus(in[0], -1.5, 20.0); },
       [](const Inputs& in) { return torch::softplus(in[0], -1.5, 20.0); }, false, false},
      {"hardsigmoid", "torchact::hardsigmoid", Arity::Unary,
       [](const Inputs& in) { return torchact::hardsigmoid(in[0]); },
       [](const Inputs& in) { return torch::hardsigmoid(in[0]); }, false, true},
      {"hardswish", "torchact::hardswish", Arity::Unary,
       [](const Inputs& in) { return torchact::hardswish(in[0]); },
       [](const Inputs& in) { return torch::hardswish(in[0]); }, false, true},
      {"relu6", "torchact::relu6", Arity::Unary, [](const Inputs& in) { return torchact::relu6(in[0]); },
       [](const Inputs& in) { return torch::hardtanh(in[0], 0.0, 6.0); }, false, true},
      {"hardtanh", "torchact::hardtanh", Arity::Unary,
       [](const Inputs& in) { return torchact::hardtanh(in[0]); },
       [](const Inputs& in) { return torch::hardtanh(in[0], -1.0, 1.0); }, false, true},
      {"hardtanh_m0p5_2", "torchact::hardtanh", Arity::Unary,
       [](const Inputs& in) { return torchact::hardtanh(in[0], -0.5, 2.0); },
       [](const Inputs& in) { return torch::hardtanh(in[0], -0.5, 2.0); }, false, true},
      {"quick_gelu", "torchact::quick_gelu", Arity::Unary,
       [](const Inputs& in) { return torchact::quick_gelu(in[0]); },
       [](const Inputs& in) { return in[0] * torch::sigmoid(1.702 * in[0]); }, true, false},
      {"relu_squared", "torchact::relu_squared", Arity::Unary,
       [](const Inputs& in) { return torchact::relu_squared(in[0]); },
       [](const Inputs& in) { return torch::relu(in[0]).pow(2); }, true, true},
      {"swiglu", "torchact::swiglu", Arity::Gated, [](const Inputs& in) { return torchact::swiglu(in[0], in[1]); },
       [](const Inputs& in) { return silu_ref(in[0]) * in[1]; }, true, false},
      {"geglu", "torchact::geglu", Arity::Gated, [](const Inputs& in) { return torchact::geglu(in[0], in[1]); },
       [](const Inputs& in) { return gelu_ref(in[0], "none") * in[1]; }, true, false},
      {"geglu_tanh", "torchact::geglu", Arity::Gated,
       [](const Inputs& in) { return torchact::geglu(in[0], in[1], "tanh"); },
       [](const Inputs& in) { return gelu_ref(in[0], "tanh") * in[1]; }, true, false},
      {"swiglu_packed", "torchact::swiglu_packed", Arity::Packed,
       [](const Inputs& in) { return torchact::swiglu_packed(in[0]); },
       [](const Inputs& in) {
         const auto halves = in[0].chunk(2, -1);
         return silu_ref(halves[0]) * halves[1];
       },
       true, false},
      {"geglu_packed", "torchact::geglu_packed", Arity::Packed,
       [](const Inputs& in) { return torchact::geglu_packed(in[0]); },
       [](const Inputs& in) {
         const auto halves = in[0].chunk(2, -1);
         return gelu_ref(halves[0], "none") * halves[1];
       },
       true, false},
      {"geglu_packed_tanh", "torchact::geglu_packed", Arity::Packed,
       [](const Inputs& in) { return torchact::geglu_packed(in[0], -1, /*interleaved=*/false, "tanh"); },
       [](const Inputs& in) {
         const auto halves = in[0].chunk(2, -1);
         return gelu_ref(halves[0], "tanh") * halves[1];
       },
       true, false},
      {"reglu", "torchact::reglu", Arity::Gated, [](const Inputs& in) { return torchact::reglu(in[0], in[1]); },
       [](const Inputs& in) { return torch::relu(in[0]) * in[1]; }, true, true},
      {"swiglu_oai", "torchact::swiglu_oai", Arity::Gated,
       [](const Inputs& in) { return torchact::swiglu_oai(in[0], in[1]); },
       [](const Inputs& in) { return swiglu_oai_ref(in[0], in[1], 1.702, 7.0); }, true, false},
      {"swiglu_oai_limit1p5", "torchact::swiglu_oai", Arity::Gated,
       [](const Inputs& in) { return torchact::swiglu_oai(in[0], in[1], 1.0, 1.5); },
       [](const Inputs& in) { return swiglu_oai_ref(in[0], in[1], 1.0, 1.5); }, true, false},
      {"swiglu_step", "torchact::swiglu_step", Arity::Gated,
       [](const Inputs& in) { return torchact::swiglu_step(in[0], in[1], 1.5); },
       [](const Inputs& in) { return swiglu_step_ref(in[0], in[1], 1.5); }, true, false},
      {"swiglu_packed_interleaved", "torchact::swiglu_packed", Arity::Packed,
       [](const Inputs& in) { return torchact::swiglu_packed(in[0], -1, /*interleaved=*/true); },
       [](const Inputs& in) { return silu_ref(even(in[0])) * odd(in[0]); }, true, false},
      {"geglu_packed_interleaved", "torchact::geglu_packed", Arity::Packed,
       [](const Inputs& in) { return torchact::geglu_packed(in[0], -1, true, "tanh"); },
       [](const Inputs& in) { return gelu_ref(even(in[0]), "tanh") * odd(in[0]); }, true, false},
      {"reglu_packed", "torchact::reglu_packed", Arity::Packed,
       [](const Inputs& in) { return torchact::reglu_packed(in[0]); },
       [](const Inputs& in) {
         const auto halves = in[0].chunk(2, -1);
         return torch::relu(halves[0]) * halves[1];
       },
       true, true},
      {"swiglu_oai_packed_interleaved", "torchact::swiglu_oai_packed", Arity::Packed,
       [](const Inputs& in) { return torchact::swiglu_oai_packed(in[0], -1, true, 1.702, 1.5); },
       [](const Inputs& in) { return swiglu_oai_ref(even(in[0]), odd(in[0]), 1.702, 1.5); }, true,
       false},
      {"swiglu_oai_packed", "torchact::swiglu_oai_packed", Arity::Packed,
       [](const Inputs& in) { return torchact::swiglu_oai_packed(in[0]); },
       [](const Inputs& in) {
         const auto halves = in[0].chunk(2, -1);
         return swiglu_oai_ref(halves[0], halves[1], 1.702, 7.0);
       },
       true, false},
      {"swiglu_step_packed_interleaved", "torchact::swiglu_step_packed", Arity::Packed,
       [](const Inputs& in) { return torchact::swiglu_step_packed(in[0], -1, true, 1.5); },
       [](const Inputs& in) { return swiglu_step_ref(even(in[0]), odd(in[0]), 1.5); }, true, false},
  };
  return table;
}

// The in-place variants (relu_, ...): each beside the row of op_table() whose out-of-place call it
// must equal (same parameters), bit for bit, with the same gradients.
struct InplaceCase {
  std::string row;  // the row of op_table()
  std::string op;   // the in-place op it calls, as named in error messages
  std::function<Tensor&(Tensor&)> call;
};

inline const std::vector<InplaceCase>& inplace_table() {
  static const std::vector<InplaceCase> table = {
      {"sigmoid", "torchact::sigmoid_", [](Tensor& x) -> Tensor& { return torchact::sigmoid_(x); }},
      {"tanh", "torchact::tanh_", [](Tensor& x) -> Tensor& { return torchact::tanh_(x); }},
      {"relu", "torchact::relu_", [](Tensor& x) -> Tensor& { return torchact::relu_(x); }},
      {"leaky_relu_slope0p2", "torchact::leaky_relu_", [](Tensor& x) -> Tensor& { return torchact::leaky_relu_(x, 0.2); }},
      {"gelu_tanh", "torchact::gelu_", [](Tensor& x) -> Tensor& { return torchact::gelu_(x, "tanh"); }},
      {"silu", "torchact::silu_", [](Tensor& x) -> Tensor& { return torchact::silu_(x); }},
      {"mish", "torchact::mish_", [](Tensor& x) -> Tensor& { return torchact::mish_(x); }},
      {"elu_scaled", "torchact::elu_", [](Tensor& x) -> Tensor& { return torchact::elu_(x, 0.5, 2.0, 1.5); }},
      {"selu", "torchact::selu_", [](Tensor& x) -> Tensor& { return torchact::selu_(x); }},
      {"celu", "torchact::celu_", [](Tensor& x) -> Tensor& { return torchact::celu_(x, 0.7); }},
      {"hardsigmoid", "torchact::hardsigmoid_", [](Tensor& x) -> Tensor& { return torchact::hardsigmoid_(x); }},
      {"hardswish", "torchact::hardswish_", [](Tensor& x) -> Tensor& { return torchact::hardswish_(x); }},
      {"relu6", "torchact::relu6_", [](Tensor& x) -> Tensor& { return torchact::relu6_(x); }},
      {"hardtanh_m0p5_2", "torchact::hardtanh_", [](Tensor& x) -> Tensor& { return torchact::hardtanh_(x, -0.5, 2.0); }},
  };
  return table;
}

// The table's row of that name.
inline const OpCase& op_case(const std::string& name) {
  for (const auto& row : op_table()) {
    if (row.name == name) return row;
  }
  throw std::out_of_range("no row " + name + " in tests/op_table.h");
}

// Builds an input of a given layout from a leaf `base` (which receives the gradient).
struct ShapeCase {
  std::string name;
  std::vector<int64_t> base_sizes;         // unary and gated inputs
  std::vector<int64_t> packed_base_sizes;  // swiglu_packed's input (even last dim); empty: n/a
  std::function<Tensor(const Tensor&)> view;
};

inline const std::vector<ShapeCase>& shape_table() {
  static const auto identity = [](const Tensor& t) { return t; };
  static const std::vector<ShapeCase> table = {
      {"scalar", {}, {}, identity},
      {"empty", {0, 3}, {0, 4}, identity},
      {"n1", {1}, {2}, identity},
      {"n7", {7}, {14}, identity},
      {"n1023", {1023}, {2046}, identity},
      {"rank3", {2, 3, 5}, {2, 3, 10}, identity},
      {"transposed", {6, 5}, {6, 5}, [](const Tensor& t) { return t.t(); }},  // [5, 6]
      {"sliced_offset", {9, 12}, {9, 12},
       [](const Tensor& t) { return t.slice(0, 1, 9, 2).slice(1, 2, 12); }},  // [4, 10]
      {"expanded", {3, 1}, {3, 1}, [](const Tensor& t) { return t.expand({3, 4}); }},
  };
  return table;
}

inline std::vector<at::ScalarType> all_dtypes() {
  return {at::kFloat, at::kDouble, at::kHalf, at::kBFloat16};
}

inline std::string dtype_name(at::ScalarType t) {
  switch (t) {
    case at::kFloat: return "float32";
    case at::kDouble: return "float64";
    case at::kHalf: return "float16";
    case at::kBFloat16: return "bfloat16";
    default: return "other";
  }
}

inline bool is_reduced(at::ScalarType t) { return t == at::kHalf || t == at::kBFloat16; }

// Parameters of the table-driven tests: every row, or every row in every dtype, and their test
// names (`name` and `name_dtype`) for INSTANTIATE_TEST_SUITE_P.
inline std::vector<const OpCase*> every_op() {
  std::vector<const OpCase*> ops;
  for (const auto& op : op_table()) ops.push_back(&op);
  return ops;
}
inline const auto op_test_name = [](const auto& info) { return info.param->name; };

struct OpDtype {
  const OpCase* op;
  at::ScalarType dtype;
};
inline std::vector<OpDtype> every_op_and_dtype() {
  std::vector<OpDtype> params;
  for (const auto& op : op_table()) {
    for (auto dtype : all_dtypes()) params.push_back({&op, dtype});
  }
  return params;
}
inline const auto op_dtype_test_name = [](const auto& info) {
  return info.param.op->name + "_" + dtype_name(info.param.dtype);
};

// The reference in float16/bfloat16: the built-in evaluated in float64 on the same values, rounded
// once (the correctly rounded result; PyTorch 2.x's reduced-precision kernels compute in float32
// and round once, which can differ from it by float32's own error: LibTorch 1.13's float32
// tanh-GELU backward is off by 1e-6 near |x| = 5, above float16's atol once multiplied by a large
// incoming gradient). LibTorch 1.13 has no CPU float16 kernels, and its bfloat16 GELU rounds
// between steps on some paths: errors up to 100%.
// Ops that save their output see it rounded in their backward, as ATen's do.
struct RoundedOutputReference : torch::autograd::Function<RoundedOutputReference> {
  static Tensor forward(torch::autograd::AutogradContext* ctx, const Tensor& x, const OpCase* op) {
    const Tensor y = op->reference({x.to(at::kDouble)}).to(x.scalar_type());
    ctx->save_for_backward({y});
    ctx->saved_data["op"] = reinterpret_cast<int64_t>(op);
    return y;
  }
  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                 torch::autograd::variable_list grads) {
    const auto* op = reinterpret_cast<const OpCase*>(ctx->saved_data["op"].toInt());
    const Tensor y = ctx->get_saved_variables()[0];
    return {op->output_backward(grads[0].to(at::kDouble), y.to(at::kDouble)).to(y.scalar_type()),
            Tensor()};
  }
};

inline Tensor reference(const OpCase& op, const Inputs& inputs) {
  const auto dtype = inputs[0].scalar_type();
  if (!is_reduced(dtype)) return op.reference(inputs);
  if (op.output_backward) return RoundedOutputReference::apply(inputs[0], &op);
  Inputs in_double;
  for (const auto& t : inputs) in_double.push_back(t.to(at::kDouble));
  return op.reference(in_double).to(dtype);
}

// LibTorch 1.x's hardswish_backward passes the gradient at x = -3 (x / 3 + 1/2 = -0.5) and gives
// 1.5 at x = 3; PyTorch 2.x's, which torchact follows, gives 0 and 1 there (README, "Special
// values"). Tests that compare gradients at those points take torchact's there on LibTorch 1.x.
inline Tensor with_hardswish_kinks_of_torch_2(const OpCase& op, const Tensor& x, const Tensor& actual,
                                              const Tensor& expected) {
#if TORCH_VERSION_MAJOR < 2
  if (op.op == "torchact::hardswish") {
    const Tensor kink = (x.detach().abs() == 3).reshape(expected.sizes());
    return torch::where(kink, actual.detach().to(expected.scalar_type()), expected.detach());
  }
#else
  (void)op, (void)x, (void)actual;
#endif
  return expected;
}

// torch.testing's default tolerances.
struct Tolerance {
  double rtol, atol;
};
inline Tolerance tolerance(at::ScalarType t) {
  switch (t) {
    case at::kDouble: return {1e-7, 1e-7};
    case at::kHalf: return {1e-3, 1e-5};
    case at::kBFloat16: return {1.6e-2, 1e-5};
    default: return {1.3e-6, 1e-5};
  }
}

// Empty string when actual and expected agree (nan where the other is nan) within the dtype's
// tolerance; otherwise where and by how much they differ.
inline std::string mismatch(const Tensor& actual, const Tensor& expected, Tolerance tol) {
  if (actual.sizes() != expected.sizes()) {
    std::ostringstream msg;
    msg << "shape " << actual.sizes() << " != expected " << expected.sizes();
    return msg.str();
  }
  if (actual.scalar_type() != expected.scalar_type()) {
    std::ostringstream msg;
    msg << "dtype " << actual.scalar_type() << " != expected " << expected.scalar_type();
    return msg.str();
  }
  if (actual.numel() == 0) return "";
  const Tensor a = actual.detach().to(at::kDouble).reshape(-1);
  const Tensor e = expected.detach().to(at::kDouble).reshape(-1);
  const Tensor both_nan = a.isnan() & e.isnan();
  const Tensor same_inf = (a == e);  // equal values, infinities included
  const Tensor close = (a - e).abs() <= tol.atol + tol.rtol * e.abs();
  const Tensor ok = both_nan | same_inf | close;
  if (ok.all().item<bool>()) return "";
  const int64_t bad = (~ok).nonzero()[0][0].item<int64_t>();
  std::ostringstream msg;
  msg.precision(10);
  msg << (~ok).sum().item<int64_t>() << " of " << a.numel() << " elements differ; first at flat index "
      << bad << ": got " << a[bad].item<double>() << ", expected " << e[bad].item<double>()
      << " (rtol " << tol.rtol << ", atol " << tol.atol << ")";
  return msg.str();
}

}  // namespace torchact_test
