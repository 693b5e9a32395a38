// Dead neurons: the same MLP with ReLU and with LeakyReLU, trained on a synthetic regression with a
// too-large learning rate. A hidden unit whose input is negative for every example outputs 0 under
// ReLU and gets no gradient, so it never recovers; LeakyReLU's small slope lets it.
//
//   dead_neurons [--device cuda]
#include <cstdio>

#include "activations.h"
#include "lessons.h"

int main(int argc, char** argv) {
  const torch::Device device = examples::device_from_args(argc, argv);
  std::printf("4-layer MLP, width 64, regression to 5 sin(sum(x) / 8), SGD with learning rate 0.5 (too large), 300 steps\n");
  std::printf("fraction of hidden units whose input is <= 0 on every example:\n");
  std::printf("  %-11s %8s %8s\n", "activation", "before", "after");
  for (const auto& [name, act] : examples::deep_net_activations()) {
    if (name != "relu" && name != "leaky_relu") continue;
    const auto dead = examples::train_and_count_dead(act, 0.5, 300, device);
    std::printf("  %-11s %7.1f%% %7.1f%%\n", name.c_str(), 100 * dead.before, 100 * dead.after);
  }
  return 0;
}
