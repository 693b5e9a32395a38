// Forward and backward at -inf, -100, -1e-30, -0, 0, 1e-30, 100, inf and nan agree with the
// built-in ops (nan where they give nan), for every op and dtype.
#include <gtest/gtest.h>

#include <limits>

#include "op_table.h"

namespace torchact_test {
namespace {

Tensor special_values(at::ScalarType dtype) {
  const double inf = std::numeric_limits<double>::infinity();
  const double nan = std::numeric_limits<double>::quiet_NaN();
  return torch::tensor({-inf, -100.0, -1e-30, -0.0, 0.0, 1e-30, 100.0, inf, nan}, at::kDouble)
      .to(dtype);
}

// Deliberate differences (README, "Special values"): PyTorch 2.11's CPU GELU gives nan at +inf
// where the limit, and LibTorch 1.13, give +inf; torchact gives +inf.
Tensor with_known_deviations(const OpCase& op, const Tensor& x, Tensor expected) {
  const bool gelu_family = op.op == "torchact::gelu" || op.op == "torchact::geglu";
  if (!gelu_family) return expected;
  expected = expected.detach().clone();
  const Tensor at_plus_inf = x.detach().isinf() & (x.detach() > 0) & expected.isnan();
  expected.masked_fill_(at_plus_inf.slice(0, 0, expected.size(0)),
                        std::numeric_limits<double>::infinity());
  return expected;
}

struct Param {
  const OpCase* op;
  at::ScalarType dtype;
};

class SpecialValuesTest : public testing::TestWithParam<Param> {};

TEST_P(SpecialValuesTest, ForwardAndBackwardAgreeWithBuiltIn) {
  const OpCase& op = *GetParam().op;
  const auto dtype = GetParam().dtype;
  Tensor x = special_values(dtype);
  if (op.arity == Arity::Packed) x = torch::cat({x, torch::full_like(x, 1.5)});  // [gate | up]
  const Tensor x_ref = x.clone().requires_grad_(true);
  x.requires_grad_(true);
  Inputs ours_in{x}, ref_in{x_ref};
  Tensor up, up_ref;
  if (op.arity == Arity::Gated) {
    up = torch::full_like(x, 1.5).requires_grad_(true);
    up_ref = up.detach().clone().requires_grad_(true);
    ours_in.push_back(up);
    ref_in.push_back(up_ref);
  }
  const Tensor out = op.ours(ours_in);
  const Tensor expected = reference(op, ref_in);
  const Tolerance tol = tolerance(dtype);
  EXPECT_EQ(mismatch(out, with_known_deviations(op, x, expected), tol), "") << "forward at " << x;

  out.backward(torch::ones_like(out));
  expected.backward(torch::ones_like(expected));
  EXPECT_EQ(mismatch(x.grad(), x_ref.grad(), tol), "") << "gradient at " << x;
  if (op.arity == Arity::Gated) {
    // d/dup = gelu(gate): the same deviation as the forward.
    EXPECT_EQ(mismatch(up.grad(), with_known_deviations(op, x, up_ref.grad()), tol), "")
        << "gradient of up";
  }
}

std::vector<Param> all_params() {
  std::vector<Param> params;
  for (const auto& op : op_table()) {
    for (auto dtype : all_dtypes()) params.push_back({&op, dtype});
  }
  return params;
}

INSTANTIATE_TEST_SUITE_P(Table, SpecialValuesTest, testing::ValuesIn(all_params()),
                         [](const testing::TestParamInfo<Param>& info) {
                           return info.param.op->name + "_" + dtype_name(info.param.dtype);
                         });

}  // namespace
}  // namespace torchact_test
