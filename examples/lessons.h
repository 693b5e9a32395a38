// The measurements behind the examples, shared with tests/test_examples.cpp, which checks each
// example's claim.
#pragma once

#include <torch/torch.h>
#include <torch/version.h>
#include <torchact/torchact.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <string>
#include <vector>

namespace examples {

using Act = std::function<torch::Tensor(const torch::Tensor&)>;

// The activations the deep-network lessons compare, all through torchact.
inline std::vector<std::pair<std::string, Act>> deep_net_activations() {
  return {{"sigmoid", [](const torch::Tensor& x) { return torchact::sigmoid(x); }},
          {"tanh", [](const torch::Tensor& x) { return torchact::tanh(x); }},
          {"relu", [](const torch::Tensor& x) { return torchact::relu(x); }},
          {"leaky_relu", [](const torch::Tensor& x) { return torchact::leaky_relu(x, 0.01); }},
          {"gelu", [](const torch::Tensor& x) { return torchact::gelu(x); }},
          {"silu", [](const torch::Tensor& x) { return torchact::silu(x); }}};
}

// An MLP of `depth` Linear layers (width `width`) with `act` between them, optionally residual
// (x + act(W x)), initialised from one seed so that every activation starts from the same weights.
struct MLP : torch::nn::Module {
  MLP(int64_t depth, int64_t width, Act act, bool residual, uint64_t seed = 0)
      : act(std::move(act)), residual(residual) {
    torch::manual_seed(seed);
    for (int64_t i = 0; i < depth; ++i) {
      layers.push_back(register_module("layer" + std::to_string(i), torch::nn::Linear(width, width)));
    }
  }
  // Hidden outputs of every layer but the last (what "dead neuron" counts look at).
  torch::Tensor forward(torch::Tensor x, std::vector<torch::Tensor>* hidden = nullptr) {
    for (size_t i = 0; i + 1 < layers.size(); ++i) {
      const torch::Tensor h = act(layers[i](x));
      if (hidden) hidden->push_back(h);
      x = residual ? x + h : h;
    }
    return layers.back()(x);
  }
  Act act;
  bool residual;
  std::vector<torch::nn::Linear> layers;
};

// ---- Vanishing gradients ----------------------------------------------------------------------
struct GradientNorms {
  double first, last;  // Frobenius norm of d loss / d W for the first and last layer
  double ratio() const { return first / last; }
};

inline GradientNorms gradient_norms(const Act& act, bool residual, int64_t depth = 20,
                                    int64_t width = 64, torch::Device device = torch::kCPU) {
  MLP net(depth, width, act, residual);
  net.to(device);
  torch::manual_seed(1);
  const torch::Tensor x = torch::randn({128, width}).to(device);
  const torch::Tensor target = torch::randn({128, width}).to(device);
  torch::mse_loss(net.forward(x), target).backward();
  return {net.layers.front()->weight.grad().norm().item<double>(),
          net.layers.back()->weight.grad().norm().item<double>()};
}

// ---- Dead neurons -------------------------------------------------------------------------------
struct DeadFractions {
  double before, after;  // hidden units whose input is <= 0 for every example
};

inline double dead_fraction(MLP& net, const torch::Tensor& x) {
  torch::NoGradGuard no_grad;
  int64_t dead = 0, total = 0;
  torch::Tensor h = x;
  for (size_t i = 0; i + 1 < net.layers.size(); ++i) {
    const torch::Tensor pre = net.layers[i](h);
    dead += (pre <= 0).all(0).sum().item<int64_t>();
    total += pre.size(1);
    h = net.act(pre);
  }
  return static_cast<double>(dead) / static_cast<double>(total);
}

inline DeadFractions train_and_count_dead(const Act& act, double learning_rate = 0.5,
                                          int64_t steps = 300, torch::Device device = torch::kCPU) {
  MLP net(4, 64, act, /*residual=*/false, /*seed=*/7);
  net.to(device);
  torch::manual_seed(8);
  const torch::Tensor x = torch::randn({256, 64}).to(device);
  const torch::Tensor y = (5 * (x.sum(1, true) / 8).sin()).expand({256, 64}).contiguous();
  DeadFractions result{dead_fraction(net, x), 0};
  torch::optim::SGD opt(net.parameters(), torch::optim::SGDOptions(learning_rate));
  for (int64_t step = 0; step < steps; ++step) {
    opt.zero_grad();
    torch::mse_loss(net.forward(x), y).backward();
    opt.step();
  }
  result.after = dead_fraction(net, x);
  return result;
}

// ---- SwiGLU feed-forward training -------------------------------------------------------------
// Counts the bytes the CPU allocator holds, to measure what autograd keeps for the backward.
class CountingAllocator : public c10::Allocator {
 public:
  explicit CountingAllocator(c10::Allocator* base) : base_(base) {}
#if TORCH_VERSION_MAJOR >= 2
  c10::DataPtr allocate(size_t n) override { return counted(n); }
  void copy_data(void* dest, const void* src, std::size_t count) const override {
    default_copy_data(dest, src, count);
  }
#else
  c10::DataPtr allocate(size_t n) const override { return counted(n); }
#endif
  c10::DeleterFnPtr raw_deleter() const override { return nullptr; }
  int64_t current() const { return current_.load(); }
  int64_t peak() const { return peak_.load(); }
  void reset_peak() { peak_.store(current_.load()); }

