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
// where the limit, and LibTorch 1.13, give +inf; torchact gives +inf. For the GELU ops, where
// `actual` is +inf and `expected` nan, the expectation becomes +inf (the forward, and the
// gradients that are gelu(gate)).
Tensor with_known_deviations(const OpCase& op, const Tensor& actual, Tensor expected) {
  const bool gelu_family = op.op == "torchact::gelu" || op.op == "torchact::geglu" ||
                           op.op == "torchact::geglu_packed";
  if (!gelu_family) return expected;
  expected = expected.detach().clone();
  const Tensor limit = actual.detach().isinf() & (actual.detach() > 0) & expected.isnan();
  expected.masked_fill_(limit, std::numeric_limits<double>::infinity());
  return expected;
}

class SpecialValuesTest : public testing::TestWithParam<OpDtype> {};

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
  EXPECT_EQ(mismatch(out, with_known_deviations(op, out, expected), tol), "") << "forward at " << x;

  out.backward(torch::ones_like(out));
  expected.backward(torch::ones_like(expected));
  EXPECT_EQ(mismatch(x.grad(), with_known_deviations(op, x.grad(), x_ref.grad()), tol), "")
      << "gradient at " << x;
  if (op.arity == Arity::Gated) {
    // d/dup = gelu(gate): the same deviation as the forward.
    EXPECT_EQ(mismatch(up.grad(), with_known_deviations(op, up.grad(), up_ref.grad()), tol), "")
        << "gradient of up";
  }
}

INSTANTIATE_TEST_SUITE_P(Table, SpecialValuesTest, testing::ValuesIn(every_op_and_dtype()),
                         op_dtype_test_name);

// beta * x overflowing to +-inf for a finite x (float32 x = 3.4e38 with beta = 1.702, or
// x = 1e10 with beta = 1e30): the derivative is its limit, 1 or 0, as PyTorch's
// x * sigmoid(beta * x) gives, and the second derivative 0 (it was nan).
TEST(SpecialValues, SwishWhereBetaXOverflowsGivesTheLimit) {
  struct Case {
    double x, beta, derivative;
  };
  for (const Case& c : {Case{3.4e38, 1.702, 1.0}, Case{-3.4e38, 1.702, 0.0}, Case{1e10, 1e30, 1.0},
                        Case{-1e10, 1e30, 0.0}, Case{3e38, -2.0, 0.0}}) {
    const Tensor x = torch::tensor({c.x}, at::kFloat).requires_grad_(true);
    const Tensor ref_x = x.detach().clone().requires_grad_(true);
    const Tensor grad = torch::autograd::grad({torchact::swish(x, c.beta)}, {x}, {torch::ones({1})},
                                              /*retain_graph=*/true, /*create_graph=*/true)[0];
    const Tensor ref_grad = torch::autograd::grad({ref_x * torch::sigmoid(c.beta * ref_x)}, {ref_x},
                                                  {torch::ones({1})})[0];
    EXPECT_EQ(grad.item<double>(), c.derivative) << "swish'(" << c.x << ", beta=" << c.beta << ")";
    EXPECT_EQ(ref_grad.item<double>(), c.derivative) << "PyTorch's composition";
    const Tensor second = torch::autograd::grad({grad}, {x}, {torch::ones({1})})[0];
    EXPECT_EQ(second.item<double>(), 0.0) << "swish''(" << c.x << ", beta=" << c.beta << ")";
  }
  for (const double x : {3.4e38, -3.4e38}) {
    const Tensor t = torch::tensor({x}, at::kFloat).requires_grad_(true);
    const Tensor grad = torch::autograd::grad({torchact::quick_gelu(t)}, {t}, {torch::ones({1})})[0];
    EXPECT_EQ(grad.item<double>(), x > 0 ? 1.0 : 0.0) << "quick_gelu'(" << x << ")";
  }
}

}  // namespace
}  // namespace torchact_test
