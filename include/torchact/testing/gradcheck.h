// torchact::testing::gradcheck and gradgradcheck: LibTorch's C++ API has none; these work for
// any op.
//
// It compares the Jacobian that autograd computes (one vector-Jacobian product per output element)
// with central finite differences, in float64, for a function of several tensor inputs:
//
//   auto result = torchact::testing::gradcheck(
//       [](const std::vector<at::Tensor>& in) { return my_op(in[0], in[1]); },
//       {at::randn({3, 4}, at::kDouble), at::randn({3, 4}, at::kDouble)});
//   EXPECT_TRUE(result) << result.message;
//
// On failure the message names the input, the worst element (its index and value), the output
// element, and the analytical and numerical derivatives. Keep inputs small: the cost is one
// backward per output element and two forwards per input element. Keep points away from kinks
// (relu at 0), where finite differences are meaningless.
#pragma once

#include <ATen/ATen.h>
#include <torch/autograd.h>

#include <cmath>
#include <functional>
#include <sstream>
#include <string>
#include <vector>

namespace torchact {
namespace testing {

struct GradcheckOptions {
  double eps = 1e-6;   // finite-difference step
  double atol = 1e-5;  // an entry passes when |analytical - numerical| <= atol + rtol |numerical|
  double rtol = 1e-3;
};

struct GradcheckResult {
  bool ok = true;
  std::string message;  // empty when ok
  explicit operator bool() const { return ok; }
};

using TensorFunction = std::function<at::Tensor(const std::vector<at::Tensor>&)>;

namespace detail {

inline std::string index_string(const at::Tensor& t, int64_t flat) {
  std::ostringstream out;
  out << "[";
  std::vector<int64_t> index(t.dim());
  for (int64_t d = t.dim() - 1; d >= 0; --d) {
    index[d] = flat % t.size(d);
    flat /= t.size(d);
  }
  for (size_t d = 0; d < index.size(); ++d) out << (d ? ", " : "") << index[d];
  out << "]";
  return out.str();
}

}  // namespace detail

inline GradcheckResult gradcheck(const TensorFunction& fn, const std::vector<at::Tensor>& inputs,
                                 const GradcheckOptions& options = {}) {
  std::vector<at::Tensor> xs;
  for (size_t i = 0; i < inputs.size(); ++i) {
    TORCH_CHECK(inputs[i].defined(), "gradcheck: input ", i, " is undefined");
    TORCH_CHECK(inputs[i].scalar_type() == at::kDouble, "gradcheck: input ", i,
                " must be float64 (finite differences need double precision), got ",
                inputs[i].scalar_type());
    xs.push_back(inputs[i].detach().clone().contiguous().requires_grad_(true));
  }
  const at::Tensor out = fn(xs);
  TORCH_CHECK(out.defined() && out.scalar_type() == at::kDouble,
              "gradcheck: the function must return a defined float64 tensor");
  const int64_t n_out = out.numel();

  // analytical[i] is the Jacobian of the output with respect to input i: [n_out, numel(input i)].
  std::vector<at::Tensor> analytical;
  for (const auto& x : xs) analytical.push_back(at::zeros({n_out, x.numel()}, at::kDouble));
  for (int64_t j = 0; j < n_out; ++j) {
    at::Tensor one_hot = at::zeros_like(out);
    one_hot.view(-1)[j] = 1.0;
    const auto grads = torch::autograd::grad({out}, xs, {one_hot}, /*retain_graph=*/true,
                                             /*create_graph=*/false, /*allow_unused=*/true);
    for (size_t i = 0; i < xs.size(); ++i) {
      if (grads[i].defined()) analytical[i][j] = grads[i].reshape(-1);
    }
  }

  // Numerical Jacobian by central differences, on copies that autograd does not track.
  at::NoGradGuard no_grad;
  std::vector<at::Tensor> probe;
  for (const auto& x : xs) probe.push_back(x.detach().clone());
  for (size_t i = 0; i < probe.size(); ++i) {
    at::Tensor flat = probe[i].view(-1);
    at::Tensor numerical = at::zeros_like(analytical[i]);
    for (int64_t k = 0; k < flat.numel(); ++k) {
      const double value = flat[k].item<double>();
      flat[k] = value + options.eps;
      const at::Tensor plus = fn(probe).reshape(-1);
      flat[k] = value - options.eps;
      const at::Tensor minus = fn(probe).reshape(-1);
      flat[k] = value;
      numerical.select(1, k).copy_((plus - minus) / (2 * options.eps));
    }
    // The entry furthest beyond its tolerance decides; nan anywhere fails.
    const at::Tensor excess = ((analytical[i] - numerical).abs() -
                               (options.atol + options.rtol * numerical.abs()))
                                  .nan_to_num(INFINITY, INFINITY, INFINITY);
    if (excess.numel() == 0 || excess.max().item<double>() <= 0) continue;
    const int64_t worst = excess.argmax().item<int64_t>();
    const int64_t j = worst / flat.numel();
    const int64_t k = worst % flat.numel();
    std::ostringstream msg;
    msg << "gradcheck failed: d output" << detail::index_string(out, j) << " / d input " << i
        << detail::index_string(probe[i], k) << " at input value " << flat[k].item<double>()
        << ": analytical " << analytical[i][j][k].item<double>() << ", numerical "
        << numerical[j][k].item<double>() << " (atol " << options.atol << ", rtol "
        << options.rtol << ", eps " << options.eps << ")";
    return {false, msg.str()};
  }
  return {};
}

// gradgradcheck: second derivatives. With a random v of the output's shape, checks (by gradcheck)
// the function (inputs, v) -> d<fn(inputs), v>/d inputs, whose derivative is the second derivative
// of fn, taken with respect to the inputs and v. For ops with a hand-written double backward
// (torchact's), this tests that double backward against finite differences of the first one.
inline GradcheckResult gradgradcheck(const TensorFunction& fn, const std::vector<at::Tensor>& inputs,
                                     const GradcheckOptions& options = {}) {
  at::Tensor v;
  {
    at::NoGradGuard no_grad;
    std::vector<at::Tensor> probe;
    for (const auto& x : inputs) probe.push_back(x.detach());
    v = at::randn_like(fn(probe));
  }
  const size_t n = inputs.size();
  const TensorFunction first_derivatives = [&fn, n](const std::vector<at::Tensor>& in) {
    at::AutoGradMode grad_mode(true);  // also while gradcheck probes without gradients
    std::vector<at::Tensor> xs;
    for (size_t i = 0; i < n; ++i) {
      xs.push_back(in[i].requires_grad() ? in[i] : in[i].detach().requires_grad_(true));
    }
    const at::Tensor out = fn(xs);
    const auto grads = torch::autograd::grad({out}, xs, {in[n]}, /*retain_graph=*/true,
                                             /*create_graph=*/true, /*allow_unused=*/true);
    std::vector<at::Tensor> flat;
    for (size_t i = 0; i < n; ++i) {
      flat.push_back(grads[i].defined() ? grads[i].reshape(-1) : at::zeros({xs[i].numel()}, xs[i].options()));
    }
    return at::cat(flat);
  };
  std::vector<at::Tensor> extended(inputs.begin(), inputs.end());
  extended.push_back(v);
  GradcheckResult result = gradcheck(first_derivatives, extended, options);
  if (!result) {
    result.message = "gradgradcheck (input " + std::to_string(n) +
                     " is the output's gradient; output = the first derivatives, flattened): " +
                     result.message;
  }
  return result;
}

}  // namespace testing
}  // namespace torchact
