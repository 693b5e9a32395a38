// The C++ API: each function calls its op through the dispatcher.
#include <ATen/core/dispatch/Dispatcher.h>

#include <initializer_list>
#include <utility>

#include "backend.h"
#include "cpu/kernels.h"
#include "torchact/ops.h"

namespace torchact {
namespace {

template <typename Signature>
c10::TypedOperatorHandle<Signature> op(const char* name) {
  return c10::Dispatcher::singleton().findSchemaOrThrow(name, "").typed<Signature>();
}

// The dispatcher cannot route an undefined tensor (it has no device): say which op and argument.
void check_defined(const char* op, std::initializer_list<std::pair<const char*, const at::Tensor*>> args) {
  for (const auto& arg : args) {
    TORCH_CHECK(arg.second->defined(), op, ": ", arg.first, " is an undefined tensor");
  }
}

using at::Tensor;
using Unary = Tensor(const Tensor&);
using UnaryWithFloat = Tensor(const Tensor&, double);
using UnaryWithStr = Tensor(const Tensor&, c10::string_view);
using Binary = Tensor(const Tensor&, const Tensor&);
using BinaryWithFloat = Tensor(const Tensor&, const Tensor&, double);
using BinaryWithStr = Tensor(const Tensor&, const Tensor&, c10::string_view);

}  // namespace

Tensor sigmoid(const Tensor& self) {
  check_defined("torchact::sigmoid", {{"self", &self}});
  static const auto handle = op<Unary>("torchact::sigmoid");
  return handle.call(self);
}
Tensor tanh(const Tensor& self) {
  check_defined("torchact::tanh", {{"self", &self}});
  static const auto handle = op<Unary>("torchact::tanh");
  return handle.call(self);
}
Tensor relu(const Tensor& self) {
  check_defined("torchact::relu", {{"self", &self}});
  static const auto handle = op<Unary>("torchact::relu");
  return handle.call(self);
}
Tensor leaky_relu(const Tensor& self, double negative_slope) {
  check_defined("torchact::leaky_relu", {{"self", &self}});
  static const auto handle = op<UnaryWithFloat>("torchact::leaky_relu");
  return handle.call(self, negative_slope);
}
Tensor gelu(const Tensor& self, c10::string_view approximate) {
  check_defined("torchact::gelu", {{"self", &self}});
  static const auto handle = op<UnaryWithStr>("torchact::gelu");
  return handle.call(self, approximate);
}
Tensor silu(const Tensor& self) {
  check_defined("torchact::silu", {{"self", &self}});
  static const auto handle = op<Unary>("torchact::silu");
  return handle.call(self);
}
Tensor swish(const Tensor& self, double beta) {
  check_defined("torchact::swish", {{"self", &self}});
  static const auto handle = op<UnaryWithFloat>("torchact::swish");
  return handle.call(self, beta);
}
Tensor swiglu(const Tensor& gate, const Tensor& up) {
  check_defined("torchact::swiglu", {{"gate", &gate}, {"up", &up}});
  static const auto handle = op<Binary>("torchact::swiglu");
  return handle.call(gate, up);
}
Tensor geglu(const Tensor& gate, const Tensor& up, c10::string_view approximate) {
  check_defined("torchact::geglu", {{"gate", &gate}, {"up", &up}});
  static const auto handle = op<BinaryWithStr>("torchact::geglu");
  return handle.call(gate, up, approximate);
}
Tensor swiglu_packed(const Tensor& x, int64_t dim) {
  check_defined("torchact::swiglu_packed", {{"x", &x}});
  static const auto handle = op<Tensor(const Tensor&, int64_t)>("torchact::swiglu_packed");
  return handle.call(x, dim);
}

Tensor sigmoid_backward(const Tensor& grad_output, const Tensor& output) {
  check_defined("torchact::sigmoid_backward", {{"grad_output", &grad_output}, {"output", &output}});
  static const auto handle = op<Binary>("torchact::sigmoid_backward");
  return handle.call(grad_output, output);
}
Tensor tanh_backward(const Tensor& grad_output, const Tensor& output) {
  check_defined("torchact::tanh_backward", {{"grad_output", &grad_output}, {"output", &output}});
  static const auto handle = op<Binary>("torchact::tanh_backward");
  return handle.call(grad_output, output);
}
Tensor relu_backward(const Tensor& grad_output, const Tensor& output) {
  check_defined("torchact::relu_backward", {{"grad_output", &grad_output}, {"output", &output}});
  static const auto handle = op<Binary>("torchact::relu_backward");
  return handle.call(grad_output, output);
}
Tensor leaky_relu_backward(const Tensor& grad_output, const Tensor& self, double negative_slope) {
  check_defined("torchact::leaky_relu_backward", {{"grad_output", &grad_output}, {"self", &self}});
  static const auto handle = op<BinaryWithFloat>("torchact::leaky_relu_backward");
  return handle.call(grad_output, self, negative_slope);
}
Tensor gelu_backward(const Tensor& grad_output, const Tensor& self, c10::string_view approximate) {
  check_defined("torchact::gelu_backward", {{"grad_output", &grad_output}, {"self", &self}});
  static const auto handle = op<BinaryWithStr>("torchact::gelu_backward");
  return handle.call(grad_output, self, approximate);
}
Tensor silu_backward(const Tensor& grad_output, const Tensor& self) {
  check_defined("torchact::silu_backward", {{"grad_output", &grad_output}, {"self", &self}});
  static const auto handle = op<Binary>("torchact::silu_backward");
  return handle.call(grad_output, self);
}
Tensor swish_backward(const Tensor& grad_output, const Tensor& self, double beta) {
  check_defined("torchact::swish_backward", {{"grad_output", &grad_output}, {"self", &self}});
  static const auto handle = op<BinaryWithFloat>("torchact::swish_backward");
  return handle.call(grad_output, self, beta);
}
TensorPair swiglu_backward(const Tensor& grad_output, const Tensor& gate, const Tensor& up) {
  check_defined("torchact::swiglu_backward", {{"grad_output", &grad_output}, {"gate", &gate}, {"up", &up}});
  static const auto handle =
      op<TensorPair(const Tensor&, const Tensor&, const Tensor&)>("torchact::swiglu_backward");
  return handle.call(grad_output, gate, up);
}
TensorPair geglu_backward(const Tensor& grad_output, const Tensor& gate, const Tensor& up,
                          c10::string_view approximate) {
  check_defined("torchact::geglu_backward", {{"grad_output", &grad_output}, {"gate", &gate}, {"up", &up}});
  static const auto handle =
      op<TensorPair(const Tensor&, const Tensor&, const Tensor&, c10::string_view)>(
          "torchact::geglu_backward");
  return handle.call(grad_output, gate, up, approximate);
}
Tensor swiglu_packed_backward(const Tensor& grad_output, const Tensor& x, int64_t dim) {
  check_defined("torchact::swiglu_packed_backward", {{"grad_output", &grad_output}, {"x", &x}});
  static const auto handle =
      op<Tensor(const Tensor&, const Tensor&, int64_t)>("torchact::swiglu_packed_backward");
  return handle.call(grad_output, x, dim);
}

TensorPair sigmoid_backward_backward(const Tensor& gg, const Tensor& grad_output,
                                     const Tensor& output) {
  check_defined("torchact::sigmoid_backward_backward",
                {{"grad_grad_input", &gg}, {"grad_output", &grad_output}, {"output", &output}});
  static const auto handle = op<TensorPair(const Tensor&, const Tensor&, const Tensor&)>(
      "torchact::sigmoid_backward_backward");
  return handle.call(gg, grad_output, output);
}
TensorPair tanh_backward_backward(const Tensor& gg, const Tensor& grad_output,
                                  const Tensor& output) {
  check_defined("torchact::tanh_backward_backward",
                {{"grad_grad_input", &gg}, {"grad_output", &grad_output}, {"output", &output}});
  static const auto handle = op<TensorPair(const Tensor&, const Tensor&, const Tensor&)>(
      "torchact::tanh_backward_backward");
  return handle.call(gg, grad_output, output);
}
TensorPair relu_backward_backward(const Tensor& gg, const Tensor& grad_output,
                                  const Tensor& output) {
  check_defined("torchact::relu_backward_backward",
                {{"grad_grad_input", &gg}, {"grad_output", &grad_output}, {"output", &output}});
  static const auto handle = op<TensorPair(const Tensor&, const Tensor&, const Tensor&)>(
      "torchact::relu_backward_backward");
  return handle.call(gg, grad_output, output);
}
TensorPair leaky_relu_backward_backward(const Tensor& gg, const Tensor& grad_output,
                                        const Tensor& self, double negative_slope) {
  check_defined("torchact::leaky_relu_backward_backward",
                {{"grad_grad_input", &gg}, {"grad_output", &grad_output}, {"self", &self}});
  static const auto handle = op<TensorPair(const Tensor&, const Tensor&, const Tensor&, double)>(
      "torchact::leaky_relu_backward_backward");
  return handle.call(gg, grad_output, self, negative_slope);
}
TensorPair gelu_backward_backward(const Tensor& gg, const Tensor& grad_output, const Tensor& self,
                                  c10::string_view approximate) {
  check_defined("torchact::gelu_backward_backward",
                {{"grad_grad_input", &gg}, {"grad_output", &grad_output}, {"self", &self}});
  static const auto handle =
      op<TensorPair(const Tensor&, const Tensor&, const Tensor&, c10::string_view)>(
          "torchact::gelu_backward_backward");
  return handle.call(gg, grad_output, self, approximate);
}
TensorPair silu_backward_backward(const Tensor& gg, const Tensor& grad_output,
                                  const Tensor& self) {
  check_defined("torchact::silu_backward_backward",
                {{"grad_grad_input", &gg}, {"grad_output", &grad_output}, {"self", &self}});
  static const auto handle = op<TensorPair(const Tensor&, const Tensor&, const Tensor&)>(
      "torchact::silu_backward_backward");
  return handle.call(gg, grad_output, self);
}
TensorPair swish_backward_backward(const Tensor& gg, const Tensor& grad_output, const Tensor& self,
                                   double beta) {
  check_defined("torchact::swish_backward_backward",
                {{"grad_grad_input", &gg}, {"grad_output", &grad_output}, {"self", &self}});
  static const auto handle = op<TensorPair(const Tensor&, const Tensor&, const Tensor&, double)>(
      "torchact::swish_backward_backward");
  return handle.call(gg, grad_output, self, beta);
}
TensorTriple swiglu_backward_backward(const Tensor& gg_gate, const Tensor& gg_up,
                                      const Tensor& grad_output, const Tensor& gate,
                                      const Tensor& up) {
  check_defined("torchact::swiglu_backward_backward",
                {{"grad_grad_gate", &gg_gate}, {"grad_grad_up", &gg_up},
                 {"grad_output", &grad_output}, {"gate", &gate}, {"up", &up}});
  static const auto handle = op<TensorTriple(const Tensor&, const Tensor&, const Tensor&,
                                             const Tensor&, const Tensor&)>(
      "torchact::swiglu_backward_backward");
  return handle.call(gg_gate, gg_up, grad_output, gate, up);
}
TensorTriple geglu_backward_backward(const Tensor& gg_gate, const Tensor& gg_up,
                                     const Tensor& grad_output, const Tensor& gate,
                                     const Tensor& up, c10::string_view approximate) {
  check_defined("torchact::geglu_backward_backward",
                {{"grad_grad_gate", &gg_gate}, {"grad_grad_up", &gg_up},
                 {"grad_output", &grad_output}, {"gate", &gate}, {"up", &up}});
  static const auto handle = op<TensorTriple(const Tensor&, const Tensor&, const Tensor&,
                                             const Tensor&, const Tensor&, c10::string_view)>(
      "torchact::geglu_backward_backward");
  return handle.call(gg_gate, gg_up, grad_output, gate, up, approximate);
}
TensorPair swiglu_packed_backward_backward(const Tensor& gg, const Tensor& grad_output,
                                           const Tensor& x, int64_t dim) {
  check_defined("torchact::swiglu_packed_backward_backward",
                {{"grad_grad_x", &gg}, {"grad_output", &grad_output}, {"x", &x}});
  static const auto handle = op<TensorPair(const Tensor&, const Tensor&, const Tensor&, int64_t)>(
      "torchact::swiglu_packed_backward_backward");
  return handle.call(gg, grad_output, x, dim);
}

const char* cpu_capability() { return cpu::kernels().isa; }
bool has_cuda_kernels() { return cuda_backend() != nullptr; }

}  // namespace torchact
