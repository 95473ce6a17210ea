#include "sim/rng.h"

#include <algorithm>
#include <cmath>
#include <cstdint>

#include <gtest/gtest.h>

namespace linesight::sim {
namespace {

// Values from an independent implementation of splitmix64 and xoshiro256** (Python). If these
// change, every rendered image changes: renders would no longer match older runs.
TEST(Rng, MatchesReferenceSequence) {
  uint64_t state = 0;
  EXPECT_EQ(SplitMix64(state), 0xE220A8397B1DCDAFull);

  Rng a(0, 0);
  EXPECT_EQ(a.Next(), 0x99EC5F36CB75F2B4ull);
  EXPECT_EQ(a.Next(), 0xBF6E1F784956452Aull);
  EXPECT_EQ(a.Next(), 0x1A5F849D4933E6E0ull);

  Rng b(42, 7);
  EXPECT_EQ(b.Next(), 0xAB0B230F7FC48E9Aull);
  EXPECT_EQ(b.Next(), 0x048B0576862255CAull);
  EXPECT_EQ(b.Next(), 0x8F664D3DA4409262ull);
}

TEST(Rng, StreamsAndSeedsDiffer) {
  EXPECT_NE(Rng(1, 0).Next(), Rng(1, 1).Next());
  EXPECT_NE(Rng(1, 0).Next(), Rng(2, 0).Next());
  Rng x(9, 3), y(9, 3);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(x.Next(), y.Next());
}

TEST(Rng, UniformStaysInRange) {
  Rng rng(5, 1);
  double sum = 0;
  for (int i = 0; i < 10000; ++i) {
    const double u = rng.Uniform();
    ASSERT_GE(u, 0.0);
    ASSERT_LT(u, 1.0);
    sum += u;
    const double v = rng.Uniform(-3.0, 2.0);
    ASSERT_GE(v, -3.0);
    ASSERT_LT(v, 2.0);
  }
  EXPECT_NEAR(sum / 10000, 0.5, 0.02);
}

TEST(Rng, UniformIntHitsBothEnds) {
  Rng rng(6, 1);
  int seen[5] = {};
  for (int i = 0; i < 1000; ++i) {
    const int k = rng.UniformInt(-2, 2);
    ASSERT_GE(k, -2);
    ASSERT_LE(k, 2);
    ++seen[k + 2];
  }
  for (int count : seen) EXPECT_GT(count, 150);
  EXPECT_EQ(rng.UniformInt(4, 4), 4);
}

TEST(Rng, NormalsHaveUnitVariance) {
  Rng rng(7, 1);
  constexpr int kN = 20000;
  double s1 = 0, s2 = 0, f1 = 0, f2 = 0, fmax = 0;
  for (int i = 0; i < kN; ++i) {
    const double z = rng.Normal();
    s1 += z;
    s2 += z * z;
    const double f = rng.FastNormal();
    f1 += f;
    f2 += f * f;
    fmax = std::max(fmax, std::abs(f));
  }
  EXPECT_NEAR(s1 / kN, 0.0, 0.03);
  EXPECT_NEAR(s2 / kN, 1.0, 0.04);
  EXPECT_NEAR(f1 / kN, 0.0, 0.03);
  EXPECT_NEAR(f2 / kN, 1.0, 0.04);
  EXPECT_LT(fmax, 3.47);
}

}  // namespace
}  // namespace linesight::sim
