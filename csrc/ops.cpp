// The op list. For every torchact op: its schema, the activation it computes (one math.h struct),
// and its autograd. Adding an activation: its struct in math.h, its lines here and in api.cpp and
// include/torchact/ops.h, one row in the test table.
#include <torch/autograd.h>
#include <torch/library.h>

#include <cmath>
#include <functional>
#include <tuple>

#include "frontend.h"
#include "torchact/ops.h"

namespace torchact {
namespace {

using at::Tensor;
using math::Activation;

TORCH_LIBRARY(torchact, m) {
  m.def("sigmoid(Tensor self) -> Tensor");
  m.def("tanh(Tensor self) -> Tensor");
  m.def("relu(Tensor self) -> Tensor");
  m.def("leaky_relu(Tensor self, float negative_slope=0.01) -> Tensor");
  m.def("gelu(Tensor self, *, str approximate='none') -> Tensor");
  m.def("silu(Tensor self) -> Tensor");
  m.def("swish(Tensor self, float beta=1.0) -> Tensor");
  m.def("swiglu(Tensor gate, Tensor up) -> Tensor");
  m.def("geglu(Tensor gate, Tensor up, *, str approximate='none') -> Tensor");
  m.def("swiglu_packed(Tensor x, int dim=-1) -> Tensor");

  m.def("sigmoid_backward(Tensor grad_output, Tensor output) -> Tensor");
  m.def("tanh_backward(Tensor grad_output, Tensor output) -> Tensor");
  m.def("relu_backward(Tensor grad_output, Tensor output) -> Tensor");
  m.def("leaky_relu_backward(Tensor grad_output, Tensor self, float negative_slope) -> Tensor");
  m.def("gelu_backward(Tensor grad_output, Tensor self, *, str approximate='none') -> Tensor");
  m.def("silu_backward(Tensor grad_output, Tensor self) -> Tensor");
  m.def("swish_backward(Tensor grad_output, Tensor self, float beta) -> Tensor");
  m.def("swiglu_backward(Tensor grad_output, Tensor gate, Tensor up) -> (Tensor, Tensor)");
  m.def(
      "geglu_backward(Tensor grad_output, Tensor gate, Tensor up, *, str approximate='none') -> "
      "(Tensor, Tensor)");
  m.def("swiglu_packed_backward(Tensor grad_output, Tensor x, int dim) -> Tensor");

  // Second derivatives: given the gradient of a backward op's output(s), the gradients with
  // respect to the backward op's inputs (grad_output first, then the saved tensors).
  m.def(
      "sigmoid_backward_backward(Tensor grad_grad_input, Tensor grad_output, Tensor output) -> "
      "(Tensor, Tensor)");
  m.def(
      "tanh_backward_backward(Tensor grad_grad_input, Tensor grad_output, Tensor output) -> "
      "(Tensor, Tensor)");
  m.def(
      "relu_backward_backward(Tensor grad_grad_input, Tensor grad_output, Tensor output) -> "
      "(Tensor, Tensor)");
  m.def(
      "leaky_relu_backward_backward(Tensor grad_grad_input, Tensor grad_output, Tensor self, "
      "float negative_slope) -> (Tensor, Tensor)");
  m.def(
      "gelu_backward_backward(Tensor grad_grad_input, Tensor grad_output, Tensor self, *, "
      "str approximate='none') -> (Tensor, Tensor)");
  m.def(
      "silu_backward_backward(Tensor grad_grad_input, Tensor grad_output, Tensor self) -> "
      "(Tensor, Tensor)");
  m.def(
      "swish_backward_backward(Tensor grad_grad_input, Tensor grad_output, Tensor self, "
      "float beta) -> (Tensor, Tensor)");
  m.def(
      "swiglu_backward_backward(Tensor grad_grad_gate, Tensor grad_grad_up, Tensor grad_output, "
      "Tensor gate, Tensor up) -> (Tensor, Tensor, Tensor)");
  m.def(
      "geglu_backward_backward(Tensor grad_grad_gate, Tensor grad_grad_up, Tensor grad_output, "
      "Tensor gate, Tensor up, *, str approximate='none') -> (Tensor, Tensor, Tensor)");
  m.def(
      "swiglu_packed_backward_backward(Tensor grad_grad_x, Tensor grad_output, Tensor x, "
      "int dim) -> (Tensor, Tensor)");
}

// ---- From an op's arguments to what its kernels compute ---------------------------------------

Spec gelu_spec(const char* op, c10::string_view approximate) {
  if (approximate == "none") return {op, Activation::GeluErf, 0.0};
  TORCH_CHECK(approximate == "tanh", op, ": approximate must be one of 'none', 'tanh', got '",
              approximate, "'");
  return {op, Activation::GeluTanh, 0.0};
}

Spec with_param(const char* op, Activation activation, const char* name, double value) {
  TORCH_CHECK(std::isfinite(value), op, ": ", name, " must be finite, got ", value);
  return {op, activation, value};
}

// The same kernels serve CPU, CUDA and Meta: the frontend picks the backend by device.
void register_kernels(torch::Library& m) {
  m.impl("sigmoid", [](const Tensor& x) {
    return frontend::forward({"torchact::sigmoid", Activation::Sigmoid, 0.0}, x);
  });
  m.impl("tanh", [](const Tensor& x) {
    return frontend::forward({"torchact::tanh", Activation::Tanh, 0.0}, x);
  });
  m.impl("relu", [](const Tensor& x) {
    return frontend::forward({"torchact::relu", Activation::Relu, 0.0}, x);
  });
  m.impl("leaky_relu", [](const Tensor& x, double slope) {
    const char* op = "torchact::leaky_relu";
    return frontend::forward(with_param(op, Activation::LeakyRelu, "negative_slope", slope), x);
  });
  m.impl("gelu", [](const Tensor& x, c10::string_view approximate) {
    return frontend::forward(gelu_spec("torchact::gelu", approximate), x);
  });
  m.impl("silu", [](const Tensor& x) {
    return frontend::forward({"torchact::silu", Activation::Silu, 0.0}, x);
  });
  m.impl("swish", [](const Tensor& x, double beta) {
    return frontend::forward(with_param("torchact::swish", Activation::Swish, "beta", beta), x);
  });
  m.impl("swiglu", [](const Tensor& gate, const Tensor& up) {
    return frontend::gated_forward({"torchact::swiglu", Activation::Silu, 0.0}, gate, up);
  });
  m.impl("geglu", [](const Tensor& gate, const Tensor& up, c10::string_view approximate) {
    return frontend::gated_forward(gelu_spec("torchact::geglu", approximate), gate, up);
  });
  m.impl("swiglu_packed", [](const Tensor& x, int64_t dim) {
    return frontend::packed_forward({"torchact::swiglu_packed", Activation::Silu, 0.0}, x, dim);
  });

  m.impl("sigmoid_backward", [](const Tensor& grad, const Tensor& y) {
    return frontend::backward({"torchact::sigmoid_backward", Activation::Sigmoid, 0.0}, grad, y);
  });
  m.impl("tanh_backward", [](const Tensor& grad, const Tensor& y) {
    return frontend::backward({"torchact::tanh_backward", Activation::Tanh, 0.0}, grad, y);
  });
  m.impl("relu_backward", [](const Tensor& grad, const Tensor& y) {
    return frontend::backward({"torchact::relu_backward", Activation::Relu, 0.0}, grad, y);
  });
  m.impl("leaky_relu_backward", [](const Tensor& grad, const Tensor& x, double slope) {
    const char* op = "torchact::leaky_relu_backward";
    return frontend::backward(with_param(op, Activation::LeakyRelu, "negative_slope", slope), grad,
                              x);
  });
  m.impl("gelu_backward", [](const Tensor& grad, const Tensor& x, c10::string_view approximate) {
    return frontend::backward(gelu_spec("torchact::gelu_backward", approximate), grad, x);
  });
  m.impl("silu_backward", [](const Tensor& grad, const Tensor& x) {
    return frontend::backward({"torchact::silu_backward", Activation::Silu, 0.0}, grad, x);
  });
  m.impl("swish_backward", [](const Tensor& grad, const Tensor& x, double beta) {
    const char* op = "torchact::swish_backward";
    return frontend::backward(with_param(op, Activation::Swish, "beta", beta), grad, x);
  });
  m.impl("swiglu_backward", [](const Tensor& grad, const Tensor& gate, const Tensor& up) {
    return frontend::gated_backward({"torchact::swiglu_backward", Activation::Silu, 0.0}, grad,
                                    gate, up);
  });
  m.impl("geglu_backward", [](const Tensor& grad, const Tensor& gate, const Tensor& up,
                              c10::string_view approximate) {
    return frontend::gated_backward(gelu_spec("torchact::geglu_backward", approximate), grad, gate,
                                    up);
  });
  m.impl("swiglu_packed_backward", [](const Tensor& grad, const Tensor& x, int64_t dim) {
    return frontend::packed_backward({"torchact::swiglu_packed_backward", Activation::Silu, 0.0},
                                     grad, x, dim);
  });

  m.impl("sigmoid_backward_backward", [](const Tensor& gg, const Tensor& grad, const Tensor& y) {
    const Spec spec{"torchact::sigmoid_backward_backward", Activation::Sigmoid, 0.0};
    return frontend::backward_backward(spec, gg, grad, y);
  });
  m.impl("tanh_backward_backward", [](const Tensor& gg, const Tensor& grad, const Tensor& y) {
    const Spec spec{"torchact::tanh_backward_backward", Activation::Tanh, 0.0};
    return frontend::backward_backward(spec, gg, grad, y);
  });
  m.impl("relu_backward_backward", [](const Tensor& gg, const Tensor& grad, const Tensor& y) {
    const Spec spec{"torchact::relu_backward_backward", Activation::Relu, 0.0};
    return frontend::backward_backward(spec, gg, grad, y);
  });
  m.impl("leaky_relu_backward_backward",
         [](const Tensor& gg, const Tensor& grad, const Tensor& x, double slope) {
           const char* op = "torchact::leaky_relu_backward_backward";
           return frontend::backward_backward(
               with_param(op, Activation::LeakyRelu, "negative_slope", slope), gg, grad, x);
         });
  m.impl("gelu_backward_backward", [](const Tensor& gg, const Tensor& grad, const Tensor& x,
                                      c10::string_view approximate) {
    return frontend::backward_backward(gelu_spec("torchact::gelu_backward_backward", approximate),
                                       gg, grad, x);
  });
  m.impl("silu_backward_backward", [](const Tensor& gg, const Tensor& grad, const Tensor& x) {
    const Spec spec{"torchact::silu_backward_backward", Activation::Silu, 0.0};
    return frontend::backward_backward(spec, gg, grad, x);
  });
  m.impl("swish_backward_backward",
         [](const Tensor& gg, const Tensor& grad, const Tensor& x, double beta) {
           const char* op = "torchact::swish_backward_backward";
           return frontend::backward_backward(with_param(op, Activation::Swish, "beta", beta), gg,
                                              grad, x);
         });
  m.impl("swiglu_backward_backward", [](const Tensor& gg_gate, const Tensor& gg_up,
                                        const Tensor& grad, const Tensor& gate, const Tensor& up) {
    const Spec spec{"torchact::swiglu_backward_backward", Activation::Silu, 0.0};
    return frontend::gated_backward_backward(spec, gg_gate, gg_up, grad, gate, up);
  });
  m.impl("geglu_backward_backward",
         [](const Tensor& gg_gate, const Tensor& gg_up, const Tensor& grad, const Tensor& gate,
            const Tensor& up, c10::string_view approximate) {
           return frontend::gated_backward_backward(
               gelu_spec("torchact::geglu_backward_backward", approximate), gg_gate, gg_up, grad,
               gate, up);
         });
  m.impl("swiglu_packed_backward_backward",
         [](const Tensor& gg_x, const Tensor& grad, const Tensor& x, int64_t dim) {
           const Spec spec{"torchact::swiglu_packed_backward_backward", Activation::Silu, 0.0};
           return frontend::packed_backward_backward(spec, gg_x, grad, x, dim);
         });
}

TORCH_LIBRARY_IMPL(torchact, CPU, m) { register_kernels(m); }
TORCH_LIBRARY_IMPL(torchact, CUDA, m) { register_kernels(m); }
TORCH_LIBRARY_IMPL(torchact, Meta, m) { register_kernels(m); }

// ---- Autograd ----------------------------------------------------------------------------------
// Three torch::autograd::Functions serve every op: one for one-input ops (and swiglu_packed), one
// for gated ops, one for their backward ops, which makes every op twice differentiable with the
// hand-written second derivatives. An op's traits (below) say how to call its forward, backward
// and backward_backward ops and which tensor its backward needs; `param` (an op argument, None
// when there is none) is kept in the autograd context.

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;
using Param = c10::IValue;
using TensorPair = std::tuple<Tensor, Tensor>;
using TensorTriple = std::tuple<Tensor, Tensor, Tensor>;

// The backward of a one-input op: grad_input = backward(grad, saved).
template <typename Op>
struct UnaryBackwardFunction : torch::autograd::Function<UnaryBackwardFunction<Op>> {
  static Tensor forward(AutogradContext* ctx, const Tensor& grad, const Tensor& saved,
                        const Param& param) {
    at::AutoDispatchBelowADInplaceOrView below_autograd;
    ctx->save_for_backward({grad, saved});
    ctx->saved_data["param"] = param;
    return Op::backward(grad, saved, param);
  }
  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    const auto saved = ctx->get_saved_variables();
    Tensor grad_grad, grad_saved;
    std::tie(grad_grad, grad_saved) =
        Op::backward_backward(grads[0], saved[0], saved[1], ctx->saved_data["param"]);
    return {grad_grad, grad_saved, Tensor()};
  }
};

template <typename Op>
struct UnaryFunction : torch::autograd::Function<UnaryFunction<Op>> {
  static Tensor forward(AutogradContext* ctx, const Tensor& x, const Param& param) {
    Tensor y;
    {
      at::AutoDispatchBelowADInplaceOrView below_autograd;
      y = Op::forward(x, param);
    }
    ctx->save_for_backward({Op::kSavesOutput ? y : x});
    ctx->saved_data["param"] = param;
    return y;
  }
  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    const Tensor saved = ctx->get_saved_variables()[0];
    const Param& param = ctx->saved_data["param"];
    return {UnaryBackwardFunction<Op>::apply(grads[0], saved, param), Tensor()};
  }
};

