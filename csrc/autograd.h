// The autograd of every op, generic per family: one Autograd kernel for one-input ops (unary and
// packed), one for gated ops, and one for each family's backward and second-derivative ops.
//
// Written the way PyTorch's generated autograd kernels (VariableType) are: the kernel creates a
// torch::autograd::Node, connects it to the inputs' gradient edges, saves what the backward needs
// (SavedVariable), runs the op below autograd and sets the output's history. Unlike a
// torch::autograd::Function, such a Node is accepted by torch.func's transforms (grad, vjp,
// jacrev, hessian, vmap of those), which treat the op like any ATen op.
//
// The Nodes call the ops' backward and second-derivative ops through the C++ API, so every
// derivative comes from math.h's structs; the second-derivative ops' own gradients raise.
#pragma once

#include <ATen/ATen.h>

#include <string>
#include <tuple>

namespace torchact {
namespace autograd {

using TensorPair = std::tuple<at::Tensor, at::Tensor>;
using TensorTriple = std::tuple<at::Tensor, at::Tensor, at::Tensor>;

// An op call's arguments besides the tensors, kept by the Nodes for the backward calls.
struct OpArgs {
  double floats[3] = {0.0, 0.0, 0.0};  // the float parameters, in schema order
  std::string approximate;             // ops with `str approximate`
  int64_t dim = 0;                     // packed ops
  bool interleaved = false;            // packed ops
};

// How to call a one-input op (unary, or packed: x holding gate and up) and its backward ops; the
// generated code gives one per op, calling the C++ API (torchact::silu, ...).
struct UnaryOp {
  const char* name;
  bool saves_output;  // the backward takes the output (sigmoid, tanh, relu), else the input
  at::Tensor (*forward)(const at::Tensor& x, const OpArgs&);
  at::Tensor (*backward)(const at::Tensor& grad, const at::Tensor& saved, const OpArgs&);
  TensorPair (*backward_backward)(const at::Tensor& grad_grad_input, const at::Tensor& grad,
                                  const at::Tensor& saved, const OpArgs&);
  // Forward-mode AD: the output's tangent given x's (f'(x) tangent). nullptr: backward(tangent,
  // saved), right for element-wise ops; packed ops split x and the tangent into gate and up.
  at::Tensor (*jvp)(const at::Tensor& tangent, const at::Tensor& x, const OpArgs&) = nullptr;
  // The in-place variant (relu_, ...), where the op has one.
  at::Tensor& (*forward_inplace)(at::Tensor& x, const OpArgs&) = nullptr;
};

// The same for a gated op f(gate) * up.
struct GatedOp {
  const char* name;
  at::Tensor (*forward)(const at::Tensor& gate, const at::Tensor& up, const OpArgs&);
  TensorPair (*backward)(const at::Tensor& grad, const at::Tensor& gate, const at::Tensor& up,
                         const OpArgs&);
  TensorTriple (*backward_backward)(const at::Tensor& grad_grad_gate,
                                    const at::Tensor& grad_grad_up, const at::Tensor& grad,
                                    const at::Tensor& gate, const at::Tensor& up, const OpArgs&);
};

// A packed op's gate and up (views of x): its halves along dim, or its even and odd elements.
TensorPair packed_parts(const at::Tensor& x, const OpArgs& args);
// The tangent of f(gate) * u(up) given the tangents of gate and up, from the gated backward op:
// f'(gate) u(up) t_gate + f(gate) u'(up) t_up.
at::Tensor gated_jvp(const GatedOp& op, const at::Tensor& gate_tangent,
                     const at::Tensor& up_tangent, const at::Tensor& gate, const at::Tensor& up,
                     const OpArgs& args);

// The Autograd kernels. Each also propagates forward-mode tangents (dual tensors, torch.func.jvp)
// with the op's own derivatives: the forward op's through its backward op, the backward op's
// through its second-derivative op (by the symmetry of second derivatives).
at::Tensor unary(const UnaryOp& op, const at::Tensor& x, const OpArgs& args);
at::Tensor unary_backward(const UnaryOp& op, const at::Tensor& grad, const at::Tensor& saved,
                          const OpArgs& args);
TensorPair unary_backward_backward(const UnaryOp& op, const at::Tensor& grad_grad_input,
                                   const at::Tensor& grad, const at::Tensor& saved,
                                   const OpArgs& args);

// An in-place op self = f(self), as PyTorch's in-place ops: refuses a leaf that requires grad,
// bumps self's version, and rebases its history onto the op's Node (through CopySlices when self
// is a view). The Node keeps self itself where the backward takes the output, else a copy of self
// made before the op (the only extra memory). Tangents are updated in place.
at::Tensor& unary_(const UnaryOp& op, at::Tensor& self, const OpArgs& args);
// The Functionalize kernel of an in-place op: on a functional tensor (torch.compile, torch.export),
// the out-of-place op's result replaces self's value, as PyTorch's generated kernels do.
at::Tensor& functionalize_(const UnaryOp& op, at::Tensor& self, const OpArgs& args);

at::Tensor gated(const GatedOp& op, const at::Tensor& gate, const at::Tensor& up,
                 const OpArgs& args);
TensorPair gated_backward(const GatedOp& op, const at::Tensor& grad, const at::Tensor& gate,
                          const at::Tensor& up, const OpArgs& args);
TensorTriple gated_backward_backward(const GatedOp& op, const at::Tensor& grad_grad_gate,
                                     const at::Tensor& grad_grad_up, const at::Tensor& grad,
                                     const at::Tensor& gate, const at::Tensor& up,
                                     const OpArgs& args);

}  // namespace autograd
}  // namespace torchact
