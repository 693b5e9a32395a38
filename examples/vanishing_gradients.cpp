// Vanishing gradients: a 20-layer MLP per activation, same data and initial weights. Prints the
// gradient norm of the first and last layer's weights and their ratio; sigmoid's ratio is compared
// with 0.25^19 (its largest derivative, once per layer in between). Then the same with residual
// connections, which give the gradient a path around every activation.
//
//   vanishing_gradients [--device cuda]
#include <cmath>
#include <cstdio>

#include "activations.h"
#include "lessons.h"

int main(int argc, char** argv) {
  const torch::Device device = examples::device_from_args(argc, argv);
  for (bool residual : {false, true}) {
    std::printf("%s 20-layer MLP, width 64: gradient norm of the first and last layer's weights\n",
                residual ? "\nResidual" : "Plain");
    std::printf("  %-11s %12s %12s %12s\n", "activation", "first", "last", "first/last");
    double sigmoid_ratio = 0, relu_ratio = 0;
    for (const auto& [name, act] : examples::deep_net_activations()) {
      const auto norms = examples::gradient_norms(act, residual, 20, 64, device);
      std::printf("  %-11s %12.3e %12.3e %12.3e\n", name.c_str(), norms.first, norms.last,
                  norms.ratio());
      if (name == "sigmoid") sigmoid_ratio = norms.ratio();
      if (name == "relu") relu_ratio = norms.ratio();
    }
    if (!residual) {
      std::printf("  0.25^19 = %.3e: the most a chain of 19 sigmoid derivatives can pass on\n",
                  std::pow(0.25, 19));
    }
    std::printf("  sigmoid's ratio is %.1f orders of magnitude below ReLU's\n",
                std::log10(relu_ratio / sigmoid_ratio));
  }
  return 0;
}
