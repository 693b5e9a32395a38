// Calls torchact through the installed package and checks the result against ATen.
#include <torch/torch.h>
#include <torchact/torchact.h>

#include <iostream>

int main() {
  const auto gate = torch::randn({64});
  const auto up = torch::randn({64});
  const auto ours = torchact::swiglu(gate, up);
  const auto expected = torch::silu(gate) * up;
  if (!torch::allclose(ours, expected, 1.3e-6, 1e-5)) {
    std::cerr << "consumer: torchact::swiglu differs from silu(gate) * up\n";
    return 1;
  }
  std::cout << "consumer: torchact::swiglu matches silu(gate) * up (cpu kernels: "
            << torchact::cpu_capability() << ")\n";
  return 0;
}
