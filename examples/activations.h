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
  std::string color;   // for plots
  std::string family;  // the plot's panel
};

// The plot's panels, one family each.
inline const std::vector<std::string>& families() {
  static const std::vector<std::string> list = {"saturating", "ReLU and ELU family", "smooth gates"};
  return list;
}

inline const std::vector<Activation>& activations() {
  using T = torch::Tensor;
  static const std::vector<Activation> list = {
      {"sigmoid", [](const T& x) { return torchact::sigmoid(x); },
       [](const T& x) { return torch::sigmoid(x); }, "#1f77b4", "saturating"},
      {"tanh", [](const T& x) { return torchact::tanh(x); },
       [](const T& x) { return torch::tanh(x); }, "#ff7f0e", "saturating"},
      {"hardsigmoid", [](const T& x) { return torchact::hardsigmoid(x); },
       [](const T& x) { return torch::hardsigmoid(x); }, "#2ca02c", "saturating"},
      {"hardtanh", [](const T& x) { return torchact::hardtanh(x); },
       [](const T& x) { return torch::hardtanh(x, -1, 1); }, "#d62728", "saturating"},
      {"relu", [](const T& x) { return torchact::relu(x); },
       [](const T& x) { return torch::relu(x); }, "#2ca02c", "ReLU and ELU family"},
      {"leaky_relu(0.1)", [](const T& x) { return torchact::leaky_relu(x, 0.1); },
       [](const T& x) { return torch::leaky_relu(x, 0.1); }, "#d62728", "ReLU and ELU family"},
      {"relu6", [](const T& x) { return torchact::relu6(x); },
       [](const T& x) { return torch::hardtanh(x, 0, 6); }, "#7f7f7f", "ReLU and ELU family"},
      {"relu_squared", [](const T& x) { return torchact::relu_squared(x); },
       [](const T& x) { return torch::relu(x).pow(2); }, "#bcbd22", "ReLU and ELU family"},
      {"elu", [](const T& x) { return torchact::elu(x); },
       [](const T& x) { return torch::elu(x); }, "#1f77b4", "ReLU and ELU family"},
      {"selu", [](const T& x) { return torchact::selu(x); },
       [](const T& x) { return torch::selu(x); }, "#ff7f0e", "ReLU and ELU family"},
      {"celu(0.5)", [](const T& x) { return torchact::celu(x, 0.5); },
       [](const T& x) { return torch::celu(x, 0.5); }, "#9467bd", "ReLU and ELU family"},
      {"softplus", [](const T& x) { return torchact::softplus(x); },
       [](const T& x) { return torch::softplus(x, 1, 20); }, "#17becf", "ReLU and ELU family"},
      {"gelu", [](const T& x) { return torchact::gelu(x); },
       [](const T& x) { return torch::gelu(x); }, "#9467bd", "smooth gates"},
      {"gelu(tanh)", [](const T& x) { return torchact::gelu(x, "tanh"); },
       [](const T& x) { return torch::gelu(x, "tanh"); }, "#8c564b", "smooth gates"},
      {"silu", [](const T& x) { return torchact::silu(x); },
       [](const T& x) { return torch::silu(x); }, "#e377c2", "smooth gates"},
      {"swish(beta=2)", [](const T& x) { return torchact::swish(x, 2.0); },
       [](const T& x) { return x * torch::sigmoid(2.0 * x); }, "#17becf", "smooth gates"},
      {"quick_gelu", [](const T& x) { return torchact::quick_gelu(x); },
       [](const T& x) { return x * torch::sigmoid(1.702 * x); }, "#bcbd22", "smooth gates"},
      {"mish", [](const T& x) { return torchact::mish(x); },
       [](const T& x) { return torch::mish(x); }, "#1f77b4", "smooth gates"},
      {"hardswish", [](const T& x) { return torchact::hardswish(x); },
       [](const T& x) { return torch::hardswish(x); }, "#2ca02c", "smooth gates"},
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
