// Every op passes torchact::testing::gradcheck in float64 at random points, near 0 and in the
// saturated tails; and gradcheck itself catches a wrong derivative.
#include <gtest/gtest.h>

#include "op_table.h"
#include "torchact/testing/gradcheck.h"

namespace torchact_test {
namespace {

struct Region {
  std::string name;
  std::function<Tensor(int64_t n)> sample;
};

const std::vector<Region>& regions() {
  static const std::vector<Region> table = {
      {"random", [](int64_t n) { return torch::randn({n}, at::kDouble) * 2; }},
      {"near_zero", [](int64_t n) { return (torch::rand({n}, at::kDouble) * 2 - 1) * 1e-2; }},
      {"tails", [](int64_t n) {
         const Tensor sign = torch::randint(0, 2, {n}, at::kDouble) * 2 - 1;
         return sign * (6 + torch::rand({n}, at::kDouble) * 6);
       }},
  };
  return table;
}

// Kinked ops are sampled at least 1e-3 away from 0: far beyond the finite-difference step.
Tensor away_from_zero(const Tensor& x) { return x.sign() * (x.abs() + 1e-3); }

struct Param {
  const OpCase* op;
  const Region* region;
};

class GradcheckTest : public testing::TestWithParam<Param> {};

TEST_P(GradcheckTest, AnalyticalMatchesNumerical) {
  const OpCase& op = *GetParam().op;
  torch::manual_seed(99);
  const int num_inputs = op.arity == Arity::Gated ? 2 : 1;
  const int64_t n = op.arity == Arity::Packed ? 12 : 6;
  Inputs inputs;
  for (int i = 0; i < num_inputs; ++i) {
    Tensor x = GetParam().region->sample(n);
    if (op.kink_at_zero) x = away_from_zero(x);
    inputs.push_back(x);
  }
  const auto result = torchact::testing::gradcheck(op.ours, inputs);
  EXPECT_TRUE(result) << result.message;
}

// Second derivatives: the hand-written double backward against finite differences of the first.
TEST_P(GradcheckTest, SecondDerivativesMatchNumerical) {
  const OpCase& op = *GetParam().op;
  torch::manual_seed(98);
  const int num_inputs = op.arity == Arity::Gated ? 2 : 1;
  const int64_t n = op.arity == Arity::Packed ? 8 : 4;
  Inputs inputs;
  for (int i = 0; i < num_inputs; ++i) {
    Tensor x = GetParam().region->sample(n);
    if (op.kink_at_zero) x = away_from_zero(x);
    inputs.push_back(x);
  }
  const auto result = torchact::testing::gradgradcheck(op.ours, inputs);
  EXPECT_TRUE(result) << result.message;
}

std::vector<Param> all_params() {
  std::vector<Param> params;
  for (const auto& op : op_table()) {
    for (const auto& region : regions()) params.push_back({&op, &region});
  }
  return params;
}

INSTANTIATE_TEST_SUITE_P(Table, GradcheckTest, testing::ValuesIn(all_params()),
                         [](const testing::TestParamInfo<Param>& info) {
                           return info.param.op->name + "_" + info.param.region->name;
                         });

// A function whose backward is 10% off: gradcheck must fail and say where.
struct WrongSquare : torch::autograd::Function<WrongSquare> {
  static Tensor forward(torch::autograd::AutogradContext* ctx, const Tensor& x) {
    ctx->save_for_backward({x});
    return x * x;
  }
  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                 torch::autograd::variable_list grads) {
    return {grads[0] * 2.2 * ctx->get_saved_variables()[0]};
  }
};

TEST(GradcheckUtility, CatchesAWrongDerivative) {
  const Tensor x = torch::tensor({1.0, -2.0, 3.0}, at::kDouble);
  const auto result = torchact::testing::gradcheck(
      [](const Inputs& in) { return WrongSquare::apply(in[0]); }, {x});
  EXPECT_FALSE(result);
  EXPECT_NE(result.message.find("analytical"), std::string::npos) << result.message;
  EXPECT_NE(result.message.find("numerical"), std::string::npos) << result.message;
  // The worst entry is at x = 3: analytical 13.2 against numerical 6.
  EXPECT_NE(result.message.find("input value 3"), std::string::npos) << result.message;
}

TEST(GradcheckUtility, PassesACorrectMultiInputFunction) {
  const auto result = torchact::testing::gradcheck(
      [](const Inputs& in) { return in[0] * in[1].sin(); },
      {torch::randn({2, 3}, at::kDouble), torch::randn({2, 3}, at::kDouble)});
  EXPECT_TRUE(result) << result.message;
}

// A backward that is right, but whose own derivative (double backward) is wrong.
struct WrongSecondDerivative : torch::autograd::Function<WrongSecondDerivative> {
  static Tensor forward(torch::autograd::AutogradContext* ctx, const Tensor& x) {
    ctx->save_for_backward({x});
    return x * x * x;
  }
  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                 torch::autograd::variable_list grads) {
    const Tensor x = ctx->get_saved_variables()[0];
    // 3x^2, written so that autograd differentiates it as 2x * x.detach() + ... : half wrong.
    return {grads[0] * 3 * x * x.detach()};
  }
};

TEST(GradcheckUtility, GradgradcheckCatchesAWrongSecondDerivative) {
  const Tensor x = torch::tensor({1.0, -2.0, 0.5}, at::kDouble);
  const auto first = torchact::testing::gradcheck(
      [](const Inputs& in) { return WrongSecondDerivative::apply(in[0]); }, {x});
  EXPECT_TRUE(first) << first.message;
  const auto second = torchact::testing::gradgradcheck(
      [](const Inputs& in) { return WrongSecondDerivative::apply(in[0]); }, {x});
  EXPECT_FALSE(second);
  EXPECT_NE(second.message.find("gradgradcheck"), std::string::npos) << second.message;
}

TEST(GradcheckUtility, RejectsFloat32Inputs) {
  EXPECT_THROW(torchact::testing::gradcheck([](const Inputs& in) { return in[0] * 2; },
                                            {torch::randn({3})}),
               c10::Error);
}

}  // namespace
}  // namespace torchact_test
