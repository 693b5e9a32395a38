// Loads and stores between a tensor's storage type and the op-math type (float for float16 and
// bfloat16, which are handled as raw 16-bit patterns so that the conversions vectorize), rounding
// to nearest even as PyTorch does.
#pragma once

#include <cstdint>

#include "torchact/math.h"

namespace torchact {
namespace cpu {

struct Float32 {
  using storage = float;
  using opmath = float;
  TORCHACT_HOST_DEVICE static float load(float v) { return v; }
  TORCHACT_HOST_DEVICE static float store(float v) { return v; }
};

struct Float64 {
  using storage = double;
  using opmath = double;
  TORCHACT_HOST_DEVICE static double load(double v) { return v; }
  TORCHACT_HOST_DEVICE static double store(double v) { return v; }
};

// bfloat16 is the top half of a float32.
struct BFloat16 {
  using storage = uint16_t;
  using opmath = float;
  TORCHACT_HOST_DEVICE static float load(uint16_t v) {
    return math::detail::bits_to_float(static_cast<uint32_t>(v) << 16);
  }
  TORCHACT_HOST_DEVICE static uint16_t store(float v) {
    const uint32_t u = math::detail::float_to_bits(v);
    const uint32_t rounded = (u + 0x7FFFu + ((u >> 16) & 1u)) >> 16;
    return static_cast<uint16_t>(v != v ? 0x7FC0u : rounded);
  }
};

// IEEE binary16: 1 sign, 5 exponent (bias 15), 10 mantissa bits.
struct Float16 {
  using storage = uint16_t;
  using opmath = float;
  TORCHACT_HOST_DEVICE static float load(uint16_t h) {
    const uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
    const uint32_t magnitude = static_cast<uint32_t>(h & 0x7FFFu) << 13;
    // Exponent and mantissa land in float's fields; scaling by 2^112 rebiases the exponent and
    // turns subnormal halves into the right normal floats. inf and nan only need the exponent set.
    const float finite = math::detail::bits_to_float(magnitude) * 5.192296858534828e+33f;  // 2^112
    const uint32_t bits = magnitude >= (0x7C00u << 13) ? (magnitude | 0x7F800000u)
                                                        : math::detail::float_to_bits(finite);
    return math::detail::bits_to_float(bits | sign);
  }
  TORCHACT_HOST_DEVICE static uint16_t store(float v) {
    const uint32_t u = math::detail::float_to_bits(v);
    const uint32_t sign = (u >> 16) & 0x8000u;
    const uint32_t a = u & 0x7FFFFFFFu;
    // Normal halves: rebias the exponent, round the 13 dropped mantissa bits to nearest even (a
    // carry into the exponent is the right result, up to inf).
    const uint32_t normal = (a - 0x38000000u + 0xFFFu + ((a >> 13) & 1u)) >> 13;
    // Subnormal halves: adding 0.5 leaves the value rounded to a multiple of 2^-24 in the low bits.
    const uint32_t subnormal =
        math::detail::float_to_bits(math::detail::bits_to_float(a) + 0.5f) - 0x3F000000u;
    const uint32_t magnitude = a > 0x7F800000u   ? 0x7E00u                         // nan
                               : a >= 0x477FF000u ? 0x7C00u                        // >= 65520: inf
                               : a >= 0x38800000u ? normal                         // >= 2^-14
                                                  : subnormal;
    return static_cast<uint16_t>(sign | magnitude);
  }
};

}  // namespace cpu
}  // namespace torchact
