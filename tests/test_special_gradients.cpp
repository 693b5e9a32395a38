// nan incoming gradients at finite inputs in every region of each op (inside and beyond its kinks
// and clamp limits; for the gated ops, up inside and beyond its clamp, and nan): the first and
// second derivatives agree with the built-in composition's. Where ATen's backward selects
// (relu's threshold_backward, hardtanh_backward, hardsigmoid_backward, clamp's), a nan gradient
// gives 0 where the gradient does not pass, not nan * 0 = nan (math.h, gradient_passes); likewise
// ATen's double backwards that return zeros or select (second_derivative_passes). (An infinite
// gradient takes the same paths, inf * 0 being nan, but where f' is finite it also meets the
// composition's own inf - inf between its terms, which is not a semantic to match.)
#include <gtest/gtest.h>

#include <limits>
#include <sstream>
#include <string>

#include "op_table.h"

namespace torchact_test {
namespace {

// Every combination of an input point, an up (gated ops) and the incoming gradients, flattened:
// grad for the backward, gg and gg_up for the double backward.
struct Grid {
  Tensor x, up, grad, gg, gg_up;
};

Grid grid(at::ScalarType dtype, bool gated, bool second_order) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  // Both sides of 0, -3, 3, -1, 1, 6 and 7 (the kinks and limits in the table), and the points.
  const Tensor points = torch::tensor({-9.0, -7.0, -3.5, -3.0, -2.0, -1.0, -0.5, 0.0, 0.5, 1.0, 1.25,
                                       2.0, 3.0, 3.5, 6.0, 6.5, 7.0, 9.0},
                                      at::kDouble);
  const Tensor gradients = torch::tensor({nan, -2.0}, at::kDouble);
  const Tensor one = torch::ones({1}, at::kDouble);
  const Tensor ups = gated ? torch::tensor({0.5, -1.0, 1.5, -9.0, 9.0, nan}, at::kDouble) : one;
  const Tensor second = second_order ? gradients : one;
  const auto mesh = torch::meshgrid({points, ups, gradients, second, second}, "ij");
  const auto flat = [&](int i) { return mesh[i].reshape(-1).to(dtype); };
  return {flat(0), flat(1), flat(2), flat(3), flat(4)};
}

// The points where actual and expected differ, for the failure message.
std::string differing(const Tensor& actual, const Tensor& expected, Tolerance tol, const Grid& g,
                      bool gated, bool second_order) {
  std::ostringstream out;
  for (int64_t i = 0; i < actual.numel(); ++i) {
    if (mismatch(actual[i], expected[i], tol).empty()) continue;
    out << "\n  x " << g.x[i].item<double>();
    if (gated) out << ", up " << g.up[i].item<double>();
    out << ", grad " << g.grad[i].item<double>();
    if (second_order) out << ", gg " << g.gg[i].item<double>();
    if (second_order && gated) out << ", gg_up " << g.gg_up[i].item<double>();
    out << ": got " << actual[i].item<double>() << ", expected " << expected[i].item<double>();
  }
  return out.str();
}

// The op's inputs from the leaves x (gate) and up: packed ops get them as one tensor.
Inputs op_inputs(const OpCase& op, const Tensor& x, const Tensor& up) {
  if (op.arity == Arity::Unary) return {x};
  if (op.arity == Arity::Gated) return {x, up};
  const bool interleaved = op.name.find("interleaved") != std::string::npos;
  return {interleaved ? torch::stack({x, up}, -1).reshape(-1) : torch::cat({x, up})};
}

// The gradients of f(x[, up]) with respect to x[, up] for the incoming gradient g.grad and, when
// second_order, of those with respect to x[, up] and grad for the incoming g.gg[, g.gg_up]
// (x, up, grad in this order).
std::vector<Tensor> gradients(const OpFunction& f, const OpCase& op, const Grid& g,
                              bool second_order) {
  const bool gated = op.arity != Arity::Unary;
  const Tensor x = g.x.clone().requires_grad_(true), up = g.up.clone().requires_grad_(true);
  const Tensor grad = g.grad.clone().requires_grad_(second_order);
  std::vector<Tensor> leaves{x};
  if (gated) leaves.push_back(up);
  const Tensor out = f(op_inputs(op, x, up));
  const auto first = torch::autograd::grad({out}, leaves, {grad}, second_order, second_order);
  if (!second_order) return first;
  leaves.push_back(grad);
  std::vector<Tensor> gg{g.gg};
  if (gated) gg.push_back(g.gg_up);
  auto result = torch::autograd::grad(first, leaves, gg, false, false, /*allow_unused=*/true);
  for (auto& t : result) {
    if (!t.defined()) t = torch::zeros_like(g.x);  // a graph without that input: 0
  }
  return result;
}

class SpecialGradientsTest : public testing::TestWithParam<OpDtype> {};

TEST_P(SpecialGradientsTest, NanGradientsAgreeWithBuiltIn) {
  const OpCase& op = *GetParam().op;
  const auto dtype = GetParam().dtype;
  const bool gated = op.arity != Arity::Unary;
  const Grid g = grid(dtype, gated, /*second_order=*/false);
  const auto ours = gradients(op.ours, op, g, false);
  auto theirs = gradients([&op](const Inputs& in) { return reference(op, in); }, op, g, false);
  theirs[0] = with_hardswish_kinks_of_torch_2(op, g.x, ours[0], theirs[0]);
  const Tolerance tol = tolerance(dtype);
  const char* names[] = {"input (gate)", "up"};
  for (size_t i = 0; i < ours.size(); ++i) {
    EXPECT_EQ(mismatch(ours[i], theirs[i], tol), "")
        << "gradient of the " << names[i] << " at " << differing(ours[i], theirs[i], tol, g, gated, false);
  }
}

// In float64: the second derivatives' selects are the same in every dtype.
class SpecialSecondGradientsTest : public testing::TestWithParam<const OpCase*> {};

TEST_P(SpecialSecondGradientsTest, NanGradientsAgreeWithBuiltInInTheDoubleBackward) {
  const OpCase& op = *GetParam();
  const bool gated = op.arity != Arity::Unary;
  const Grid g = grid(at::kDouble, gated, /*second_order=*/true);
  const auto ours = gradients(op.ours, op, g, true);
  std::vector<Tensor> theirs;
  try {
    theirs = gradients(op.reference, op, g, true);
  } catch (const std::exception& e) {  // autograd's "not implemented" Node throws runtime_error
    // ATen has no second derivative for this op (hardsigmoid): f'' = 0 a.e., so the second
    // derivative's term is 0 everywhere, and d/dgrad is the backward applied to gg.
    ASSERT_NE(std::string(e.what()).find("not implemented"), std::string::npos) << e.what();
    ASSERT_FALSE(gated);
    const Tensor x = g.x.clone().requires_grad_(true);
    theirs = {torch::zeros_like(g.x), torch::autograd::grad({op.reference({x})}, {x}, {g.gg})[0]};
  }
  for (size_t i = 0; i < theirs.size(); ++i) {
    theirs[i] = with_hardswish_kinks_of_torch_2(op, g.x, ours[i], theirs[i]);
  }
  const bool step = op.op.find("swiglu_step") != std::string::npos;
  if (step) {
    // Known difference: swiglu_step beyond its limit (silu(gate) > limit), with a nan gg for the
    // gate's gradient. autograd's chain there multiplies the clamp's 0 by gg and silu'' (nan);
    // torchact's gate term is silu'' times that 0 (0), as swiglu_oai's, whose clamp's select
    // comes last. Only that term: elsewhere, and every other gradient, as the built-in.
    const Tensor beyond = torch::silu(g.x) > 1.5;  // the table's limit
    theirs[0] = torch::where(beyond & g.gg.isnan() & theirs[0].isnan(), ours[0], theirs[0]);
  }
  const Tolerance tol = tolerance(at::kDouble);
  const std::vector<std::string> names =
      gated ? std::vector<std::string>{"gate", "up", "grad"} : std::vector<std::string>{"x", "grad"};
  for (size_t i = 0; i < ours.size(); ++i) {
    EXPECT_EQ(mismatch(ours[i], theirs[i], tol), "")
        << "second derivative, gradient of " << names[i] << " at "
        << differing(ours[i], theirs[i], tol, g, gated, true);
  }
}

INSTANTIATE_TEST_SUITE_P(Table, SpecialGradientsTest, testing::ValuesIn(every_op_and_dtype()),
                         op_dtype_test_name);
INSTANTIATE_TEST_SUITE_P(Table, SpecialSecondGradientsTest, testing::ValuesIn(every_op()),
                         op_test_name);

}  // namespace
}  // namespace torchact_test
