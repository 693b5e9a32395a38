// The cost of a call from C++: small tensors (2^10 and 2^16 float32 elements), one thread, each op
// against its ATen counterpart, forward without autograd, forward recording autograd, and forward +
// backward through torch::autograd::grad. torchact and ATen run in alternation, round after round;
// each one's time is the median of its rounds. Prints a markdown table (ratio < 1: torchact faster).
//
//   build/pypi/benchmarks/call_bench [rounds]
//
// From Python (benchmarks/compile_bench.py) torchact's functions call the ops through torchact._C,
// as ATen's bindings do, not through torch.ops' slower boxed call (README, CPU speed).
#include <torch/torch.h>
#include <torchact/torchact.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string>
#include <vector>

namespace {

using Op = std::function<at::Tensor(const at::Tensor&)>;

struct Row {
  const char* name;
  Op torchact, aten;
};

enum class Pass { Forward, ForwardWithGrad, ForwardBackward };

// Microseconds per call over `calls` calls of op in the given pass.
double time_calls(const Op& op, Pass pass, const at::Tensor& x, const at::Tensor& x_grad,
                  const at::Tensor& grad_output, int calls) {
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < calls; ++i) {
    if (pass == Pass::Forward) {
      const at::Tensor y = op(x);
    } else if (pass == Pass::ForwardWithGrad) {
      const at::Tensor y = op(x_grad);
    } else {
      const auto grads = torch::autograd::grad({op(x_grad)}, {x_grad}, {grad_output});
    }
  }
  const auto stop = std::chrono::steady_clock::now();
  return std::chrono::duration<double, std::micro>(stop - start).count() / calls;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  const int rounds = argc > 1 ? std::atoi(argv[1]) : 15;
  at::set_num_threads(1);
  const std::vector<Row> rows = {
      {"relu", [](const at::Tensor& x) { return torchact::relu(x); },
       [](const at::Tensor& x) { return at::relu(x); }},
      {"leaky_relu", [](const at::Tensor& x) { return torchact::leaky_relu(x, 0.1); },
       [](const at::Tensor& x) { return at::leaky_relu(x, 0.1); }},
      {"hardtanh", [](const at::Tensor& x) { return torchact::hardtanh(x); },
       [](const at::Tensor& x) { return at::hardtanh(x); }},
      {"hardswish", [](const at::Tensor& x) { return torchact::hardswish(x); },
       [](const at::Tensor& x) { return at::hardswish(x); }},
      {"silu", [](const at::Tensor& x) { return torchact::silu(x); },
       [](const at::Tensor& x) { return at::silu(x); }},
  };
  const std::vector<std::pair<Pass, const char*>> passes = {
      {Pass::Forward, "fwd"}, {Pass::ForwardWithGrad, "fwd, grad recorded"},
      {Pass::ForwardBackward, "fwd+bwd"}};
  std::printf("| op | pass | n | torchact us | ATen us | ratio |\n|---|---|---|---|---|---|\n");
  for (const int log2n : {10, 16}) {
    const at::Tensor x = torch::randn({int64_t{1} << log2n});
    const at::Tensor x_grad = x.clone().requires_grad_(true);
    const at::Tensor grad_output = torch::ones_like(x);
    for (const Row& row : rows) {
      for (const auto& pass : passes) {
        const int calls = (pass.first == Pass::ForwardBackward ? 200 : 1000) >> (log2n > 10 ? 3 : 0);
        std::vector<double> ours, theirs;
        for (int r = 0; r < rounds; ++r) {
          ours.push_back(time_calls(row.torchact, pass.first, x, x_grad, grad_output, calls));
          theirs.push_back(time_calls(row.aten, pass.first, x, x_grad, grad_output, calls));
        }
        const double a = median(ours), b = median(theirs);
        std::printf("| %s | %s | 2^%d | %.2f | %.2f | %.2f |\n", row.name, pass.second, log2n, a, b,
                    a / b);
      }
    }
  }
  return 0;
}
