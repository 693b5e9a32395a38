// On device='meta' every forward and backward op gives the right shape and dtype, computing nothing.
#include <gtest/gtest.h>

#include "op_table.h"

namespace torchact_test {
namespace {

class MetaTest : public testing::TestWithParam<std::tuple<const OpCase*, at::ScalarType>> {};

TEST_P(MetaTest, ForwardAndBackwardShapes) {
  const OpCase& op = *std::get<0>(GetParam());
  const auto dtype = std::get<1>(GetParam());
  const auto options = torch::TensorOptions().dtype(dtype).device(at::kMeta);
  const Tensor x = torch::empty({3, 8}, options).requires_grad_(true);
  Inputs in{x};
  if (op.arity == Arity::Gated) in.push_back(torch::empty({3, 8}, options).requires_grad_(true));
  const Tensor out = op.ours(in);
  EXPECT_TRUE(out.is_meta());
  EXPECT_EQ(out.scalar_type(), dtype);
  const std::vector<int64_t> expected_sizes =
      op.arity == Arity::Packed ? std::vector<int64_t>{3, 4} : std::vector<int64_t>{3, 8};
  EXPECT_EQ(out.sizes(), c10::IntArrayRef(expected_sizes));
  // The backward ops run on meta too, through autograd.
  const auto grads = torch::autograd::grad({out}, in, {torch::empty_like(out)});
  for (size_t i = 0; i < in.size(); ++i) {
    EXPECT_TRUE(grads[i].is_meta());
    EXPECT_EQ(grads[i].sizes(), in[i].sizes());
    EXPECT_EQ(grads[i].scalar_type(), dtype);
  }
}

std::vector<std::tuple<const OpCase*, at::ScalarType>> params() {
  std::vector<std::tuple<const OpCase*, at::ScalarType>> out;
  for (const auto& op : op_table()) {
    for (auto dtype : all_dtypes()) out.emplace_back(&op, dtype);
  }
  return out;
}

INSTANTIATE_TEST_SUITE_P(Table, MetaTest, testing::ValuesIn(params()), [](const auto& info) {
  return std::get<0>(info.param)->name + "_" + dtype_name(std::get<1>(info.param));
});

TEST(Meta, PackedChecksStillApply) {
  const Tensor x = torch::empty({2, 5}, torch::TensorOptions().device(at::kMeta));
  EXPECT_THROW(torchact::swiglu_packed(x), c10::Error);
}

}  // namespace
}  // namespace torchact_test
