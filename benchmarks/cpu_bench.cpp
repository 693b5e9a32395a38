// CPU benchmark: every torchact op, forward and backward, against its ATen counterpart on the same
// inputs in the same run, for float32, bfloat16 and float64, 2^16, 2^20 and 2^24 elements, on one
// thread and on all threads. Prints one table with the ratio torchact / ATen per row (< 1: faster).
//
//   cpu_bench [--quick] [--repetitions=N] [Google Benchmark flags, e.g. --benchmark_filter=silu]
//
// --repetitions (default 3) with --benchmark_enable_random_interleaving=true steadies rows of a
// fraction of a millisecond on a shared machine: the repetitions of torchact and ATen are then
// shuffled through the run instead of following each other.
//
// Backward rows compare with ATen's backward op (sigmoid_backward, threshold_backward,
// elu_backward, ...) on the same preallocated gradient; ops ATen lacks with their composition
// (quick_gelu: x * sigmoid(1.702 x), relu_squared: relu(x)^2); the gated ops with the composition
// (silu(a) * b, gelu(a) * b, relu(a) * b, GPT-OSS's clamped SwiGLU), forward and
// forward+backward through autograd. Time: the fastest of the repetitions (wall clock).
#include <benchmark/benchmark.h>
#include <torch/torch.h>
#include <torchact/torchact.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <functional>
#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace {

using torch::Tensor;

struct Inputs {
  Tensor x, y_sigmoid, y_tanh, y_relu, grad, up;
};

Inputs make_inputs(int64_t n, at::ScalarType dtype) {
  torch::manual_seed(0);
  Inputs in;
  in.x = (torch::randn({n}) * 3).to(dtype);
  in.up = torch::randn({n}).to(dtype);
  in.grad = torch::randn({n}).to(dtype);
  in.y_sigmoid = torch::sigmoid(in.x.to(at::kFloat)).to(dtype);
  in.y_tanh = torch::tanh(in.x.to(at::kFloat)).to(dtype);
  in.y_relu = torch::relu(in.x);
  return in;
}

// One row of the table: what torchact and ATen each run.
struct Row {
  std::string op, pass;
  std::function<Tensor(const Inputs&)> torchact, aten;
};

using GatedFn = std::function<Tensor(const Tensor&, const Tensor&)>;

std::pair<Tensor, Tensor> gated_grads(const GatedFn& f,
                                      const Inputs& in) {
  const Tensor a = in.x.detach().requires_grad_(true);
  const Tensor b = in.up.detach().requires_grad_(true);
  const auto grads = torch::autograd::grad({f(a, b)}, {a, b}, {in.grad});
  return {grads[0], grads[1]};
}

// A gated op against its composition: forward, and forward+backward through autograd.
std::vector<Row> gated_rows(const std::string& op, const GatedFn& ours, const GatedFn& composed) {
  return {{op, "fwd", [ours](const Inputs& in) { return ours(in.x, in.up); },
           [composed](const Inputs& in) { return composed(in.x, in.up); }},
          {op, "fwd+bwd", [ours](const Inputs& in) { return gated_grads(ours, in).first; },
           [composed](const Inputs& in) { return gated_grads(composed, in).first; }}};
}

