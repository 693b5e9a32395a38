// Table-driven: every op x dtype x shape, forward and gradients (through backward()), against the
// built-in ATen composition.
#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

#include "op_table.h"

namespace torchact_test {
namespace {

struct Param {
  const OpCase* op;
  at::ScalarType dtype;
  const ShapeCase* shape;
};

std::string param_name(const testing::TestParamInfo<Param>& info) {
  return info.param.op->name + "_" + dtype_name(info.param.dtype) + "_" + info.param.shape->name;
}

std::vector<Param> all_params() {
  std::vector<Param> params;
  for (const auto& op : op_table()) {
    for (auto dtype : all_dtypes()) {
      for (const auto& shape : shape_table()) {
        if (op.arity == Arity::Packed && shape.base_sizes.empty()) continue;  // 0-dim: cannot split
        params.push_back({&op, dtype, &shape});
      }
    }
  }
  return params;
}

class OpsTest : public testing::TestWithParam<Param> {};

// ctest runs the tables again with TORCHACT_CPU_CAPABILITY=baseline / avx2: check that those runs
// use the loops they ask for (where the CPU has them).
TEST(CpuCapability, IsTheOneAskedFor) {
  const char* wanted = std::getenv("TORCHACT_CPU_CAPABILITY");
  const std::string active = torchact::cpu_capability();
  if (wanted == nullptr) GTEST_SKIP() << "TORCHACT_CPU_CAPABILITY not set; using " << active;
#if defined(__x86_64__)
  const bool has_avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") &&
                        __builtin_cpu_supports("f16c");
#else
  const bool has_avx2 = false;
#endif
  if (std::string(wanted) == "baseline" || (std::string(wanted) == "avx2" && has_avx2)) {
    EXPECT_EQ(active, wanted);
  }
}

TEST_P(OpsTest, ForwardAndGradientsMatchBuiltIn) {
  const OpCase& op = *GetParam().op;
  const ShapeCase& shape = *GetParam().shape;
  const auto dtype = GetParam().dtype;
  const auto& base_sizes = op.arity == Arity::Packed ? shape.packed_base_sizes : shape.base_sizes;
  const int num_inputs = op.arity == Arity::Gated ? 2 : 1;

  torch::manual_seed(1234);
  std::vector<Tensor> ours_base, ref_base;
  Inputs ours_in, ref_in;
  for (int i = 0; i < num_inputs; ++i) {
    const Tensor values = (torch::randn(base_sizes, at::kDouble) * 3).to(dtype);
    ours_base.push_back(values.clone().requires_grad_(true));
    ref_base.push_back(values.clone().requires_grad_(true));
    ours_in.push_back(shape.view(ours_base.back()));
    ref_in.push_back(shape.view(ref_base.back()));
  }

  const Tensor out = op.ours(ours_in);
  const Tensor expected = reference(op, ref_in);
  const Tolerance tol = tolerance(dtype);
  EXPECT_EQ(out.sizes(), expected.sizes());
  EXPECT_EQ(out.scalar_type(), dtype);
  EXPECT_EQ(mismatch(out, expected, tol), "") << "forward";

  const Tensor grad_out = torch::randn(expected.sizes(), at::kDouble).to(dtype);
  out.backward(grad_out);
  expected.backward(grad_out);
  for (int i = 0; i < num_inputs; ++i) {
    ASSERT_TRUE(ours_base[i].grad().defined()) << "no gradient for input " << i;
    EXPECT_EQ(mismatch(ours_base[i].grad(), ref_base[i].grad(), tol), "") << "gradient of input " << i;
  }
}

INSTANTIATE_TEST_SUITE_P(Table, OpsTest, testing::ValuesIn(all_params()), param_name);

// swiglu_packed splits along any dim, as torch.chunk(x, 2, dim) does.
class PackedDimTest : public testing::TestWithParam<int64_t> {};

TEST_P(PackedDimTest, MatchesChunkAlongDim) {
  const int64_t dim = GetParam();
  torch::manual_seed(7);
  const Tensor x = torch::randn({4, 6, 8}, at::kDouble).requires_grad_(true);
  const Tensor x_ref = x.detach().clone().requires_grad_(true);
  const Tensor out = torchact::swiglu_packed(x, dim);
  const auto halves = x_ref.chunk(2, dim);
  const Tensor expected = torch::silu(halves[0]) * halves[1];
  EXPECT_EQ(mismatch(out, expected, tolerance(at::kDouble)), "");
  const Tensor g = torch::randn(expected.sizes(), at::kDouble);
  out.backward(g);
  expected.backward(g);
  EXPECT_EQ(mismatch(x.grad(), x_ref.grad(), tolerance(at::kDouble)), "");
}

INSTANTIATE_TEST_SUITE_P(Dims, PackedDimTest, testing::Values(-3, -2, -1, 0, 1, 2),
                         [](const testing::TestParamInfo<int64_t>& info) {
                           return info.param < 0 ? "minus" + std::to_string(-info.param)
                                                 : std::to_string(info.param);
                         });

}  // namespace
}  // namespace torchact_test
