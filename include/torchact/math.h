// torchact/math.h: the one definition of every activation and its derivatives.
//
// Each activation is a small struct templated on the op-math type T (float for float/half/bfloat16
// storage, double for float64). Every kernel (CPU, CUDA) and the autograd of every op use these
// structs; nothing else in torchact writes an activation formula.
//
//   forward(x)            f(x)
//   derivative(s)         f'(x), written in terms of the saved value s: the output y when
//                         kSavesOutput (sigmoid, tanh, relu), otherwise the input x
//   derivative_grad(s)    d f'(x) / d s: what the backward op's own backward (double backward) needs
//
// An activation with parameters (negative_slope, beta, ...) holds them as members and is built from
// the op's float arguments in schema order (Params); the others are built with {}. Which op uses
// which struct is said by the op list (codegen/op_list.txt).
//
// The structs only use +, *, / and the elementary functions below, so one definition compiles for
// the host and for CUDA devices, and the CPU loops over them auto-vectorize.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>
#include <type_traits>
#include <utility>

#if defined(__CUDACC__)
#define TORCHACT_HOST_DEVICE __host__ __device__ __forceinline__
#else
// always_inline: the CPU kernels are compiled once per instruction set; inlining everything keeps
// an AVX-512 copy of a helper from being shared with the baseline build by the linker.
#define TORCHACT_HOST_DEVICE inline __attribute__((always_inline))
#endif

