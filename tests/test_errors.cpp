// Bad input gives a c10::Error whose message names the op and says what is wrong.
#include <gtest/gtest.h>

#include "op_table.h"

namespace torchact_test {
namespace {

// Runs fn, expects a c10::Error, and returns its message (without the C++ backtrace).
template <typename Fn>
std::string error_of(Fn&& fn) {
  try {
    fn();
  } catch (const c10::Error& e) {
    return e.what_without_backtrace();
  }
  return "<no error>";
}

#define EXPECT_ERROR_MENTIONS(statement, ...)                                       \
  do {                                                                              \
    const std::string msg = error_of([&] { (void)(statement); });                   \
    for (const char* part : {__VA_ARGS__}) {                                        \
      EXPECT_NE(msg.find(part), std::string::npos) << "'" << part << "' not in: " << msg; \
    }                                                                               \
  } while (0)

class WrongDtypeTest : public testing::TestWithParam<std::tuple<const OpCase*, at::ScalarType>> {};

TEST_P(WrongDtypeTest, NamesOpAndDtype) {
  const OpCase& op = *std::get<0>(GetParam());
  const auto dtype = std::get<1>(GetParam());
  const Tensor x = torch::ones({4}, dtype);
  Inputs in{x};
  if (op.arity == Arity::Gated) in.push_back(x);
  const std::string msg = error_of([&] { op.ours(in); });
  EXPECT_NE(msg.find(op.op + ":"), std::string::npos) << msg;
  EXPECT_NE(msg.find("floating-point"), std::string::npos) << msg;
  EXPECT_NE(msg.find(c10::toString(dtype)), std::string::npos) << msg;
}

std::vector<std::tuple<const OpCase*, at::ScalarType>> wrong_dtype_params() {
  std::vector<std::tuple<const OpCase*, at::ScalarType>> params;
  for (const auto& op : op_table()) {
    for (auto dtype : {at::kInt, at::kLong, at::kBool, at::kComplexFloat, at::kByte}) {
      params.emplace_back(&op, dtype);
    }
  }
  return params;
}

INSTANTIATE_TEST_SUITE_P(Table, WrongDtypeTest, testing::ValuesIn(wrong_dtype_params()),
                         [](const auto& info) {
                           return std::get<0>(info.param)->name + "_" +
                                  std::string(c10::toString(std::get<1>(info.param)));
                         });

TEST(Errors, OpNameInEveryDtypeError) {
  const Tensor i = torch::ones({4}, at::kLong);
  EXPECT_ERROR_MENTIONS(torchact::sigmoid(i), "torchact::sigmoid", "Long");
  EXPECT_ERROR_MENTIONS(torchact::gelu(i, "tanh"), "torchact::gelu", "Long");
  EXPECT_ERROR_MENTIONS(torchact::swiglu_packed(i), "torchact::swiglu_packed", "Long");
  EXPECT_ERROR_MENTIONS(torchact::silu_backward(i, i), "torchact::silu_backward", "Long");
}

TEST(Errors, GatedShapeDtypeMismatchStatesBoth) {
  const Tensor a = torch::ones({2, 3});
  EXPECT_ERROR_MENTIONS(torchact::swiglu(a, torch::ones({3})), "torchact::swiglu", "same shape",
                        "[2, 3]", "[3]");
  EXPECT_ERROR_MENTIONS(torchact::geglu(a, torch::ones({2, 3}, at::kDouble)), "torchact::geglu",
                        "same dtype", "Float", "Double");
  EXPECT_ERROR_MENTIONS(torchact::swiglu_backward(torch::ones({3}), a, a),
                        "torchact::swiglu_backward", "[3]", "[2, 3]");
}

TEST(Errors, GatedDeviceMismatch) {
  const Tensor cpu = torch::ones({3});
  const Tensor meta = torch::empty({3}, torch::TensorOptions().device(at::kMeta));
  EXPECT_ERROR_MENTIONS(torchact::swiglu(cpu, meta), "torchact::swiglu", "same device", "cpu", "meta");
}

TEST(Errors, PackedOddSizeAndDimOutOfRange) {
  EXPECT_ERROR_MENTIONS(torchact::swiglu_packed(torch::ones({2, 5})), "torchact::swiglu_packed",
                        "even", "5");
  EXPECT_ERROR_MENTIONS(torchact::swiglu_packed(torch::ones({2, 4}), 2), "torchact::swiglu_packed",
                        "out of range");
  EXPECT_ERROR_MENTIONS(torchact::swiglu_packed(torch::ones({2, 4}), -3), "torchact::swiglu_packed",
                        "out of range");
  EXPECT_ERROR_MENTIONS(torchact::swiglu_packed(torch::ones({})), "torchact::swiglu_packed", "0-dim");
  EXPECT_ERROR_MENTIONS(torchact::swiglu_packed_backward(torch::ones({2, 3}), torch::ones({2, 4}), -1),
                        "torchact::swiglu_packed_backward", "[2, 2]", "[2, 3]");
}

TEST(Errors, UnknownApproximateListsAllowedValues) {
  EXPECT_ERROR_MENTIONS(torchact::gelu(torch::ones({2}), "fast"), "torchact::gelu", "'none'",
                        "'tanh'", "fast");
  EXPECT_ERROR_MENTIONS(torchact::geglu(torch::ones({2}), torch::ones({2}), "erf"),
                        "torchact::geglu", "'none'", "'tanh'");
  EXPECT_ERROR_MENTIONS(torchact::gelu_backward(torch::ones({2}), torch::ones({2}), "Tanh"),
                        "torchact::gelu_backward", "'none'");
}

TEST(Errors, NonFiniteParameters) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();
  EXPECT_ERROR_MENTIONS(torchact::swish(torch::ones({2}), nan), "torchact::swish", "beta", "finite");
  EXPECT_ERROR_MENTIONS(torchact::swish(torch::ones({2}), -inf), "torchact::swish", "beta");
  EXPECT_ERROR_MENTIONS(torchact::leaky_relu(torch::ones({2}), inf), "torchact::leaky_relu",
                        "negative_slope");
}

// Parameters that make no sense name the op, the problem and the values given.
TEST(Errors, ParametersThatMakeNoSense) {
  const Tensor x = torch::ones({2});
  const double inf = std::numeric_limits<double>::infinity();
  EXPECT_ERROR_MENTIONS(torchact::celu(x, 0.0), "torchact::celu", "alpha cannot be 0", "alpha=0");
  EXPECT_ERROR_MENTIONS(torchact::softplus(x, 0.0), "torchact::softplus", "beta cannot be 0");
  EXPECT_ERROR_MENTIONS(torchact::softplus(x, 1.0, inf), "torchact::softplus", "threshold", "finite");
  EXPECT_ERROR_MENTIONS(torchact::hardtanh(x, 2.0, 1.0), "torchact::hardtanh",
                        "min_val cannot be greater than max_val", "min_val=2", "max_val=1");
  EXPECT_ERROR_MENTIONS(torchact::hardtanh_backward(x, x, 2.0, 1.0), "torchact::hardtanh_backward",
                        "min_val");
  EXPECT_ERROR_MENTIONS(torchact::elu(x, 1.0, inf), "torchact::elu", "scale", "finite");
  EXPECT_ERROR_MENTIONS(torchact::swiglu_oai(x, x, 1.702, 0.0), "torchact::swiglu_oai",
                        "limit must be positive");
  EXPECT_ERROR_MENTIONS(torchact::swiglu_oai_packed(torch::ones({4}), -1, true, 1.702, -1.0),
                        "torchact::swiglu_oai_packed", "limit must be positive");
  EXPECT_ERROR_MENTIONS(torchact::swiglu_step(x, x, -2.0), "torchact::swiglu_step",
                        "limit must be positive");
  EXPECT_NO_THROW(torchact::hardtanh(x, 1.0, 1.0));  // min_val == max_val: a constant, as in torch
}

TEST(Errors, UndefinedTensors) {
  const Tensor undefined;
  EXPECT_ERROR_MENTIONS(torchact::silu(undefined), "torchact::silu");
  EXPECT_ERROR_MENTIONS(torchact::swiglu(torch::ones({2}), undefined), "torchact::swiglu",
                        "undefined");
  EXPECT_ERROR_MENTIONS(torchact::sigmoid_backward(undefined, torch::ones({2})),
                        "torchact::sigmoid_backward", "undefined");
}

TEST(Errors, BackwardShapeMismatch) {
  EXPECT_ERROR_MENTIONS(torchact::tanh_backward(torch::ones({2}), torch::ones({3})),
                        "torchact::tanh_backward", "same shape");
}

}  // namespace
}  // namespace torchact_test
