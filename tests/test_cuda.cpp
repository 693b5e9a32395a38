// The op x dtype x shape table on CUDA: torchact's CUDA kernels against ATen's CUDA ops and against
// torchact's CPU kernels; gradcheck in float64 on the GPU; a bfloat16 tensor of more than 2^31
// elements; GELU's float32 tail; a second GPU; CPU/CUDA mixes. Every test skips, saying so, without a
// GPU.
#include <gtest/gtest.h>

#include <cstring>
#include <tuple>
#include <utility>

#include "op_table.h"
#if defined(TORCHACT_TESTS_WITH_CUDA)  // built against a CUDA LibTorch with a CUDA toolkit
#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>
#define TORCHACT_TEST_HAS_CUDA_STREAMS 1
#endif
#include "torchact/testing/gradcheck.h"

namespace torchact_test {
namespace {

#define SKIP_WITHOUT_CUDA()                                                                  \
  do {                                                                                       \
    if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA GPU: CUDA tests skipped";     \
    if (!torchact::has_cuda_kernels()) GTEST_SKIP() << "torchact built without CUDA kernels"; \
  } while (0)

struct Param {
  const OpCase* op;
  at::ScalarType dtype;
  const ShapeCase* shape;
};

class CudaOpsTest : public testing::TestWithParam<Param> {};

// Forward and input gradients of fn on copies of `values` moved to `device`, viewed by `shape`.
std::vector<Tensor> run_on(const OpFunction& fn, const std::vector<Tensor>& values,
                           const ShapeCase& shape, const Tensor& grad_cpu, at::Device device,
                           bool reduced_reference = false, const OpCase* op = nullptr) {
  std::vector<Tensor> bases;
  Inputs in;
  for (const auto& v : values) {
    bases.push_back(v.to(device).requires_grad_(true));
    in.push_back(shape.view(bases.back()));
  }
  const Tensor out = reduced_reference ? reference(*op, in) : fn(in);
  out.backward(grad_cpu.to(device));
  std::vector<Tensor> results{out.detach().cpu()};
  for (const auto& b : bases) results.push_back(b.grad().cpu());
  return results;
}

TEST_P(CudaOpsTest, MatchesATenOnCudaAndOurCpuKernels) {
  SKIP_WITHOUT_CUDA();
  const OpCase& op = *GetParam().op;
  const ShapeCase& shape = *GetParam().shape;
  const auto dtype = GetParam().dtype;
  const auto& base_sizes = op.arity == Arity::Packed ? shape.packed_base_sizes : shape.base_sizes;
  torch::manual_seed(1234);
  std::vector<Tensor> values;
  for (int i = 0; i < (op.arity == Arity::Gated ? 2 : 1); ++i) {
    values.push_back((torch::randn(base_sizes, at::kDouble) * 3).to(dtype));
  }
  Inputs probe;
  for (const auto& v : values) probe.push_back(shape.view(v));
  const Tensor grad = torch::randn(op.ours(probe).sizes(), at::kDouble).to(dtype);

  const auto cuda = run_on(op.ours, values, shape, grad, at::kCUDA);
  const auto aten_cuda = run_on(op.reference, values, shape, grad, at::kCUDA, true, &op);
  const auto cpu = run_on(op.ours, values, shape, grad, at::kCPU);
  const Tolerance tol = tolerance(dtype);
  for (size_t k = 0; k < cuda.size(); ++k) {
    EXPECT_EQ(mismatch(cuda[k], aten_cuda[k], tol), "") << "vs ATen on CUDA, result " << k;
    EXPECT_EQ(mismatch(cuda[k], cpu[k], tol), "") << "vs torchact on CPU, result " << k;
  }
}

std::vector<Param> all_params() {
  std::vector<Param> params;
  for (const auto& op : op_table()) {
    for (auto dtype : all_dtypes()) {
      for (const auto& shape : shape_table()) {
        if (op.arity == Arity::Packed && shape.base_sizes.empty()) continue;
        params.push_back({&op, dtype, &shape});
      }
    }
  }
  return params;
}

INSTANTIATE_TEST_SUITE_P(Table, CudaOpsTest, testing::ValuesIn(all_params()),
                         [](const testing::TestParamInfo<Param>& info) {
                           return info.param.op->name + "_" + dtype_name(info.param.dtype) + "_" +
                                  info.param.shape->name;
                         });

TEST(Cuda, GradcheckAndGradgradcheckInFloat64) {
  SKIP_WITHOUT_CUDA();
  torch::manual_seed(3);
  for (const auto& op : op_table()) {
    Inputs inputs;
    for (int i = 0; i < (op.arity == Arity::Gated ? 2 : 1); ++i) {
      Tensor x = torch::randn({op.arity == Arity::Packed ? 8 : 4}, at::kDouble) * 2;
      if (op.kink_at_zero) x = x.sign() * (x.abs() + 1e-3);
      inputs.push_back(x.cuda());
    }
    const auto first = torchact::testing::gradcheck(op.ours, inputs);
    EXPECT_TRUE(first) << op.name << ": " << first.message;
    const auto second = torchact::testing::gradgradcheck(op.ours, inputs);
    EXPECT_TRUE(second) << op.name << ": " << second.message;
  }
}

// GELU and GEGLU in float32 for x << 0, where Phi(x) = (1 + erf(x / sqrt 2)) / 2 cancels (ATen's
// float32 derivative is off by up to 105% on [-9, -3]): forward and derivative within 1e-4
// relative error of float64 on every float of [-9, -3] (13 million points; geglu with up = 1).
TEST(Cuda, GeluTailFloat32) {
  SKIP_WITHOUT_CUDA();
  const auto bits = [](float v) {
    int32_t b;
    std::memcpy(&b, &v, sizeof b);
    return b;
  };
  const Tensor x = torch::arange(bits(-3.0f), bits(-9.0f) + 1, at::kInt).view(at::kFloat);
  const Tensor xd = x.to(at::kDouble);
  const Tensor cdf = 0.5 * torch::erfc(-xd * 0.70710678118654752440);
  const Tensor pdf = torch::exp(-0.5 * xd * xd) * 0.39894228040143267794;
  const Tensor forward_ref = xd * cdf, derivative_ref = cdf + xd * pdf;
  const std::vector<std::pair<std::string, std::function<Tensor(const Tensor&)>>> ops{
      {"gelu", [](const Tensor& t) { return torchact::gelu(t); }},
      {"geglu", [](const Tensor& t) { return torchact::geglu(t, torch::ones_like(t)); }}};
  for (const auto& [name, fn] : ops) {
    const Tensor input = x.cuda().requires_grad_(true);
    const Tensor out = fn(input);
    const Tensor grad = torch::autograd::grad({out}, {input}, {torch::ones_like(out)})[0];
    for (const auto& [what, got, ref] :
         {std::tuple<std::string, Tensor, Tensor>{"forward", out.detach().cpu(), forward_ref},
          {"derivative", grad.cpu(), derivative_ref}}) {
      const Tensor error = ((got.to(at::kDouble) - ref).abs() / ref.abs());
      const int64_t worst = error.argmax().item<int64_t>();
      EXPECT_LE(error.max().item<double>(), 1e-4)
          << name << " " << what << ", worst at x = " << x[worst].item<float>();
    }
  }
}

TEST(Cuda, BFloat16PastTwoTo31Elements) {
  SKIP_WITHOUT_CUDA();
  const int64_t n = (int64_t{1} << 31) + 7;
  Tensor x, y, dx;
  try {  // x, y, dx: 3 * 4 GiB, plus the backward's temporaries
    x = torch::empty({n}, torch::TensorOptions().dtype(at::kBFloat16).device(at::kCUDA));
    const Tensor pattern = (torch::arange(8, torch::kFloat) - 4).to(at::kBFloat16).cuda();
    const int64_t rows = n / 8;
    x.slice(0, 0, rows * 8).view({rows, 8}).copy_(pattern.expand({rows, 8}));
    x.slice(0, rows * 8).copy_(pattern.slice(0, 0, n - rows * 8));
    y = torchact::silu(x);
    dx = torchact::silu_backward(x, x);
  } catch (const c10::OutOfMemoryError&) {
    GTEST_SKIP() << "needs about 24 GiB of free GPU memory";
  }
  for (int64_t i : {int64_t{0}, (int64_t{1} << 31) - 1, int64_t{1} << 31, n - 1}) {
    const double v = static_cast<double>(i % 8) - 4, s = 1 / (1 + std::exp(-v));
    EXPECT_NEAR(y[i].item<double>(), v * s, 2e-2 * std::abs(v * s) + 1e-5) << "forward at " << i;
    EXPECT_NEAR(dx[i].item<double>(), v * s * (1 + v * (1 - s)), 3e-2 * std::abs(v) + 1e-5)
        << "backward at " << i;
  }
}

// CUDA against torchact's CPU kernels (bit-close: the same math structs) for the launch paths
// that matter: 16-byte vector loads on packed halves (inner sizes 32 and 14336, several rows),
// interleaved gate and up (element steps of 2), more rows than a grid's y dimension (65535), an
// unaligned unary input (x.view(-1)[1:]), and a second stream.
void expect_cuda_matches_cpu(const std::function<Tensor(const Tensor&)>& f, const Tensor& x_cpu,
                             const std::string& what) {
  const Tensor x = x_cpu.detach().clone().requires_grad_(true);
  const Tensor xc = x_cpu.detach().cuda().requires_grad_(true);
  const Tensor y = f(x), yc = f(xc);
  const Tensor g = torch::randn(y.sizes(), at::kDouble).to(y.scalar_type());
  y.backward(g);
  yc.backward(g.cuda());
  const Tolerance tol = tolerance(x_cpu.scalar_type());
  EXPECT_EQ(mismatch(yc.cpu(), y, tol), "") << what << ": forward";
  EXPECT_EQ(mismatch(xc.grad().cpu(), x.grad(), tol), "") << what << ": gradient";
}

TEST(Cuda, PackedVectorAndInterleavedPaths) {
  SKIP_WITHOUT_CUDA();
  torch::manual_seed(21);
  for (const auto dtype : {at::kBFloat16, at::kHalf, at::kFloat}) {
    for (const int64_t inner : {32, 14336}) {
      const Tensor x = (torch::randn({3, 2 * inner}) * 3).to(dtype);
      for (const bool interleaved : {false, true}) {
        expect_cuda_matches_cpu([&](const Tensor& t) { return torchact::swiglu_packed(t, -1, interleaved); },
                                x, "swiglu_packed " + dtype_name(dtype) + " inner " + std::to_string(inner) +
                                       (interleaved ? " interleaved" : " halves"));
        expect_cuda_matches_cpu(
            [&](const Tensor& t) { return torchact::swiglu_oai_packed(t, -1, interleaved); }, x,
            "swiglu_oai_packed " + dtype_name(dtype) + (interleaved ? " interleaved" : " halves"));
      }
    }
  }
  // gate and up along a middle dim, interleaved with an inner size > 1: rows of contiguous pairs.
  const Tensor x = torch::randn({4, 6, 8});
  expect_cuda_matches_cpu([](const Tensor& t) { return torchact::geglu_packed(t, 1, true, "tanh"); }, x,
                          "geglu_packed dim 1 interleaved");
}

// Row lengths around the block shapes: short rows share a block (several rows per block), rows of
// whole 16-byte packs plus a tail (inner 20, 1028: the vector path with its scalar tail on every
// row), odd rows (the scalar path), one row and many.
TEST(Cuda, PackedRowLengthsAndTails) {
  SKIP_WITHOUT_CUDA();
  torch::manual_seed(22);
  for (const auto dtype : {at::kBFloat16, at::kFloat}) {
    for (const int64_t inner : {1, 3, 4, 13, 20, 36, 257, 1028}) {
      for (const int64_t rows : {1, 7, 300}) {
        const Tensor x = (torch::randn({rows, 2 * inner}) * 3).to(dtype);
        for (const bool interleaved : {false, true}) {
          expect_cuda_matches_cpu(
              [&](const Tensor& t) { return torchact::geglu_packed(t, -1, interleaved); }, x,
              "geglu_packed " + dtype_name(dtype) + " " + std::to_string(rows) + " x " +
                  std::to_string(inner) + (interleaved ? " interleaved" : " halves"));
        }
      }
    }
  }
}

TEST(Cuda, MoreRowsThanTheGridHas) {
  SKIP_WITHOUT_CUDA();
  const Tensor x = torch::randn({70000, 2 * 8}).to(at::kBFloat16);  // 70000 rows > 65535
  expect_cuda_matches_cpu([](const Tensor& t) { return torchact::swiglu_packed(t); }, x,
                          "swiglu_packed, 70000 rows");
}

TEST(Cuda, MisalignedUnaryInput) {
  SKIP_WITHOUT_CUDA();
  for (const auto dtype : {at::kBFloat16, at::kFloat, at::kDouble}) {
    const Tensor base = torch::randn({4099}).to(dtype);
    expect_cuda_matches_cpu([](const Tensor& t) { return torchact::gelu(t.view(-1).slice(0, 1)); },
                            base, "gelu of x[1:] " + dtype_name(dtype));
  }
}

TEST(Cuda, SecondStream) {
  SKIP_WITHOUT_CUDA();
#if !defined(TORCHACT_TEST_HAS_CUDA_STREAMS)
  GTEST_SKIP() << "LibTorch without CUDA headers";
#else
  const Tensor x = torch::randn({1 << 20}, torch::kCUDA);
  const Tensor expected = torchact::silu(x);
  torch::cuda::synchronize();  // x and expected are ready before another stream reads them
  auto stream = c10::cuda::getStreamFromPool();
  Tensor y;
  {
    c10::cuda::CUDAStreamGuard guard(stream);
    y = torchact::silu(x);  // launched on `stream`
    stream.synchronize();
  }
  EXPECT_TRUE(torch::equal(y, expected));
#endif
}

TEST(Cuda, SecondGpuIndex) {
  SKIP_WITHOUT_CUDA();
  if (torch::cuda::device_count() < 2) GTEST_SKIP() << "one GPU only: second-GPU test skipped";
  const Tensor x = torch::randn({1000}, torch::TensorOptions().device(at::Device(at::kCUDA, 1)));
  const Tensor y = torchact::silu(x);
  EXPECT_EQ(y.device(), x.device());
  EXPECT_EQ(mismatch(y.cpu(), torch::silu(x.cpu()), tolerance(at::kFloat)), "");
}

TEST(Cuda, CpuCudaMixIsAClearError) {
  SKIP_WITHOUT_CUDA();
  try {
    torchact::swiglu(torch::ones({4}), torch::ones({4}).cuda());
    FAIL() << "no error";
  } catch (const c10::Error& e) {
    const std::string msg = e.what_without_backtrace();
    EXPECT_NE(msg.find("torchact::swiglu"), std::string::npos) << msg;
    EXPECT_NE(msg.find("same device"), std::string::npos) << msg;
  }
}

}  // namespace
}  // namespace torchact_test
