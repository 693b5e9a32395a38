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
TORCHACT_SIMPLE_MODULE(QuickGELU, quick_gelu);
TORCHACT_SIMPLE_MODULE(ReLUSquared, relu_squared);
#undef TORCHACT_SIMPLE_MODULE

// ---- Activations whose only option is inplace (torch::nn::ReLUOptions().inplace(true)) ----------
// inplace(true): the input is overwritten with the result (torchact::op_), as torch::nn's do.
#define TORCHACT_INPLACE_MODULE(Name, op)                                                    \
  struct Name##Options {                                                                     \
    TORCH_ARG(bool, inplace) = false;                                                        \
  };                                                                                         \
  class Name##Impl : public torch::nn::Cloneable<Name##Impl> {                               \
   public:                                                                                   \
    explicit Name##Impl(const Name##Options& options_ = {}) : options(options_) {}           \
    void reset() override {}                                                                 \
    at::Tensor forward(at::Tensor input) {                                                   \
      return options.inplace() ? torchact::op##_(input) : torchact::op(input);               \
    }                                                                                        \
    void pretty_print(std::ostream& stream) const override {                                 \
      stream << "torchact::nn::" #Name "(" << (options.inplace() ? "inplace=true" : "") << ")"; \
    }                                                                                        \
    Name##Options options;                                                                   \
  };                                                                                         \
  TORCH_MODULE(Name)

TORCHACT_INPLACE_MODULE(ReLU, relu);
TORCHACT_INPLACE_MODULE(SiLU, silu);
TORCHACT_INPLACE_MODULE(Mish, mish);
TORCHACT_INPLACE_MODULE(SELU, selu);
TORCHACT_INPLACE_MODULE(Hardsigmoid, hardsigmoid);
TORCHACT_INPLACE_MODULE(Hardswish, hardswish);
TORCHACT_INPLACE_MODULE(ReLU6, relu6);
#undef TORCHACT_INPLACE_MODULE

// ---- Activations with float options (torch::nn's names and defaults) ------------------------------
// Name##Options holds the options; forward calls torchact::op(input, options...), or, for a module
// whose options have inplace(true), torchact::op_.
#define TORCHACT_OPTIONS_MODULE(Name, op, print, ...)                                          \
  class Name##Impl : public torch::nn::Cloneable<Name##Impl> {                                \
   public:                                                                                    \
    explicit Name##Impl(const Name##Options& options_ = {}) : options(options_) {}            \
    void reset() override {}                                                                  \
    at::Tensor forward(const at::Tensor& input) { return torchact::op(input, __VA_ARGS__); } \
    void pretty_print(std::ostream& stream) const override {                                  \
      stream << "torchact::nn::" #Name "(" << print << ")";                                   \
    }                                                                                         \
    Name##Options options;                                                                    \
  };                                                                                          \
  TORCH_MODULE(Name)
#define TORCHACT_INPLACE_OPTIONS_MODULE(Name, op, print, ...)                                      \
  class Name##Impl : public torch::nn::Cloneable<Name##Impl> {                                    \
   public:                                                                                        \
    explicit Name##Impl(const Name##Options& options_ = {}) : options(options_) {}                \
    void reset() override {}                                                                      \
    at::Tensor forward(at::Tensor input) {                                                        \
      return options.inplace() ? torchact::op##_(input, __VA_ARGS__) : torchact::op(input, __VA_ARGS__); \
    }                                                                                             \
    void pretty_print(std::ostream& stream) const override {                                      \
      stream << "torchact::nn::" #Name "(" << print << (options.inplace() ? ", inplace=true" : "") << ")"; \
    }                                                                                             \
    Name##Options options;                                                                        \
  };                                                                                              \
  TORCH_MODULE(Name)

struct ELUOptions {
  TORCH_ARG(double, alpha) = 1.0;
  TORCH_ARG(bool, inplace) = false;
};
TORCHACT_INPLACE_OPTIONS_MODULE(ELU, elu, "alpha=" << options.alpha(), options.alpha());

