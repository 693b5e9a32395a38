#include "autograd.h"

#include <ATen/FunctionalTensorWrapper.h>
#include <torch/csrc/autograd/VariableTypeUtils.h>
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

// Forward-mode AD: a tensor's tangent at the (only) forward-AD level, undefined where it has none,
// and its primal, the tensor without the tangent (what a tangent formula must be computed from, so
// that its result does not carry a tangent of its own: torch.func.jacfwd(jacrev(f))).
Tensor tangent(const Tensor& t) { return t._fw_grad(/*level=*/0); }
Tensor primal(const Tensor& t) { return t._fw_primal(/*level=*/0); }
void set_tangent(const Tensor& result, const Tensor& t) {
  if (t.defined()) result._set_fw_grad(t, /*level=*/0, /*is_inplace_op=*/false);
}
// a + b where either may be undefined (a tangent term that does not apply).
Tensor sum_defined(const Tensor& a, const Tensor& b) {
  return !a.defined() ? b : (!b.defined() ? a : a + b);
}

// The second-derivative ops are the end of the line: no tangents through them either.
void check_no_forward_grad(const char* op, std::initializer_list<const Tensor*> inputs) {
  for (const Tensor* t : inputs) {
    TORCH_CHECK_NOT_IMPLEMENTED(!tangent(*t).defined(), op,
                                "'s second-derivative op: forward-mode AD through it (a third "
                                "derivative) is not implemented");
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

TensorPair packed_parts(const Tensor& x, const OpArgs& args) {
  const int64_t dim = args.dim < 0 ? args.dim + x.dim() : args.dim;
  if (args.interleaved) {
    return {x.slice(dim, 0, x.size(dim), 2), x.slice(dim, 1, x.size(dim), 2)};
  }
  const auto halves = x.chunk(2, dim);
  return {halves[0], halves[1]};
}

Tensor gated_jvp(const GatedOp& op, const Tensor& gate_tangent, const Tensor& up_tangent,
                 const Tensor& gate, const Tensor& up, const OpArgs& args) {
  Tensor result;
  if (gate_tangent.defined()) result = std::get<0>(op.backward(gate_tangent, gate, up, args));
  if (up_tangent.defined()) {
    result = sum_defined(result, std::get<1>(op.backward(up_tangent, gate, up, args)));
  }
  return result;
}

namespace {
// The output tangent of a one-input op.
Tensor unary_jvp(const UnaryOp& op, const Tensor& x_tangent, const Tensor& x_primal,
                 const Tensor& y, const OpArgs& args) {
  if (op.jvp != nullptr) return op.jvp(x_tangent, x_primal, args);
  return op.backward(x_tangent, op.saves_output ? y : x_primal, args);  // f'(x) tangent
}
}  // namespace

Tensor unary(const UnaryOp& op, const Tensor& x, const OpArgs& args) {
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
  const Tensor x_tangent = tangent(x);
  if (x_tangent.defined()) set_tangent(y, unary_jvp(op, x_tangent, primal(x), y, args));
  return y;
}

Tensor& unary_(const UnaryOp& op, Tensor& self, const OpArgs& args) {
  const bool requires_grad = torch::autograd::compute_requires_grad(self);
  torch::autograd::check_inplace(self, requires_grad);
  std::shared_ptr<UnaryBackwardNode> node;
  if (requires_grad) {
    node = make_node<UnaryBackwardNode>();
    node->op = &op;
    node->args = args;
    node->set_next_edges(torch::autograd::collect_next_edges(self));
    if (!op.saves_output) node->saved = SavedVariable(self.clone(), /*is_output=*/false);
  }
  // The tangent f'(x) t needs x: computed (into a new tensor) before x is overwritten, unless f'
  // comes from the output.
  const Tensor self_tangent = tangent(self);
  Tensor new_tangent;
  if (self_tangent.defined() && !op.saves_output) {
    new_tangent = unary_jvp(op, self_tangent, primal(self), Tensor(), args);
  }
  below_autograd([&]() -> Tensor& { return op.forward_inplace(self, args); });
  torch::autograd::increment_version(self);
  if (node) {
    torch::autograd::rebase_history(self, node);
    if (op.saves_output) node->saved = SavedVariable(self, /*is_output=*/true, self.is_view());
  }
  if (self_tangent.defined()) {
    if (op.saves_output) new_tangent = unary_jvp(op, self_tangent, Tensor(), primal(self), args);
    self_tangent.copy_(new_tangent);
  }
  return self;
}

Tensor& functionalize_(const UnaryOp& op, Tensor& self, const OpArgs& args) {
  namespace fn = at::functionalization::impl;
  const c10::impl::ExcludeDispatchKeyGuard skip(c10::DispatchKeySet(c10::DispatchKey::Functionalize));
  if (!fn::isFunctionalTensor(self)) return op.forward_inplace(self, args);
  fn::sync(self);
  const Tensor result = op.forward(fn::from_functional_tensor(self), args);
  fn::replace_(self, result);
  fn::commit_update(self);
  fn::sync(self);
  return self;
}

Tensor unary_backward(const UnaryOp& op, const Tensor& grad, const Tensor& saved,
                      const OpArgs& args) {
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
  // Tangent: linear in grad (the backward op itself), and through saved the second derivative,
  // which is symmetric: the second-derivative op's saved-tensor output with the tangent for gg.
  const Tensor grad_tangent = tangent(grad), saved_tangent = tangent(saved);
  if (grad_tangent.defined() || saved_tangent.defined()) {
    const Tensor grad_p = primal(grad), saved_p = primal(saved);
    Tensor t;
    if (grad_tangent.defined()) t = op.backward(grad_tangent, saved_p, args);
    if (saved_tangent.defined()) {
      t = sum_defined(t, std::get<1>(op.backward_backward(saved_tangent, grad_p, saved_p, args)));
    }
    set_tangent(grad_input, t);
  }
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
  const Tensor gate_tangent = tangent(gate), up_tangent = tangent(up);
  if (gate_tangent.defined() || up_tangent.defined()) {
    set_tangent(out, gated_jvp(op, gate_tangent, up_tangent, primal(gate), primal(up), args));
  }
  return out;
}

TensorPair gated_backward(const GatedOp& op, const Tensor& grad, const Tensor& gate,
                          const Tensor& up, const OpArgs& args) {
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
  // Tangents: linear in grad; through gate and up the (symmetric) second derivatives, i.e. the
  // second-derivative op's gate and up outputs with the tangents for gg_gate and gg_up.
  const Tensor grad_t = tangent(grad), gate_t = tangent(gate), up_t = tangent(up);
  if (grad_t.defined() || gate_t.defined() || up_t.defined()) {
    const Tensor grad_p = primal(grad), gate_p = primal(gate), up_p = primal(up);
    Tensor t_gate, t_up;
    if (grad_t.defined()) std::tie(t_gate, t_up) = op.backward(grad_t, gate_p, up_p, args);
    if (gate_t.defined() || up_t.defined()) {
      const auto second = op.backward_backward(gate_t.defined() ? gate_t : at::zeros_like(gate_p),
                                               up_t.defined() ? up_t : at::zeros_like(up_p),
                                               grad_p, gate_p, up_p, args);
      t_gate = sum_defined(t_gate, std::get<1>(second));
      t_up = sum_defined(t_up, std::get<2>(second));
    }
    set_tangent(std::get<0>(result), t_gate);
    set_tangent(std::get<1>(result), t_up);
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
