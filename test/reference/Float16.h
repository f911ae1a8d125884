// IEEE half and bfloat16 conversions (round to nearest even), MLIR- and CUDA-free, so
// host references can round inputs exactly as the device stores them.
#ifndef TESSEL_TEST_REFERENCE_FLOAT16_H
#define TESSEL_TEST_REFERENCE_FLOAT16_H

#include <cmath>
#include <cstdint>
#include <cstring>

namespace tessel::reference {

inline uint32_t floatBits(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  return u;
}
inline float bitsFloat(uint32_t u) {
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}

inline uint16_t floatToBf16Bits(float f) {
  uint32_t u = floatBits(f);
  if (std::isnan(f))
    return 0x7fc0;
  u += 0x7fff + ((u >> 16) & 1); // round to nearest even
  return static_cast<uint16_t>(u >> 16);
}
inline float bf16BitsToFloat(uint16_t h) { return bitsFloat(static_cast<uint32_t>(h) << 16); }

inline uint16_t floatToHalfBits(float f) {
  uint32_t u = floatBits(f);
  uint32_t sign = (u >> 16) & 0x8000;
  uint32_t absu = u & 0x7fffffff;
  if (absu >= 0x7f800000) // inf or nan
    return static_cast<uint16_t>(sign | 0x7c00 | (absu > 0x7f800000 ? 0x200 : 0));
  if (absu >= 0x477ff000) // rounds to >= 65520: overflow to inf
    return static_cast<uint16_t>(sign | 0x7c00);
  if (absu < 0x38800000) { // subnormal half (or zero)
    // Scale into the subnormal range; the float adds do the rounding to even.
    float a = bitsFloat(absu);
    float r = a + 0.5f; // 0.5 = 2^-1: ulp of r in [0.5, 1) is 2^-24 = half's subnormal step
    return static_cast<uint16_t>(sign | (floatBits(r) - floatBits(0.5f)));
  }
  uint32_t mant = absu & 0x7fffff;
  uint32_t exp = (absu >> 23) - 127 + 15;
  uint32_t h = (exp << 10) | (mant >> 13);
  uint32_t rest = mant & 0x1fff;
  if (rest > 0x1000 || (rest == 0x1000 && (h & 1)))
    ++h;
  return static_cast<uint16_t>(sign | h);
}

inline float halfBitsToFloat(uint16_t h) {
  uint32_t sign = static_cast<uint32_t>(h & 0x8000) << 16;
  uint32_t exp = (h >> 10) & 0x1f;
  uint32_t mant = h & 0x3ff;
  if (exp == 0) { // zero or subnormal: mant * 2^-24
    float f = std::ldexp(static_cast<float>(mant), -24);
    return sign ? -f : f;
  }
  if (exp == 31)
    return bitsFloat(sign | 0x7f800000 | (mant << 13));
  return bitsFloat(sign | ((exp - 15 + 127) << 23) | (mant << 13));
}

enum class ElementType { F16, BF16, F32 };

/// Rounds f to the nearest value representable in `type`.
inline float roundTo(ElementType type, float f) {
  switch (type) {
  case ElementType::F16:
    return halfBitsToFloat(floatToHalfBits(f));
  case ElementType::BF16:
    return bf16BitsToFloat(floatToBf16Bits(f));
  case ElementType::F32:
    return f;
  }
  return f;
}

} // namespace tessel::reference

#endif
