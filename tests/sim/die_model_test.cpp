// Tests of sim/die_model.h: life and onset distributions (PROCESS.md, "Dies"), vein growth.
#include "sim/die_model.h"

#include <algorithm>
#include <vector>

#include <gtest/gtest.h>

namespace linesight::sim {
namespace {

TEST(DieModel, LivesFollowProcessFigures) {
  Rng rng(42, 1);
  const DieLifeOptions o;
  std::vector<double> lives, onsets;
  int infants = 0;
  const int n = 4000;
  for (int i = 0; i < n; ++i) {
    const DieState die = DrawDie("M1-D01", o, 1.0, false, rng);
    EXPECT_EQ(die.shots, 0);
    lives.push_back(static_cast<double>(die.life));
    onsets.push_back(static_cast<double>(die.onset));
    infants += die.life < 1000;
  }
  std::sort(lives.begin(), lives.end());
  std::sort(onsets.begin(), onsets.end());
  EXPECT_NEAR(lives[n / 2], 100000, 6000);  // median ~100k
  EXPECT_GT(lives[n / 10], 30000);          // 30k-150k for most dies
  EXPECT_LT(lives[n * 9 / 10], 160000);
  EXPECT_GT(infants, n / 100);  // 1-3% infant failures
  EXPECT_LT(infants, n * 3 / 100 + 20);
  EXPECT_GT(onsets[n / 20], 3500);  // heat checking starts after 5k-20k
  EXPECT_LT(onsets[n * 19 / 20], 21000);
  EXPECT_NEAR(onsets[n / 2], 11000, 800);
}

TEST(DieModel, LifeScaleCompressesEverything) {
  Rng a(3, 1), b(3, 1);
  const DieState full = DrawDie("D", DieLifeOptions{}, 1.0, false, a);
  const DieState fast = DrawDie("D", DieLifeOptions{}, 0.01, false, b);
  EXPECT_NEAR(static_cast<double>(fast.life), full.life * 0.01, 1.0);
  EXPECT_NEAR(static_cast<double>(fast.onset), full.onset * 0.01, 1.0);
  EXPECT_EQ(fast.vein_at, full.vein_at);
}

TEST(DieModel, VeinShowsLateAndGrowsToItsFinalLength) {
  Rng rng(5, 1);
  DieState die;
  do {
    die = DrawDie("D", DieLifeOptions{}, 1.0, false, rng);
  } while (die.onset >= die.life);
  EXPECT_GT(die.vein_from, die.onset);
  EXPECT_LT(die.vein_from, die.life);
  EXPECT_EQ(die.VeinLength(die.vein_from - 1), 0);
  EXPECT_DOUBLE_EQ(die.VeinLength(die.vein_from), die.vein_visible_px);
  EXPECT_NEAR(die.VeinLength(die.life), die.vein_final_px, 1e-9);
  double last = 0;
  for (int64_t s = die.vein_from; s <= die.life; s += 50) {
    EXPECT_GT(die.VeinLength(s), last);
    last = die.VeinLength(s);
  }
  const double r = std::hypot(die.vein_at.x, die.vein_at.y);
  EXPECT_GE(r, 0.45);
  EXPECT_LE(r, 0.80);
  const DieVein vein = die.Vein(die.life - 1);
  EXPECT_EQ(vein.at, die.vein_at);
  EXPECT_EQ(vein.shape_seed, die.vein_shape_seed);
}

TEST(DieModel, AgedDiesStartPartWayThroughTheirLife) {
  Rng rng(8, 1);
  int past_half = 0;
  for (int i = 0; i < 400; ++i) {
    const DieState die = DrawDie("D", DieLifeOptions{}, 1.0, true, rng);
    EXPECT_GE(die.shots, 0);
    EXPECT_LT(die.shots, die.life);
    past_half += die.shots > die.life / 2;
  }
  EXPECT_GT(past_half, 150);
  EXPECT_LT(past_half, 250);
}

}  // namespace
}  // namespace linesight::sim