// The backward of a gated op: (grad_gate, grad_up) = backward(grad, gate, up).
template <typename Op>
struct GatedBackwardFunction : torch::autograd::Function<GatedBackwardFunction<Op>> {
  static variable_list forward(AutogradContext* ctx, const Tensor& grad, const Tensor& gate,
                               const Tensor& up, const Param& param) {
    at::AutoDispatchBelowADInplaceOrView below_autograd;
    ctx->save_for_backward({grad, gate, up});
    ctx->saved_data["param"] = param;
    Tensor grad_gate, grad_up;
    std::tie(grad_gate, grad_up) = Op::backward(grad, gate, up, param);
    return {grad_gate, grad_up};
  }
  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    const auto saved = ctx->get_saved_variables();
    Tensor grad_grad, grad_gate, grad_up;
    std::tie(grad_grad, grad_gate, grad_up) = Op::backward_backward(
        grads[0], grads[1], saved[0], saved[1], saved[2], ctx->saved_data["param"]);
    return {grad_grad, grad_gate, grad_up, Tensor()};
  }
};

// Saves only gate and up: the backward recomputes the activation instead of storing it.
template <typename Op>
struct GatedFunction : torch::autograd::Function<GatedFunction<Op>> {
  static Tensor forward(AutogradContext* ctx, const Tensor& gate, const Tensor& up,
                        const Param& param) {
    at::AutoDispatchBelowADInplaceOrView below_autograd;
    ctx->save_for_backward({gate, up});
    ctx->saved_data["param"] = param;
    return Op::forward(gate, up, param);
  }
  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    const auto saved = ctx->get_saved_variables();
    const auto grads_in = GatedBackwardFunction<Op>::apply(grads[0], saved[0], saved[1],
                                                           ctx->saved_data["param"]);
    return {grads_in[0], grads_in[1], Tensor()};
  }
};