 private:
  struct Record {
    void* context;
    c10::DeleterFnPtr deleter;
    size_t bytes;
    const CountingAllocator* owner;
  };
  static void release(void* ctx) {
    auto* r = static_cast<Record*>(ctx);
    r->owner->add(-static_cast<int64_t>(r->bytes));
    if (r->deleter) r->deleter(r->context);
    delete r;
  }
  c10::DataPtr counted(size_t n) const {
    c10::DataPtr p = base_->allocate(n);
    void* ctx = new Record{p.release_context(), p.get_deleter(), n, this};
    add(static_cast<int64_t>(n));
    return {p.get(), ctx, &release, p.device()};
  }
  void add(int64_t n) const {
    const int64_t now = current_ += n;
    int64_t peak = peak_.load();
    while (now > peak && !peak_.compare_exchange_weak(peak, now)) {
    }
  }
  c10::Allocator* base_;
  mutable std::atomic<int64_t> current_{0}, peak_{0};
};

struct TrainingReport {
  double first_loss, last_loss;
  double ms_per_step;
  int64_t activation_bytes;  // held by autograd after the forward pass, before the backward
};

// A Llama-style block y = x + FFN(rmsnorm(x)) trained to reproduce a fixed random block.
inline TrainingReport train_block(bool use_torchact, int64_t steps = 60, int64_t dim = 64,
                                  int64_t hidden = 172, int64_t tokens = 512,
                                  CountingAllocator* counter = nullptr) {
  torch::manual_seed(21);
  torchact::nn::SwiGLUFeedForward ffn(torchact::nn::SwiGLUFeedForwardOptions(dim, hidden));
  const auto block = [&](const torch::Tensor& x) {
    const torch::Tensor normed = x * torch::rsqrt(x.pow(2).mean(-1, true) + 1e-6);
    if (use_torchact) return x + ffn(normed);
    const torch::Tensor h = torch::silu(ffn->w1(normed)) * ffn->w3(normed);
    return x + ffn->w2(h);
  };
  torch::manual_seed(22);
  const torch::Tensor x = torch::randn({tokens, dim});
  const torch::Tensor target = x + 0.5 * torch::tanh(torch::matmul(x, torch::randn({dim, dim}) / 8));
  torch::optim::Adam opt(ffn->parameters(), torch::optim::AdamOptions(3e-3));
  TrainingReport report{0, 0, 0, 0};
  const auto start = std::chrono::steady_clock::now();
  for (int64_t step = 0; step < steps; ++step) {
    opt.zero_grad();
    const int64_t before = counter ? counter->current() : 0;
    const torch::Tensor loss = torch::mse_loss(block(x), target);
    if (counter && step == 0) report.activation_bytes = counter->current() - before;
    loss.backward();
    opt.step();
    if (step == 0) report.first_loss = loss.item<double>();
    report.last_loss = loss.item<double>();
  }
  report.ms_per_step =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count() /
      static_cast<double>(steps);
  return report;
}

}  // namespace examples
