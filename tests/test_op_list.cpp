// The op list (codegen/op_list.txt) and what is derived from it: the schemas of the ops that
// existed before the list stay exactly as they were, and every op of the list has a row in the
// test table (tests/op_table.h), so that nothing is registered untested.
#include <gtest/gtest.h>
#include <torch/csrc/jit/frontend/function_schema_parser.h>

#include <set>
#include <sstream>
#include <string>

#include "op_table.h"

namespace torchact_test {
namespace {

// The 30 schemas as they were before the op list (torchact 0.1.0): frozen, callers rely on them.
// The one change since: swiglu_packed and its backward ops gained `*, bool interleaved=False`
// (interleaved gate and up), which leaves every existing call valid.
const char* const kFrozenSchemas[] = {
    "torchact::sigmoid(Tensor self) -> Tensor",
    "torchact::tanh(Tensor self) -> Tensor",
    "torchact::relu(Tensor self) -> Tensor",
    "torchact::leaky_relu(Tensor self, float negative_slope=0.01) -> Tensor",
    "torchact::gelu(Tensor self, *, str approximate='none') -> Tensor",
    "torchact::silu(Tensor self) -> Tensor",
    "torchact::swish(Tensor self, float beta=1.0) -> Tensor",
    "torchact::swiglu(Tensor gate, Tensor up) -> Tensor",
    "torchact::geglu(Tensor gate, Tensor up, *, str approximate='none') -> Tensor",
    "torchact::swiglu_packed(Tensor x, int dim=-1, *, bool interleaved=False) -> Tensor",
    "torchact::sigmoid_backward(Tensor grad_output, Tensor output) -> Tensor",
    "torchact::tanh_backward(Tensor grad_output, Tensor output) -> Tensor",
    "torchact::relu_backward(Tensor grad_output, Tensor output) -> Tensor",
    "torchact::leaky_relu_backward(Tensor grad_output, Tensor self, float negative_slope) -> Tensor",
    "torchact::gelu_backward(Tensor grad_output, Tensor self, *, str approximate='none') -> Tensor",
    "torchact::silu_backward(Tensor grad_output, Tensor self) -> Tensor",
    "torchact::swish_backward(Tensor grad_output, Tensor self, float beta) -> Tensor",
    "torchact::swiglu_backward(Tensor grad_output, Tensor gate, Tensor up) -> (Tensor, Tensor)",
    "torchact::geglu_backward(Tensor grad_output, Tensor gate, Tensor up, *, str approximate='none') "
    "-> (Tensor, Tensor)",
    "torchact::swiglu_packed_backward(Tensor grad_output, Tensor x, int dim, *, "
    "bool interleaved=False) -> Tensor",
    "torchact::sigmoid_backward_backward(Tensor grad_grad_input, Tensor grad_output, Tensor output) "
    "-> (Tensor, Tensor)",
    "torchact::tanh_backward_backward(Tensor grad_grad_input, Tensor grad_output, Tensor output) "
    "-> (Tensor, Tensor)",
    "torchact::relu_backward_backward(Tensor grad_grad_input, Tensor grad_output, Tensor output) "
    "-> (Tensor, Tensor)",
    "torchact::leaky_relu_backward_backward(Tensor grad_grad_input, Tensor grad_output, Tensor self, "
    "float negative_slope) -> (Tensor, Tensor)",
    "torchact::gelu_backward_backward(Tensor grad_grad_input, Tensor grad_output, Tensor self, *, "
    "str approximate='none') -> (Tensor, Tensor)",
    "torchact::silu_backward_backward(Tensor grad_grad_input, Tensor grad_output, Tensor self) "
    "-> (Tensor, Tensor)",
    "torchact::swish_backward_backward(Tensor grad_grad_input, Tensor grad_output, Tensor self, "
    "float beta) -> (Tensor, Tensor)",
    "torchact::swiglu_backward_backward(Tensor grad_grad_gate, Tensor grad_grad_up, "
    "Tensor grad_output, Tensor gate, Tensor up) -> (Tensor, Tensor, Tensor)",
    "torchact::geglu_backward_backward(Tensor grad_grad_gate, Tensor grad_grad_up, "
    "Tensor grad_output, Tensor gate, Tensor up, *, str approximate='none') "
    "-> (Tensor, Tensor, Tensor)",
    "torchact::swiglu_packed_backward_backward(Tensor grad_grad_x, Tensor grad_output, Tensor x, "
    "int dim, *, bool interleaved=False) -> (Tensor, Tensor)",
};

std::string to_string(const c10::FunctionSchema& schema) {
  std::ostringstream out;
  out << schema;
  return out.str();
}

class FrozenSchemaTest : public testing::TestWithParam<const char*> {};

TEST_P(FrozenSchemaTest, IsRegisteredUnchanged) {
  const c10::FunctionSchema frozen = torch::jit::parseSchema(GetParam());
  const auto handle = c10::Dispatcher::singleton().findSchema(frozen.operator_name());
  ASSERT_TRUE(handle.has_value()) << frozen.name() << " is not registered";
  EXPECT_EQ(to_string(handle->schema()), to_string(frozen));
}

INSTANTIATE_TEST_SUITE_P(Torchact010, FrozenSchemaTest, testing::ValuesIn(kFrozenSchemas),
                         [](const auto& info) {
                           std::string name = torch::jit::parseSchema(info.param).name();
                           return name.substr(name.find("::") + 2);
                         });

bool is_inplace(const std::string& op) { return op.back() == '_'; }

// Every registered torchact op that is not a backward op, and not in place (or, inplace: only those).
std::set<std::string> forward_ops(bool inplace = false) {
  std::set<std::string> ops;
  for (const auto& name : c10::Dispatcher::singleton().getAllOpNames()) {
    const std::string& op = name.name;
    if (op.rfind("torchact::", 0) != 0) continue;
    if (op.find("_backward") != std::string::npos) continue;
    if (is_inplace(op) == inplace) ops.insert(op);
  }
  return ops;
}

TEST(OpList, EveryOpHasARowWithAReferenceInTheTestTable) {
  std::set<std::string> tested;
  for (const auto& row : op_table()) {
    EXPECT_TRUE(row.ours && row.reference) << row.name << ": the row needs both functions";
    tested.insert(row.op);
  }
  const auto ops = forward_ops();
  EXPECT_GE(ops.size(), 10u);
  for (const auto& op : ops) {
    EXPECT_TRUE(tested.count(op)) << op << " is registered but has no row in tests/op_table.h";
  }
}

TEST(OpList, EveryInplaceOpHasARowInTheInplaceTable) {
  std::set<std::string> tested;
  for (const auto& row : inplace_table()) {
    EXPECT_NO_THROW(op_case(row.row)) << row.op << ": no row " << row.row << " in op_table()";
    tested.insert(row.op);
  }
  const auto ops = forward_ops(/*inplace=*/true);
  EXPECT_GE(ops.size(), 14u);
  for (const auto& op : ops) {
    EXPECT_TRUE(tested.count(op)) << op << " is registered but has no row in inplace_table()";
    EXPECT_TRUE(forward_ops().count(op.substr(0, op.size() - 1))) << op << " has no out-of-place op";
  }
}

TEST(OpList, EveryForwardOpHasBackwardAndSecondDerivativeOps) {
  for (const auto& op : forward_ops()) {
    for (const char* suffix : {"_backward", "_backward_backward"}) {
      EXPECT_TRUE(c10::Dispatcher::singleton().findSchema({op + suffix, ""}).has_value())
          << op << suffix << " is not registered";
    }
  }
}

}  // namespace
}  // namespace torchact_test
