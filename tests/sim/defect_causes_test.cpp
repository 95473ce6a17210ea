// Tests of sim/defect_causes.h and sim/cause.h: the cause model's risks and draws.
#include "sim/defect_causes.h"

#include <algorithm>
#include <set>
#include <string>

#include <gtest/gtest.h>

namespace linesight::sim {
namespace {

ProcessValues InWindow() {
  ProcessValues p;
  p.melt_temp_c = 675;
  p.die_temp_c = 230;
  p.fast_shot_mps = 3.0;
  p.intensification_bar = 800;
  p.spray_s = 5;
  p.vacuum_mbar = 45;
  p.cycle_s = 90;
  return p;
}

double Risk(const ProcessValues& p, const ShotContext& c, Cause cause) {
  for (const CauseRisk& r : CauseRisks(p, c, 0.003)) {
    if (r.cause == cause) return r.probability;
  }
  return -1;
}

TEST(CauseNames, RoundTripAndAreUnique) {
  std::set<std::string> names;
  ASSERT_EQ(AllCauses().size(), 12u);
  for (Cause c : AllCauses()) {
    EXPECT_EQ(ParseCause(CauseName(c)), c);
    names.insert(std::string(CauseName(c)));
  }
  EXPECT_EQ(names.size(), 12u);
  EXPECT_EQ(CauseName(Cause::kLowIntensification), "low_intensification");
  EXPECT_EQ(ParseCause("cold"), std::nullopt);
  EXPECT_EQ(CauseName(static_cast<Cause>(0)), "unknown");
}

TEST(CauseRisks, SmallInsideEveryWindow) {
  const std::array<CauseRisk, 12> risks = CauseRisks(InWindow(), ShotContext{}, 0.003);
  for (size_t i = 0; i < risks.size(); ++i) {
    EXPECT_EQ(risks[i].cause, AllCauses()[i]);
    EXPECT_LT(risks[i].probability, 0.005) << CauseName(risks[i].cause);
  }
}

TEST(CauseRisks, GrowWithTheSquaredDistanceOutsideTheWindow) {
  const ShotContext c;
  double last = 0;
  for (double melt : {655.0, 640.0, 625.0, 610.0, 595.0}) {
    ProcessValues p = InWindow();
    p.melt_temp_c = melt;
    const double risk = Risk(p, c, Cause::kColdMetal);
    EXPECT_GT(risk, last) << melt;
    EXPECT_LT(Risk(p, c, Cause::kHotMetal), 0.005) << "one side of the window per cause";
    last = risk;
  }
  EXPECT_GT(last, 0.95);
  ProcessValues p = InWindow();
  p.vacuum_mbar = 250;
  EXPECT_GT(Risk(p, c, Cause::kPoorVacuum), 0.5);
  p = InWindow();
  p.intensification_bar = 400;
  EXPECT_GT(Risk(p, c, Cause::kLowIntensification), 0.5);
}

TEST(CauseRisks, WearWarmupAndCrack) {
  ShotContext c;
  c.die_wear = 1.3;
  EXPECT_GT(Risk(InWindow(), c, Cause::kDieWear), 0.1);
  c.die_wear = 0.3;
  EXPECT_LT(Risk(InWindow(), c, Cause::kDieWear), 0.005);
  c.shot_after_restart = 1;
  EXPECT_GT(Risk(InWindow(), c, Cause::kWarmup), 0.8);
  c.shot_after_restart = 6;
  EXPECT_EQ(Risk(InWindow(), c, Cause::kWarmup), 0);
  c.vein.length = 12;
  EXPECT_EQ(Risk(InWindow(), c, Cause::kDieCrack), 1);
}

TEST(DrawDefects, VeinAlwaysShowsAndComesLastWithItsPlace) {
  Rng rng(1, 1);
  ShotContext c;
  c.shot_after_restart = 1;  // likely a warm-up defect too
  c.vein = {{0.5, -0.2}, 1.0, 25, 77};
  for (int i = 0; i < 50; ++i) {
    const ShotTruth truth = DrawDefects(InWindow(), c, 0.003, rng);
    ASSERT_FALSE(truth.good());
    const DefectTruth& last = truth.defects.back();
    EXPECT_EQ(last.type, DefectType::kDieVein);
    EXPECT_EQ(last.cause, Cause::kDieCrack);
    EXPECT_EQ(last.at_part, cv::Point2d(0.5, -0.2));
    EXPECT_EQ(last.length, 25);
  }
}

TEST(DrawDefects, RatesMatchRisks) {
  Rng rng(2, 1);
  ProcessValues p = InWindow();
  p.melt_temp_c = 630;  // cold metal at d = 1.25: ~4.5%
  const double expected = Risk(p, ShotContext{}, Cause::kColdMetal);
  int cold = 0;
  const int n = 20000;
  for (int i = 0; i < n; ++i) {
    const ShotTruth t = DrawDefects(p, ShotContext{}, 0.0, rng);
    cold += std::any_of(t.defects.begin(), t.defects.end(), [](const DefectTruth& d) {
      return d.cause == Cause::kColdMetal && d.type == DefectType::kColdShut;
    });
  }
  EXPECT_NEAR(static_cast<double>(cold) / n, expected, 4 * std::sqrt(expected / n));
}

}  // namespace
}  // namespace linesight::sim
