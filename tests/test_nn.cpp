// torchact::nn modules: each matches its torch::nn counterpart, works in Sequential, moves with
// .to(dtype), prints itself, and round-trips through torch::save / torch::load; the feed-forward
// blocks equal the composed built-in MLP with the same weights, forward and backward.
#include <gtest/gtest.h>

#include <cstdio>

#include "op_table.h"
#include "torchact/nn.h"

namespace torchact_test {
namespace {

namespace tnn = torchact::nn;

std::string printed(const torch::nn::Module& m) {
  std::ostringstream s;
  m.pretty_print(s);
  return s.str();
}

TEST(Modules, ActivationsMatchBuiltInModules) {
  const Tensor x = torch::randn({4, 5}, at::kDouble) * 3;
  const Tolerance tol = tolerance(at::kDouble);
  EXPECT_EQ(mismatch(tnn::Sigmoid()(x), torch::nn::Sigmoid()(x), tol), "");
  EXPECT_EQ(mismatch(tnn::Tanh()(x), torch::nn::Tanh()(x), tol), "");
  EXPECT_EQ(mismatch(tnn::ReLU()(x), torch::nn::ReLU()(x), tol), "");
  EXPECT_EQ(mismatch(tnn::SiLU()(x), torch::nn::SiLU()(x), tol), "");
  EXPECT_EQ(mismatch(tnn::Mish()(x), torch::nn::Mish()(x), tol), "");
  EXPECT_EQ(mismatch(tnn::ELU(tnn::ELUOptions().alpha(0.5))(x),
                     torch::nn::ELU(torch::nn::ELUOptions().alpha(0.5))(x), tol), "");
  EXPECT_EQ(mismatch(tnn::SELU()(x), torch::nn::SELU()(x), tol), "");
  EXPECT_EQ(mismatch(tnn::CELU(tnn::CELUOptions().alpha(0.7))(x),
                     torch::nn::CELU(torch::nn::CELUOptions().alpha(0.7))(x), tol), "");
  EXPECT_EQ(mismatch(tnn::Softplus(tnn::SoftplusOptions().beta(2).threshold(5))(x),
                     torch::nn::Softplus(torch::nn::SoftplusOptions().beta(2).threshold(5))(x), tol), "");
  EXPECT_EQ(mismatch(tnn::Hardsigmoid()(x), torch::hardsigmoid(x), tol), "");
  EXPECT_EQ(mismatch(tnn::Hardswish()(x), torch::hardswish(x), tol), "");
  EXPECT_EQ(mismatch(tnn::ReLU6()(x), torch::nn::ReLU6()(x), tol), "");
  EXPECT_EQ(mismatch(tnn::Hardtanh(tnn::HardtanhOptions().min_val(-0.5).max_val(2))(x),
                     torch::nn::Hardtanh(torch::nn::HardtanhOptions().min_val(-0.5).max_val(2))(x), tol), "");
  EXPECT_EQ(mismatch(tnn::QuickGELU()(x), x * torch::sigmoid(1.702 * x), tol), "");
  EXPECT_EQ(mismatch(tnn::ReLUSquared()(x), torch::relu(x).pow(2), tol), "");
  EXPECT_EQ(printed(*tnn::Softplus()), "torchact::nn::Softplus(beta=1, threshold=20)");
  EXPECT_EQ(printed(*tnn::Hardtanh()), "torchact::nn::Hardtanh(min_val=-1, max_val=1)");
  EXPECT_EQ(mismatch(tnn::LeakyReLU(tnn::LeakyReLUOptions().negative_slope(0.2))(x),
                     torch::nn::LeakyReLU(torch::nn::LeakyReLUOptions().negative_slope(0.2))(x), tol),
            "");
  EXPECT_EQ(mismatch(tnn::GELU(tnn::GELUOptions().approximate("tanh"))(x), torch::gelu(x, "tanh"), tol),
            "");
  EXPECT_EQ(mismatch(tnn::Swish(tnn::SwishOptions().beta(1.5))(x), x * torch::sigmoid(1.5 * x), tol), "");
  EXPECT_EQ(printed(*tnn::GELU(tnn::GELUOptions().approximate("tanh"))),
            "torchact::nn::GELU(approximate='tanh')");
  EXPECT_EQ(printed(*tnn::LeakyReLU()), "torchact::nn::LeakyReLU(negative_slope=0.01)");
}

// inplace(true), as torch::nn's option: the input holds the result, as with torch::nn's module.
TEST(Modules, InplaceOptionOverwritesTheInput) {
  const Tensor x = torch::randn({4, 5}, at::kDouble) * 3;
  const Tolerance tol = tolerance(at::kDouble);
  const auto check = [&](const std::string& name, auto&& ours, auto&& builtin) {
    Tensor a = x.clone(), b = x.clone();
    const Tensor out = ours(a);
    builtin(b);
    EXPECT_EQ(out.unsafeGetTensorImpl(), a.unsafeGetTensorImpl()) << name << " returns its input";
    EXPECT_EQ(mismatch(a, b, tol), "") << name;
  };
  check("ReLU", tnn::ReLU(tnn::ReLUOptions().inplace(true)), torch::nn::ReLU(torch::nn::ReLUOptions(true)));
  check("ReLU6", tnn::ReLU6(tnn::ReLU6Options().inplace(true)), torch::nn::ReLU6(torch::nn::ReLU6Options(true)));
  check("SELU", tnn::SELU(tnn::SELUOptions().inplace(true)), torch::nn::SELU(torch::nn::SELUOptions(true)));
  check("SiLU", tnn::SiLU(tnn::SiLUOptions().inplace(true)), [](Tensor& t) { return t.copy_(torch::silu(t)); });
  check("Mish", tnn::Mish(tnn::MishOptions().inplace(true)), [](Tensor& t) { return t.copy_(torch::mish(t)); });
  check("Hardswish", tnn::Hardswish(tnn::HardswishOptions().inplace(true)),
        [](Tensor& t) { return t.copy_(torch::hardswish(t)); });
  check("Hardsigmoid", tnn::Hardsigmoid(tnn::HardsigmoidOptions().inplace(true)),
        [](Tensor& t) { return t.copy_(torch::hardsigmoid(t)); });
  check("ELU", tnn::ELU(tnn::ELUOptions().alpha(0.5).inplace(true)),
        torch::nn::ELU(torch::nn::ELUOptions().alpha(0.5).inplace(true)));
  check("CELU", tnn::CELU(tnn::CELUOptions().alpha(0.7).inplace(true)),
        torch::nn::CELU(torch::nn::CELUOptions().alpha(0.7).inplace(true)));
  check("Hardtanh", tnn::Hardtanh(tnn::HardtanhOptions().min_val(-0.5).max_val(2).inplace(true)),
        torch::nn::Hardtanh(torch::nn::HardtanhOptions().min_val(-0.5).max_val(2).inplace(true)));
  check("LeakyReLU", tnn::LeakyReLU(tnn::LeakyReLUOptions().negative_slope(0.2).inplace(true)),
        torch::nn::LeakyReLU(torch::nn::LeakyReLUOptions().negative_slope(0.2).inplace(true)));
  EXPECT_EQ(printed(*tnn::ReLU(tnn::ReLUOptions().inplace(true))), "torchact::nn::ReLU(inplace=true)");
  EXPECT_EQ(printed(*tnn::ELU(tnn::ELUOptions().inplace(true))), "torchact::nn::ELU(alpha=1, inplace=true)");
  // Without the option the input is left alone.
  Tensor c = x.clone();
  tnn::ReLU()(c);
  EXPECT_TRUE(torch::equal(c, x));
}

TEST(Modules, WorkInSequentialAndMoveWithTo) {
  torch::nn::Sequential model(torch::nn::Linear(6, 8), tnn::GELU(), torch::nn::Linear(8, 8),
                              tnn::SiLU(), tnn::SwiGLUFeedForward(tnn::SwiGLUFeedForwardOptions(8, 16)));
  model->to(at::kDouble);
  const Tensor x = torch::randn({3, 6}, at::kDouble);
  const Tensor y = model->forward(x);
  EXPECT_EQ(y.scalar_type(), at::kDouble);
  EXPECT_EQ(y.sizes(), (std::vector<int64_t>{3, 8}));
  y.sum().backward();
  for (const auto& p : model->parameters()) {
    ASSERT_TRUE(p.grad().defined());
    EXPECT_EQ(p.grad().scalar_type(), at::kDouble);
  }
  model->to(at::kBFloat16);
  EXPECT_EQ(model->forward(x.to(at::kBFloat16)).scalar_type(), at::kBFloat16);
}

// The Llama MLP written with built-in ops, on the module's own weights.
Tensor composed_swiglu_mlp(const tnn::SwiGLUFeedForward& m, const Tensor& x) {
  const Tensor gate = torch::nn::functional::linear(x, m->w1->weight, m->w1->bias);
  const Tensor up = torch::nn::functional::linear(x, m->w3->weight, m->w3->bias);
  return torch::nn::functional::linear(torch::silu(gate) * up, m->w2->weight, m->w2->bias);
}

class FeedForwardTest : public testing::TestWithParam<bool> {};  // bias

TEST_P(FeedForwardTest, SwiGLUEqualsComposedBuiltInMLP) {
  torch::manual_seed(11);
  tnn::SwiGLUFeedForward ours(tnn::SwiGLUFeedForwardOptions(8, 20).bias(GetParam()));
  ours->to(at::kDouble);
  const Tensor x = torch::randn({5, 8}, at::kDouble);
  const Tensor y = ours(x);
  EXPECT_EQ(mismatch(y, composed_swiglu_mlp(ours, x), tolerance(at::kDouble)), "");

  // Backward: the parameter gradients equal those of the composed MLP.
  const Tensor g = torch::randn(y.sizes(), at::kDouble);
  const auto params = ours->parameters();
  const auto ours_grads = torch::autograd::grad({y}, params, {g});
  const auto ref_grads = torch::autograd::grad({composed_swiglu_mlp(ours, x)}, params, {g});
  for (size_t i = 0; i < params.size(); ++i) {
    EXPECT_EQ(mismatch(ours_grads[i], ref_grads[i], tolerance(at::kDouble)), "") << "parameter " << i;
  }
}

TEST_P(FeedForwardTest, PackedEqualsUnpackedWithConcatenatedWeights) {
  torch::manual_seed(12);
  tnn::SwiGLUFeedForward unpacked(tnn::SwiGLUFeedForwardOptions(8, 12).bias(GetParam()));
  tnn::SwiGLUFeedForward packed(tnn::SwiGLUFeedForwardOptions(8, 12).bias(GetParam()).packed(true));
  {
    torch::NoGradGuard no_grad;
    packed->w13->weight.copy_(torch::cat({unpacked->w1->weight, unpacked->w3->weight}, 0));
    if (GetParam()) packed->w13->bias.copy_(torch::cat({unpacked->w1->bias, unpacked->w3->bias}));
    packed->w2->weight.copy_(unpacked->w2->weight);
    if (GetParam()) packed->w2->bias.copy_(unpacked->w2->bias);
  }
  const Tensor x = torch::randn({3, 8});
  EXPECT_EQ(mismatch(packed(x), unpacked(x), tolerance(at::kFloat)), "");
  EXPECT_EQ(printed(*packed),
            "torchact::nn::SwiGLUFeedForward(dim=8, hidden_dim=12, activation=silu, bias=" +
                std::string(GetParam() ? "true" : "false") + ", packed=true, interleaved=false)");
}

TEST_P(FeedForwardTest, GEGLUEqualsComposedBuiltInMLP) {
  torch::manual_seed(13);
  for (bool packed : {false, true}) {
    tnn::GEGLUFeedForward m(
        tnn::GEGLUFeedForwardOptions(6, 10).bias(GetParam()).packed(packed).approximate("tanh"));
    m->to(at::kDouble);
    const Tensor x = torch::randn({4, 6}, at::kDouble);
    Tensor hidden;
    if (packed) {
      const auto h = torch::nn::functional::linear(x, m->w13->weight, m->w13->bias).chunk(2, -1);
      hidden = torch::gelu(h[0], "tanh") * h[1];
    } else {
      hidden = torch::gelu(torch::nn::functional::linear(x, m->w1->weight, m->w1->bias), "tanh") *
               torch::nn::functional::linear(x, m->w3->weight, m->w3->bias);
    }
    const Tensor expected = torch::nn::functional::linear(hidden, m->w2->weight, m->w2->bias);
    EXPECT_EQ(mismatch(m(x), expected, tolerance(at::kDouble)), "") << "packed " << packed;
  }
}

// GatedFeedForward with every gated activation, separate, packed as halves and interleaved,
// equals w2(act(w1 x) * u(w3 x)) composed from built-in ops with the same weights.
TEST_P(FeedForwardTest, GatedFeedForwardEqualsComposedBuiltInMLP) {
  const std::vector<std::pair<std::string, std::function<Tensor(const Tensor&, const Tensor&)>>>
      activations = {
          {"silu", [](const Tensor& g, const Tensor& u) { return torch::silu(g) * u; }},
          {"gelu", [](const Tensor& g, const Tensor& u) { return torch::gelu(g) * u; }},
          {"gelu_tanh", [](const Tensor& g, const Tensor& u) { return torch::gelu(g, "tanh") * u; }},
          {"relu", [](const Tensor& g, const Tensor& u) { return torch::relu(g) * u; }},
          {"swiglu_oai", [](const Tensor& g, const Tensor& u) { return swiglu_oai_ref(g, u, 1.702, 7.0); }},
          {"swiglu_step", [](const Tensor& g, const Tensor& u) { return swiglu_step_ref(g, u, 7.0); }},
      };
  torch::manual_seed(17);
  for (const auto& [name, reference] : activations) {
    for (int layout = 0; layout < 3; ++layout) {  // separate, packed halves, packed interleaved
      tnn::GatedFeedForward m(tnn::GatedFeedForwardOptions(6, 10).activation(name).bias(GetParam())
                                  .packed(layout > 0).interleaved(layout == 2));
      m->to(at::kDouble);
      const Tensor x = torch::randn({4, 6}, at::kDouble) * 3;
      Tensor gate, up;
      if (layout == 0) {
        gate = torch::nn::functional::linear(x, m->w1->weight, m->w1->bias);
        up = torch::nn::functional::linear(x, m->w3->weight, m->w3->bias);
      } else {
        const Tensor h = torch::nn::functional::linear(x, m->w13->weight, m->w13->bias);
        gate = layout == 1 ? h.chunk(2, -1)[0] : even(h);
        up = layout == 1 ? h.chunk(2, -1)[1] : odd(h);
      }
      const Tensor expected = torch::nn::functional::linear(reference(gate, up), m->w2->weight, m->w2->bias);
      EXPECT_EQ(mismatch(m(x), expected, tolerance(at::kDouble)), "") << name << ", layout " << layout;
    }
  }
  EXPECT_THROW(tnn::GatedFeedForward(tnn::GatedFeedForwardOptions(6, 10).activation("tanh")), c10::Error);
}

INSTANTIATE_TEST_SUITE_P(Bias, FeedForwardTest, testing::Values(false, true),
                         [](const testing::TestParamInfo<bool>& info) {
                           return info.param ? "with_bias" : "without_bias";
                         });

TEST(Modules, SaveAndLoadRoundTrip) {
  torch::manual_seed(14);
  const std::string path = testing::TempDir() + "/torchact_swiglu_ffn.pt";
  tnn::SwiGLUFeedForward saved(tnn::SwiGLUFeedForwardOptions(8, 16).packed(true));
  torch::save(saved, path);
  tnn::SwiGLUFeedForward loaded(tnn::SwiGLUFeedForwardOptions(8, 16).packed(true));
  torch::load(loaded, path);
  std::remove(path.c_str());
  const Tensor x = torch::randn({2, 8});
  EXPECT_TRUE(torch::equal(saved(x), loaded(x)));

  // A Sequential of parameter-free torchact modules round-trips too.
  const std::string seq_path = testing::TempDir() + "/torchact_seq.pt";
  torch::nn::Sequential seq(torch::nn::Linear(4, 4), tnn::Swish(tnn::SwishOptions().beta(2.0)));
  torch::save(seq, seq_path);
  torch::nn::Sequential seq_loaded(torch::nn::Linear(4, 4), tnn::Swish(tnn::SwishOptions().beta(2.0)));
  torch::load(seq_loaded, seq_path);
  std::remove(seq_path.c_str());
  const Tensor z = torch::randn({3, 4});
  EXPECT_TRUE(torch::equal(seq->forward(z), seq_loaded->forward(z)));
}

}  // namespace
}  // namespace torchact_test
