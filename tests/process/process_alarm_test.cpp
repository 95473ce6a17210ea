#include "process/process_alarm.h"

#include <cmath>
#include <limits>
#include <random>
#include <vector>

#include <gtest/gtest.h>

#include "core/error.h"
#include "process/control_chart.h"
#include "testing/test_util.h"

namespace linesight::process {
namespace {

constexpr double kUnmeasured = std::numeric_limits<double>::quiet_NaN();

TEST(AlarmLimitsTest, AreTheMedianAndTheScaledMedianAbsoluteDeviation) {
  // Median 5; absolute deviations 4 3 2 1 0 1 2 3 4 95 -> median 2.5 (the 95 does not count).
  const std::vector<double> v{1, 2, 3, 4, 5, 6, 7, 8, 9, 100, 5, kUnmeasured};
  const AlarmLimits l = FitAlarmLimits(v, 5);
  EXPECT_DOUBLE_EQ(l.centre, 5);
  EXPECT_NEAR(l.sigma, 1.4826 * 2, 1e-12);
  EXPECT_EQ(l.measured, 11u);
}

TEST(AlarmLimitsTest, RefuseTooFewValuesNoSpreadAndInfinities) {
  EXPECT_EQ(testing::ThrownCategory([] { (void)FitAlarmLimits(std::vector<double>(59, 1.0)); }),
            ErrorCategory::kData);
  std::vector<double> flat(100, 7.0);
  flat[3] = 8;  // one value off: the MAD is still 0
  EXPECT_EQ(testing::ThrownCategory([&] { (void)FitAlarmLimits(flat); }), ErrorCategory::kData);
  std::vector<double> huge(100, 1.6e308);
  for (size_t i = 0; i < huge.size(); i += 2) huge[i] = -1.7e308;  // a spread beyond a double
  EXPECT_EQ(testing::ThrownCategory([&] { (void)FitAlarmLimits(huge); }), ErrorCategory::kData);
  std::vector<double> inf(100, 1.0);
  inf[50] = std::numeric_limits<double>::infinity();
  EXPECT_EQ(testing::ThrownCategory([&] { (void)FitAlarmLimits(inf); }), ErrorCategory::kInput);
}

TEST(OnDelayTest, AlarmsOnFourOfFiveBeyondOnOneSideAndNamesTheLatest) {
  const AlarmLimits l{10, 1, 100};
  const auto a = CheckOnDelay(std::vector<double>{10, 10, 14, 13.5, 10, 14, 13.2}, l);
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(a->side, 1);
  EXPECT_EQ(a->index, 6u);
  EXPECT_EQ(a->beyond, 4);
  const auto low = CheckOnDelay(std::vector<double>{5, 6, 10, 5, kUnmeasured, 6.9}, l);
  ASSERT_TRUE(low.has_value());
  EXPECT_EQ(low->side, -1);
  EXPECT_EQ(low->index, 5u);  // the NaN is skipped: the window reaches back to the first point
}

TEST(OnDelayTest, StaysQuietOnThreeOfFiveMixedSidesPointsOnTheLimitOrTooFewPoints) {
  const AlarmLimits l{10, 1, 100};
  EXPECT_FALSE(CheckOnDelay(std::vector<double>{10, 14, 10, 14, 14}, l));           // 3 of 5
  EXPECT_FALSE(CheckOnDelay(std::vector<double>{14, 6, 14, 6, 14}, l));             // both sides
  EXPECT_FALSE(CheckOnDelay(std::vector<double>{13, 13, 13, 13, 13}, l));           // on the limit
  EXPECT_FALSE(CheckOnDelay(std::vector<double>{14, 14, 14, 14, kUnmeasured}, l));  // 4 measured
  EXPECT_EQ(testing::ThrownCategory([&] {
              (void)CheckOnDelay(std::vector<double>{1}, {0, 0, 0});
            }),
            ErrorCategory::kInput);
  EXPECT_EQ(testing::ThrownCategory([&] {
              (void)CheckOnDelay(std::vector<double>{1}, l, {6, 5, 3});
            }),
            ErrorCategory::kInput);
}

// A value that wanders slowly (an Ornstein-Uhlenbeck drift twice its shot-to-shot scatter, as a
// melt or a spray time does over hours), then leaves its window for 30 shots.
std::vector<double> Drifting(int n, double step_at, double step) {
  std::mt19937_64 rng(7);
  std::normal_distribution<double> z;
  std::vector<double> v;
  double drift = 0;
  const double keep = std::exp(-1.0 / 80);  // correlation time: 80 shots (2 h at 90 s)
  for (int i = 0; i < n; ++i) {
    drift = keep * drift + 2.0 * std::sqrt(1 - keep * keep) * z(rng);
    const bool out = i >= step_at && i < step_at + 30;
    v.push_back(drift + z(rng) + (out ? step : 0));
  }
  return v;
}

int OnDelayEpisodes(const std::vector<double>& v, size_t from, size_t to) {
  int episodes = 0;
  bool on = false;
  for (size_t i = from; i < to; ++i) {
    const auto base = std::span<const double>(v).subspan(i - 600, 600);
    const bool now =
        CheckOnDelay(std::span<const double>(v).subspan(i - 4, 5), FitAlarmLimits(base))
            .has_value();
    episodes += now && !on;
    on = now;
  }
  return episodes;
}

TEST(OnDelayTest, LetsADriftingProcessBeAndCatchesItsExcursion) {
  const std::vector<double> v = Drifting(6000, 5000, 12);
  // An I-MR chart's short-term sigma flags the drift itself: many rule-1 points, no excursion.
  const IndividualsLimits imr = FitIndividualsChart(std::span<const double>(v).first(600));
  int beyond = 0;
  for (size_t i = 600; i < 5000; ++i) beyond += v[i] > imr.ucl || v[i] < imr.lcl;
  EXPECT_GT(beyond, 100);
  // The on-delay against the long-term spread: at most a couple of alarms in 4,400 shots of
  // drift (a drift of 2 sigma does reach 3 long-term sigma now and then), and the 30-shot
  // excursion (about 5 long-term sigma) alarms within it.
  EXPECT_LE(OnDelayEpisodes(v, 600, 5000), 2);
  EXPECT_EQ(OnDelayEpisodes(v, 5000, 5030), 1);
}

}  // namespace
}  // namespace linesight::process