struct CELUOptions {
  TORCH_ARG(double, alpha) = 1.0;
  TORCH_ARG(bool, inplace) = false;
};
TORCHACT_INPLACE_OPTIONS_MODULE(CELU, celu, "alpha=" << options.alpha(), options.alpha());

struct SoftplusOptions {
  TORCH_ARG(double, beta) = 1.0;
  TORCH_ARG(double, threshold) = 20.0;
};
TORCHACT_OPTIONS_MODULE(Softplus, softplus,
                        "beta=" << options.beta() << ", threshold=" << options.threshold(),
                        options.beta(), options.threshold());

struct HardtanhOptions {
  TORCH_ARG(double, min_val) = -1.0;
  TORCH_ARG(double, max_val) = 1.0;
  TORCH_ARG(bool, inplace) = false;
};
TORCHACT_INPLACE_OPTIONS_MODULE(Hardtanh, hardtanh,
                        "min_val=" << options.min_val() << ", max_val=" << options.max_val(),
                        options.min_val(), options.max_val());
#undef TORCHACT_OPTIONS_MODULE
#undef TORCHACT_INPLACE_OPTIONS_MODULE

// ---- Activations with options -------------------------------------------------------------------
struct LeakyReLUOptions {
  TORCH_ARG(double, negative_slope) = 0.01;
  TORCH_ARG(bool, inplace) = false;
};
class LeakyReLUImpl : public torch::nn::Cloneable<LeakyReLUImpl> {
 public:
  explicit LeakyReLUImpl(const LeakyReLUOptions& options_ = {}) : options(options_) {}
  void reset() override {}
  at::Tensor forward(at::Tensor input) {
    return options.inplace() ? torchact::leaky_relu_(input, options.negative_slope())
                             : torchact::leaky_relu(input, options.negative_slope());
  }
  void pretty_print(std::ostream& stream) const override {
    stream << "torchact::nn::LeakyReLU(negative_slope=" << options.negative_slope()
           << (options.inplace() ? ", inplace=true" : "") << ")";
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
// y = w2(act(w1 x) * w3 x) with act one of the gated ops: "silu" (swiglu, the Llama MLP), "gelu"
// and "gelu_tanh" (geglu), "relu" (reglu), "swiglu_oai" (GPT-OSS: clamped, up + 1; alpha = 1.702,
// limit = 7), "swiglu_step". With packed(true), one Linear w13 produces gate and up, as halves
// [gate | up] or interleaved (interleaved(true)), and the fused *_packed op splits them.
struct GatedFeedForwardOptions {
  GatedFeedForwardOptions(int64_t dim, int64_t hidden_dim) : dim_(dim), hidden_dim_(hidden_dim) {}
  TORCH_ARG(int64_t, dim);
  TORCH_ARG(int64_t, hidden_dim);
  TORCH_ARG(std::string, activation) = "silu";
  TORCH_ARG(bool, bias) = false;
  TORCH_ARG(bool, packed) = false;
  TORCH_ARG(bool, interleaved) = false;        // packed only
  TORCH_ARG(std::string, approximate) = "none";  // GEGLUFeedForward: "tanh" is activation gelu_tanh
};
using SwiGLUFeedForwardOptions = GatedFeedForwardOptions;
using GEGLUFeedForwardOptions = GatedFeedForwardOptions;

// The gated op of an activation name, on separate gate and up or on packed x.
inline at::Tensor gated_activation(const std::string& activation, const at::Tensor& gate,
                                   const at::Tensor& up) {
  if (activation == "silu") return torchact::swiglu(gate, up);
  if (activation == "gelu") return torchact::geglu(gate, up);
  if (activation == "gelu_tanh") return torchact::geglu(gate, up, "tanh");
  if (activation == "relu") return torchact::reglu(gate, up);
  if (activation == "swiglu_oai") return torchact::swiglu_oai(gate, up);
  if (activation == "swiglu_step") return torchact::swiglu_step(gate, up);
  TORCH_CHECK(false, "torchact::nn::GatedFeedForward: unknown activation '", activation,
              "' (silu, gelu, gelu_tanh, relu, swiglu_oai, swiglu_step)");
}
inline at::Tensor gated_activation_packed(const std::string& activation, const at::Tensor& x,
                                          bool interleaved) {
  if (activation == "silu") return torchact::swiglu_packed(x, -1, interleaved);
  if (activation == "gelu") return torchact::geglu_packed(x, -1, interleaved);
  if (activation == "gelu_tanh") return torchact::geglu_packed(x, -1, interleaved, "tanh");
  if (activation == "relu") return torchact::reglu_packed(x, -1, interleaved);
  if (activation == "swiglu_oai") return torchact::swiglu_oai_packed(x, -1, interleaved);
  if (activation == "swiglu_step") return torchact::swiglu_step_packed(x, -1, interleaved);
  TORCH_CHECK(false, "torchact::nn::GatedFeedForward: unknown activation '", activation,
              "' (silu, gelu, gelu_tanh, relu, swiglu_oai, swiglu_step)");
}

template <typename Derived>
class GatedFeedForwardBase : public torch::nn::Cloneable<Derived> {
 public:
  explicit GatedFeedForwardBase(GatedFeedForwardOptions options_) : options(std::move(options_)) {
    reset();
  }
  void reset() override {
    gated_activation(activation(), at::zeros({1}), at::zeros({1}));  // an unknown name throws here
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
  at::Tensor forward(const at::Tensor& x) {
    if (options.packed()) {
      return w2(gated_activation_packed(activation(), w13(x), options.interleaved()));
    }
    return w2(gated_activation(activation(), w1(x), w3(x)));
  }
  void pretty_print(std::ostream& stream) const override {
    stream << "torchact::nn::" << Derived::kName << "(dim=" << options.dim()
           << ", hidden_dim=" << options.hidden_dim() << ", activation=" << activation()
           << ", bias=" << std::boolalpha << options.bias() << ", packed=" << options.packed();
    if (options.packed()) stream << ", interleaved=" << options.interleaved();
    stream << ")";
  }
  // The activation used: options.activation(), which GEGLUFeedForward derives from approximate.
  std::string activation() const { return static_cast<const Derived*>(this)->activation_name(); }
  GatedFeedForwardOptions options;
  torch::nn::Linear w1{nullptr}, w2{nullptr}, w3{nullptr}, w13{nullptr};
};

class GatedFeedForwardImpl : public GatedFeedForwardBase<GatedFeedForwardImpl> {
 public:
  static constexpr const char* kName = "GatedFeedForward";
  using GatedFeedForwardBase::GatedFeedForwardBase;
  std::string activation_name() const { return options.activation(); }
};
TORCH_MODULE(GatedFeedForward);

// The Llama MLP: w2(silu(w1 x) * w3 x).
class SwiGLUFeedForwardImpl : public GatedFeedForwardBase<SwiGLUFeedForwardImpl> {
 public:
  static constexpr const char* kName = "SwiGLUFeedForward";
  using GatedFeedForwardBase::GatedFeedForwardBase;
  std::string activation_name() const { return "silu"; }
};
TORCH_MODULE(SwiGLUFeedForward);

// w2(gelu(w1 x) * w3 x), gelu exact or (approximate("tanh")) in its tanh form.
class GEGLUFeedForwardImpl : public GatedFeedForwardBase<GEGLUFeedForwardImpl> {
 public:
  static constexpr const char* kName = "GEGLUFeedForward";
  using GatedFeedForwardBase::GatedFeedForwardBase;
  std::string activation_name() const {
    TORCH_CHECK(options.approximate() == "none" || options.approximate() == "tanh",
                "torchact::nn::GEGLUFeedForward: approximate must be 'none' or 'tanh', got '",
                options.approximate(), "'");
    return options.approximate() == "tanh" ? "gelu_tanh" : "gelu";
  }
};
TORCH_MODULE(GEGLUFeedForward);

}  // namespace nn
}  // namespace torchact
