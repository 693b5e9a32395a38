// What every function of torchact._C (the generated python_module.cpp) shares.
#pragma once

#include <torch/csrc/Exceptions.h>
#include <torch/csrc/utils/pybind.h>  // at::Tensor <-> torch.Tensor

#include <torchact/torchact.h>

namespace py = pybind11;

namespace torchact {
namespace python {

// Runs an op for Python as torch's own bindings do: without the GIL while it runs, and its errors
// and warnings raised as torch.ops raises them (the Python exception type of the C++ one, the
// message without the C++ backtrace; TORCH_WARN as a Python warning).
template <typename Op>
at::Tensor call(const Op& op) {
  HANDLE_TH_ERRORS
  py::gil_scoped_release no_gil;
  return op();
  END_HANDLE_TH_ERRORS_PYBIND
}

}  // namespace python
}  // namespace torchact
