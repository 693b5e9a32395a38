// A float tensor of 2^31 + 5 elements (8 GiB) through silu forward and backward: no 32-bit index
// overflows anywhere. Skips, saying so, when the machine has too little free memory.
#include <gtest/gtest.h>

#include <fstream>
#include <string>

#include "op_table.h"

namespace torchact_test {
namespace {

// MemAvailable from /proc/meminfo, in bytes (0 if unknown).
int64_t available_memory() {
  std::ifstream meminfo("/proc/meminfo");
  std::string key;
  int64_t kib = 0;
  std::string unit;
  while (meminfo >> key >> kib >> unit) {
    if (key == "MemAvailable:") return kib * 1024;
  }
  return 0;
}

TEST(LargeInput, SiluForwardAndBackwardPast2To31Elements) {
  const int64_t n = (int64_t{1} << 31) + 5;
  const int64_t needed = 2 * n * 4 + (int64_t{1} << 30);  // two float tensors and some slack
  if (available_memory() < needed) {
    GTEST_SKIP() << "needs " << (needed >> 30) << " GiB free memory, have "
                 << (available_memory() >> 30) << " GiB";
  }
  Tensor x = torch::empty({n});
  // Values that depend on the position, cheap to recompute: (i mod 8) - 4, a sawtooth in [-4, 4).
  const Tensor pattern = torch::arange(8, torch::kFloat) - 4;
  const int64_t rows = n / 8;
  x.slice(0, 0, rows * 8).view({rows, 8}).copy_(pattern.expand({rows, 8}));
  x.slice(0, rows * 8).copy_(pattern.slice(0, 0, n - rows * 8));
  const std::vector<int64_t> samples = {0, 1, (int64_t{1} << 31) - 1, int64_t{1} << 31,
                                        (int64_t{1} << 31) + 1, n - 2, n - 1};
  auto value_at = [](int64_t i) { return static_cast<double>(i % 8) - 4.0; };
  {
    const Tensor y = torchact::silu(x);
    for (int64_t i : samples) {
      const double v = value_at(i);
      EXPECT_NEAR(y[i].item<double>(), v / (1 + std::exp(-v)), 1e-5) << "forward at " << i;
    }
  }
  // Backward with x as its own incoming gradient: x * silu'(x), keeping to two 8 GiB tensors.
  const Tensor dx = torchact::silu_backward(x, x);
  for (int64_t i : samples) {
    const double v = value_at(i), s = 1 / (1 + std::exp(-v));
    EXPECT_NEAR(dx[i].item<double>(), v * s * (1 + v * (1 - s)), 1e-5) << "backward at " << i;
  }
}

}  // namespace
}  // namespace torchact_test
