#include "process/control_chart.h"

#include <cmath>
#include <limits>
#include <random>
#include <vector>

#include <gtest/gtest.h>

#include "core/error.h"
#include "testing/test_util.h"

namespace linesight::process {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// Worked by hand: values 10 12 11 13 12. Mean 58/5 = 11.6. Moving ranges 2 1 2 1, MR-bar 1.5.
// sigma = 1.5 / 1.128 = 1.329787; limits 11.6 +- 3.989362 = 15.589362 and 7.610638.
// MR chart UCL = 3.267 * 1.5 = 4.9005.
TEST(IndividualsChartTest, MatchesHandComputedExample) {
  const std::vector<double> values{10, 12, 11, 13, 12};
  const IndividualsLimits l = FitIndividualsChart(values);
  EXPECT_DOUBLE_EQ(l.centre, 11.6);
  EXPECT_DOUBLE_EQ(l.mr_bar, 1.5);
  EXPECT_NEAR(l.sigma, 1.329787, 1e-6);
  EXPECT_NEAR(l.ucl, 15.589362, 1e-6);
  EXPECT_NEAR(l.lcl, 7.610638, 1e-6);
  EXPECT_NEAR(l.mr_ucl, 4.9005, 1e-12);
  EXPECT_EQ(l.mr_lcl, 0);
  EXPECT_EQ(l.measured, 5u);
  EXPECT_EQ(l.not_measured, 0u);
  EXPECT_EQ(l.moving_ranges, 4u);
}

// 10 NaN 12 11 13: mean 46/4 = 11.5. The gap breaks the range: ranges are |11-12| = 1 and
// |13-11| = 2 only, MR-bar 1.5 (joining 10 and 12 across the gap would add a range of 2).
TEST(IndividualsChartTest, SkipsAndCountsNotMeasuredValues) {
  const std::vector<double> values{10, kNaN, 12, 11, 13};
  const IndividualsLimits l = FitIndividualsChart(values);
  EXPECT_DOUBLE_EQ(l.centre, 11.5);
  EXPECT_DOUBLE_EQ(l.mr_bar, 1.5);
  EXPECT_EQ(l.measured, 4u);
  EXPECT_EQ(l.not_measured, 1u);
  EXPECT_EQ(l.moving_ranges, 2u);
  EXPECT_NEAR(l.ucl, 11.5 + 3 * 1.5 / 1.128, 1e-12);
}

TEST(IndividualsChartTest, LowerLimitMayBeNegative) {
  const std::vector<double> values{0.1, 0.9, 0.2, 0.8};  // MR-bar 0.7, sigma 0.6206
  const IndividualsLimits l = FitIndividualsChart(values);
  EXPECT_LT(l.lcl, 0);
}

// d2 makes MR-bar / d2 an unbiased estimate of sigma for normal data: on 20,000 draws of N(50, 2)
// (fixed seed) the fitted sigma is within 2% of 2 and the centre within 0.05 of 50.
TEST(IndividualsChartTest, RecoversSigmaOfNormalData) {
  std::mt19937 rng(7767517);
  std::normal_distribution<double> normal(50.0, 2.0);
  std::vector<double> values(20000);
  for (double& v : values) v = normal(rng);
  const IndividualsLimits l = FitIndividualsChart(values);
  EXPECT_NEAR(l.sigma, 2.0, 0.04);
  EXPECT_NEAR(l.centre, 50.0, 0.05);
  EXPECT_NEAR(l.ucl - l.centre, 6.0, 0.12);
}

TEST(MovingRangesTest, FirstIsNaNAndGapsBreakRanges) {
  const std::vector<double> values{1, 4, kNaN, 2, 0.5};
  const std::vector<double> r = MovingRanges(values);
  ASSERT_EQ(r.size(), 5u);
  EXPECT_TRUE(std::isnan(r[0]));
  EXPECT_EQ(r[1], 3);
  EXPECT_TRUE(std::isnan(r[2]));
  EXPECT_TRUE(std::isnan(r[3]));
  EXPECT_EQ(r[4], 1.5);
  EXPECT_TRUE(MovingRanges(std::vector<double>{}).empty());
}

TEST(IndividualsChartTest, RefusesBaselinesThatCannotGiveLimits) {
  EXPECT_EQ(testing::ThrownCategory([] { (void)FitIndividualsChart(std::vector<double>{}); }),
            ErrorCategory::kData);
  EXPECT_EQ(testing::ThrownCategory([] { (void)FitIndividualsChart(std::vector<double>{5}); }),
            ErrorCategory::kData);
  EXPECT_EQ(testing::ThrownCategory([] {
              (void)FitIndividualsChart(std::vector<double>{kNaN, kNaN});
            }),
            ErrorCategory::kData);
  // Measured values, but no two adjacent.
  EXPECT_EQ(testing::ThrownCategory([] {
              (void)FitIndividualsChart(std::vector<double>{1, kNaN, 2, kNaN, 3});
            }),
            ErrorCategory::kData);
  // No variation: zero-width limits.
  EXPECT_EQ(testing::ThrownCategory([] {
              (void)FitIndividualsChart(std::vector<double>{7, 7, 7});
            }),
            ErrorCategory::kData);
  // Finite values whose sum overflows: limits of infinity would be drawn as nothing.
  EXPECT_EQ(testing::ThrownCategory([] {
              (void)FitIndividualsChart(std::vector<double>{1e308, 1.5e308, 680});
            }),
            ErrorCategory::kData);
  const double inf = std::numeric_limits<double>::infinity();
  EXPECT_EQ(testing::ThrownCategory([&] {
              (void)FitIndividualsChart(std::vector<double>{1, 2, -inf});
            }),
            ErrorCategory::kInput);
}

// Worked by hand: rejects 5/100, 10/200, 3/100, 2/100: p-bar = 20/500 = 0.04.
// n = 100: sigma = sqrt(0.04 * 0.96 / 100) = 0.0195959, UCL = 0.0987878, LCL = max(0, -0.0188) = 0.
// n = 200: sigma = 0.0138564, UCL = 0.0815692.
TEST(PChartTest, MatchesHandComputedExampleWithVariableSizes) {
  const std::vector<Subgroup> baseline{{5, 100}, {10, 200}, {3, 100}, {2, 100}};
  const PChartParams params = FitPChart(baseline, PChartKind::kP);
  EXPECT_DOUBLE_EQ(params.p_bar, 0.04);
  EXPECT_EQ(params.sigma_z, 1);
  EXPECT_EQ(params.subgroups, 4u);
  const std::vector<PChartPoint> points = EvaluatePChart(params, baseline);
  ASSERT_EQ(points.size(), 4u);
  EXPECT_NEAR(points[0].sigma, 0.0195959, 1e-7);
  EXPECT_NEAR(points[0].ucl, 0.0987878, 1e-7);
  EXPECT_EQ(points[0].lcl, 0);
  EXPECT_NEAR(points[1].ucl, 0.0815692, 1e-7);
  EXPECT_DOUBLE_EQ(points[1].p, 0.05);
  for (const PChartPoint& p : points) EXPECT_FALSE(p.beyond_limits);

  // Phase II: 15 of 100 is beyond; z = (0.15 - 0.04) / 0.0195959 = 5.6134.
  const std::vector<PChartPoint> later =
      EvaluatePChart(params, std::vector<Subgroup>{{15, 100}, {0, 0}, {400, 10000}});
  ASSERT_EQ(later.size(), 2u);  // the empty subgroup gives no point
  EXPECT_TRUE(later[0].beyond_limits);
  EXPECT_NEAR(later[0].z, 5.613414, 1e-6);
  // A large subgroup has a lower limit above 0: 0.04 - 3 sqrt(0.0384 / 10000) = 0.0341212.
  EXPECT_EQ(later[1].index, 2u);
  EXPECT_NEAR(later[1].lcl, 0.0341212, 1e-7);
  EXPECT_FALSE(later[1].beyond_limits);
}

// Large subgroups that vary more than the binomial allows. Worked by hand:
// p-bar = 1620 / 40000 = 0.0405, sigma_p = sqrt(0.0405 * 0.9595 / 10000) = 0.00197129.
// z = -0.25364, 4.81919, -5.32647, 0.76092; moving ranges 5.07283, 10.14565, 6.08739;
// MR-bar 7.10196, sigma_z = 7.10196 / 1.128 = 6.29606. p-chart limits 0.0405 +- 0.00591386 flag
// subgroups 2 and 3; p' limits 0.0405 +- 0.0372340 (0.0777340, 0.0032660) flag none.
TEST(PChartTest, LaneyWidensLimitsForOverdispersedLargeSubgroups) {
  const std::vector<Subgroup> baseline{{400, 10000}, {500, 10000}, {300, 10000}, {420, 10000}};
  const PChartParams p = FitPChart(baseline, PChartKind::kP);
  const std::vector<PChartPoint> p_points = EvaluatePChart(p, baseline);
  EXPECT_FALSE(p_points[0].beyond_limits);
  EXPECT_TRUE(p_points[1].beyond_limits);
  EXPECT_TRUE(p_points[2].beyond_limits);
  EXPECT_NEAR(p_points[1].ucl, 0.0464139, 1e-7);
  EXPECT_NEAR(p_points[2].lcl, 0.0345861, 1e-7);

  const PChartParams laney = FitPChart(baseline, PChartKind::kLaneyPPrime);
  EXPECT_DOUBLE_EQ(laney.p_bar, 0.0405);
  EXPECT_NEAR(laney.sigma_z, 6.29606, 1e-5);
  const std::vector<PChartPoint> l_points = EvaluatePChart(laney, baseline);
  ASSERT_EQ(l_points.size(), 4u);
  EXPECT_NEAR(l_points[0].ucl, 0.0777340, 1e-6);
  EXPECT_NEAR(l_points[0].lcl, 0.0032660, 1e-6);
  EXPECT_NEAR(l_points[1].z, 4.819185 / 6.296061, 1e-5);
  for (const PChartPoint& pt : l_points) EXPECT_FALSE(pt.beyond_limits);
}

TEST(PChartTest, LaneyMovingRangeSkipsEmptySubgroups) {
  const std::vector<Subgroup> with_gap{{400, 10000}, {0, 0}, {500, 10000}, {300, 10000}};
  const std::vector<Subgroup> without{{400, 10000}, {500, 10000}, {300, 10000}};
  const PChartParams a = FitPChart(with_gap, PChartKind::kLaneyPPrime);
  const PChartParams b = FitPChart(without, PChartKind::kLaneyPPrime);
  EXPECT_EQ(a.empty_subgroups, 1u);
  EXPECT_EQ(a.subgroups, 3u);
  EXPECT_DOUBLE_EQ(a.sigma_z, b.sigma_z);
  EXPECT_DOUBLE_EQ(a.p_bar, b.p_bar);
}

TEST(PChartTest, NoRejectsGivesCollapsedPLimitsButNoLaney) {
  const std::vector<Subgroup> clean{{0, 50}, {0, 60}};
  const PChartParams p = FitPChart(clean, PChartKind::kP);
  EXPECT_EQ(p.p_bar, 0);
  const std::vector<PChartPoint> points = EvaluatePChart(p, clean);
  EXPECT_EQ(points[0].ucl, 0);
  EXPECT_FALSE(points[0].beyond_limits);
  EXPECT_EQ(points[0].z, 0);
  EXPECT_EQ(testing::ThrownCategory([&] { (void)FitPChart(clean, PChartKind::kLaneyPPrime); }),
            ErrorCategory::kData);
}

TEST(PChartTest, RefusesBadSubgroups) {
  for (const Subgroup& bad : {Subgroup{5, 4}, Subgroup{-1, 10}, Subgroup{0, -3}}) {
    const std::vector<Subgroup> subgroups{{1, 10}, bad};
    EXPECT_EQ(testing::ThrownCategory([&] { (void)FitPChart(subgroups, PChartKind::kP); }),
              ErrorCategory::kInput);
    EXPECT_EQ(testing::ThrownCategory(
                  [&] { (void)EvaluatePChart(PChartParams{.p_bar = 0.1}, subgroups); }),
              ErrorCategory::kInput);
  }
  try {
    (void)FitPChart(std::vector<Subgroup>{{1, 10}, {2, 10}, {11, 10}}, PChartKind::kP);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("subgroup 2"), std::string::npos) << e.what();
  }
  EXPECT_EQ(testing::ThrownCategory([] {
              (void)FitPChart(std::vector<Subgroup>{{0, 0}}, PChartKind::kP);
            }),
            ErrorCategory::kData);
  EXPECT_EQ(testing::ThrownCategory([] {
              (void)FitPChart(std::vector<Subgroup>{{3, 10}}, PChartKind::kLaneyPPrime);
            }),
            ErrorCategory::kData);
  // Identical subgroups: every z is 0, so sigma_z is 0.
  EXPECT_EQ(testing::ThrownCategory([] {
              (void)FitPChart(std::vector<Subgroup>{{3, 10}, {3, 10}}, PChartKind::kLaneyPPrime);
            }),
            ErrorCategory::kData);
}

}  // namespace
}  // namespace linesight::process
