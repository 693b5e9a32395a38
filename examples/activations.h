// The activations the examples compare: torchact's op beside the built-in one.
#pragma once

#include <torch/torch.h>
#include <torchact/torchact.h>

#include <functional>
#include <string>
#include <vector>

namespace examples {

struct Activation {
  std::string name;
  std::function<torch::Tensor(const torch::Tensor&)> torchact;
  std::function<torch::Tensor(const torch::Tensor&)> builtin;
  std::string color;  // for plots
};

inline const std::vector<Activation>& activations() {
  static const std::vector<Activation> list = {
      {"sigmoid", [](const torch::Tensor& x) { return torchact::sigmoid(x); },
       [](const torch::Tensor& x) { return torch::sigmoid(x); }, "#1f77b4"},
      {"tanh", [](const torch::Tensor& x) { return torchact::tanh(x); },
       [](const torch::Tensor& x) { return torch::tanh(x); }, "#ff7f0e"},
      {"relu", [](const torch::Tensor& x) { return torchact::relu(x); },
       [](const torch::Tensor& x) { return torch::relu(x); }, "#2ca02c"},
      {"leaky_relu(0.1)", [](const torch::Tensor& x) { return torchact::leaky_relu(x, 0.1); },
       [](const torch::Tensor& x) { return torch::leaky_relu(x, 0.1); }, "#d62728"},
      {"gelu", [](const torch::Tensor& x) { return torchact::gelu(x); },
       [](const torch::Tensor& x) { return torch::gelu(x); }, "#9467bd"},
      {"gelu(tanh)", [](const torch::Tensor& x) { return torchact::gelu(x, "tanh"); },
       [](const torch::Tensor& x) { return torch::gelu(x, "tanh"); }, "#8c564b"},
      {"silu", [](const torch::Tensor& x) { return torchact::silu(x); },
       [](const torch::Tensor& x) { return torch::silu(x); }, "#e377c2"},
      {"swish(beta=2)", [](const torch::Tensor& x) { return torchact::swish(x, 2.0); },
       [](const torch::Tensor& x) { return x * torch::sigmoid(2.0 * x); }, "#17becf"},
  };
  return list;
}

// f(x) and f'(x) at every element of x (float64), the derivative by the op's backward.
struct ValueAndDerivative {
  torch::Tensor value, derivative;
};
inline ValueAndDerivative value_and_derivative(
    const std::function<torch::Tensor(const torch::Tensor&)>& f, const torch::Tensor& x) {
  const torch::Tensor leaf = x.detach().clone().requires_grad_(true);
  const torch::Tensor y = f(leaf);
  y.backward(torch::ones_like(y));
  return {y.detach(), leaf.grad()};
}

// Parses "--device cuda" (default cpu).
inline torch::Device device_from_args(int argc, char** argv) {
  for (int i = 1; i + 1 < argc; ++i) {
    if (std::string(argv[i]) == "--device") return torch::Device(argv[i + 1]);
  }
  return torch::Device(torch::kCPU);
}

}  // namespace examples