namespace torchact {
namespace math {

// ---------------------------------------------------------------------------------------------
// Elementary functions. On the host, exp, expm1 and tanh (float and double), the float normal CDF
// and log1p on [0, 1] are the branch-free versions below, which GCC vectorizes (libm's are scalar
// calls unless -ffast-math, which would break inf/nan handling); the double normal CDF uses libm's
// erfc. On a CUDA device: CUDA's accurate exp/expf, tanh/tanhf, erfc/erfcf, except in the kernels
// for half and bfloat16 storage (TORCHACT_CUDA_FAST_FLOAT_MATH: float exp, expm1, the normal CDF
// and div_bounded take cheaper forms there).
// ---------------------------------------------------------------------------------------------
// a / b for a denominator 1 <= b < 2^100 (those below): with TORCHACT_CUDA_FAST_FLOAT_MATH (half
// and bfloat16 storage on a CUDA device, see exp) the hardware reciprocal (2 ulp) instead of the
// IEEE division's ten instructions.
template <typename T>
TORCHACT_HOST_DEVICE T div_bounded(T a, T b) {
#if defined(__CUDA_ARCH__) && defined(TORCHACT_CUDA_FAST_FLOAT_MATH)
  if constexpr (std::is_same<T, float>::value) return ::__fdividef(a, b);
#endif
  return a / b;
}

namespace detail {

TORCHACT_HOST_DEVICE float bits_to_float(uint32_t u) {
  float f;
  std::memcpy(&f, &u, sizeof f);
  return f;
}
TORCHACT_HOST_DEVICE uint32_t float_to_bits(float f) {
  uint32_t u;
  std::memcpy(&u, &f, sizeof u);
  return u;
}
TORCHACT_HOST_DEVICE double bits_to_double(uint64_t u) {
  double d;
  std::memcpy(&d, &u, sizeof d);
  return d;
}
TORCHACT_HOST_DEVICE uint64_t double_to_bits(double d) {
  uint64_t u;
  std::memcpy(&u, &d, sizeof u);
  return u;
}

// 2^e from its exponent bits, for e in the normal range (float: -126..127, 128 gives inf).
TORCHACT_HOST_DEVICE float pow2_f32(int32_t e) {
  return bits_to_float(static_cast<uint32_t>(e + 127) << 23);
}
TORCHACT_HOST_DEVICE double pow2_f64(int64_t e) {
  return bits_to_double(static_cast<uint64_t>(e + 1023) << 52);
}

// The range reduction of exp and expm1: x = n ln2 + r with n an integer and |r| <= ln2/2. Adding
// 1.5 * 2^mantissa_bits rounds to an integer, whose bits are then n; ln2 = hi + lo with hi short
// enough that n * hi is exact. In float, r = r_hi - tail with r_hi = x - n hi exact and
// tail = n lo (exp_accurate_f32 keeps the two apart; the others take r rounded).
struct SplitReducedF32 {
  int32_t n;
  float r_hi, tail;
};
TORCHACT_HOST_DEVICE SplitReducedF32 reduce_by_ln2_split_f32(float x) {
  const float kRound = 12582912.0f;  // 1.5 * 2^23
  const float shifted = x * 1.44269504088896341f + kRound;
  const float n = shifted - kRound;
  return {static_cast<int32_t>(float_to_bits(shifted) - float_to_bits(kRound)),
          x - n * 0.693145751953125f, n * 1.42860682030941723e-06f};
}
struct ReducedF32 {
  int32_t n;
  float r;
};
TORCHACT_HOST_DEVICE ReducedF32 reduce_by_ln2_f32(float x) {
  const SplitReducedF32 red = reduce_by_ln2_split_f32(x);
  return {red.n, red.r_hi - red.tail};
}
struct ReducedF64 {
  int64_t n;  // 64-bit like the lanes it comes from: as int32, GCC spent a quarter of expm1's loop
  double r;   // converting lanes
};
// n = round(x / ln2), as an integer and as a double (nd).
struct NearestMultipleOfLn2F64 {
  int64_t n;
  double nd;
};
TORCHACT_HOST_DEVICE NearestMultipleOfLn2F64 nearest_multiple_of_ln2_f64(double x) {
  const double kRound = 6755399441055744.0;  // 1.5 * 2^52
  const double shifted = x * 1.4426950408889634 + kRound;
  return {static_cast<int64_t>(double_to_bits(shifted) - double_to_bits(kRound)),
          shifted - kRound};
}
TORCHACT_HOST_DEVICE ReducedF64 reduce_by_ln2_f64(double x) {
  const NearestMultipleOfLn2F64 m = nearest_multiple_of_ln2_f64(x);
  return {m.n, (x - m.nd * 0.6931471803691238) - m.nd * 1.9082149292705877e-10};
}

// e^r - 1 for |r| <= ln2/2 by the Taylor series without its constant: degree 7 in float,
// degree 13 in double (truncation < 5e-18 relative). In float, e^r - 1 = r + r^2 q(r) with
// q(r) = 1/2 + r/6 + ... + r^5/5040 (also exp_split_nonpos_f32's).
TORCHACT_HOST_DEVICE float expm1_taylor_q_f32(float r) {
  float q = 1.0f / 5040.0f;
  q = q * r + 1.0f / 720.0f;
  q = q * r + 1.0f / 120.0f;
  q = q * r + 1.0f / 24.0f;
  q = q * r + 1.0f / 6.0f;
  return q * r + 0.5f;
}
TORCHACT_HOST_DEVICE float expm1_reduced_f32(float r) {
  return (expm1_taylor_q_f32(r) * r + 1.0f) * r;
}
TORCHACT_HOST_DEVICE double expm1_reduced_f64(double r) {
  double p = 1.0 / 6227020800.0;
  p = p * r + 1.0 / 479001600.0;
  p = p * r + 1.0 / 39916800.0;
  p = p * r + 1.0 / 3628800.0;
  p = p * r + 1.0 / 362880.0;
  p = p * r + 1.0 / 40320.0;
  p = p * r + 1.0 / 5040.0;
  p = p * r + 1.0 / 720.0;
  p = p * r + 1.0 / 120.0;
  p = p * r + 1.0 / 24.0;
  p = p * r + 1.0 / 6.0;
  p = p * r + 0.5;
  p = p * r + 1.0;
  return p * r;
}

// e^x in float: e^r by a degree-6 polynomial (a minimax fit made for torchact, 1.9e-9 relative
// in exact arithmetic; under 9e-8 evaluated in float), 2^n applied as 2 * 2^(n-1) so that n = 128
// (x just below ln FLT_MAX) stays finite. Results below e^-86.5 (2.7e-38, next to FLT_MIN) are
// flushed to 0: no activation depends on them, and handling subnormals costs a quarter of the
// time. Overflow gives inf, nan stays nan.
TORCHACT_HOST_DEVICE float exp_f32(float x) {
  const float xc = x < -86.5f ? -86.5f : (x > 89.0f ? 89.0f : x);  // nan stays nan
  const ReducedF32 red = reduce_by_ln2_f32(xc);
  const float r = red.r;
  float p = 0.0013836828293278813f;
  p = p * r + 0.00837481115013361f;
  p = p * r + 0.04166822507977486f;
  p = p * r + 0.16666419804096222f;
  p = p * r + 0.49999991059303284f;
  p = p * r + 1.0f;
  p = p * r + 1.0f;
  const float result = (p + p) * pow2_f32(red.n - 1);
  return x < -86.5f ? 0.0f : result;
}

// e^x in float within 0.5 ulp + 4e-9 (on accuracy.py's grid 5.95e-8 relative, where exp_f32
// reaches 8.1e-8 and Sleef's, ATen's, 8.0e-8), for ELU's derivative c e^x, which is nothing but
// this exp. exp_f32's extra error comes from rounding r and 1 + r; here r = r_hi - tail
// with r_hi exact (reduce_by_ln2_split_f32), 1 + r_hi = s + c exactly (Fast2Sum, |r_hi| < 1), so
// that e^x = 2^n (s + (c - tail + r^2 q(r))) rounds once at the end, q a degree-4 minimax fit made
// for torchact (4.4e-9 relative). ELU's backward takes 7-18% more time than with exp_f32
// (cpu_bench). Same range handling as exp_f32.
TORCHACT_HOST_DEVICE float exp_accurate_f32(float x) {
  const float xc = x < -86.5f ? -86.5f : (x > 89.0f ? 89.0f : x);  // nan stays nan
  const SplitReducedF32 red = reduce_by_ln2_split_f32(xc);
  const float r_hi = red.r_hi;
  const float r = r_hi - red.tail;
  float q = 0.0013814467238262296f;
  q = q * r + 0.008368780836462975f;
  q = q * r + 0.04166839271783829f;
  q = q * r + 0.1666651964187622f;
  q = q * r + 0.4999999403953552f;
  const float s = 1.0f + r_hi;
  const float c = (1.0f - s) + r_hi;
  const float p = s + ((r * r) * q + (c - red.tail));
  const float result = (p + p) * pow2_f32(red.n - 1);
  return x < -86.5f ? 0.0f : result;
}

// e^x in double: 1 + expm1_reduced, 2^n as two factors so that overflow gives inf and underflow
// gives subnormals and then 0. libm's exp is a scalar call the loops cannot vectorize.
TORCHACT_HOST_DEVICE double exp_f64(double x) {
  const double xc = x < -746.0 ? -746.0 : (x > 710.0 ? 710.0 : x);
  const ReducedF64 red = reduce_by_ln2_f64(xc);
  const double p = expm1_reduced_f64(red.r) + 1.0;
  const int64_t half = red.n / 2;
  const double result = p * pow2_f64(half) * pow2_f64(red.n - half);
  return x != x ? x : result;
}

// e^y - 1 for y >= 0 (or nan), without cancellation: e^y - 1 = 2^n ((e^r - 1) + (1 - 2^-n)),
// where 1 - 2^-n is exact (0 for n = 0). Callers keep y below the overflow threshold.
TORCHACT_HOST_DEVICE float expm1_nonneg_f32(float y) {
  const ReducedF32 red = reduce_by_ln2_f32(y);
  const float em1_r = expm1_reduced_f32(red.r);
  return (em1_r + (1.0f - pow2_f32(-red.n))) * pow2_f32(red.n);
}
// The same in double.
TORCHACT_HOST_DEVICE double expm1_nonneg_f64(double y) {
  const ReducedF64 red = reduce_by_ln2_f64(y);
  return (expm1_reduced_f64(red.r) + (1.0 - pow2_f64(-red.n))) * pow2_f64(red.n);
}

// tanh|x| = e / (e + 2) with e = e^(2|x|) - 1: accurate near 0 and, with |x| clamped where tanh
// rounds to 1 (9.1 in float, 19.5 in double), exactly +-1 in the tails, as tanh'(x) = 1 - y^2
// needs. -0 stays -0, nan stays nan.
TORCHACT_HOST_DEVICE float tanh_f32(float x) {
  const float ax = x < 0.0f ? -x : x;
  const float e = expm1_nonneg_f32(2.0f * (ax > 9.1f ? 9.1f : ax));
  const float t = e / (e + 2.0f);
  return x != x ? x : (x < 0.0f ? -t : (x > 0.0f ? t : x));
}
TORCHACT_HOST_DEVICE double tanh_f64(double x) {
  const double ax = x < 0.0 ? -x : x;
  const double e = expm1_nonneg_f64(2.0 * (ax > 19.5 ? 19.5 : ax));
  const double t = e / (e + 2.0);
  return x != x ? x : (x < 0.0 ? -t : (x > 0.0 ? t : x));
}

// The Mills ratio M(t) = (1 - Phi(t)) / phi(t) for t >= 0 (Phi, phi: the standard normal CDF and
// density; M(0) = sqrt(pi / 2), M(t) ~ 1 / t): P(t) / Q(t) of degrees 4 and 5, a rational
// least-squares fit made for torchact (relative error 3e-8 in exact arithmetic on [0, 14], under
// 4e-7 evaluated in float). Past 14, phi(t) is 0 in float, so M is held there; nan stays nan.
TORCHACT_HOST_DEVICE float mills_ratio_f32(float t) {
  const float c = t > 14.0f ? 14.0f : t;
  float p = 0.01067431271483257f;
  p = p * c + 0.10404694636342943f;
  p = p * c + 0.46549919258174216f;
  p = p * c + 1.1065116087185178f;
  p = p * c + 1.2533141713444067f;
  float q = 0.01067420048335512f;
  q = q * c + 0.10405296246158247f;
  q = q * c + 0.4760333129845065f;
  q = q * c + 1.2124536746335743f;
  q = q * c + 1.6807540792398403f;
  q = q * c + 1.0f;
  return div_bounded(p, q);
}

}  // namespace detail

#if defined(__CUDA_ARCH__)
TORCHACT_HOST_DEVICE double exp(double x) { return ::exp(x); }
TORCHACT_HOST_DEVICE double tanh(double x) { return ::tanh(x); }
#else
TORCHACT_HOST_DEVICE double exp(double x) { return detail::exp_f64(x); }
TORCHACT_HOST_DEVICE double tanh(double x) { return detail::tanh_f64(x); }
#endif
#if defined(__CUDA_ARCH__)
TORCHACT_HOST_DEVICE float exp(float x) {
#if defined(TORCHACT_CUDA_FAST_FLOAT_MATH)
  // Kernels for half and bfloat16 storage (kernels_float16.cu, kernels_bfloat16.cu), which are
  // compute-bound at their bandwidth: the hardware's 2^x (2 ulp, subnormal results kept) on a
  // rounded x log2(e), relative error below 1e-5 for |x| < 88, far below the storage's rounding.
  return ::exp2f(x * 1.4426950408889634f);
#else
  return ::expf(x);
#endif
}
TORCHACT_HOST_DEVICE float tanh(float x) { return ::tanhf(x); }
#else
TORCHACT_HOST_DEVICE float exp(float x) { return detail::exp_f32(x); }
TORCHACT_HOST_DEVICE float tanh(float x) { return detail::tanh_f32(x); }
#endif

// e^x where it is the whole result (ELU's derivatives): on the host in float exp_accurate_f32,
// elsewhere exp.
#if defined(__CUDA_ARCH__)
TORCHACT_HOST_DEVICE float exp_accurate(float x) { return exp(x); }
#else
TORCHACT_HOST_DEVICE float exp_accurate(float x) { return detail::exp_accurate_f32(x); }
#endif
TORCHACT_HOST_DEVICE double exp_accurate(double x) { return exp(x); }

// The standard normal CDF Phi(x) and density phi(x), both to full relative precision in both tails
// (GELU needs Phi(x) for x << 0, where 1 + erf(x / sqrt 2) cancels: 26% error in float at x = -5).
// float on the host: with t = |x|, 1 - Phi(t) = phi(t) M(t), so Phi(x) = phi(x) M(-x) for x < 0
// and 1 - phi(x) M(x) for x >= 0, from the one exp phi needs anyway (also on a CUDA device for half
// and bfloat16 storage: half erfcf's instructions). double, and CUDA float storage: erfc.
template <typename T>
struct NormalCdfPdf {
  T cdf, pdf;
};
TORCHACT_HOST_DEVICE NormalCdfPdf<float> normal_cdf_pdf(float x) {
  const float pdf = exp(-0.5f * x * x) * 0.3989422804014327f;
#if defined(__CUDA_ARCH__) && !defined(TORCHACT_CUDA_FAST_FLOAT_MATH)
  return {0.5f * ::erfcf(-x * 0.7071067811865476f), pdf};
#else
  const float tail = pdf * detail::mills_ratio_f32(x < 0.0f ? -x : x);
  return {x < 0.0f ? tail : 1.0f - tail, pdf};
#endif
}
TORCHACT_HOST_DEVICE NormalCdfPdf<double> normal_cdf_pdf(double x) {
  return {0.5 * ::erfc(-x * 0.70710678118654752440), exp(-0.5 * x * x) * 0.39894228040143267794};
}

template <typename T>
TORCHACT_HOST_DEVICE T sigmoid(T x) {
  return T(1) / (T(1) + exp(-x));
}

// 1 + tanh(u) and 1 - tanh(u), each to full relative precision: with e = e^(-2|u|) the larger is
// 2 / (1 + e) and the smaller 2e / (1 + e). Taking 1 + tanh(u) from tanh(u) loses every digit once
// tanh(u) rounds to -1: float tanh-GELU and its derivative would be all rounding error near x = -5.
template <typename T>
struct OnePlusMinusTanh {
  T plus, minus;
};
template <typename T>
TORCHACT_HOST_DEVICE OnePlusMinusTanh<T> one_plus_minus_tanh(T u) {
  const T e = exp(T(-2) * (u < T(0) ? -u : u));
  const T larger = div_bounded(T(2), T(1) + e);
  const T smaller = larger * e;
  return u < T(0) ? OnePlusMinusTanh<T>{smaller, larger} : OnePlusMinusTanh<T>{larger, smaller};
}

// sigmoid(z), 1 - sigmoid(z) = sigmoid(-z) and their product sigmoid'(z), each to full relative
// precision, from one a = e^-|z|: nothing overflows, also where z = beta x overflowed to +-inf.
template <typename T>
struct SigmoidPair {
  T s, one_minus_s, ds;
};
template <typename T>
TORCHACT_HOST_DEVICE SigmoidPair<T> sigmoid_pair_from(T a, bool negative) {  // a = e^-|z|
  const T r = div_bounded(T(1), T(1) + a);
  return negative ? SigmoidPair<T>{a * r, r, a * r * r} : SigmoidPair<T>{r, a * r, a * r * r};
}
template <typename T>
TORCHACT_HOST_DEVICE SigmoidPair<T> sigmoid_pair(T z) {
  return sigmoid_pair_from(exp(z < T(0) ? z : -z), z < T(0));
}

// The type a float activation is computed in on the host where its float formula loses a few ulp
// that ATen's does not (mish: a rounded e^z): double, rounded once at the end, which the loops
// still vectorize, at about 3x the float math's time (still 0.4x ATen's mish). quick_gelu and
// softplus (1.2-1.5x ATen's time in double) and swiglu_oai (its backward 2.5x its float time) stay
// in float. On a CUDA device T itself (double is slow there; ATen's CUDA kernels compute in float
// too).
#if defined(__CUDA_ARCH__)
template <typename T>
using HostWide = T;
#else
template <typename T>
using HostWide = typename std::conditional<std::is_same<T, float>::value, double, T>::type;
#endif

// f(x) and f'(x), from an activation's value_and_derivative where it has one (a kernel that needs
// both then shares their work: value_and_derivative_at_input).
template <typename T>
struct ValueAndDerivative {
  T value, derivative;
};

// swish, quick_gelu and swiglu_oai take sigmoid(b x), whose float error is mostly the rounding of
// b x (e^(b x) scales it by |b x|: 7e-7 at b x = -12): b x = hi + lo exactly (lo by a fused
// multiply-add; 0 where |hi| >= 100: e^hi is 0 or 1 there, and an overflowed product would make
// lo infinite), and e^(hi + lo) = e^hi (1 + lo) to first order.
template <typename T>
struct Product {
  T hi, lo;
};
template <typename T>
TORCHACT_HOST_DEVICE Product<T> exact_product(T b, T x) {
  const T hi = b * x;
  return {hi, (hi < T(100) && hi > T(-100)) ? std::fma(b, x, -hi) : T(0)};
}

// sigmoid(b x) alone (the forwards) as 1 / (1 + e^-(b x)), which rounds once less than
// sigmoid_pair's e^-|z| / (1 + e^-|z|) for z < 0; e^-(b x) = inf gives 0. float32 quick_gelu 3.1e-7
// on the host, 3.3e-7 with CUDA's expf (benchmarks/accuracy.py; ATen's compositions: 6.8e-7,
// 7.0e-7). For half and bfloat16 storage on a CUDA device, whose rounding is far coarser,
// sigmoid_pair(b x).s (bounded division).
template <typename T>
TORCHACT_HOST_DEVICE T sigmoid_of_product(T b, T x) {
#if defined(__CUDA_ARCH__) && defined(TORCHACT_CUDA_FAST_FLOAT_MATH)
  return sigmoid_pair(b * x).s;
#else
  const Product<T> z = exact_product(b, x);
  return T(1) / (T(1) + exp(-z.hi) * (T(1) - z.lo));
#endif
}

// sigmoid(b x), 1 - sigmoid(b x) and sigmoid'(b x) from e^-|b x| as above (swiglu_oai's f'').
template <typename T>
TORCHACT_HOST_DEVICE SigmoidPair<T> sigmoid_pair_of_product(T b, T x) {
#if defined(__CUDA_ARCH__) && defined(TORCHACT_CUDA_FAST_FLOAT_MATH)
  return sigmoid_pair(b * x);
#else
  const Product<T> z = exact_product(b, x);
  const bool negative = z.hi < T(0);  // e^-|hi + lo| = e^-|hi| (1 -+ lo)
  return sigmoid_pair_from(exp(negative ? z.hi : -z.hi) * (T(1) + (negative ? z.lo : -z.lo)),
                           negative);
#endif
}

// d/dx x sigmoid(b x) = s (1 + z (1 - s)) with z = b x, s = sigmoid(z), which cancels near its zero
// (z = -1.28). With q = e^-|z| and r = 1 / (1 + q) it is r^2 (q (1 + z) + q^2) for z < 0 and
// r^2 (q (1 + z) + 1) for z >= 0: one fused multiply-add, in which 1 + z is exact where the sum
// cancels (z <= -1/2) and q's own error is scaled by q ~ 0.28 there. float32 f' of swish(beta=1.5)
// 4.4e-6 and quick_gelu 1.7e-5 on the host (ATen's compositions: 3.2e-5, 3.4e-5; s + x b s (1 - s)
// by one fma: 2.7e-5, 3.0e-5), in the same time. Taking b x's rounding into q too would bring
// quick_gelu to 7e-6, at 1.3x the time. z is capped at +-100 in 1 + z, where q is 0, so that an
// overflowed b x gives PyTorch's limit, 1 or 0; + (x - x) makes that 0 a +0 and an infinite x nan,
// as PyTorch's composition gives. For half and bfloat16 storage on a CUDA device, where the kernels
// are compute-bound and the storage's rounding far coarser, s + x b s (1 - s) as one fused
// multiply-add from sigmoid_pair (the form above took swiglu_oai's bf16 backward 12% longer on an
// H200).
template <typename T>
TORCHACT_HOST_DEVICE T swish_derivative(T b, T x) {
#if defined(__CUDA_ARCH__) && defined(TORCHACT_CUDA_FAST_FLOAT_MATH)
  const SigmoidPair<T> p = sigmoid_pair(b * x);
  return std::fma(p.s * x, b * p.one_minus_s, p.s);
#else
  const T z = b * x;
  const T q = exp(z < T(0) ? z : -z);
  const T r = div_bounded(T(1), T(1) + q);
  const T capped = z < T(-100) ? T(-100) : (z > T(100) ? T(100) : z);
  return (r * r) * std::fma(q, T(1) + capped, z < T(0) ? q * q : T(1)) + (x - x);
#endif
}

// sigmoid(b x) and the derivative of x sigmoid(b x) together, from one e = e^-(b x) (b x's
// rounding included, as in sigmoid_of_product) and one division s = 1 / (1 + e): with
// t = s e = 1 - s the derivative is s (t (1 + z) + s), swish_derivative's form for either sign of
// z. swiglu_oai's gated backward needs both: written as two functions, GCC shared their
// polynomial but not the exp's range selects nor the division. Where e overflows (b x < -88.7 in
// float) s is 0 and so is the derivative, as in PyTorch's composition (its sigmoid is 0 there).
template <typename T>
struct SwishParts {
  T s, derivative;
};
template <typename T>
TORCHACT_HOST_DEVICE SwishParts<T> swish_parts(T b, T x) {
#if defined(__CUDA_ARCH__) && defined(TORCHACT_CUDA_FAST_FLOAT_MATH)
  return {sigmoid_of_product(b, x), swish_derivative(b, x)};
#else
  const Product<T> z = exact_product(b, x);
  const T e = exp(-z.hi) * (T(1) - z.lo);
  const T s = T(1) / (T(1) + e);
  const T capped = z.hi < T(-100) ? T(-100) : (z.hi > T(100) ? T(100) : z.hi);
  const T d = s * std::fma(s * e, T(1) + capped, s);
  return {s, (s > T(0) ? d : T(0)) + (x - x)};
#endif
}

#if defined(__CUDA_ARCH__)
TORCHACT_HOST_DEVICE float expm1(float y) {
#if defined(TORCHACT_CUDA_FAST_FLOAT_MATH)
  // Half and bfloat16 storage (see exp): e^y - 1 from the fast exp for |y| >= 1/4 (cancellation
  // costs at most 2 bits there), its Taylor polynomial of degree 6 below (relative error < 2e-7).
  float p = 1.0f / 720.0f;
  p = p * y + 1.0f / 120.0f;
  p = p * y + 1.0f / 24.0f;
  p = p * y + 1.0f / 6.0f;
  p = p * y + 0.5f;
  p = p * y + 1.0f;
  return (y < 0.25f && y > -0.25f) ? y * p : exp(y) - 1.0f;  // y * p: -0 stays -0
#else
  return ::expm1f(y);
#endif
}
TORCHACT_HOST_DEVICE double expm1(double y) { return ::expm1(y); }
#else
// e^y - 1 for a float y, computed in double and rounded once: within half an ulp plus 6e-12
// relative (ELU's forward; float ops alone left it 2-4 ulp off). y = n ln2 + r by one fma: n ln2's
// rounding (below 2e-14 for |n| <= 150) is far below what float keeps, and r = y for n = 0.
// e^r - 1 = r (1 + r q(r)) with q a degree-6 minimax fit made for torchact (5.2e-12 relative on
// |r| <= ln2/2: on accuracy.py's grid 50 results misrounded, against 793 with the degree-8 Taylor
// polynomial used before, whose 5.8e-10 left ELU 0.2% behind ATen's 5.96e-8), then
// e^y - 1 = 2^n (e^r - 1) - (1 - 2^n): both terms exact in double, one rounding, no cancellation.
// y is clamped to [-104, 89], where the result rounds to -1 or inf; nan and -0 pass through the
// arithmetic unchanged (a select for them, or for the clamped results at the end instead of the
// clamp, cost GCC's 16-bit loops up to 11%). 11 double multiply-adds per element, 12 before: ELU,
// SELU and CELU forward in 0.90-0.94x the time of the Taylor form (2^20 elements, one thread).
TORCHACT_HOST_DEVICE float expm1(float y) {
  const double yd = y < -104.0f ? -104.0 : (y > 89.0f ? 89.0 : static_cast<double>(y));
  const detail::NearestMultipleOfLn2F64 m = detail::nearest_multiple_of_ln2_f64(yd);
  const double r = yd - m.nd * 0.6931471805599453;
  double q = 2.479637761146059e-5;
  q = q * r + 1.990490916868255e-4;
  q = q * r + 1.388898528196767e-3;
  q = q * r + 8.333289054148773e-3;
  q = q * r + 4.16666659528448e-2;
  q = q * r + 1.6666666754133497e-1;
  q = q * r + 5.000000000105321e-1;
  const double em1_r = r * (q * r + 1.0);  // not q r^2 + r: -0 stays -0
  const double s = detail::pow2_f64(m.n);
  return static_cast<float>(s * em1_r - (1.0 - s));  // -0 - +0 = -0; nan stays nan
}
// e^y - 1 in double, without cancellation near 0: m = e^|y| - 1 (expm1_nonneg), then m for
// y >= 0 and -m / (m + 1) for y < 0 (|y| capped where that is -1 exactly).
TORCHACT_HOST_DEVICE double expm1(double y) {
  const double a = y < 0.0 ? (y < -80.0 ? 80.0 : -y) : (y > 710.0 ? 710.0 : y);
  const double m = detail::expm1_nonneg_f64(a);
  return y < 0.0 ? -m / (m + 1.0) : (y == 0.0 ? y : m);  // -0 stays -0
}
#endif

// atanh(s) / s - 1 = s^2 (1/3 + s^2/5 + s^4/7 + ...) for |s| <= 1/3: the bracket, as a polynomial
// in s2 = s^2 cut where the next term is below the type's precision (last power s^15 in float,
// s^35 in double).
template <typename T>
TORCHACT_HOST_DEVICE T atanh_series_tail(T s2) {
  const int last = sizeof(T) == 4 ? 15 : 35;  // the highest odd power kept
  T p = T(1) / T(last);
  // Unrolled, so that each 1 / k is a constant (left to itself, GCC ran double's series as
  // divisions at run time, 10x the time).
#if defined(__CUDACC__)
#pragma unroll
#else
#pragma GCC unroll 18
#endif
  for (int k = last - 2; k >= 3; k -= 2) p = p * s2 + T(1) / T(k);
  return p;
}

// log(1 + u) for u in [0, 1] (softplus needs log1p(e^-|z|)): with s = u / (2 + u) in [0, 1/3],
// log(1 + u) = 2 atanh(s) = 2s (1 + s^2 atanh_series_tail(s^2)). Branch-free, so the loops
// vectorize; exact at 0, nan stays nan.
template <typename T>
TORCHACT_HOST_DEVICE T log1p_unit(T u) {
  const T s = div_bounded(u, T(2) + u);
  const T s2 = s * s;
  return T(2) * s * (atanh_series_tail(s2) * s2 + T(1));
}

// log(1 + e^z), softplus's forward, for a float z on the host to within 1e-7 relative (8.2e-8
// measured over every 64th float of [-30, 30]; the plain float formula below loses 2.6e-7, ATen's
// 1.2e-7): e^-|z| is taken as hi + lo, and the rounding errors of 2 + u and u / (2 + u) are
// recovered exactly (Fast2Sum, a fused multiply-add) and added back as first-order corrections,
// so that the result is rounded about once. 0.6-0.9x ATen's time, 1.6x the plain formula's.
// Past |z| = 18, e^-|z| is below float's precision relative to the result (which is z or e^z) and
// the corrections are skipped: they would be subnormal, 100x slower. Elsewhere (double, CUDA) the
// plain formula, a few ulp of the type.
namespace detail {
struct ExpSplitF32 {
  // e^y ~ hi + lo. lo is scaled by 2^max(n, -30), so never subnormal, and right for y >= -20 only.
  // (No bool member: one here stopped GCC's vectorizer, 7x slower.)
  float hi, lo;
};
// e^y for y <= 0 (or nan): y = n ln2 + r, e^r = 1 + t with t = r + r^2 q(r) (Taylor to r^7,
// truncation 2e-10), hi = 1 + t rounded and lo its exact error (Fast2Sum), both times 2^n. hi is
// 0 below -86.5, as exp's.
TORCHACT_HOST_DEVICE ExpSplitF32 exp_split_nonpos_f32(float y) {
  const ReducedF32 red = reduce_by_ln2_f32(y < -86.5f ? -86.5f : y);
  const float r = red.r;
  const float t = (r * r) * expm1_taylor_q_f32(r) + r;
  const float hi = 1.0f + t;
  const float lo = (1.0f - hi) + t;
  return {y < -86.5f ? 0.0f : hi * pow2_f32(red.n), lo * pow2_f32(red.n < -30 ? -30 : red.n)};
}
}  // namespace detail

template <typename T>
TORCHACT_HOST_DEVICE T log1p_exp(T z) {  // log(1 + e^z) = max(z, 0) + log1p(e^-|z|)
  const T m = z > T(0) ? z : T(0);
  const T u = exp(z < T(0) ? z : -z);
#if defined(__CUDA_ARCH__) && !defined(TORCHACT_CUDA_FAST_FLOAT_MATH)
  // CUDA's log1p (1-2 ulp): float32 softplus 3.2e-7 with log1p_unit's, ATen's CUDA kernel 1.9e-7.
  if constexpr (std::is_same<T, float>::value) return m + ::log1pf(u);
  if constexpr (std::is_same<T, double>::value) return m + ::log1p(u);
#endif
  return m + log1p_unit(u);
}
#if !defined(__CUDA_ARCH__)
// log(1 + u + du) with u = e^-|z| as above and s = u / (2 + u): 2 atanh(s) = 2s + 2s^3 p(s^2)
// (p: atanh_series_tail), plus 2 ds (1 + s^2) where ds, the error of the rounded s, comes from the
// exact error of 2 + u (Fast2Sum), of the division (a fused multiply-add) and du's effect
// d s / d u = (1 - s)^2 / 2 (1 / (2 + u) = (1 - s) / 2). max(z, 0) + 2s is summed exactly
// (Fast2Sum, larger first).
TORCHACT_HOST_DEVICE float log1p_exp(float z) {
  const float y = z < 0.0f ? z : -z;
  const detail::ExpSplitF32 a = detail::exp_split_nonpos_f32(y);
  const bool tail = y < -18.0f;
  const float u = tail ? 1e-8f : a.hi;
  const float d = 2.0f + u;
  const float d_error = u - (d - 2.0f);
  const float s = u / d;
  const float one_minus_s = 1.0f - s;
  const float ds = 0.5f * one_minus_s * ((std::fma(-s, d, u) - s * d_error) + a.lo * one_minus_s);
  const float s2 = s * s;
  const float p = atanh_series_tail(s2);
  const float m = z > 0.0f ? z : 0.0f;
  const float two_s = 2.0f * s;
  const float larger = m > two_s ? m : two_s, smaller = m > two_s ? two_s : m;
  const float sum = larger + smaller;
  const float corrections = (smaller - (sum - larger)) + 2.0f * (s * s2 * p + ds);
  return tail ? (z > 0.0f ? z : a.hi) : sum + corrections;
}
#endif

// ---------------------------------------------------------------------------------------------
// The activations.
// ---------------------------------------------------------------------------------------------

// An op's float arguments, in the order of its schema (e.g. elu: alpha, scale, input_scale).
struct Params {
  double values[3];
  TORCHACT_HOST_DEVICE double operator[](int i) const { return values[i]; }
};

// sigmoid(x) = 1 / (1 + e^-x); derivative y (1 - y), at most 1/4 (at x = 0).
template <typename T>
struct Sigmoid {
  static constexpr bool kSavesOutput = true;
  TORCHACT_HOST_DEVICE T forward(T x) const { return sigmoid(x); }
  TORCHACT_HOST_DEVICE T derivative(T y) const { return y * (T(1) - y); }
  TORCHACT_HOST_DEVICE T derivative_grad(T y) const { return T(1) - T(2) * y; }
};

// tanh(x); derivative 1 - y^2, at most 1 (at x = 0).
template <typename T>
struct Tanh {
  static constexpr bool kSavesOutput = true;
  TORCHACT_HOST_DEVICE T forward(T x) const { return tanh(x); }
  TORCHACT_HOST_DEVICE T derivative(T y) const { return T(1) - y * y; }
  TORCHACT_HOST_DEVICE T derivative_grad(T y) const { return T(-2) * y; }
};

// relu(x) = max(x, 0), nan kept; the gradient passes where y > 0 or y is nan (ATen's
// threshold_backward selects it), derivative 1 there and 0 elsewhere.
template <typename T>
struct Relu {
  static constexpr bool kSavesOutput = true;
  TORCHACT_HOST_DEVICE T forward(T x) const { return x < T(0) ? T(0) : x; }
  TORCHACT_HOST_DEVICE bool gradient_passes(T y) const { return !(y <= T(0)); }
  TORCHACT_HOST_DEVICE T derivative(T y) const { return gradient_passes(y) ? T(1) : T(0); }
  TORCHACT_HOST_DEVICE T derivative_grad(T) const { return T(0); }
  TORCHACT_HOST_DEVICE bool second_derivative_passes(T) const { return false; }
};

// leaky_relu(x) = x for x > 0, slope * x otherwise.
template <typename T>
struct LeakyRelu {
  static constexpr bool kSavesOutput = false;
  T negative_slope;
  TORCHACT_HOST_DEVICE explicit LeakyRelu(const Params& p) : negative_slope(T(p[0])) {}
  TORCHACT_HOST_DEVICE T forward(T x) const { return x > T(0) ? x : x * negative_slope; }
  TORCHACT_HOST_DEVICE T derivative(T x) const { return x > T(0) ? T(1) : negative_slope; }
  TORCHACT_HOST_DEVICE T derivative_grad(T) const { return T(0); }
  TORCHACT_HOST_DEVICE bool second_derivative_passes(T) const { return false; }
};

// gelu(x) = x Phi(x), Phi the standard normal CDF; derivative Phi(x) + x phi(x), second
// derivative phi(x) (2 - x^2). Phi and phi from normal_cdf_pdf: accurate also for x << 0.
template <typename T>
struct GeluErf {
  static constexpr bool kSavesOutput = false;
  TORCHACT_HOST_DEVICE T forward(T x) const { return x * normal_cdf_pdf(x).cdf; }
  TORCHACT_HOST_DEVICE T derivative(T x) const {
    const NormalCdfPdf<T> n = normal_cdf_pdf(x);
    return n.cdf + x * n.pdf;
  }
  TORCHACT_HOST_DEVICE T derivative_grad(T x) const {
    return normal_cdf_pdf(x).pdf * (T(2) - x * x);
  }
};

// gelu_tanh(x) = x (1 + tanh(u)) / 2 with u = sqrt(2/pi) (x + 0.044715 x^3); 1 + tanh(u) and
// 1 - tanh(u)^2 = (1 + tanh(u)) (1 - tanh(u)) come from one_plus_minus_tanh, without cancellation.
template <typename T>
struct GeluTanh {
  static constexpr bool kSavesOutput = false;
  static constexpr T kBeta = T(0.79788456080286535588);  // sqrt(2 / pi)
  static constexpr T kKappa = T(0.044715);
  TORCHACT_HOST_DEVICE T forward(T x) const {
    const T u = kBeta * (x + kKappa * x * x * x);
    return T(0.5) * x * one_plus_minus_tanh(u).plus;
  }
  TORCHACT_HOST_DEVICE T derivative(T x) const {
    const T x_sq = x * x;
    const auto t = one_plus_minus_tanh(kBeta * (x + kKappa * x_sq * x));
    const T du = kBeta * (T(1) + T(3) * kKappa * x_sq);
    return T(0.5) * t.plus + T(0.5) * x * (t.plus * t.minus) * du;
  }
  TORCHACT_HOST_DEVICE T derivative_grad(T x) const {  // (1 - t^2) (u' + x (u'' - 2 t u'^2) / 2)
    const T x_sq = x * x;
    const auto t = one_plus_minus_tanh(kBeta * (x + kKappa * x_sq * x));
    const T tanh_u = T(0.5) * (t.plus - t.minus);
    const T du = kBeta * (T(1) + T(3) * kKappa * x_sq);
    const T d2u = kBeta * T(6) * kKappa * x;
    return (t.plus * t.minus) * (du + T(0.5) * x * (d2u - T(2) * tanh_u * du * du));
  }
};

// silu(x) = x sigmoid(x); derivative s (1 + x (1 - s)) with s = sigmoid(x).
template <typename T>
struct Silu {
  static constexpr bool kSavesOutput = false;
  TORCHACT_HOST_DEVICE T forward(T x) const { return x / (T(1) + exp(-x)); }
  TORCHACT_HOST_DEVICE T derivative(T x) const {
    const T s = sigmoid(x);
    return s * (T(1) + x * (T(1) - s));
  }
  TORCHACT_HOST_DEVICE T derivative_grad(T x) const {
    const T s = sigmoid(x);
    return s * (T(1) - s) * (T(2) + x * (T(1) - T(2) * s));
  }
};

// swish(x) = x sigmoid(beta x); derivative s + x beta s (1 - s) with s = sigmoid(beta x)
// (swish_derivative). Where beta x overflows for a finite x (x = 3.4e38, beta = 1.702), the
// derivative is its limit, 1 or 0, as in PyTorch's x * sigmoid(beta * x).
template <typename T>
struct Swish {
  static constexpr bool kSavesOutput = false;
  T beta;
  TORCHACT_HOST_DEVICE explicit Swish(const Params& p) : beta(T(p[0])) {}
  TORCHACT_HOST_DEVICE T forward(T x) const { return x * sigmoid_of_product(beta, x); }
  TORCHACT_HOST_DEVICE T derivative(T x) const { return swish_derivative(beta, x); }
  TORCHACT_HOST_DEVICE T derivative_grad(T x) const {  // beta (2 s' + x beta s' (1 - 2 s))
    const SigmoidPair<T> p = sigmoid_pair(beta * x);
    return beta * (T(2) * p.ds + x * (beta * p.ds * (p.one_minus_s - p.s)));
  }
};

// quick_gelu(x) = x sigmoid(1.702 x) (CLIP): swish with beta = 1.702.
template <typename T>
struct QuickGelu : Swish<T> {
  TORCHACT_HOST_DEVICE QuickGelu() : Swish<T>(Params{{1.702, 0.0, 0.0}}) {}
};

// mish(x) = x t with t = tanh(softplus(x)) = tanh(log(1 + e^x)); derivative t + x s (1 - t^2) with
// s = sigmoid(x). All from one a = e^-|x|: t = n / d with n = 1 + 2a, d = n + 2a^2 for x >= 0 and
// n = a (a + 2), d = n + 2 for x < 0 (d from the rounded n: their errors cancel in n / d); then
// 1 - t = 2a^2 / d or 2 / d and 1 + t = 2 (1 + a)^2 / d, so nothing overflows and 1 - t^2 keeps its
// digits as t -> 1.
template <typename T>
struct Mish {
  static constexpr bool kSavesOutput = false;
  struct Parts {
    T t, one_minus_t_sq, s;
  };
  struct Terms {
    bool negative;
    T a, n, d;  // t = n / d
  };
  TORCHACT_HOST_DEVICE static Terms terms(T x) {
    const bool negative = x < T(0);
    const T a = exp(negative ? x : -x);
    const T two_a = T(2) * a;
    const T n = negative ? a * a + two_a : T(1) + two_a;
    return {negative, a, n, negative ? n + T(2) : n + two_a * a};
  }
  TORCHACT_HOST_DEVICE static Parts parts(T x) {
    const Terms m = terms(x);
    const bool negative = m.negative;
    const T a = m.a, n = m.n, d = m.d;
    const T one_minus_t_num = negative ? T(2) : T(2) * a * a;
    const T one_plus_t_num = T(2) * (T(1) + a) * (T(1) + a);
    const T s_num = negative ? a : T(1);
    if constexpr (std::is_same<T, double>::value) {
      // In double (the host's float kernels compute mish in double), one division for the four
      // quotients: 1 / d = inv (1 + a), 1 / (1 + a) = inv d. Four divisions made the backward
      // 1.8x slower; the few more roundings do not show in a float result.
      const T inv = T(1) / (d * (T(1) + a));
      const T inv_d = inv * (T(1) + a);
      return {n * inv_d, (one_minus_t_num * inv_d) * (one_plus_t_num * inv_d), s_num * (inv * d)};
    } else {  // float (a CUDA device, the host's f''): each quotient rounded once, as ATen's
      const T t = div_bounded(n, d);
      const T one_minus_t = div_bounded(one_minus_t_num, d);
      const T one_plus_t = div_bounded(one_plus_t_num, d);
      return {t, one_minus_t * one_plus_t, div_bounded(s_num, T(1) + a)};
    }
  }
  TORCHACT_HOST_DEVICE T forward(T x) const {  // t alone: one division
    using W = HostWide<T>;
    const typename Mish<W>::Terms m = Mish<W>::terms(W(x));
    return T(W(x) * div_bounded(m.n, m.d));
  }
  TORCHACT_HOST_DEVICE T derivative(T x) const {
    using W = HostWide<T>;
    const typename Mish<W>::Parts p = Mish<W>::parts(W(x));
    return T(p.t + W(x) * p.s * p.one_minus_t_sq);
  }
  TORCHACT_HOST_DEVICE T derivative_grad(T x) const {  // (1 - t^2) s (2 + x (1 - s - 2 t s))
    const Parts p = parts(x);
    return p.one_minus_t_sq * p.s * (T(2) + x * (T(1) - p.s - T(2) * p.t * p.s));
  }
};

// elu(x) = scale x for x > 0, scale alpha (e^(input_scale x) - 1) for x <= 0, as aten::elu (ATen's
// branches, so nan takes the x > 0 one's derivative, scale; its second derivative is the x < 0
// branch's only, so 0 at x = 0); expm1 keeps small |x| accurate.
template <typename T>
struct Elu {
  static constexpr bool kSavesOutput = false;
  T alpha, scale, input_scale;
  T c1, c2, c3;  // scale alpha, times input_scale, times input_scale^2: each rounded once
  TORCHACT_HOST_DEVICE explicit Elu(const Params& p)
      : alpha(T(p[0])), scale(T(p[1])), input_scale(T(p[2])), c1(T(p[1] * p[0])),
        c2(T(p[1] * p[0] * p[2])), c3(T(p[1] * p[0] * p[2] * p[2])) {}
  TORCHACT_HOST_DEVICE T forward(T x) const {
    return x <= T(0) ? c1 * expm1(input_scale * x) : scale * x;
  }
  TORCHACT_HOST_DEVICE T derivative(T x) const {
    return x <= T(0) ? c2 * exp_accurate(input_scale * x) : scale;
  }
  TORCHACT_HOST_DEVICE T derivative_grad(T x) const {
    return x < T(0) ? c3 * exp_accurate(input_scale * x) : T(0);
  }
};

// selu(x): elu with alpha = 1.6732632423543772 and scale = 1.0507009873554805 (self-normalizing).
template <typename T>
struct Selu : Elu<T> {
  TORCHACT_HOST_DEVICE Selu()
      : Elu<T>(Params{{1.6732632423543772848170429916717, 1.0507009873554804934193349852946, 1.0}}) {}
};

// celu(x, alpha) = max(0, x) + min(0, alpha (e^(x / alpha) - 1)): elu(x, alpha, 1, 1 / alpha).
template <typename T>
struct Celu : Elu<T> {
  TORCHACT_HOST_DEVICE explicit Celu(const Params& p) : Elu<T>(Params{{p[0], 1.0, 1.0 / p[0]}}) {}
  static const char* invalid(const Params& p) { return p[0] == 0.0 ? "alpha cannot be 0" : nullptr; }
};

// softplus(x) = log(1 + e^(beta x)) / beta, or x where beta x > threshold (as F.softplus);
// computed as log1p_exp(z) / beta = (max(z, 0) + log1p(e^-|z|)) / beta with z = beta x, which
// neither overflows nor cancels. Derivative sigmoid(z) (1 above the threshold) as 1 / (1 + e^-z),
// within 1.3e-7 in float32 (ATen's: 1.7e-7; sigmoid_pair's e^-|z| / (1 + e^-|z|) for z < 0 rounds
// once more, 1.9e-7, and its selects made the bfloat16 loop 1.5x slower).
template <typename T>
struct Softplus {
  static constexpr bool kSavesOutput = false;
  T beta, threshold;
  TORCHACT_HOST_DEVICE explicit Softplus(const Params& p) : beta(T(p[0])), threshold(T(p[1])) {}
  static const char* invalid(const Params& p) { return p[0] == 0.0 ? "beta cannot be 0" : nullptr; }
  TORCHACT_HOST_DEVICE T forward(T x) const {
    const T z = x * beta;
    const T y = log1p_exp(z) / beta;  // before the select: a call inside one stops the vectorizer
    return z > threshold ? x : y;
  }
  TORCHACT_HOST_DEVICE T derivative(T x) const {
    const T z = x * beta;
    return z > threshold ? T(1) : sigmoid(z);
  }
  // Below the threshold only, as ATen's (0 at beta x = threshold, where f' is still sigmoid's;
  // ATen multiplies by the mask, so a nan x stays nan).
  TORCHACT_HOST_DEVICE T derivative_grad(T x) const {
    const T z = x * beta;
    const T ds = sigmoid_pair(z).ds;
    return z < threshold ? beta * ds : T(0) * ds;
  }
};

// x clamped to [lo, hi] (lo <= hi), a nan x passing through, written as two selects that each
// read the previous one: GCC makes them one max and one min instruction per vector (x < lo ? lo :
// (x > hi ? hi : x), which gives the same values, took two compares, two masked moves and a max).
template <typename T>
TORCHACT_HOST_DEVICE T clamp_between(T x, T lo, T hi) {
  const T at_least_lo = x < lo ? lo : x;
  return at_least_lo > hi ? hi : at_least_lo;
}

// v, as a value the host compiler does not know: for limits that are constants (relu6's 0 and 6),
// taken where the struct is made, outside the loops. Knowing them, GCC merged clamp_between's two
// selects back into compares and masked moves (6 instructions per vector instead of a max and a
// min: relu6's float forward at 2^20 took 1.13-1.25x ATen's time).
template <typename T>
TORCHACT_HOST_DEVICE T opaque(T v) {
#if !defined(__CUDA_ARCH__) && defined(__GNUC__)
  asm("" : "+m"(v));
#endif
  return v;
}

// hardtanh(x) = clamp(x, min_val, max_val), nan kept; the gradient passes strictly inside
// (min_val, max_val) and at nan (ATen's hardtanh_backward selects it), derivative 1 there, 0 at and
// beyond the limits.
template <typename T>
struct Hardtanh {
  static constexpr bool kSavesOutput = false;
  T min_val, max_val;
  TORCHACT_HOST_DEVICE explicit Hardtanh(const Params& p) : min_val(T(p[0])), max_val(T(p[1])) {}
  static const char* invalid(const Params& p) {
    return p[0] > p[1] ? "min_val cannot be greater than max_val" : nullptr;
  }
  TORCHACT_HOST_DEVICE T forward(T x) const {
    return clamp_between(x, min_val, max_val);
  }
  TORCHACT_HOST_DEVICE bool gradient_passes(T x) const { return !(x <= min_val || x >= max_val); }
  TORCHACT_HOST_DEVICE T derivative(T x) const { return gradient_passes(x) ? T(1) : T(0); }
  TORCHACT_HOST_DEVICE T derivative_grad(T) const { return T(0); }
  TORCHACT_HOST_DEVICE bool second_derivative_passes(T) const { return false; }
};

// relu6(x) = hardtanh(x, 0, 6) (MobileNet).
template <typename T>
struct Relu6 : Hardtanh<T> {
  TORCHACT_HOST_DEVICE Relu6() : Hardtanh<T>(Params{{opaque(0.0), opaque(6.0), 0.0}}) {}
};

// x / 6: the IEEE division on the host, as ATen's CPU kernels; on a CUDA device the product with
// 1/6, as ATen's CUDA kernels (the division's slow-path check cost hardswish half its bandwidth).
template <typename T>
TORCHACT_HOST_DEVICE T div6(T x) {
#if defined(__CUDA_ARCH__)
  return x * T(1.0 / 6.0);
#else
  return x / T(6);
#endif
}

// hardsigmoid(x) = clamp(x + 3, 0, 6) / 6; the gradient passes strictly inside (-3, 3), not at nan
// (ATen's hardsigmoid_backward), derivative 1/6 there, else 0.
template <typename T>
struct Hardsigmoid {
  static constexpr bool kSavesOutput = false;
  T zero = opaque(T(0)), six = opaque(T(6));  // see opaque
  TORCHACT_HOST_DEVICE T forward(T x) const {
    return div6(clamp_between(x + T(3), zero, six));
  }
  TORCHACT_HOST_DEVICE bool gradient_passes(T x) const { return x > T(-3) && x < T(3); }
  TORCHACT_HOST_DEVICE T derivative(T x) const { return gradient_passes(x) ? T(1) / T(6) : T(0); }
  TORCHACT_HOST_DEVICE T derivative_grad(T) const { return T(0); }
  TORCHACT_HOST_DEVICE bool second_derivative_passes(T) const { return false; }
};

// hardswish(x) = x clamp(x + 3, 0, 6) / 6 (MobileNetV3); derivative 0 for x <= -3, where the
// gradient does not pass (ATen's hardswish_backward selects), x / 3 + 1/2 strictly inside (-3, 3),
// 1 for x >= 3 (ATen's branches; nan takes the last); second derivative 1/3 strictly inside (-3, 3).
template <typename T>
struct Hardswish {
  static constexpr bool kSavesOutput = false;
  T zero = opaque(T(0)), six = opaque(T(6));  // see opaque
  TORCHACT_HOST_DEVICE T forward(T x) const {
    return div6(x * clamp_between(x + T(3), zero, six));
  }
  TORCHACT_HOST_DEVICE T derivative(T x) const {
    // The inner select first: nested the other way, GCC multiplied by the gradient and rounded to
    // bfloat16 in each branch (68 vector instructions per 32 bfloat16 values, 49 now).
    const T below_3 = x < T(3) ? x / T(3) + T(0.5) : T(1);
    return x <= T(-3) ? T(0) : below_3;
  }
  TORCHACT_HOST_DEVICE bool gradient_passes(T x) const { return !(x <= T(-3)); }
  TORCHACT_HOST_DEVICE T derivative_grad(T x) const {
    return second_derivative_passes(x) ? T(1) / T(3) : T(0);
  }
  TORCHACT_HOST_DEVICE bool second_derivative_passes(T x) const { return x > T(-3) && x < T(3); }
};

// relu_squared(x) = relu(x)^2 (Primer, Nemotron); derivative 2 relu(x) (0 for x <= 0, nan kept);
// the gradient passes where x > 0 or x is nan (relu's threshold_backward selects it).
template <typename T>
struct ReluSquared {
  static constexpr bool kSavesOutput = false;
  TORCHACT_HOST_DEVICE T forward(T x) const {
    const T r = x < T(0) ? T(0) : x;
    return r * r;
  }
  TORCHACT_HOST_DEVICE bool gradient_passes(T x) const { return !(x <= T(0)); }
  TORCHACT_HOST_DEVICE T derivative(T x) const { return x <= T(0) ? T(0) : T(2) * x; }
  TORCHACT_HOST_DEVICE T derivative_grad(T x) const { return x <= T(0) ? T(0) : T(2); }
};

// ---------------------------------------------------------------------------------------------
// Gate activations with a transformed up: a gated op computes f(gate) * up(up), up() being the
// identity unless the struct defines up() and up_passes() (a clamp: up_passes says where its
// gradient passes; as in torch.clamp's backward it selects, so a nan elsewhere does not leak in).
// The clamps' gradients follow torch.clamp: they pass at the limits themselves.
// ---------------------------------------------------------------------------------------------

// swiglu_oai (GPT-OSS): g = min(gate, limit), f = g sigmoid(alpha g); up(u) = clamp(u, -limit,
// limit) + 1. f and f' are swish's (beta = alpha) of the clamped gate, together from swish_parts
// in the gated backward; f'' from its sigmoid_pair_of_product.
template <typename T>
struct SwigluOai {
  static constexpr bool kSavesOutput = false;
  T alpha, limit;
  TORCHACT_HOST_DEVICE explicit SwigluOai(const Params& p) : alpha(T(p[0])), limit(T(p[1])) {}
  static const char* invalid(const Params& p) { return p[1] > 0.0 ? nullptr : "limit must be positive"; }
  TORCHACT_HOST_DEVICE T forward(T g) const {
    const T c = g > limit ? limit : g;
    return c * sigmoid_of_product(alpha, c);
  }
  TORCHACT_HOST_DEVICE T derivative(T g) const { return value_and_derivative(g).derivative; }
  TORCHACT_HOST_DEVICE ValueAndDerivative<T> value_and_derivative(T g) const {
    const T c = g > limit ? limit : g;
    const SwishParts<T> p = swish_parts(alpha, c);  // before the select: the loops vectorize
    return {c * p.s, g <= limit ? p.derivative : T(0)};
  }
  TORCHACT_HOST_DEVICE T derivative_grad(T g) const {
    const T c = g > limit ? limit : g;
    const SigmoidPair<T> p = sigmoid_pair_of_product(alpha, c);
    return g <= limit ? alpha * (T(2) * p.ds + c * (alpha * p.ds * (p.one_minus_s - p.s))) : T(0);
  }
  // The gate's clamp: its backward selects (torch.clamp's), passing at the limit itself.
  TORCHACT_HOST_DEVICE bool gradient_passes(T g) const { return g <= limit; }
  TORCHACT_HOST_DEVICE T up(T u) const {
    return clamp_between(u, -limit, limit) + T(1);
  }
  TORCHACT_HOST_DEVICE bool up_passes(T u) const { return u >= -limit && u <= limit; }
};

// swiglu_step: f = min(silu(gate), limit) (clamped after the activation); up(u) = clamp(u, -limit,
// limit). Beyond the limit silu's derivative is multiplied by 0, as autograd's chain does (so
// silu'(+-inf) = nan stays nan); written as a select, as `mask * d` kept GCC from sharing silu's
// exp between the mask and d (the gated backward took 2.3x swiglu's time).
template <typename T>
struct SwigluStep {
  static constexpr bool kSavesOutput = false;
  T limit;
  TORCHACT_HOST_DEVICE explicit SwigluStep(const Params& p) : limit(T(p[0])) {}
  static const char* invalid(const Params& p) { return p[0] > 0.0 ? nullptr : "limit must be positive"; }
  TORCHACT_HOST_DEVICE T forward(T g) const {
    const T s = Silu<T>{}.forward(g);
    return s > limit ? limit : s;
  }
  TORCHACT_HOST_DEVICE T derivative(T g) const {
    const T d = Silu<T>{}.derivative(g);
    return gradient_passes(g) ? d : T(0) * d;
  }
  // Both from one silu(gate): GCC did not share it between forward, derivative and
  // gradient_passes (three divisions per vector: its gated backward took 1.4x the time it had taken
  // before gradient_passes, and takes 0.76x of it now).
  TORCHACT_HOST_DEVICE ValueAndDerivative<T> value_and_derivative(T g) const {
    const T s = Silu<T>{}.forward(g);
    const T d = Silu<T>{}.derivative(g);
    return {s > limit ? limit : s, s <= limit ? d : T(0) * d};
  }
  TORCHACT_HOST_DEVICE T derivative_grad(T g) const {
    const T d2 = Silu<T>{}.derivative_grad(g);
    return gradient_passes(g) ? d2 : T(0) * d2;
  }
  // The clamp of silu(gate): its backward selects, and silu's multiplies (the T(0) * d above).
  TORCHACT_HOST_DEVICE bool gradient_passes(T g) const { return Silu<T>{}.forward(g) <= limit; }
  TORCHACT_HOST_DEVICE T up(T u) const { return clamp_between(u, -limit, limit); }
  TORCHACT_HOST_DEVICE bool up_passes(T u) const { return u >= -limit && u <= limit; }
};

// ---------------------------------------------------------------------------------------------
// f'(x) and f''(x) from the input for any activation, also those that write their derivative in
// terms of their output (the gated kernels need them at the gate).
// ---------------------------------------------------------------------------------------------
// The value s that F's derivative and its passes functions take, from the input x: the output
// f(x) where F saves it, else x.
template <typename F, typename T>
TORCHACT_HOST_DEVICE T saved_value(const F& f, T x) {
  if constexpr (F::kSavesOutput) {
    return f.forward(x);
  } else {
    return x;
  }
}

template <typename F, typename T>
TORCHACT_HOST_DEVICE T derivative_at_input(const F& f, T x) {
  return f.derivative(saved_value(f, x));
}

template <typename F, typename T>
TORCHACT_HOST_DEVICE T second_derivative_at_input(const F& f, T x) {
  if constexpr (F::kSavesOutput) {
    const T y = f.forward(x);
    return f.derivative_grad(y) * f.derivative(y);  // d f'(y(x)) / dx by the chain rule
  } else {
    return f.derivative_grad(x);
  }
}

// f(x) and f'(x) together: F::value_and_derivative where F shares work between the two
// (swiglu_oai: one exp and one division for both), else forward and derivative_at_input.
template <typename F, typename = void>
struct HasValueAndDerivative : std::false_type {};
template <typename F>
struct HasValueAndDerivative<F, std::void_t<decltype(&F::value_and_derivative)>> : std::true_type {};

template <typename F, typename T>
TORCHACT_HOST_DEVICE ValueAndDerivative<T> value_and_derivative_at_input(const F& f, T x) {
  if constexpr (HasValueAndDerivative<F>::value) {
    return f.value_and_derivative(x);
  } else {
    return {f.forward(x), derivative_at_input(f, x)};
  }
}

// Where F's gradient passes, for the ops whose ATen backward selects the incoming gradient rather
// than multiplying it by the derivative (threshold_backward, hardtanh_backward, clamp's backward,
// ...): F::gradient_passes(s), s the saved value. Elsewhere the backward gives f'(s) itself, 0 (or
// the nan autograd's chain puts there: swiglu_step at an infinite gate), not grad * 0, which would
// be nan for a nan or infinite grad. Everywhere for the other ops.
template <typename F, typename = void>
struct HasGradientPasses : std::false_type {};
template <typename F>
struct HasGradientPasses<F, std::void_t<decltype(&F::gradient_passes)>> : std::true_type {};

template <typename F, typename T>
TORCHACT_HOST_DEVICE bool gradient_passes(const F& f, T s) {
  if constexpr (HasGradientPasses<F>::value) {
    return f.gradient_passes(s);
  } else {
    return true;
  }
}

// Where the second-derivative term of F's double backward, gg * grad * f''(s), passes:
// F::second_derivative_passes(s), else gradient_passes. Elsewhere that term is f''(s), 0, whatever
// gg and grad are (ATen's double backwards of relu, leaky_relu, hardtanh and hardsigmoid are zeros,
// hardswish's selects inside (-3, 3)).
template <typename F, typename = void>
struct HasSecondDerivativePasses : std::false_type {};
template <typename F>
struct HasSecondDerivativePasses<F, std::void_t<decltype(&F::second_derivative_passes)>>
    : std::true_type {};

template <typename F, typename T>
TORCHACT_HOST_DEVICE bool second_derivative_passes(const F& f, T s) {
  if constexpr (HasSecondDerivativePasses<F>::value) {
    return f.second_derivative_passes(s);
  } else {
    return gradient_passes(f, s);
  }
}

// A gated op's transform of up, and where its gradient passes (its derivative is 1 there, 0
// elsewhere): the identity unless F defines up().
template <typename F, typename = void>
struct HasUp : std::false_type {};
template <typename F>
struct HasUp<F, std::void_t<decltype(&F::up)>> : std::true_type {};

template <typename F, typename T>
TORCHACT_HOST_DEVICE T up_value(const F& f, T u) {
  if constexpr (HasUp<F>::value) {
    return f.up(u);
  } else {
    return u;
  }
}
template <typename F, typename T>
TORCHACT_HOST_DEVICE bool up_passes(const F& f, T u) {
  if constexpr (HasUp<F>::value) {
    return f.up_passes(u);
  } else {
    return true;
  }
}

// Why an op's float arguments make no sense for F (nullptr when they do), from F::invalid if F
// has one (celu's alpha = 0, hardtanh's min_val > max_val, ...). Host only.
template <typename F, typename = void>
struct HasInvalid : std::false_type {};
template <typename F>
struct HasInvalid<F, std::void_t<decltype(F::invalid(std::declval<const Params&>()))>>
    : std::true_type {};
template <typename F>
inline const char* invalid(const Params& params) {
  if constexpr (HasInvalid<F>::value) {
    return F::invalid(params);
  } else {
    return nullptr;
  }
}

// The struct F for an op's float arguments: F(params) for activations with parameters, F{} else.
template <typename F>
TORCHACT_HOST_DEVICE F make(const Params& params) {
  if constexpr (std::is_constructible<F, const Params&>::value) {
    return F(params);
  } else {
    return F{};
  }
}

}  // namespace math
}  // namespace torchact
