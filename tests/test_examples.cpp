// The examples' claims, checked: the tour's numbers are the closed forms, sigmoid's gradients vanish
// orders of magnitude faster than ReLU's, ReLU units die where LeakyReLU's do not, and the SwiGLU
// block learns while keeping less for its backward.
#include <gtest/gtest.h>

#include <c10/core/CPUAllocator.h>

#include <algorithm>
#include <cmath>
#include <map>

#include "activations.h"
#include "lessons.h"

namespace {

double sigmoid(double x) { return 1 / (1 + std::exp(-x)); }

TEST(Examples, TourValuesAreTheClosedForms) {
  const torch::Tensor z = torch::tensor({-2.0, 0.0, 2.0}, torch::kDouble);
  const std::map<std::string, std::function<double(double)>> f = {
      {"sigmoid", sigmoid},
      {"tanh", [](double x) { return std::tanh(x); }},
      {"relu", [](double x) { return x > 0 ? x : 0; }},
      {"leaky_relu(0.1)", [](double x) { return x > 0 ? x : 0.1 * x; }},
      {"gelu", [](double x) { return 0.5 * x * (1 + std::erf(x / std::sqrt(2.0))); }},
      {"gelu(tanh)",
       [](double x) { return 0.5 * x * (1 + std::tanh(std::sqrt(2 / M_PI) * (x + 0.044715 * x * x * x))); }},
      {"silu", [](double x) { return x * sigmoid(x); }},
      {"swish(beta=2)", [](double x) { return x * sigmoid(2 * x); }},
      {"hardsigmoid", [](double x) { return std::min(std::max(x + 3, 0.0), 6.0) / 6; }},
      {"hardtanh", [](double x) { return std::min(std::max(x, -1.0), 1.0); }},
      {"relu6", [](double x) { return std::min(std::max(x, 0.0), 6.0); }},
      {"relu_squared", [](double x) { return x > 0 ? x * x : 0; }},
      {"elu", [](double x) { return x > 0 ? x : std::expm1(x); }},
      {"selu", [](double x) { return 1.0507009873554805 * (x > 0 ? x : 1.6732632423543772 * std::expm1(x)); }},
      {"celu(0.5)", [](double x) { return x > 0 ? x : 0.5 * std::expm1(x / 0.5); }},
      {"softplus", [](double x) { return std::log1p(std::exp(x)); }},
      {"quick_gelu", [](double x) { return x * sigmoid(1.702 * x); }},
      {"mish", [](double x) { return x * std::tanh(std::log1p(std::exp(x))); }},
      {"hardswish", [](double x) { return x * std::min(std::max(x + 3, 0.0), 6.0) / 6; }},
  };
  for (const auto& a : examples::activations()) {
    const auto vd = examples::value_and_derivative(a.torchact, z);
    for (int i = 0; i < 3; ++i) {
      const double x = z[i].item<double>();
      EXPECT_NEAR(vd.value[i].item<double>(), f.at(a.name)(x), 1e-12) << a.name << " at " << x;
      // At 0: no derivative (relu, leaky_relu, relu6, selu: PyTorch's convention, the slope on
      // the left), or one that central differences miss by O(h) (elu, celu, relu_squared: no
      // second derivative there). The expected value, exactly.
      const std::map<std::string, double> at_zero = {
          {"relu", 0.0}, {"leaky_relu(0.1)", 0.1}, {"relu6", 0.0},
          {"selu", 1.0507009873554805 * 1.6732632423543772}, {"elu", 1.0}, {"celu(0.5)", 1.0},
          {"relu_squared", 0.0}};
      if (x == 0 && at_zero.count(a.name)) {
        EXPECT_NEAR(vd.derivative[i].item<double>(), at_zero.at(a.name), 1e-15) << a.name;
        continue;
      }
      const double h = 1e-5;  // the derivative by central differences of the closed form
      EXPECT_NEAR(vd.derivative[i].item<double>(), (f.at(a.name)(x + h) - f.at(a.name)(x - h)) / (2 * h),
                  1e-7)
          << a.name << "' at " << x;
    }
  }
  // Sigmoid's derivative peaks at 1/4, tanh's at 1, both at 0.
  const auto s = examples::value_and_derivative([](const torch::Tensor& x) { return torchact::sigmoid(x); },
                                                torch::linspace(-6, 6, 1201, torch::kDouble));
  EXPECT_NEAR(s.derivative.max().item<double>(), 0.25, 1e-12);
  // GELU's minimum is about -0.170 near x = -0.752, SiLU's about -0.278 near x = -1.278.
  const torch::Tensor grid = torch::linspace(-3, 0, 30001, torch::kDouble);
  const torch::Tensor gelu = torchact::gelu(grid), silu = torchact::silu(grid);
  EXPECT_NEAR(gelu.min().item<double>(), -0.16997, 1e-4);
  EXPECT_NEAR(grid[gelu.argmin()].item<double>(), -0.7518, 1e-3);
  EXPECT_NEAR(silu.min().item<double>(), -0.27846, 1e-4);
  EXPECT_NEAR(grid[silu.argmin()].item<double>(), -1.2785, 1e-3);
}

TEST(Examples, SigmoidGradientsVanishOrdersOfMagnitudeFasterThanReLU) {
  std::map<std::string, double> ratio;
  for (const auto& [name, act] : examples::deep_net_activations()) {
    ratio[name] = examples::gradient_norms(act, /*residual=*/false).ratio();
  }
  EXPECT_LT(ratio["sigmoid"], 1e-6 * ratio["relu"]);  // at least six orders of magnitude
  EXPECT_LT(ratio["sigmoid"], std::pow(0.25, 19));    // 19 factors of at most 1/4, times weights
  // Residual connections give the gradient a way around: the first layer learns again.
  const double residual = examples::gradient_norms(examples::deep_net_activations()[0].second, true).ratio();
  EXPECT_GT(residual, 1e6 * ratio["sigmoid"]);
}

TEST(Examples, ReLUUnitsDieWhereLeakyReLUUnitsDoNot) {
  const auto acts = examples::deep_net_activations();
  const auto relu = examples::train_and_count_dead(acts[2].second);
  const auto leaky = examples::train_and_count_dead(acts[3].second);
  EXPECT_GT(relu.after, relu.before + 0.2);  // a large share of ReLU units died in training
  EXPECT_GT(relu.after, leaky.after + 0.2);
}

TEST(Examples, SwiGLUBlockLearnsAndKeepsLessForBackward) {
  static auto* counter = new examples::CountingAllocator(c10::GetDefaultCPUAllocator());
  c10::SetCPUAllocator(counter, /*priority=*/100);
  const auto ours = examples::train_block(true, 60, 64, 172, 512, counter);
  const auto builtin = examples::train_block(false, 60, 64, 172, 512, counter);
  c10::SetCPUAllocator(c10::GetDefaultCPUAllocator(), /*priority=*/101);
  EXPECT_LT(ours.last_loss, 0.2 * ours.first_loss);
  EXPECT_NEAR(ours.last_loss, builtin.last_loss, 1e-4);
  // The fused op does not keep silu(gate): one [tokens, hidden] float tensor less.
  EXPECT_EQ(builtin.activation_bytes - ours.activation_bytes, 512 * 172 * 4);
}

}  // namespace