std::vector<Row> rows() {
  std::vector<Row> table = {
      {"sigmoid", "fwd", [](const Inputs& in) { return torchact::sigmoid(in.x); },
       [](const Inputs& in) { return torch::sigmoid(in.x); }},
      {"sigmoid", "bwd", [](const Inputs& in) { return torchact::sigmoid_backward(in.grad, in.y_sigmoid); },
       [](const Inputs& in) { return at::sigmoid_backward(in.grad, in.y_sigmoid); }},
      {"tanh", "fwd", [](const Inputs& in) { return torchact::tanh(in.x); },
       [](const Inputs& in) { return torch::tanh(in.x); }},
      {"tanh", "bwd", [](const Inputs& in) { return torchact::tanh_backward(in.grad, in.y_tanh); },
       [](const Inputs& in) { return at::tanh_backward(in.grad, in.y_tanh); }},
      {"relu", "fwd", [](const Inputs& in) { return torchact::relu(in.x); },
       [](const Inputs& in) { return torch::relu(in.x); }},
      {"relu", "bwd", [](const Inputs& in) { return torchact::relu_backward(in.grad, in.y_relu); },
       [](const Inputs& in) { return at::threshold_backward(in.grad, in.y_relu, 0); }},
      {"leaky_relu", "fwd", [](const Inputs& in) { return torchact::leaky_relu(in.x, 0.01); },
       [](const Inputs& in) { return torch::leaky_relu(in.x, 0.01); }},
      {"leaky_relu", "bwd",
       [](const Inputs& in) { return torchact::leaky_relu_backward(in.grad, in.x, 0.01); },
       [](const Inputs& in) { return at::leaky_relu_backward(in.grad, in.x, 0.01, false); }},
      {"gelu", "fwd", [](const Inputs& in) { return torchact::gelu(in.x); },
       [](const Inputs& in) { return torch::gelu(in.x); }},
      {"gelu", "bwd", [](const Inputs& in) { return torchact::gelu_backward(in.grad, in.x); },
       [](const Inputs& in) { return at::gelu_backward(in.grad, in.x); }},
      {"gelu_tanh", "fwd", [](const Inputs& in) { return torchact::gelu(in.x, "tanh"); },
       [](const Inputs& in) { return torch::gelu(in.x, "tanh"); }},
      {"gelu_tanh", "bwd",
       [](const Inputs& in) { return torchact::gelu_backward(in.grad, in.x, "tanh"); },
       [](const Inputs& in) { return at::gelu_backward(in.grad, in.x, "tanh"); }},
      {"silu", "fwd", [](const Inputs& in) { return torchact::silu(in.x); },
       [](const Inputs& in) { return torch::silu(in.x); }},
      {"silu", "bwd", [](const Inputs& in) { return torchact::silu_backward(in.grad, in.x); },
       [](const Inputs& in) { return at::silu_backward(in.grad, in.x); }},
      {"mish", "fwd", [](const Inputs& in) { return torchact::mish(in.x); },
       [](const Inputs& in) { return torch::mish(in.x); }},
      {"mish", "bwd", [](const Inputs& in) { return torchact::mish_backward(in.grad, in.x); },
       [](const Inputs& in) { return at::mish_backward(in.grad, in.x); }},
      {"elu", "fwd", [](const Inputs& in) { return torchact::elu(in.x); },
       [](const Inputs& in) { return torch::elu(in.x); }},
      {"elu", "bwd", [](const Inputs& in) { return torchact::elu_backward(in.grad, in.x, 1, 1, 1); },
       [](const Inputs& in) { return at::elu_backward(in.grad, 1, 1, 1, false, in.x); }},
      {"selu", "fwd", [](const Inputs& in) { return torchact::selu(in.x); },
       [](const Inputs& in) { return torch::selu(in.x); }},
      {"celu", "fwd", [](const Inputs& in) { return torchact::celu(in.x, 0.5); },
       [](const Inputs& in) { return torch::celu(in.x, 0.5); }},
      {"softplus", "fwd", [](const Inputs& in) { return torchact::softplus(in.x); },
       [](const Inputs& in) { return torch::softplus(in.x, 1, 20); }},
      {"softplus", "bwd",
       [](const Inputs& in) { return torchact::softplus_backward(in.grad, in.x, 1, 20); },
       [](const Inputs& in) { return at::softplus_backward(in.grad, in.x, 1, 20); }},
      {"hardsigmoid", "fwd", [](const Inputs& in) { return torchact::hardsigmoid(in.x); },
       [](const Inputs& in) { return torch::hardsigmoid(in.x); }},
      {"hardsigmoid", "bwd",
       [](const Inputs& in) { return torchact::hardsigmoid_backward(in.grad, in.x); },
       [](const Inputs& in) { return at::hardsigmoid_backward(in.grad, in.x); }},
      {"hardswish", "fwd", [](const Inputs& in) { return torchact::hardswish(in.x); },
       [](const Inputs& in) { return torch::hardswish(in.x); }},
      {"hardswish", "bwd", [](const Inputs& in) { return torchact::hardswish_backward(in.grad, in.x); },
       [](const Inputs& in) { return at::hardswish_backward(in.grad, in.x); }},
      {"relu6", "fwd", [](const Inputs& in) { return torchact::relu6(in.x); },
       [](const Inputs& in) { return torch::hardtanh(in.x, 0, 6); }},
      {"hardtanh", "fwd", [](const Inputs& in) { return torchact::hardtanh(in.x); },
       [](const Inputs& in) { return torch::hardtanh(in.x); }},
      {"hardtanh", "bwd",
       [](const Inputs& in) { return torchact::hardtanh_backward(in.grad, in.x, -1, 1); },
       [](const Inputs& in) { return at::hardtanh_backward(in.grad, in.x, -1, 1); }},
      {"quick_gelu", "fwd", [](const Inputs& in) { return torchact::quick_gelu(in.x); },
       [](const Inputs& in) { return in.x * torch::sigmoid(1.702 * in.x); }},
      {"relu_squared", "fwd", [](const Inputs& in) { return torchact::relu_squared(in.x); },
       [](const Inputs& in) { return torch::relu(in.x).square(); }},
  };
  for (const auto& row : gated_rows("swiglu", [](const Tensor& a, const Tensor& b) { return torchact::swiglu(a, b); },
                                    [](const Tensor& a, const Tensor& b) { return torch::silu(a) * b; })) {
    table.push_back(row);
  }
  for (const auto& row : gated_rows("geglu", [](const Tensor& a, const Tensor& b) { return torchact::geglu(a, b); },
                                    [](const Tensor& a, const Tensor& b) { return torch::gelu(a) * b; })) {
    table.push_back(row);
  }
  for (const auto& row : gated_rows("reglu", [](const Tensor& a, const Tensor& b) { return torchact::reglu(a, b); },
                                    [](const Tensor& a, const Tensor& b) { return torch::relu(a) * b; })) {
    table.push_back(row);
  }
  for (const auto& row : gated_rows(
           "swiglu_oai", [](const Tensor& a, const Tensor& b) { return torchact::swiglu_oai(a, b); },
           [](const Tensor& a, const Tensor& b) {
             const Tensor g = a.clamp_max(7.0);
             return g * torch::sigmoid(1.702 * g) * (b.clamp(-7.0, 7.0) + 1);
           })) {
    table.push_back(row);
  }
  return table;
}

