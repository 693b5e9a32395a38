// torch::nn modules that call torchact's ops, in LibTorch's own style (Impl + TORCH_MODULE,
// options structs, pretty_print): drop-in replacements for torch::nn::Sigmoid, ::GELU, ... and the
// Llama feed-forward block w2(silu(w1 x) * w3 x).
#pragma once

#include <torch/nn/cloneable.h>
#include <torch/nn/module.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/pimpl.h>

#include <string>

#include "torchact/ops.h"

namespace torchact {
namespace nn {

// ---- Activations without options ----------------------------------------------------------------
#define TORCHACT_SIMPLE_MODULE(Name, op)                                              \
  class Name##Impl : public torch::nn::Cloneable<Name##Impl> {                         \
   public:                                                                            \
    void reset() override {}                                                          \
    at::Tensor forward(const at::Tensor& input) { return torchact::op(input); }       \
    void pretty_print(std::ostream& stream) const override {                          \
      stream << "torchact::nn::" #Name "()";                                          \
    }                                                                                 \
  };                                                                                  \
  TORCH_MODULE(Name)

TORCHACT_SIMPLE_MODULE(Sigmoid, sigmoid);
TORCHACT_SIMPLE_MODULE(Tanh, tanh);
TORCHACT_SIMPLE_MODULE(ReLU, relu);
TORCHACT_SIMPLE_MODULE(SiLU, silu);
TORCHACT_SIMPLE_MODULE(Mish, mish);
#undef TORCHACT_SIMPLE_MODULE

// ---- Activations with options -------------------------------------------------------------------
struct LeakyReLUOptions {
  TORCH_ARG(double, negative_slope) = 0.01;
};
class LeakyReLUImpl : public torch::nn::Cloneable<LeakyReLUImpl> {
 public:
  explicit LeakyReLUImpl(const LeakyReLUOptions& options_ = {}) : options(options_) {}
  void reset() override {}
  at::Tensor forward(const at::Tensor& input) {
    return torchact::leaky_relu(input, options.negative_slope());
  }
  void pretty_print(std::ostream& stream) const override {
    stream << "torchact::nn::LeakyReLU(negative_slope=" << options.negative_slope() << ")";
  }
  LeakyReLUOptions options;
};
TORCH_MODULE(LeakyReLU);

struct GELUOptions {
  TORCH_ARG(std::string, approximate) = "none";  // "none" (erf) or "tanh"
};
class GELUImpl : public torch::nn::Cloneable<GELUImpl> {
 public:
  explicit GELUImpl(GELUOptions options_ = {}) : options(std::move(options_)) {}
  void reset() override {}
  at::Tensor forward(const at::Tensor& input) {
    return torchact::gelu(input, options.approximate());
  }
  void pretty_print(std::ostream& stream) const override {
    stream << "torchact::nn::GELU(approximate='" << options.approximate() << "')";
  }
  GELUOptions options;
};
TORCH_MODULE(GELU);

struct SwishOptions {
  TORCH_ARG(double, beta) = 1.0;
};
class SwishImpl : public torch::nn::Cloneable<SwishImpl> {
 public:
  explicit SwishImpl(const SwishOptions& options_ = {}) : options(options_) {}
  void reset() override {}
  at::Tensor forward(const at::Tensor& input) { return torchact::swish(input, options.beta()); }
  void pretty_print(std::ostream& stream) const override {
    stream << "torchact::nn::Swish(beta=" << options.beta() << ")";
  }
  SwishOptions options;
};
TORCH_MODULE(Swish);

// ---- Gated feed-forward blocks --------------------------------------------------------------------
// y = w2(act(w1 x) * w3 x), the Llama MLP (act = silu) or the GEGLU MLP (act = gelu). With
// packed(true), one Linear w13 produces [gate | up] and the fused *_packed op splits it.
struct GatedFeedForwardOptions {
  GatedFeedForwardOptions(int64_t dim, int64_t hidden_dim) : dim_(dim), hidden_dim_(hidden_dim) {}
  TORCH_ARG(int64_t, dim);
  TORCH_ARG(int64_t, hidden_dim);
  TORCH_ARG(bool, bias) = false;
  TORCH_ARG(bool, packed) = false;
  TORCH_ARG(std::string, approximate) = "none";  // GEGLU only
};
using SwiGLUFeedForwardOptions = GatedFeedForwardOptions;
using GEGLUFeedForwardOptions = GatedFeedForwardOptions;

template <typename Derived>
class GatedFeedForwardImpl : public torch::nn::Cloneable<Derived> {
 public:
  explicit GatedFeedForwardImpl(GatedFeedForwardOptions options_) : options(std::move(options_)) {
    reset();
  }
  void reset() override {
    const auto linear = [&](int64_t in, int64_t out) {
      return torch::nn::Linear(torch::nn::LinearOptions(in, out).bias(options.bias()));
    };
    if (options.packed()) {
      w13 = this->register_module("w13", linear(options.dim(), 2 * options.hidden_dim()));
    } else {
      w1 = this->register_module("w1", linear(options.dim(), options.hidden_dim()));
      w3 = this->register_module("w3", linear(options.dim(), options.hidden_dim()));
    }
    w2 = this->register_module("w2", linear(options.hidden_dim(), options.dim()));
  }
  void pretty_print(std::ostream& stream) const override {
    stream << "torchact::nn::" << Derived::kName << "(dim=" << options.dim()
           << ", hidden_dim=" << options.hidden_dim() << ", bias=" << std::boolalpha
           << options.bias() << ", packed=" << options.packed() << ")";
  }
  GatedFeedForwardOptions options;
  torch::nn::Linear w1{nullptr}, w2{nullptr}, w3{nullptr}, w13{nullptr};
};

class SwiGLUFeedForwardImpl : public GatedFeedForwardImpl<SwiGLUFeedForwardImpl> {
 public:
  static constexpr const char* kName = "SwiGLUFeedForward";
  using GatedFeedForwardImpl::GatedFeedForwardImpl;
  at::Tensor forward(const at::Tensor& x) {
    if (options.packed()) return w2(torchact::swiglu_packed(w13(x), -1));
    return w2(torchact::swiglu(w1(x), w3(x)));
  }
};
TORCH_MODULE(SwiGLUFeedForward);

class GEGLUFeedForwardImpl : public GatedFeedForwardImpl<GEGLUFeedForwardImpl> {
 public:
  static constexpr const char* kName = "GEGLUFeedForward";
  using GatedFeedForwardImpl::GatedFeedForwardImpl;
  at::Tensor forward(const at::Tensor& x) {
    if (options.packed()) {
      return w2(torchact::geglu_packed(w13(x), -1, /*interleaved=*/false, options.approximate()));
    }
    return w2(torchact::geglu(w1(x), w3(x), options.approximate()));
  }
};
TORCH_MODULE(GEGLUFeedForward);

}  // namespace nn
}  // namespace torchact
