#include "autograd.h"

#include <torch/csrc/autograd/function.h>
#include <torch/csrc/autograd/functions/utils.h>
#include <torch/csrc/autograd/saved_variable.h>

#include <cctype>
#include <initializer_list>
#include <memory>

namespace torchact {
namespace autograd {
namespace {

using at::Tensor;
using torch::autograd::Node;
using torch::autograd::SavedVariable;
using torch::autograd::variable_list;

// "torchact::leaky_relu" -> "LeakyReluBackward", as PyTorch names its Nodes.
std::string node_name(const char* op, const char* suffix) {
  std::string name;
  bool upper = true;
  for (const char* c = op; *c != '\0'; ++c) {
    if (*c == ':') {
      name.clear();  // drop the namespace
      upper = true;
    } else if (*c == '_') {
      upper = true;
    } else {
      name += upper ? static_cast<char>(std::toupper(static_cast<unsigned char>(*c))) : *c;
      upper = false;
    }
  }
  return name + suffix;
}

template <typename N>
std::shared_ptr<N> make_node() {
  return std::shared_ptr<N>(new N(), torch::autograd::deleteNode);
}

// Runs the op below autograd: the next kernel is the device's (or a torch.func layer's).
template <typename Fn>
auto below_autograd(const Fn& fn) {
  at::AutoDispatchBelowADInplaceOrView guard;
  return fn();
}

// Forward-mode AD (dual tensors, torch.func.jvp) is not implemented yet: refuse rather than drop
// the tangent.
void check_no_forward_grad(const char* op, std::initializer_list<const Tensor*> inputs) {
  for (const Tensor* t : inputs) {
    TORCH_CHECK_NOT_IMPLEMENTED(!t->_fw_grad(/*level=*/0).defined(), op,
                                ": forward-mode AD (dual tensors, torch.func.jvp, jacfwd) is not "
                                "supported");
  }
}

// grads[i], or zeros like `like` where the engine passes an undefined gradient (an output that
// did not take part in the loss).
Tensor materialize(const Tensor& grad, const Tensor& like) {
  return grad.defined() ? grad : at::zeros_like(like);
}

// The second-derivative ops are not differentiated again: a graph through them raises when it is,
// rather than silently missing a term.
struct NoThirdDerivative : Node {
  std::string op;
  variable_list apply(variable_list&&) override {
    TORCH_CHECK(false, op, ": third and higher derivatives are not implemented");
  }
  std::string name() const override { return node_name(op.c_str(), "NoThirdDerivative"); }
};

template <typename... Outputs>
void forbid_differentiation(const char* op, std::initializer_list<const Tensor*> inputs,
                            Outputs&... outputs) {
  bool requires_grad = false;
  for (const Tensor* t : inputs) requires_grad = requires_grad || torch::autograd::compute_requires_grad(*t);
  if (!requires_grad) return;
  auto node = make_node<NoThirdDerivative>();
  node->op = op;
  for (const Tensor* t : inputs) node->add_next_edge(torch::autograd::impl::gradient_edge(*t));
  (torch::autograd::set_history(outputs, node), ...);
}

// ---- One-input ops (unary and packed) ------------------------------------------------------------

// grad_input = backward(grad, saved).
struct UnaryBackwardNode : Node {
  const UnaryOp* op = nullptr;
  OpArgs args;
  SavedVariable saved;
  variable_list apply(variable_list&& grads) override {
    if (!grads[0].defined()) return {Tensor()};
    return {op->backward(grads[0], saved.unpack(shared_from_this()), args)};
  }
  std::string name() const override { return node_name(op->name, "Backward"); }
  void release_variables() override { saved.reset_data(); }
};

// The backward op's gradient: (d grad, d saved) = backward_backward(grad_grad_input, grad, saved).
struct UnaryBackwardBackwardNode : Node {
  const UnaryOp* op = nullptr;
  OpArgs args;
  SavedVariable grad, saved;
  variable_list apply(variable_list&& grads) override {
    if (!grads[0].defined()) return {Tensor(), Tensor()};
    const auto result = op->backward_backward(grads[0], grad.unpack(), saved.unpack(), args);
    return {std::get<0>(result), std::get<1>(result)};
  }
  std::string name() const override { return node_name(op->name, "BackwardBackward"); }
  void release_variables() override {
    grad.reset_data();
    saved.reset_data();
  }
};

// ---- Gated ops ---------------------------------------------------------------------------------------

// (grad_gate, grad_up) = backward(grad, gate, up): only gate and up are kept, the activation is
// recomputed.
struct GatedBackwardNode : Node {
  const GatedOp* op = nullptr;
  OpArgs args;
  SavedVariable gate, up;
  variable_list apply(variable_list&& grads) override {
    if (!grads[0].defined()) return {Tensor(), Tensor()};
    const auto result = op->backward(grads[0], gate.unpack(), up.unpack(), args);
    return {std::get<0>(result), std::get<1>(result)};
  }
  std::string name() const override { return node_name(op->name, "Backward"); }
  void release_variables() override {
    gate.reset_data();
    up.reset_data();
  }
};

struct GatedBackwardBackwardNode : Node {
  const GatedOp* op = nullptr;
  OpArgs args;
  SavedVariable grad, gate, up;
  variable_list apply(variable_list&& grads) override {
    if (!grads[0].defined() && !grads[1].defined()) return {Tensor(), Tensor(), Tensor()};
    const Tensor g = grad.unpack(), a = gate.unpack(), b = up.unpack();
    const auto result =
        op->backward_backward(materialize(grads[0], a), materialize(grads[1], a), g, a, b, args);
    return {std::get<0>(result), std::get<1>(result), std::get<2>(result)};
  }
  std::string name() const override { return node_name(op->name, "BackwardBackward"); }
  void release_variables() override {
    grad.reset_data();
    gate.reset_data();
    up.reset_data();
  }
};

}  // namespace

Tensor unary(const UnaryOp& op, const Tensor& x, const OpArgs& args) {
  check_no_forward_grad(op.name, {&x});
  std::shared_ptr<UnaryBackwardNode> node;
  if (torch::autograd::compute_requires_grad(x)) {
    node = make_node<UnaryBackwardNode>();
    node->op = &op;
    node->args = args;
    node->set_next_edges(torch::autograd::collect_next_edges(x));
    if (!op.saves_output) node->saved = SavedVariable(x, /*is_output=*/false);
  }
  Tensor y = below_autograd([&] { return op.forward(x, args); });
  if (node) {
    torch::autograd::set_history(y, node);
    if (op.saves_output) node->saved = SavedVariable(y, /*is_output=*/true);
  }
  return y;
}

Tensor unary_backward(const UnaryOp& op, const Tensor& grad, const Tensor& saved,
                      const OpArgs& args) {
  check_no_forward_grad(op.name, {&grad, &saved});
  std::shared_ptr<UnaryBackwardBackwardNode> node;
  if (torch::autograd::compute_requires_grad(grad, saved)) {
    node = make_node<UnaryBackwardBackwardNode>();
    node->op = &op;
    node->args = args;
    node->set_next_edges(torch::autograd::collect_next_edges(grad, saved));
    node->grad = SavedVariable(grad, false);
    node->saved = SavedVariable(saved, false);
  }
  Tensor grad_input = below_autograd([&] { return op.backward(grad, saved, args); });
  if (node) torch::autograd::set_history(grad_input, node);
  return grad_input;
}

TensorPair unary_backward_backward(const UnaryOp& op, const Tensor& grad_grad_input,
                                   const Tensor& grad, const Tensor& saved, const OpArgs& args) {
  check_no_forward_grad(op.name, {&grad_grad_input, &grad, &saved});
  auto result =
      below_autograd([&] { return op.backward_backward(grad_grad_input, grad, saved, args); });
  forbid_differentiation(op.name, {&grad_grad_input, &grad, &saved}, std::get<0>(result),
                         std::get<1>(result));
  return result;
}

Tensor gated(const GatedOp& op, const Tensor& gate, const Tensor& up, const OpArgs& args) {
  check_no_forward_grad(op.name, {&gate, &up});
  std::shared_ptr<GatedBackwardNode> node;
  if (torch::autograd::compute_requires_grad(gate, up)) {
    node = make_node<GatedBackwardNode>();
    node->op = &op;
    node->args = args;
    node->set_next_edges(torch::autograd::collect_next_edges(gate, up));
    node->gate = SavedVariable(gate, false);
    node->up = SavedVariable(up, false);
  }
  Tensor out = below_autograd([&] { return op.forward(gate, up, args); });
  if (node) torch::autograd::set_history(out, node);
  return out;
}

TensorPair gated_backward(const GatedOp& op, const Tensor& grad, const Tensor& gate,
                          const Tensor& up, const OpArgs& args) {
  check_no_forward_grad(op.name, {&grad, &gate, &up});
  std::shared_ptr<GatedBackwardBackwardNode> node;
  if (torch::autograd::compute_requires_grad(grad, gate, up)) {
    node = make_node<GatedBackwardBackwardNode>();
    node->op = &op;
    node->args = args;
    node->set_next_edges(torch::autograd::collect_next_edges(grad, gate, up));
    node->grad = SavedVariable(grad, false);
    node->gate = SavedVariable(gate, false);
    node->up = SavedVariable(up, false);
  }
  auto result = below_autograd([&] { return op.backward(grad, gate, up, args); });
  if (node) {
    torch::autograd::set_history(std::get<0>(result), node);
    torch::autograd::set_history(std::get<1>(result), node);
  }
  return result;
}

TensorTriple gated_backward_backward(const GatedOp& op, const Tensor& grad_grad_gate,
                                     const Tensor& grad_grad_up, const Tensor& grad,
                                     const Tensor& gate, const Tensor& up, const OpArgs& args) {
  check_no_forward_grad(op.name, {&grad_grad_gate, &grad_grad_up, &grad, &gate, &up});
  auto result = below_autograd(
      [&] { return op.backward_backward(grad_grad_gate, grad_grad_up, grad, gate, up, args); });
  forbid_differentiation(op.name, {&grad_grad_gate, &grad_grad_up, &grad, &gate, &up},
                         std::get<0>(result), std::get<1>(result), std::get<2>(result));
  return result;
}

}  // namespace autograd
}  // namespace torchact
