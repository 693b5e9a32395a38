// Deploy-in-C++ half of the deployment test: loads the TorchScript module saved by
// make_scripted.py (which calls torch.ops.torchact.*) and checks its outputs and input gradients
// against the ones Python computed.
//
// The program calls no torchact function, so it is linked with -Wl,--no-as-needed (see
// CMakeLists.txt): otherwise the linker drops libtorchact.so and no torchact op exists here.
#include <torch/script.h>

#include <iostream>

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: load_scripted MODULE.pt\n";
    return 2;
  }
  torch::jit::Module module = torch::jit::load(argv[1]);
  const torch::Tensor x = module.attr("sample_input").toTensor().clone().requires_grad_(true);
  const torch::Tensor out = module.forward({x}).toTensor();
  out.sum().backward();
  const bool outputs_match =
      torch::allclose(out, module.attr("expected_output").toTensor(), 1.3e-6, 1e-5);
  const bool grads_match =
      torch::allclose(x.grad(), module.attr("expected_input_grad").toTensor(), 1.3e-6, 1e-5);
  std::cout << "TorchScript module from Python: outputs " << (outputs_match ? "match" : "DIFFER")
            << ", input gradients " << (grads_match ? "match" : "DIFFER") << "\n";
  return outputs_match && grads_match ? 0 : 1;
}
