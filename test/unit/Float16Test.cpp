#include "test/reference/Float16.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

using namespace tessel::reference;

TEST(Float16, HalfRoundTripsExactValues) {
  for (float f : {0.0f, 1.0f, -2.5f, 65504.0f, 6.103515625e-05f /*min normal*/,
                  5.960464477539063e-08f /*min subnormal*/, 0.333251953125f})
    EXPECT_EQ(halfBitsToFloat(floatToHalfBits(f)), f) << f;
}

TEST(Float16, HalfRoundsToNearestEven) {
  // 1 + 2^-11 is halfway between 1 and 1 + 2^-10: ties go to the even mantissa (1).
  EXPECT_EQ(floatToHalfBits(1.0f + std::ldexp(1.0f, -11)), 0x3c00);
  // 1 + 3 * 2^-11 is halfway between 1+2^-10 (odd) and 1+2^-9 (even).
  EXPECT_EQ(floatToHalfBits(1.0f + 3 * std::ldexp(1.0f, -11)), 0x3c02);
  EXPECT_EQ(floatToHalfBits(65520.0f), 0x7c00); // overflows to inf
  EXPECT_EQ(floatToHalfBits(-1e-9f), 0x8000);   // underflows to -0
  EXPECT_EQ(floatToHalfBits(3.0f * 5.960464477539063e-08f), 0x0003);
}

TEST(Float16, HalfSpecials) {
  EXPECT_TRUE(std::isinf(halfBitsToFloat(floatToHalfBits(INFINITY))));
  EXPECT_TRUE(std::isnan(halfBitsToFloat(floatToHalfBits(NAN))));
}

TEST(Float16, Bf16RoundsToNearestEven) {
  EXPECT_EQ(floatToBf16Bits(1.0f), 0x3f80);
  EXPECT_EQ(floatToBf16Bits(1.0f + std::ldexp(1.0f, -8)), 0x3f80); // tie -> even
  EXPECT_EQ(floatToBf16Bits(1.0f + 3 * std::ldexp(1.0f, -8)), 0x3f82);
  EXPECT_EQ(bf16BitsToFloat(floatToBf16Bits(-3.140625f)), -3.140625f);
  EXPECT_TRUE(std::isnan(bf16BitsToFloat(floatToBf16Bits(NAN))));
}
