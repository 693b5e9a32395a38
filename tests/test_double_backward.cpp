// Where users need second derivatives: a gradient penalty (WGAN-GP) and a Hessian-vector product
// through torchact ops give what the same computations through the built-in ops give.
#include <gtest/gtest.h>

#include "op_table.h"

namespace torchact_test {
namespace {

class DoubleBackwardTest : public testing::TestWithParam<const OpCase*> {};

// The op's reference with a first derivative from autograd (the built-in's) and a second
// derivative of 0: what a piecewise-linear activation's exact second derivative is, a.e.
struct ZeroSecondDerivative : torch::autograd::Function<ZeroSecondDerivative> {
  static Tensor forward(torch::autograd::AutogradContext* ctx, const Tensor& x, const OpCase* op) {
    ctx->save_for_backward({x});
    ctx->saved_data["op"] = reinterpret_cast<int64_t>(op);
    at::AutoDispatchBelowADInplaceOrView guard;
    return op->reference({x});
  }
  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                 torch::autograd::variable_list grads) {
    const auto* op = reinterpret_cast<const OpCase*>(ctx->saved_data["op"].toInt());
    const Tensor x = ctx->get_saved_variables()[0].detach().requires_grad_(true);
    Tensor slope;
    {
      torch::AutoGradMode enable(true);
      slope = torch::autograd::grad({op->reference({x}).sum()}, {x})[0];
    }
    return {grads[0] * slope.detach(), Tensor()};  // slope is constant: f'' = 0
  }
};

// A critic D(x) = w2 . act(W1 x [, W3 x]); penalty = (||dD/dx|| - 1)^2 averaged over a batch;
// its gradient with respect to the weights needs the activation's second derivative.
std::vector<Tensor> penalty_gradients(const OpFunction& act, Arity arity, const Tensor& x,
                                      const std::vector<Tensor>& weights) {
  std::vector<Tensor> w;
  for (const auto& t : weights) w.push_back(t.detach().clone().requires_grad_(true));
  const Tensor xr = x.detach().clone().requires_grad_(true);
  Tensor hidden;
  if (arity == Arity::Gated) {
    hidden = act({torch::matmul(xr, w[0]), torch::matmul(xr, w[2])});
  } else if (arity == Arity::Packed) {
    hidden = act({torch::cat({torch::matmul(xr, w[0]), torch::matmul(xr, w[2])}, -1)});
  } else {
    hidden = act({torch::matmul(xr, w[0])});
  }
  const Tensor critic = torch::matmul(hidden, w[1]).sum();
  const Tensor dx = torch::autograd::grad({critic}, {xr}, {}, true, true)[0];
  const Tensor penalty = (dx.norm(2, 1) - 1).pow(2).mean();
  return torch::autograd::grad({penalty}, w, {}, false, false, /*allow_unused=*/true);
}

TEST_P(DoubleBackwardTest, GradientPenaltyMatchesBuiltIn) {
  const OpCase& op = *GetParam();
  torch::manual_seed(3);
  const Tensor x = torch::randn({5, 4}, at::kDouble);
  const std::vector<Tensor> weights = {torch::randn({4, 6}, at::kDouble),
                                       torch::randn({6}, at::kDouble),
                                       torch::randn({4, 6}, at::kDouble)};
  const auto ours = penalty_gradients(op.ours, op.arity, x, weights);
  std::vector<Tensor> expected;
  try {
    expected = penalty_gradients(op.reference, op.arity, x, weights);
  } catch (const std::exception& e) {  // autograd's "not implemented" Node throws runtime_error
    // ATen has no second derivative for this op (hardsigmoid): the exact one is 0 a.e., so the
    // penalty's gradient reaches the weights only through the first derivative. Compare with
    // the built-in's first-order-only result: the penalty computed with f'' taken as 0.
    ASSERT_NE(std::string(e.what()).find("not implemented"), std::string::npos) << e.what();
    expected = penalty_gradients(
        [&op](const Inputs& in) { return ZeroSecondDerivative::apply(in[0], &op); }, op.arity, x,
        weights);
  }
  for (size_t i = 0; i < ours.size(); ++i) {
    if (!expected[i].defined()) continue;  // W3 is unused by one-input activations
    ASSERT_TRUE(ours[i].defined()) << "weight " << i;
    EXPECT_EQ(mismatch(ours[i], expected[i], {1e-7, 1e-7}), "") << "weight " << i;
  }
}

// H v for the op at random points, compared with the built-in op's.
void expect_hvp_matches(const OpCase& op) {
  torch::manual_seed(4);
  const Tensor x0 = torch::randn({7}, at::kDouble) * 2;
  const Tensor v = torch::randn({7}, at::kDouble);
  const auto hvp = [&](const OpFunction& f) {
    const Tensor x = x0.clone().requires_grad_(true);
    const Tensor g = torch::autograd::grad({f({x}).sum()}, {x}, {}, true, true)[0];
    return torch::autograd::grad({(g * v).sum()}, {x}, {}, false, false, true)[0];
  };
  const Tensor ours = hvp(op.ours);
  Tensor expected;
  try {
    expected = hvp(op.reference);
  } catch (const std::exception& e) {  // no second derivative in ATen (hardsigmoid): it is 0 a.e.
    EXPECT_NE(std::string(e.what()).find("not implemented"), std::string::npos) << e.what();
  }
  if (!expected.defined()) {  // piecewise-linear ops: the built-in graph has no second derivative
    EXPECT_TRUE(!ours.defined() || ours.abs().max().item<double>() == 0.0);
    return;
  }
  EXPECT_EQ(mismatch(ours, expected, {1e-7, 1e-7}), "");
}

// One-input ops (the gated ones are covered by the penalty test above).
TEST(DoubleBackward, HessianVectorProductMatchesBuiltIn) {
  for (const auto& op : op_table()) {
    if (op.arity != Arity::Unary) continue;
    SCOPED_TRACE(op.name);
    expect_hvp_matches(op);
  }
}

// f' and f'' at the kinks and limits of the table's ops, in float64: PyTorch's conventions there
// (elu's f''(0) is 0, its f'(0) the x <= 0 branch's; softplus's f'' is 0 at beta x = threshold,
// where f' is still the sigmoid).
TEST(DoubleBackward, FirstAndSecondDerivativesAtKinksMatchBuiltIn) {
  const Tensor points = torch::tensor(
      {0.0, -0.0, -3.0, 3.0, -1.0, 1.0, 6.0, 7.0, -7.0, -0.5, 2.0, 2.5, 5.0, 20.0, -20.0}, at::kDouble);
  const auto derivatives = [&](const OpFunction& f) {
    const Tensor x = points.clone().requires_grad_(true);
    const Tensor d1 = torch::autograd::grad({f({x}).sum()}, {x}, {}, true, true)[0];
    const Tensor d2 = torch::autograd::grad({d1.sum()}, {x}, {}, false, false, true)[0];
    return std::make_pair(d1.detach(), d2.defined() ? d2 : torch::zeros_like(points));
  };
  for (const auto& op : op_table()) {
    if (op.arity != Arity::Unary) continue;
    SCOPED_TRACE(op.name);
    const auto ours = derivatives(op.ours);
    std::pair<Tensor, Tensor> expected;
    try {
      expected = derivatives(op.reference);
    } catch (const std::exception& e) {  // no second derivative in ATen (hardsigmoid): 0 a.e.
      ASSERT_NE(std::string(e.what()).find("not implemented"), std::string::npos) << e.what();
      const Tensor x = points.clone().requires_grad_(true);
      expected = {torch::autograd::grad({op.reference({x}).sum()}, {x})[0], torch::zeros_like(points)};
    }
    expected.first = with_hardswish_kinks_of_torch_2(op, points, ours.first, expected.first);
    EXPECT_EQ(mismatch(ours.first, expected.first, {1e-7, 1e-7}), "") << "f' at " << points;
    EXPECT_EQ(mismatch(ours.second, expected.second, {1e-7, 1e-7}), "") << "f'' at " << points;
  }
}

TEST(DoubleBackward, ThirdDerivativeRaises) {
  const Tensor x = torch::randn({3}, at::kDouble).requires_grad_(true);
  const Tensor g1 = torch::autograd::grad({torchact::silu(x).sum()}, {x}, {}, true, true)[0];
  const Tensor g2 = torch::autograd::grad({g1.sum()}, {x}, {}, true, true)[0];
  EXPECT_THROW(torch::autograd::grad({g2.sum()}, {x}), c10::Error);
}

INSTANTIATE_TEST_SUITE_P(Table, DoubleBackwardTest, testing::ValuesIn(every_op()), op_test_name);

}  // namespace
}  // namespace torchact_test