// The second-derivative ops are not differentiated again: a graph through them raises when it is,
// rather than silently missing a term.
struct NoThirdDerivative : torch::autograd::Function<NoThirdDerivative> {
  static variable_list forward(AutogradContext* /*ctx*/, at::TensorList /*inputs: for autograd*/,
                               const std::function<variable_list()>& compute) {
    at::AutoDispatchBelowADInplaceOrView below_autograd;
    return compute();
  }
  static variable_list backward(AutogradContext*, variable_list) {
    TORCH_CHECK(false, "torchact: third and higher derivatives are not implemented");
  }
};

// Runs compute() (a second-derivative op below autograd) under NoThirdDerivative.
template <typename Compute>
auto no_third_derivative(const variable_list& inputs, const Compute& compute) {
  using Result = decltype(compute());
  const variable_list out = NoThirdDerivative::apply(
      at::TensorList(inputs), std::function<variable_list()>([&] {
        return std::apply([](const auto&... t) { return variable_list{t...}; }, compute());
      }));
  Result result;
  std::apply([&](auto&... t) {
    size_t i = 0;
    ((t = out[i++]), ...);
  }, result);
  return result;
}

// ---- Each op's traits --------------------------------------------------------------------------

struct SigmoidOp {
  static constexpr bool kSavesOutput = true;
  static Tensor forward(const Tensor& x, const Param&) { return torchact::sigmoid(x); }
  static Tensor backward(const Tensor& g, const Tensor& y, const Param&) {
    return torchact::sigmoid_backward(g, y);
  }
  static TensorPair backward_backward(const Tensor& gg, const Tensor& g, const Tensor& y,
                                      const Param&) {
    return torchact::sigmoid_backward_backward(gg, g, y);
  }
};
struct TanhOp {
  static constexpr bool kSavesOutput = true;
  static Tensor forward(const Tensor& x, const Param&) { return torchact::tanh(x); }
  static Tensor backward(const Tensor& g, const Tensor& y, const Param&) {
    return torchact::tanh_backward(g, y);
  }
  static TensorPair backward_backward(const Tensor& gg, const Tensor& g, const Tensor& y,
                                      const Param&) {
    return torchact::tanh_backward_backward(gg, g, y);
  }
};
struct ReluOp {
  static constexpr bool kSavesOutput = true;
  static Tensor forward(const Tensor& x, const Param&) { return torchact::relu(x); }
  static Tensor backward(const Tensor& g, const Tensor& y, const Param&) {
    return torchact::relu_backward(g, y);
  }
  static TensorPair backward_backward(const Tensor& gg, const Tensor& g, const Tensor& y,
                                      const Param&) {
    return torchact::relu_backward_backward(gg, g, y);
  }
};
struct LeakyReluOp {
  static constexpr bool kSavesOutput = false;
  static Tensor forward(const Tensor& x, const Param& slope) {
    return torchact::leaky_relu(x, slope.toDouble());
  }
  static Tensor backward(const Tensor& g, const Tensor& x, const Param& slope) {
    return torchact::leaky_relu_backward(g, x, slope.toDouble());
  }
  static TensorPair backward_backward(const Tensor& gg, const Tensor& g, const Tensor& x,
                                      const Param& slope) {
    return torchact::leaky_relu_backward_backward(gg, g, x, slope.toDouble());
  }
};
struct GeluOp {
  static constexpr bool kSavesOutput = false;
  static Tensor forward(const Tensor& x, const Param& approximate) {
    return torchact::gelu(x, approximate.toStringRef());
  }
  static Tensor backward(const Tensor& g, const Tensor& x, const Param& approximate) {
    return torchact::gelu_backward(g, x, approximate.toStringRef());
  }
  static TensorPair backward_backward(const Tensor& gg, const Tensor& g, const Tensor& x,
                                      const Param& approximate) {
    return torchact::gelu_backward_backward(gg, g, x, approximate.toStringRef());
  }
};
struct SiluOp {
  static constexpr bool kSavesOutput = false;
  static Tensor forward(const Tensor& x, const Param&) { return torchact::silu(x); }
  static Tensor backward(const Tensor& g, const Tensor& x, const Param&) {
    return torchact::silu_backward(g, x);
  }
  static TensorPair backward_backward(const Tensor& gg, const Tensor& g, const Tensor& x,
                                      const Param&) {
    return torchact::silu_backward_backward(gg, g, x);
  }
};
struct SwishOp {
  static constexpr bool kSavesOutput = false;
  static Tensor forward(const Tensor& x, const Param& beta) {
    return torchact::swish(x, beta.toDouble());
  }
  static Tensor backward(const Tensor& g, const Tensor& x, const Param& beta) {
    return torchact::swish_backward(g, x, beta.toDouble());
  }
  static TensorPair backward_backward(const Tensor& gg, const Tensor& g, const Tensor& x,
                                      const Param& beta) {
    return torchact::swish_backward_backward(gg, g, x, beta.toDouble());
  }
};
struct SwigluPackedOp {
  static constexpr bool kSavesOutput = false;
  static Tensor forward(const Tensor& x, const Param& dim) {
    return torchact::swiglu_packed(x, dim.toInt());
  }
  static Tensor backward(const Tensor& g, const Tensor& x, const Param& dim) {
    return torchact::swiglu_packed_backward(g, x, dim.toInt());
  }
  static TensorPair backward_backward(const Tensor& gg, const Tensor& g, const Tensor& x,
                                      const Param& dim) {
    return torchact::swiglu_packed_backward_backward(gg, g, x, dim.toInt());
  }
};
struct SwigluOp {
  static Tensor forward(const Tensor& gate, const Tensor& up, const Param&) {
    return torchact::swiglu(gate, up);
  }
  static TensorPair backward(const Tensor& g, const Tensor& gate, const Tensor& up, const Param&) {
    return torchact::swiglu_backward(g, gate, up);
  }
  static TensorTriple backward_backward(const Tensor& gg_gate, const Tensor& gg_up,
                                        const Tensor& g, const Tensor& gate, const Tensor& up,
                                        const Param&) {
    return torchact::swiglu_backward_backward(gg_gate, gg_up, g, gate, up);
  }
};
struct GegluOp {
  static Tensor forward(const Tensor& gate, const Tensor& up, const Param& approximate) {
    return torchact::geglu(gate, up, approximate.toStringRef());
  }
  static TensorPair backward(const Tensor& g, const Tensor& gate, const Tensor& up,
                             const Param& approximate) {
    return torchact::geglu_backward(g, gate, up, approximate.toStringRef());
  }
  static TensorTriple backward_backward(const Tensor& gg_gate, const Tensor& gg_up,
                                        const Tensor& g, const Tensor& gate, const Tensor& up,
                                        const Param& approximate) {
    return torchact::geglu_backward_backward(gg_gate, gg_up, g, gate, up,
                                             approximate.toStringRef());
  }
};

