// What the code generated from the op list (codegen/gen_ops.py -> <build>/generated/csrc/ops.cpp)
// builds on: the frontend (kernels), the generic autograd (autograd.h), and the C++ API's
// dispatcher calls.
#pragma once

#include <ATen/core/dispatch/Dispatcher.h>
#include <torch/library.h>

#include <initializer_list>
#include <string>
#include <utility>

#include "autograd.h"
#include "frontend.h"
#include "kernel_list.h"  // generated: the kernel ids
#include "torchact/ops.h"

namespace torchact {

// The typed handle of a registered op, e.g. find_op<at::Tensor(const at::Tensor&)>("torchact::silu").
template <typename Signature>
c10::TypedOperatorHandle<Signature> find_op(const char* name) {
  return c10::Dispatcher::singleton().findSchemaOrThrow(name, "").typed<Signature>();
}

// The dispatcher cannot route an undefined tensor (it has no device): say which op and argument.
void check_defined(const char* op,
                   std::initializer_list<std::pair<const char*, const at::Tensor*>> args);

// The Spec of an op call: its kernel and float arguments (in schema order), which must be finite
// and make sense to each of the op's math structs (math::invalid: celu's alpha = 0, ...).
Spec make_finite_spec(const char* op, int kernel,
                      std::initializer_list<std::pair<const char*, double>> floats);
[[noreturn]] void fail_invalid(const char* op, const char* problem,
                               std::initializer_list<std::pair<const char*, double>> floats);

template <template <typename> class... Structs>
Spec make_spec(const char* op, int kernel,
               std::initializer_list<std::pair<const char*, double>> floats) {
  const Spec spec = make_finite_spec(op, kernel, floats);
  for (const char* problem : {math::invalid<Structs<double>>(spec.params)...}) {
    if (problem != nullptr) fail_invalid(op, problem, floats);
  }
  return spec;
}

// The kernel for an op's `approximate` argument: the one paired with that value.
int choose_kernel(const char* op, c10::string_view approximate,
                  std::initializer_list<std::pair<const char*, int>> kernels);

}  // namespace torchact