std::string dtype_name(at::ScalarType t) {
  return t == at::kFloat ? "fp32" : t == at::kBFloat16 ? "bf16" : "fp64";
}

// Collects the fastest repetition of every benchmark by name.
class Collector : public benchmark::ConsoleReporter {
 public:
  std::map<std::string, double> best_ms;
  void ReportRuns(const std::vector<Run>& runs) override {
    for (const auto& run : runs) {
      if (run.run_type != Run::RT_Iteration || run.error_occurred) continue;
      const double ms = run.GetAdjustedRealTime();  // in the benchmark's unit: ms
      auto it = best_ms.find(run.run_name.function_name);
      if (it == best_ms.end() || ms < it->second) best_ms[run.run_name.function_name] = ms;
    }
  }
  bool ReportContext(const Context&) override { return true; }
  void Finalize() override {}
};

}  // namespace

int main(int argc, char** argv) {
  bool quick = false;
  int repetitions = 0;
  std::vector<char*> args;
  for (int i = 0; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--quick") {
      quick = true;
    } else if (arg.rfind("--repetitions=", 0) == 0) {
      repetitions = std::max(1, std::atoi(arg.c_str() + 14));
    } else {
      args.push_back(argv[i]);
    }
  }
  int bench_argc = static_cast<int>(args.size());
  const int all_threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  const std::vector<int64_t> sizes = quick ? std::vector<int64_t>{1 << 20}
                                           : std::vector<int64_t>{1 << 16, 1 << 20, 1 << 24};
  const std::vector<at::ScalarType> dtypes = quick ? std::vector<at::ScalarType>{at::kFloat}
                                                   : std::vector<at::ScalarType>{at::kFloat, at::kBFloat16, at::kDouble};
  const std::vector<int> thread_counts = all_threads > 1 ? std::vector<int>{1, all_threads} : std::vector<int>{1};

  struct TableRow {
    std::string op, pass, dtype;
    int64_t n;
    int threads;
    std::string ours, aten;
  };
  std::vector<TableRow> table;
  // Inputs are made once per (dtype, size) and shared by the rows.
  static std::map<std::pair<int, int64_t>, Inputs> inputs;
  for (const auto& row : rows()) {
    for (auto dtype : dtypes) {
      for (int64_t n : sizes) {
        for (int threads : thread_counts) {
          std::ostringstream base;
          base << row.op << "/" << row.pass << "/" << dtype_name(dtype) << "/2^"
               << (63 - __builtin_clzll(static_cast<unsigned long long>(n))) << "/t" << threads;
          TableRow t{row.op, row.pass, dtype_name(dtype), n, threads, base.str() + "/torchact",
                     base.str() + "/aten"};
          table.push_back(t);
          for (int impl = 0; impl < 2; ++impl) {
            const auto fn = impl == 0 ? row.torchact : row.aten;
            benchmark::RegisterBenchmark(impl == 0 ? t.ours.c_str() : t.aten.c_str(),
                                         [fn, dtype, n, threads](benchmark::State& state) {
                                           at::set_num_threads(threads);
                                           auto key = std::make_pair(static_cast<int>(dtype), n);
                                           if (!inputs.count(key)) inputs[key] = make_inputs(n, dtype);
                                           const Inputs& in = inputs[key];
                                           for (auto _ : state) benchmark::DoNotOptimize(fn(in));
                                         })
                ->Unit(benchmark::kMillisecond)
                ->UseRealTime()
                ->MinTime(quick ? 0.02 : 0.05)
                ->Repetitions(repetitions > 0 ? repetitions : (quick ? 2 : 3));
          }
        }
      }
    }
  }
  benchmark::Initialize(&bench_argc, args.data());
  Collector collector;
  benchmark::RunSpecifiedBenchmarks(&collector);

  char date[32];
  const std::time_t now = std::time(nullptr);
  std::strftime(date, sizeof date, "%Y-%m-%d", std::localtime(&now));
  std::printf("\ntorchact CPU benchmark: LibTorch %s, torchact CPU kernels %s, %d hardware threads, %s\n",
              TORCH_VERSION, torchact::cpu_capability(), all_threads, date);
  std::printf("time = fastest repetition, ms; ratio = torchact / ATen (< 1: torchact faster)\n\n");
  std::printf("| op | pass | dtype | n | threads | torchact ms | ATen ms | ratio |\n");
  std::printf("|---|---|---|---|---|---|---|---|\n");
  for (const auto& t : table) {
    if (!collector.best_ms.count(t.ours) || !collector.best_ms.count(t.aten)) continue;
    const double ours = collector.best_ms[t.ours], aten = collector.best_ms[t.aten];
    std::printf("| %s | %s | %s | 2^%d | %d | %.3f | %.3f | %.2f |\n", t.op.c_str(), t.pass.c_str(),
                t.dtype.c_str(), 63 - __builtin_clzll(static_cast<unsigned long long>(t.n)),
                t.threads, ours, aten, ours / aten);
  }
  return 0;
}
