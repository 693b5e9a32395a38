// The in-place variants (relu_, ...), table-driven: in-place op × dtype × layout × device. Each
// must write exactly what its out-of-place op returns into self's memory and return self, and
// under autograd give the out-of-place op's first and second derivatives, as PyTorch's in-place
// ops do: on non-leaf tensors and views of them, refusing a leaf that requires grad.
#include <gtest/gtest.h>

#include "op_table.h"

namespace torchact_test {
namespace {

struct InplaceLayout {
  std::string name;
  std::function<Tensor(const Tensor&)> make;  // a view of a fresh [6, 8] tensor
};

const std::vector<InplaceLayout>& inplace_layouts() {
  static const std::vector<InplaceLayout> table = {
      {"contiguous", [](const Tensor& t) { return t; }},
      {"transposed", [](const Tensor& t) { return t.t(); }},               // dense, not contiguous
      {"every_other_row", [](const Tensor& t) { return t.slice(0, 0, 6, 2); }},  // gaps
      {"empty", [](const Tensor& t) { return t.slice(0, 0, 0); }},
  };
  return table;
}

struct Param {
  const InplaceCase* op;
  at::ScalarType dtype;
  const InplaceLayout* layout;
  c10::DeviceType device;
};

class InplaceTest : public testing::TestWithParam<Param> {
 protected:
  void SetUp() override {
    if (GetParam().device == c10::kCUDA && !torch::cuda::is_available()) {
      GTEST_SKIP() << "no CUDA GPU: CUDA tests skipped";
    }
  }
};

TEST_P(InplaceTest, WritesTheOutOfPlaceResultIntoSelf) {
  const auto& [op, dtype, layout, device] = GetParam();
  torch::manual_seed(3);
  const auto options = torch::TensorOptions().dtype(dtype).device(device);
  const Tensor base = (torch::randn({6, 8}, at::kDouble) * 3).to(options);
  const Tensor untouched = base.clone();
  Tensor self = layout->make(base);
  const Tensor expected = op_case(op->row).ours({self.clone()});
  const auto version = self._version();
  Tensor& result = op->call(self);
  EXPECT_EQ(result.unsafeGetTensorImpl(), self.unsafeGetTensorImpl()) << "returns self";
  EXPECT_TRUE(torch::equal(self, expected)) << "self should hold the out-of-place result";
  EXPECT_GT(self._version(), version) << "the version counter marks the write";
  // Elements of the base outside the view keep their values.
  Tensor outside = untouched.clone();
  layout->make(outside).copy_(expected);
  EXPECT_TRUE(torch::equal(base, outside));
}

// Derivatives are compared in float64 (the grad table below has only float64).
class InplaceGradTest : public InplaceTest {};

TEST_P(InplaceGradTest, GradientsAndSecondDerivativesMatchTheOutOfPlaceOp) {
  const auto& [op, dtype, layout, device] = GetParam();
  torch::manual_seed(4);
  const auto options = torch::TensorOptions().dtype(dtype).device(device);
  const Tensor leaf = (torch::randn({6, 8}, options) * 3).requires_grad_(true);
  const Tensor ref_leaf = leaf.detach().clone().requires_grad_(true);
  // On a view of a non-leaf: the gradient reaches the leaf through the view (CopySlices).
  const Tensor base = leaf * 1.5;
  Tensor self = layout->make(base);
  op->call(self);
  const Tensor ref_base = ref_leaf * 1.5;
  const Tensor expected = op_case(op->row).ours({layout->make(ref_base)});
  const Tensor g = torch::randn(base.sizes(), options);
  const Tensor ours_grad = torch::autograd::grad({base}, {leaf}, {g}, true, true)[0];
  const Tensor ref_out = ref_base.clone();
  layout->make(ref_out).copy_(expected);  // the same function of ref_leaf, out of place
  const Tensor ref_grad = torch::autograd::grad({ref_out}, {ref_leaf}, {g}, true, true)[0];
  EXPECT_EQ(mismatch(ours_grad, ref_grad, tolerance(dtype)), "") << "first derivative";
  const Tensor gg = torch::randn(leaf.sizes(), options);
  const Tensor ours_second = torch::autograd::grad({ours_grad}, {leaf}, {gg}, false, false, true)[0];
  const Tensor ref_second = torch::autograd::grad({ref_grad}, {ref_leaf}, {gg}, false, false, true)[0];
  if (ref_second.defined()) {
    EXPECT_EQ(mismatch(ours_second, ref_second, tolerance(dtype)), "") << "second derivative";
  }
}

std::vector<Param> params(const std::vector<at::ScalarType>& dtypes) {
  std::vector<Param> out;
  for (const auto device : {c10::kCPU, c10::kCUDA}) {
    for (const auto& op : inplace_table()) {
      for (const auto dtype : dtypes) {
        for (const auto& layout : inplace_layouts()) out.push_back({&op, dtype, &layout, device});
      }
    }
  }
  return out;
}

std::string param_name(const testing::TestParamInfo<Param>& info) {
  const Param& p = info.param;
  const std::string name = p.op->op.substr(p.op->op.find("::") + 2);
  return name + dtype_name(p.dtype) + "_" + p.layout->name + (p.device == c10::kCUDA ? "_Cuda" : "");
}

INSTANTIATE_TEST_SUITE_P(Table, InplaceTest, testing::ValuesIn(params(all_dtypes())), param_name);
INSTANTIATE_TEST_SUITE_P(Table, InplaceGradTest, testing::ValuesIn(params({at::kDouble})), param_name);

TEST(Inplace, RefusesALeafThatRequiresGrad) {
  for (const auto& op : inplace_table()) {
    Tensor leaf = torch::randn({4}).requires_grad_(true);
    try {
      op.call(leaf);
      ADD_FAILURE() << op.op << " wrote a leaf that requires grad";
    } catch (const c10::Error& e) {
      EXPECT_NE(std::string(e.what()).find("leaf Variable that requires grad"), std::string::npos)
          << op.op << ": " << e.what();
    }
  }
}

TEST(Inplace, RefusesElementsThatShareMemory) {
  for (const auto& op : inplace_table()) {
    Tensor expanded = torch::randn({1, 4}).expand({3, 4});
    try {
      op.call(expanded);
      ADD_FAILURE() << op.op << " wrote an expanded tensor";
    } catch (const c10::Error& e) {
      EXPECT_NE(std::string(e.what()).find(op.op), std::string::npos) << "the error names the op: " << e.what();
    }
  }
}

// A tensor saved for another op's backward, then overwritten, makes that backward raise (the
// version counter), as for torch's in-place ops.
TEST(Inplace, OverwritingASavedTensorIsCaught) {
  const Tensor leaf = torch::randn({5}).requires_grad_(true);
  Tensor y = torchact::sigmoid(leaf);  // saves its output y
  torchact::relu_(y);
  EXPECT_THROW(y.sum().backward(), c10::Error);
}

// An op whose backward takes the output keeps self; one whose backward takes the input keeps a
// copy of self from before the write.
TEST(Inplace, WithoutGradNothingIsSaved) {
  Tensor x = torch::randn({5});
  torchact::silu_(x);
  EXPECT_FALSE(x.requires_grad());
  EXPECT_FALSE(x.grad_fn());
}

}  // namespace
}  // namespace torchact_test
