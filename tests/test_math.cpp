// The elementary functions of math.h used by the CPU kernels (float32 exp, tanh, normal CDF, swish;
// float64 exp, tanh) against libm in higher precision over dense sweeps: the documented error
// bounds are enforced here.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <functional>
#include <limits>
#include <algorithm>
#include <random>

#include "torchact/math.h"

namespace {

struct Sweep {
  double max_abs_error = 0;   // |f - ref|
  double max_rel_error = 0;   // |f - ref| / |ref| where |ref| >= min_abs_for_relative
  float worst_x = 0;
};

// Every 64th float from -max_x to max_x (about 67 million points for the whole range), or of
// min_x <= |x| <= max_x.
Sweep sweep(const std::function<float(float)>& f, const std::function<double(double)>& ref,
            float max_x, double min_abs_for_relative, float min_x = 0.0f) {
  Sweep s;
  const uint32_t stride = 64;
  uint32_t first;
  std::memcpy(&first, &min_x, sizeof first);
  // A positive float's bits grow with its value: stop at the first past max_x.
  for (uint32_t bits = first; bits < 0x7F800000u; bits += stride) {
    float magnitude;
    std::memcpy(&magnitude, &bits, sizeof magnitude);
    if (magnitude > max_x) break;
    for (float sign : {1.0f, -1.0f}) {
      const float x = sign * magnitude;
      const double expected = ref(static_cast<double>(x));
      const double got = f(x);
      if (std::isinf(expected)) {
        EXPECT_EQ(got, expected) << "at x = " << x;
        continue;
      }
      const double abs_error = std::fabs(got - expected);
      if (abs_error > s.max_abs_error) s.max_abs_error = abs_error;
      if (std::fabs(expected) >= min_abs_for_relative) {
        const double rel = abs_error / std::fabs(expected);
        if (rel > s.max_rel_error) {
          s.max_rel_error = rel;
          s.worst_x = x;
        }
      }
    }
  }
  return s;
}

constexpr float kInf = std::numeric_limits<float>::infinity();

TEST(MathAccuracy, ExpFloat) {
  // From e^-86.5 (2.7e-38) to the overflow threshold: relative error <= 1.2e-7 (about 1 ulp).
  const auto s = sweep([](float x) { return torchact::math::detail::exp_f32(x); },
                       [](double x) { return std::exp(x); }, 88.7f, 2.75e-38);
  EXPECT_LE(s.max_rel_error, 1.2e-7) << "worst at x = " << s.worst_x;
  EXPECT_EQ(torchact::math::detail::exp_f32(0.0f), 1.0f);
  EXPECT_EQ(torchact::math::detail::exp_f32(-kInf), 0.0f);
  EXPECT_EQ(torchact::math::detail::exp_f32(kInf), kInf);
  EXPECT_EQ(torchact::math::detail::exp_f32(88.73f), kInf);  // e^88.73 > FLT_MAX
  EXPECT_TRUE(std::isfinite(torchact::math::detail::exp_f32(88.72f)));
  const double e88 = std::exp(static_cast<double>(88.72f));
  EXPECT_NEAR(torchact::math::detail::exp_f32(88.72f), e88, 1.2e-7 * e88);
  EXPECT_TRUE(std::isnan(torchact::math::detail::exp_f32(std::nanf(""))));
  // Below e^-86.5 the result is flushed to 0 (documented in math.h).
  EXPECT_EQ(torchact::math::detail::exp_f32(-86.6f), 0.0f);
  EXPECT_EQ(torchact::math::detail::exp_f32(-100.0f), 0.0f);
}

// ELU's derivative's exp: the same range handling, rounded once but for 4e-9 (exp_f32, 8.6e-8
// here, and ATen's Sleef exp, 8.0e-8 on accuracy.py's grid, fail this bound).
TEST(MathAccuracy, ExpAccurateFloat) {
  const auto s = sweep([](float x) { return torchact::math::detail::exp_accurate_f32(x); },
                       [](double x) { return std::exp(x); }, 88.7f, 2.75e-38);
  EXPECT_LE(s.max_rel_error, 6.2e-8) << "worst at x = " << s.worst_x;
  EXPECT_EQ(torchact::math::detail::exp_accurate_f32(0.0f), 1.0f);
  EXPECT_EQ(torchact::math::detail::exp_accurate_f32(-0.0f), 1.0f);
  EXPECT_EQ(torchact::math::detail::exp_accurate_f32(-kInf), 0.0f);
  EXPECT_EQ(torchact::math::detail::exp_accurate_f32(kInf), kInf);
  EXPECT_EQ(torchact::math::detail::exp_accurate_f32(88.73f), kInf);
  EXPECT_TRUE(std::isfinite(torchact::math::detail::exp_accurate_f32(88.72f)));
  EXPECT_TRUE(std::isnan(torchact::math::detail::exp_accurate_f32(std::nanf(""))));
  EXPECT_EQ(torchact::math::detail::exp_accurate_f32(-86.6f), 0.0f);
}

// The double exp (used by the float64 CPU kernels) against long double: 4 million points spread
// over the whole range, relative error <= 4e-16 (about 2 ulp) where the result is normal.
TEST(MathAccuracy, ExpDouble) {
  double max_rel = 0, worst_x = 0;
  const int kPoints = 1 << 22;
  for (int i = 0; i <= kPoints; ++i) {
    const double x = -708.3 + (709.7 + 708.3) * i / kPoints + 1e-9 * (i % 7);
    const long double expected = std::exp(static_cast<long double>(x));
    const double got = torchact::math::detail::exp_f64(x);
    const double rel = static_cast<double>(std::fabs((got - expected) / expected));
    if (rel > max_rel) {
      max_rel = rel;
      worst_x = x;
    }
  }
  EXPECT_LE(max_rel, 4e-16) << "worst at x = " << worst_x;
  for (double x : {-1e-300, 0.0, 1e-10, -0.5, 0.34657359027997264, 1.0, 88.5, -700.0}) {
    EXPECT_NEAR(torchact::math::detail::exp_f64(x), std::exp(x), 4e-16 * std::exp(x)) << x;
  }
  constexpr double kInfD = std::numeric_limits<double>::infinity();
  EXPECT_EQ(torchact::math::detail::exp_f64(-kInfD), 0.0);
  EXPECT_EQ(torchact::math::detail::exp_f64(kInfD), kInfD);
  EXPECT_EQ(torchact::math::detail::exp_f64(710.0), kInfD);
  EXPECT_TRUE(std::isnan(torchact::math::detail::exp_f64(std::nan(""))));
  EXPECT_GT(torchact::math::detail::exp_f64(-740.0), 0.0);  // subnormal results are kept
  EXPECT_NEAR(torchact::math::detail::exp_f64(-740.0), std::exp(-740.0), 1e-323);
}

// tanh and erf: relative error where the result is a normal float (a subnormal result has fewer
// bits than any relative bound).
TEST(MathAccuracy, TanhFloat) {
  const auto s = sweep([](float x) { return torchact::math::detail::tanh_f32(x); },
                       [](double x) { return std::tanh(x); }, 1e30f, 1.1754943508222875e-38);
  EXPECT_LE(s.max_rel_error, 3e-7) << "worst at x = " << s.worst_x;
  EXPECT_EQ(torchact::math::detail::tanh_f32(kInf), 1.0f);
  EXPECT_EQ(torchact::math::detail::tanh_f32(-kInf), -1.0f);
  EXPECT_TRUE(std::isnan(torchact::math::detail::tanh_f32(std::nanf(""))));
  EXPECT_EQ(torchact::math::detail::tanh_f32(9.05f), 1.0f);
  EXPECT_TRUE(std::signbit(torchact::math::detail::tanh_f32(-0.0f)));
}

// tanh in double against long double: 4 million points, log-uniform magnitudes from 1e-300 to 30,
// both signs; relative error <= 5e-16 (about 2 ulp); exactly +-1 in the tails, -0 kept.
TEST(MathAccuracy, TanhDouble) {
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> log_magnitude(-690.0, 3.4);
  double max_rel = 0, worst_x = 0;
  for (int i = 0; i < (1 << 22); ++i) {
    const double x = (i & 1 ? -1.0 : 1.0) * std::exp(log_magnitude(rng));
    const long double expected = std::tanh(static_cast<long double>(x));
    const double rel =
        static_cast<double>(std::fabs((torchact::math::detail::tanh_f64(x) - expected) / expected));
    if (rel > max_rel) {
      max_rel = rel;
      worst_x = x;
    }
  }
  EXPECT_LE(max_rel, 5e-16) << "worst at x = " << worst_x;
  constexpr double kInfD = std::numeric_limits<double>::infinity();
  EXPECT_EQ(torchact::math::detail::tanh_f64(25.0), 1.0);
  EXPECT_EQ(torchact::math::detail::tanh_f64(-kInfD), -1.0);
  EXPECT_TRUE(std::signbit(torchact::math::detail::tanh_f64(-0.0)));
  EXPECT_TRUE(std::isnan(torchact::math::detail::tanh_f64(std::nan(""))));
}

// expm1 (elu, celu, selu) over every 64th float of [-88, 88] and log1p on [0, 1] (softplus),
// against libm in double; and both in double against long double.
TEST(MathAccuracy, Expm1AndLog1pFloat) {
  const auto em1 = sweep([](float x) { return torchact::math::expm1(x); },
                         [](double x) { return std::expm1(x); }, 88.0f, 1.1754943508222875e-38);
  // Rounded once from double: half an ulp (2^-24 relative) plus the double's 6e-12 (the degree-8
  // Taylor polynomial used before, 5.8e-10, reached 5.970e-8 and fails; ATen's is 5.960e-8).
  EXPECT_LE(em1.max_rel_error, 5.9605e-8) << "expm1, worst at x = " << em1.worst_x;
  EXPECT_EQ(torchact::math::expm1(-kInf), -1.0f);
  EXPECT_EQ(torchact::math::expm1(kInf), kInf);
  EXPECT_EQ(torchact::math::expm1(89.0f), kInf);
  EXPECT_TRUE(std::isnan(torchact::math::expm1(std::nanf(""))));
  EXPECT_TRUE(std::signbit(torchact::math::expm1(-0.0f)));  // elu(-0) = -0, as ATen's
  EXPECT_TRUE(std::signbit(torchact::math::expm1(-0.0)));
  EXPECT_FALSE(std::signbit(torchact::math::expm1(0.0f)));
  const auto l1p = sweep([](float u) { return u < 0.0f ? 0.0f : torchact::math::log1p_unit(u); },
                         [](double u) { return u < 0.0 ? 0.0 : std::log1p(u); }, 1.0f,
                         1.1754943508222875e-38);
  EXPECT_LE(l1p.max_rel_error, 3e-7) << "log1p, worst at u = " << l1p.worst_x;
  EXPECT_EQ(torchact::math::log1p_unit(0.0f), 0.0f);
}

TEST(MathAccuracy, Expm1AndLog1pDouble) {
  std::mt19937_64 rng(11);
  std::uniform_real_distribution<double> log_magnitude(-690.0, 6.5);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  double expm1_rel = 0, log1p_rel = 0;
  for (int i = 0; i < (1 << 20); ++i) {
    const double y = (i & 1 ? -1.0 : 1.0) * std::exp(log_magnitude(rng));
    const long double e = std::expm1(static_cast<long double>(y));
    expm1_rel = std::max(expm1_rel, static_cast<double>(std::fabs((torchact::math::expm1(y) - e) / e)));
    const double u = unit(rng);
    const long double l = std::log1p(static_cast<long double>(u));
    if (u > 0) {
      log1p_rel = std::max(log1p_rel, static_cast<double>(std::fabs((torchact::math::log1p_unit(u) - l) / l)));
    }
  }
  EXPECT_LE(expm1_rel, 6e-16);
  EXPECT_LE(log1p_rel, 6e-16);
}

// softplus in float (beta 1) over every 64th float of [-80, 80]: the forward (log1p_exp) and the
// derivative against double, relative error where the result is a normal float. ATen's float
// softplus: 1.2e-7 and 1.7e-7 on [-30, 30] where the result is >= 1e-3 (benchmarks/accuracy.py).
TEST(MathAccuracy, SoftplusFloat) {
  const torchact::math::Softplus<float> f(torchact::math::Params{{1.0, 20.0, 0.0}});
  const auto forward = sweep([&](float x) { return f.forward(x); },
                             [](double x) { return x > 20.0 ? x : std::log1p(std::exp(x)); },
                             80.0f, 1.1754943508222875e-38);
  EXPECT_LE(forward.max_rel_error, 1e-7) << "softplus, worst at x = " << forward.worst_x;
  const auto derivative = sweep([&](float x) { return f.derivative(x); },
                                [](double x) { return x > 20.0 ? 1.0 : 1 / (1 + std::exp(-x)); },
                                80.0f, 1.1754943508222875e-38);
  // 1.3e-7 where the result is >= 1e-3 (accuracy.py's points), 1.6e-7 in the left tail.
  EXPECT_LE(derivative.max_rel_error, 1.65e-7) << "softplus', worst at x = " << derivative.worst_x;
  EXPECT_EQ(f.forward(-kInf), 0.0f);
  EXPECT_EQ(f.forward(kInf), kInf);
  EXPECT_EQ(f.derivative(-kInf), 0.0f);
  EXPECT_TRUE(std::isnan(f.forward(std::nanf(""))));
  EXPECT_TRUE(std::isnan(f.derivative(std::nanf(""))));
}

// The float normal CDF (GELU's Phi), against erfc in double: relative error where the result is a
// normal float, over every 64th float with |x| <= 13 (past it Phi underflows). It grows with x^2:
// the rounding of x^2 / 2 in phi's exponent (5e-6 at |x| = 13, 2e-6 at |x| = 9).
TEST(MathAccuracy, NormalCdfFloat) {
  const double sqrt_half = 0.70710678118654752440;
  const auto cdf = sweep([](float x) { return torchact::math::normal_cdf_pdf(x).cdf; },
                         [&](double x) { return 0.5 * std::erfc(-x * sqrt_half); }, 13.0f,
                         1.1754943508222875e-38);
  EXPECT_LE(cdf.max_rel_error, 6e-6) << "worst at x = " << cdf.worst_x;
  EXPECT_EQ(torchact::math::normal_cdf_pdf(kInf).cdf, 1.0f);
  EXPECT_EQ(torchact::math::normal_cdf_pdf(-kInf).cdf, 0.0f);
  EXPECT_TRUE(std::isnan(torchact::math::normal_cdf_pdf(std::nanf("")).cdf));
}

// swish, quick_gelu (and swiglu_oai's gate) in float: the forward with b x's rounding taken into
// the exp, the derivative in the form that is exact where it cancels (near b x = -1.28). Bounds
// below ATen's compositions (quick_gelu: f 6.8e-7, f' 3.4e-5) and below the forms they replaced,
// which fail them (f 2.4e-7 to 2.9e-7, f' 2.4e-5 to 3.0e-5 here), on every 64th float of
// 1/64 <= |x| <= 30 where |f| or |f'| >= 1e-3, against double with the same float beta.
struct SwishCase {
  const char* name;
  float beta, forward_bound, derivative_bound;
};
class SwishFloat : public testing::TestWithParam<SwishCase> {};
TEST_P(SwishFloat, ForwardAndDerivative) {
  const SwishCase c = GetParam();
  const torchact::math::Swish<float> f(torchact::math::Params{{c.beta, 0.0, 0.0}});
  const double b = c.beta;
  const auto s = [b](double x) { return 1.0 / (1.0 + std::exp(-b * x)); };
  // |x| < 1/64 (most floats of the range) is where f' is about 1/2 and |f| < 1e-3: left out.
  const auto forward = sweep([&](float x) { return f.forward(x); },
                             [&](double x) { return x * s(x); }, 30.0f, 1e-3, 1.0f / 64);
  EXPECT_LE(forward.max_rel_error, c.forward_bound) << "worst at x = " << forward.worst_x;
  const auto derivative = sweep([&](float x) { return f.derivative(x); },
                                [&](double x) { return s(x) + x * b * s(x) * (1.0 - s(x)); },
                                30.0f, 1e-3, 1.0f / 64);
  EXPECT_LE(derivative.max_rel_error, c.derivative_bound) << "worst at x = " << derivative.worst_x;
}
INSTANTIATE_TEST_SUITE_P(Math, SwishFloat,
                         testing::Values(SwishCase{"beta_1", 1.0f, 2e-7, 6e-6},
                                         SwishCase{"beta_1_5", 1.5f, 2e-7, 6e-6},
                                         SwishCase{"quick_gelu", 1.702f, 2.6e-7, 1.7e-5}),
                         [](const testing::TestParamInfo<SwishCase>& info) {
                           return info.param.name;
                         });

// swiglu_oai's gate, f and f' together (swish_parts: one exp and one division for both, as its
// gated backward computes them), alpha = 1.702 and no clamp in reach (limit 1e30), against double:
// on every 64th float of 1/64 <= |x| <= 30 where |f| or |f'| >= 1e-3 (the bounds of SwishFloat's
// quick_gelu row, as beta is the same), and in the tails 8 <= |x| <= 52 (alpha x down to -88.5,
// where f' is 2e-37; swish_derivative flushed it to 0 below alpha x = -86.5, and its error
// reached 3.9e-6 there, from alpha x's rounding), and at the limits PyTorch's composition gives.
TEST(MathAccuracy, SwigluOaiGateValueAndDerivativeFloat) {
  const torchact::math::SwigluOai<float> f(torchact::math::Params{{1.702, 1e30, 0.0}});
  const double b = 1.702f;
  const auto s = [b](double x) { return 1.0 / (1.0 + std::exp(-b * x)); };
  const auto value = [&](float x) { return f.value_and_derivative(x).value; };
  const auto derivative = [&](float x) { return f.value_and_derivative(x).derivative; };
  const auto value_ref = [&](double x) { return x * s(x); };
  const auto derivative_ref = [&](double x) { return s(x) + x * b * s(x) * (1.0 - s(x)); };
  struct Range {
    float min_x, max_x;
    double min_abs, value_bound, derivative_bound;
  };
  for (const Range r : {Range{1.0f / 64, 30.0f, 1e-3, 2.6e-7, 1.5e-5},  // measured 2.4e-7, 1.4e-5
                        Range{8.0f, 52.0f, 1e-37, 3e-7, 6e-7}}) {        // 2.8e-7, 5.2e-7
    const auto v = sweep(value, value_ref, r.max_x, r.min_abs, r.min_x);
    EXPECT_LE(v.max_rel_error, r.value_bound) << "f, worst at x = " << v.worst_x;
    const auto d = sweep(derivative, derivative_ref, r.max_x, r.min_abs, r.min_x);
    EXPECT_LE(d.max_rel_error, r.derivative_bound) << "f', worst at x = " << d.worst_x;
  }
  // Where e^-(alpha x) overflows (alpha x < -88.7) sigmoid is 0 and so are f and f' (-0 for f, as
  // x * 0); at -inf both are nan, as x * sigmoid(alpha x) and its autograd derivative give.
  EXPECT_EQ(f.value_and_derivative(-60.0f).derivative, 0.0f);
  EXPECT_EQ(f.value_and_derivative(-60.0f).value, 0.0f);
  EXPECT_TRUE(std::isnan(f.value_and_derivative(-kInf).derivative));
  EXPECT_TRUE(std::isnan(f.value_and_derivative(-kInf).value));
  EXPECT_TRUE(std::isnan(f.value_and_derivative(std::nanf("")).value));
  EXPECT_EQ(f.value_and_derivative(0.0f).derivative, 0.5f);
  EXPECT_EQ(f.value_and_derivative(1e30f).derivative, 1.0f);
  EXPECT_EQ(f.value_and_derivative(1e30f).value, 1e30f);
  // alpha x overflowing to +-inf for a finite x: PyTorch's limits, 1 and 0.
  const torchact::math::SwigluOai<float> steep(torchact::math::Params{{1e30, 1e30, 0.0}});
  EXPECT_EQ(steep.value_and_derivative(1e10f).derivative, 1.0f);
  EXPECT_EQ(steep.value_and_derivative(-1e10f).derivative, 0.0f);
  // The clamp: past the limit f is f(limit) and f' is 0; at the limit the gradient passes.
  const torchact::math::SwigluOai<float> clamped(torchact::math::Params{{1.702, 7.0, 0.0}});
  EXPECT_EQ(clamped.value_and_derivative(8.0f).derivative, 0.0f);
  EXPECT_EQ(clamped.value_and_derivative(8.0f).value, clamped.forward(7.0f));
  EXPECT_GT(clamped.value_and_derivative(7.0f).derivative, 1.0f);
}

// GELU and its derivative in float for x << 0, where Phi(x) = (1 + erf(x / sqrt 2)) / 2 cancels
// (ATen's float GELU derivative is off by up to 105% on [-9, -3]): relative error below 1e-5
// against float64 on every float of [-9, -3].
TEST(MathAccuracy, GeluTailFloat) {
  const torchact::math::GeluErf<float> f;
  double forward = 0, derivative = 0;
  float worst_forward = 0, worst_derivative = 0;
  for (float x = -9.0f; x <= -3.0f; x = std::nextafter(x, 0.0f)) {
    const double xd = x, cdf = 0.5 * std::erfc(-xd * 0.70710678118654752440);
    const double pdf = std::exp(-0.5 * xd * xd) * 0.39894228040143267794;
    const double e_forward = std::fabs((f.forward(x) - xd * cdf) / (xd * cdf));
    const double e_derivative = std::fabs((f.derivative(x) - (cdf + xd * pdf)) / (cdf + xd * pdf));
    if (e_forward > forward) forward = e_forward, worst_forward = x;
    if (e_derivative > derivative) derivative = e_derivative, worst_derivative = x;
  }
  EXPECT_LE(forward, 1e-5) << "gelu, worst at x = " << worst_forward;
  EXPECT_LE(derivative, 1e-5) << "gelu', worst at x = " << worst_derivative;
}

}  // namespace
