#include "op_support.h"

#include <cmath>
#include <sstream>

#include "cpu/kernels.h"

namespace torchact {

void check_defined(const char* op,
                   std::initializer_list<std::pair<const char*, const at::Tensor*>> args) {
  for (const auto& arg : args) {
    TORCH_CHECK(arg.second->defined(), op, ": ", arg.first, " is an undefined tensor");
  }
}

Spec make_finite_spec(const char* op, int kernel,
                      std::initializer_list<std::pair<const char*, double>> floats) {
  Spec spec{op, kernel, {{0.0, 0.0, 0.0}}};
  int i = 0;
  for (const auto& arg : floats) {
    TORCH_CHECK(std::isfinite(arg.second), op, ": ", arg.first, " must be finite, got ", arg.second);
    spec.params.values[i++] = arg.second;
  }
  return spec;
}

void fail_invalid(const char* op, const char* problem,
                  std::initializer_list<std::pair<const char*, double>> floats) {
  std::ostringstream got;
  for (const auto& arg : floats) got << (got.tellp() > 0 ? ", " : "") << arg.first << "=" << arg.second;
  TORCH_CHECK(false, op, ": ", problem, ", got ", got.str());
}

int choose_kernel(const char* op, c10::string_view approximate,
                  std::initializer_list<std::pair<const char*, int>> kernels) {
  std::string allowed;
  for (const auto& choice : kernels) {
    if (approximate == choice.first) return choice.second;
    allowed += (allowed.empty() ? "'" : ", '") + std::string(choice.first) + "'";
  }
  TORCH_CHECK(false, op, ": approximate must be one of ", allowed, ", got '", approximate, "'");
}

const char* cpu_capability() { return cpu::kernels().isa; }
bool has_cuda_kernels() { return cuda_backend() != nullptr; }

}  // namespace torchact