TORCH_LIBRARY_IMPL(torchact, Autograd, m) {
  m.impl("sigmoid", [](const Tensor& x) { return UnaryFunction<SigmoidOp>::apply(x, Param()); });
  m.impl("tanh", [](const Tensor& x) { return UnaryFunction<TanhOp>::apply(x, Param()); });
  m.impl("relu", [](const Tensor& x) { return UnaryFunction<ReluOp>::apply(x, Param()); });
  m.impl("leaky_relu", [](const Tensor& x, double slope) {
    return UnaryFunction<LeakyReluOp>::apply(x, Param(slope));
  });
  m.impl("gelu", [](const Tensor& x, c10::string_view approximate) {
    return UnaryFunction<GeluOp>::apply(x, Param(std::string(approximate)));
  });
  m.impl("silu", [](const Tensor& x) { return UnaryFunction<SiluOp>::apply(x, Param()); });
  m.impl("swish", [](const Tensor& x, double beta) {
    return UnaryFunction<SwishOp>::apply(x, Param(beta));
  });
  m.impl("swiglu", [](const Tensor& gate, const Tensor& up) {
    return GatedFunction<SwigluOp>::apply(gate, up, Param());
  });
  m.impl("geglu", [](const Tensor& gate, const Tensor& up, c10::string_view approximate) {
    return GatedFunction<GegluOp>::apply(gate, up, Param(std::string(approximate)));
  });
  m.impl("swiglu_packed", [](const Tensor& x, int64_t dim) {
    return UnaryFunction<SwigluPackedOp>::apply(x, Param(dim));
  });

  m.impl("sigmoid_backward", [](const Tensor& g, const Tensor& y) {
    return UnaryBackwardFunction<SigmoidOp>::apply(g, y, Param());
  });
  m.impl("tanh_backward", [](const Tensor& g, const Tensor& y) {
    return UnaryBackwardFunction<TanhOp>::apply(g, y, Param());
  });
  m.impl("relu_backward", [](const Tensor& g, const Tensor& y) {
    return UnaryBackwardFunction<ReluOp>::apply(g, y, Param());
  });
  m.impl("leaky_relu_backward", [](const Tensor& g, const Tensor& x, double slope) {
    return UnaryBackwardFunction<LeakyReluOp>::apply(g, x, Param(slope));
  });
  m.impl("gelu_backward", [](const Tensor& g, const Tensor& x, c10::string_view approximate) {
    return UnaryBackwardFunction<GeluOp>::apply(g, x, Param(std::string(approximate)));
  });
  m.impl("silu_backward", [](const Tensor& g, const Tensor& x) {
    return UnaryBackwardFunction<SiluOp>::apply(g, x, Param());
  });
  m.impl("swish_backward", [](const Tensor& g, const Tensor& x, double beta) {
    return UnaryBackwardFunction<SwishOp>::apply(g, x, Param(beta));
  });
  m.impl("swiglu_backward", [](const Tensor& g, const Tensor& gate, const Tensor& up) {
    const auto grads = GatedBackwardFunction<SwigluOp>::apply(g, gate, up, Param());
    return std::make_tuple(grads[0], grads[1]);
  });
  m.impl("geglu_backward", [](const Tensor& g, const Tensor& gate, const Tensor& up,
                              c10::string_view approximate) {
    const auto grads =
        GatedBackwardFunction<GegluOp>::apply(g, gate, up, Param(std::string(approximate)));
    return std::make_tuple(grads[0], grads[1]);
  });
  m.impl("swiglu_packed_backward", [](const Tensor& g, const Tensor& x, int64_t dim) {
    return UnaryBackwardFunction<SwigluPackedOp>::apply(g, x, Param(dim));
  });

  // Second-derivative ops: computed below autograd, their outputs raise if differentiated.
  m.impl("sigmoid_backward_backward", [](const Tensor& gg, const Tensor& g, const Tensor& y) {
    return no_third_derivative({gg, g, y},
                               [&] { return torchact::sigmoid_backward_backward(gg, g, y); });
  });
  m.impl("tanh_backward_backward", [](const Tensor& gg, const Tensor& g, const Tensor& y) {
    return no_third_derivative({gg, g, y},
                               [&] { return torchact::tanh_backward_backward(gg, g, y); });
  });
  m.impl("relu_backward_backward", [](const Tensor& gg, const Tensor& g, const Tensor& y) {
    return no_third_derivative({gg, g, y},
                               [&] { return torchact::relu_backward_backward(gg, g, y); });
  });
  m.impl("leaky_relu_backward_backward",
         [](const Tensor& gg, const Tensor& g, const Tensor& x, double slope) {
           return no_third_derivative({gg, g, x}, [&] {
             return torchact::leaky_relu_backward_backward(gg, g, x, slope);
           });
         });
  m.impl("gelu_backward_backward", [](const Tensor& gg, const Tensor& g, const Tensor& x,
                                      c10::string_view approximate) {
    return no_third_derivative(
        {gg, g, x}, [&] { return torchact::gelu_backward_backward(gg, g, x, approximate); });
  });
  m.impl("silu_backward_backward", [](const Tensor& gg, const Tensor& g, const Tensor& x) {
    return no_third_derivative({gg, g, x},
                               [&] { return torchact::silu_backward_backward(gg, g, x); });
  });
  m.impl("swish_backward_backward",
         [](const Tensor& gg, const Tensor& g, const Tensor& x, double beta) {
           return no_third_derivative(
               {gg, g, x}, [&] { return torchact::swish_backward_backward(gg, g, x, beta); });
         });
  m.impl("swiglu_backward_backward", [](const Tensor& gg_gate, const Tensor& gg_up,
                                        const Tensor& g, const Tensor& gate, const Tensor& up) {
    return no_third_derivative({gg_gate, gg_up, g, gate, up}, [&] {
      return torchact::swiglu_backward_backward(gg_gate, gg_up, g, gate, up);
    });
  });
  m.impl("geglu_backward_backward",
         [](const Tensor& gg_gate, const Tensor& gg_up, const Tensor& g, const Tensor& gate,
            const Tensor& up, c10::string_view approximate) {
           return no_third_derivative({gg_gate, gg_up, g, gate, up}, [&] {
             return torchact::geglu_backward_backward(gg_gate, gg_up, g, gate, up, approximate);
           });
         });
  m.impl("swiglu_packed_backward_backward",
         [](const Tensor& gg, const Tensor& g, const Tensor& x, int64_t dim) {
           return no_third_derivative({gg, g, x}, [&] {
             return torchact::swiglu_packed_backward_backward(gg, g, x, dim);
           });
         });
}

}  // namespace
}  // namespace torchact
