#include "process/run_rules.h"

#include <cmath>
#include <limits>
#include <vector>

#include <gtest/gtest.h>

#include "core/error.h"

namespace linesight::process {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
using Indices = std::vector<std::size_t>;

// The alarms of one rule, on a chart of centre 0 and sigma 1 unless said otherwise.
std::vector<RuleAlarm> Alarms(RuleCode code, const std::vector<double>& points, double centre = 0,
                              double sigma = 1) {
  const bool we = static_cast<int>(code) < 10;
  std::vector<RuleAlarm> all = we ? CheckWesternElectricRules(points, centre, sigma)
                                  : CheckNelsonRules(points, centre, sigma);
  std::vector<RuleAlarm> out;
  for (RuleAlarm& a : all) {
    if (a.code == code) out.push_back(std::move(a));
  }
  return out;
}

Indices AlarmIndices(RuleCode code, const std::vector<double>& points) {
  Indices out;
  for (const RuleAlarm& a : Alarms(code, points)) out.push_back(a.index);
  return out;
}

Indices Range(std::size_t first, std::size_t last) {
  Indices out;
  for (std::size_t i = first; i <= last; ++i) out.push_back(i);
  return out;
}

std::vector<double> Repeat(double value, std::size_t n) { return std::vector<double>(n, value); }

std::vector<double> Alternate(double a, double b, std::size_t n) {
  std::vector<double> out;
  for (std::size_t i = 0; i < n; ++i) out.push_back(i % 2 == 0 ? a : b);
  return out;
}

// --- Rule 1 (WE1, N1): 1 point beyond 3 sigma ---

TEST(RunRulesTest, OnePointBeyondThreeSigma) {
  for (RuleCode code : {RuleCode::kWe1, RuleCode::kNelson1}) {
    const std::vector<RuleAlarm> a = Alarms(code, {0, 0.5, 3.01, 0, -3.2});
    ASSERT_EQ(a.size(), 2u) << RuleCodeName(code);
    EXPECT_EQ(a[0].index, 2u);
    EXPECT_EQ(a[0].points, Indices{2});
    EXPECT_EQ(a[1].index, 4u);
    // On the limit is inside.
    EXPECT_TRUE(Alarms(code, {3.0, -3.0, 2.99}).empty()) << RuleCodeName(code);
  }
}

TEST(RunRulesTest, UsesCentreAndSigma) {
  // Centre 100, sigma 2: 3 sigma is 106.
  EXPECT_EQ(Alarms(RuleCode::kWe1, {106.1}, 100, 2).size(), 1u);
  EXPECT_TRUE(Alarms(RuleCode::kWe1, {106.0, 94.0, 105.9}, 100, 2).empty());
  EXPECT_EQ(Alarms(RuleCode::kWe1, {93.9}, 100, 2).size(), 1u);
}

// --- WE2, N5: 2 of 3 beyond 2 sigma, same side ---

TEST(RunRulesTest, TwoOfThreeBeyondTwoSigmaSameSide) {
  for (RuleCode code : {RuleCode::kWe2, RuleCode::kNelson5}) {
    const std::vector<RuleAlarm> a = Alarms(code, {2.5, 0, 2.5});
    ASSERT_EQ(a.size(), 1u) << RuleCodeName(code);
    EXPECT_EQ(a[0].index, 2u);
    EXPECT_EQ(a[0].points, (Indices{0, 2}));
    EXPECT_EQ(Alarms(code, {-2.1, -2.5, 0}).size(), 1u);
    // Opposite sides do not count together.
    EXPECT_TRUE(Alarms(code, {2.5, -2.5, 0, 2.5}).empty()) << RuleCodeName(code);
    // 2 of 4 is not 2 of 3.
    EXPECT_TRUE(Alarms(code, {2.5, 0, 0, 2.5}).empty()) << RuleCodeName(code);
    // Exactly 2 sigma is not beyond.
    EXPECT_TRUE(Alarms(code, {2.0, 2.5, 0, 2.0}).empty()) << RuleCodeName(code);
  }
}

TEST(RunRulesTest, TheCompletingPointIsPartOfThePattern) {
  // 2.5 2.5 0: completed at index 1; the in-control point 2 raises nothing more.
  EXPECT_EQ(AlarmIndices(RuleCode::kWe2, {2.5, 2.5, 0}), Indices{1});
  // Three in a row beyond: alarms at 1 and 2; the second names all three points.
  const std::vector<RuleAlarm> a = Alarms(RuleCode::kWe2, {2.5, 2.5, 2.5});
  ASSERT_EQ(a.size(), 2u);
  EXPECT_EQ(a[1].points, (Indices{0, 1, 2}));
}

// --- WE3, N6: 4 of 5 beyond 1 sigma, same side ---

TEST(RunRulesTest, FourOfFiveBeyondOneSigmaSameSide) {
  for (RuleCode code : {RuleCode::kWe3, RuleCode::kNelson6}) {
    const std::vector<RuleAlarm> a = Alarms(code, {1.5, 1.5, 0, 1.5, 1.5});
    ASSERT_EQ(a.size(), 1u) << RuleCodeName(code);
    EXPECT_EQ(a[0].index, 4u);
    EXPECT_EQ(a[0].points, (Indices{0, 1, 3, 4}));
    EXPECT_EQ(Alarms(code, {-1.2, -1.5, -1.9, 0.3, -1.1}).size(), 1u);
    // 3 of 5, twice over.
    EXPECT_TRUE(Alarms(code, {1.5, 1.5, 0, 0, 1.5, 1.5}).empty()) << RuleCodeName(code);
    // 4 beyond, but one on the other side.
    EXPECT_TRUE(Alarms(code, {1.5, 1.5, -1.5, 1.5, 0}).empty()) << RuleCodeName(code);
    // Exactly 1 sigma is not beyond.
    EXPECT_TRUE(Alarms(code, {1.5, 1.5, 1.0, 1.5}).empty()) << RuleCodeName(code);
  }
}

// --- WE4: 8 on one side; N2: 9 on one side ---

TEST(RunRulesTest, EightOnOneSideForWesternElectric) {
  const std::vector<RuleAlarm> a = Alarms(RuleCode::kWe4, Repeat(0.5, 8));
  ASSERT_EQ(a.size(), 1u);
  EXPECT_EQ(a[0].index, 7u);
  EXPECT_EQ(a[0].points, Range(0, 7));
  EXPECT_EQ(Alarms(RuleCode::kWe4, Repeat(-0.1, 8)).size(), 1u);
  // 7 then a point on the other side.
  std::vector<double> seven = Repeat(0.5, 7);
  seven.push_back(-0.5);
  EXPECT_TRUE(Alarms(RuleCode::kWe4, seven).empty());
  // A point exactly on the centre line breaks the run.
  std::vector<double> broken = Repeat(0.5, 4);
  broken.push_back(0.0);
  for (int i = 0; i < 4; ++i) broken.push_back(0.5);
  EXPECT_TRUE(Alarms(RuleCode::kWe4, broken).empty());
  // A longer run alarms at each point from the 8th on.
  EXPECT_EQ(AlarmIndices(RuleCode::kWe4, Repeat(0.5, 10)), (Indices{7, 8, 9}));
}

TEST(RunRulesTest, NineOnOneSideForNelson) {
  const std::vector<RuleAlarm> a = Alarms(RuleCode::kNelson2, Repeat(-0.3, 9));
  ASSERT_EQ(a.size(), 1u);
  EXPECT_EQ(a[0].index, 8u);
  EXPECT_EQ(a[0].points, Range(0, 8));
  EXPECT_TRUE(Alarms(RuleCode::kNelson2, Repeat(-0.3, 8)).empty());
}

TEST(RunRulesTest, NotMeasuredPointsAreSkipped) {
  // 4 above, a gap, 4 above: 8 measured in a row on one side.
  std::vector<double> points = Repeat(0.5, 4);
  points.push_back(kNaN);
  for (int i = 0; i < 4; ++i) points.push_back(0.5);
  const std::vector<RuleAlarm> a = Alarms(RuleCode::kWe4, points);
  ASSERT_EQ(a.size(), 1u);
  EXPECT_EQ(a[0].index, 8u);
  EXPECT_EQ(a[0].points, (Indices{0, 1, 2, 3, 5, 6, 7, 8}));
  EXPECT_TRUE(CheckNelsonRules(std::vector<double>{kNaN, kNaN}, 0, 1).empty());
}

// --- N3: 6 in a row increasing or decreasing ---

TEST(RunRulesTest, SixInARowTrend) {
  const std::vector<RuleAlarm> up = Alarms(RuleCode::kNelson3, {0.9, 0, 0.1, 0.2, 0.3, 0.4, 0.5});
  ASSERT_EQ(up.size(), 1u);
  EXPECT_EQ(up[0].index, 6u);
  EXPECT_EQ(up[0].points, Range(1, 6));
  EXPECT_EQ(AlarmIndices(RuleCode::kNelson3, {0.5, 0.3, 0.1, -0.1, -0.3, -0.5}), Indices{5});
  // 5 increasing points are not enough.
  EXPECT_TRUE(Alarms(RuleCode::kNelson3, {0, 0.1, 0.2, 0.3, 0.4}).empty());
  // A tie breaks the run: 0 0.1 0.2 | 0.2 0.3 0.4 0.5 are runs of 3 and 4.
  EXPECT_TRUE(Alarms(RuleCode::kNelson3, {0, 0.1, 0.2, 0.2, 0.3, 0.4, 0.5}).empty());
  // Up then down is no trend.
  EXPECT_TRUE(Alarms(RuleCode::kNelson3, {0, 0.1, 0.2, 0.3, 0.2, 0.1, 0}).empty());
}

// --- N4: 14 in a row alternating ---

TEST(RunRulesTest, FourteenAlternating) {
  const std::vector<RuleAlarm> a = Alarms(RuleCode::kNelson4, Alternate(0.5, -0.5, 14));
  ASSERT_EQ(a.size(), 1u);
  EXPECT_EQ(a[0].index, 13u);
  EXPECT_EQ(a[0].points, Range(0, 13));
  // Alternation need not cross the centre line.
  EXPECT_EQ(Alarms(RuleCode::kNelson4, Alternate(0.1, 0.3, 14)).size(), 1u);
  EXPECT_TRUE(Alarms(RuleCode::kNelson4, Alternate(0.5, -0.5, 13)).empty());
  // A tie in the middle breaks it.
  std::vector<double> tied = Alternate(0.5, -0.5, 14);
  tied[7] = tied[6];
  EXPECT_TRUE(Alarms(RuleCode::kNelson4, tied).empty());
  // Two steps the same way in the middle break it too.
  std::vector<double> kinked = Alternate(0.5, -0.5, 14);
  kinked[7] = 0.9;  // 0.5 -> 0.9 is up, as -0.5 -> 0.5 before it
  EXPECT_TRUE(Alarms(RuleCode::kNelson4, kinked).empty());
}

// --- N7: 15 in a row within 1 sigma ---

TEST(RunRulesTest, FifteenWithinOneSigma) {
  const std::vector<double> hugging{0.2,  -0.3, 0.1, 0.4,  -0.2, -0.6, 0.3, 0.0,
                                    -0.1, 0.5,  0.2, -0.4, 0.7,  -0.8, 0.1};
  const std::vector<RuleAlarm> a = Alarms(RuleCode::kNelson7, hugging);
  ASSERT_EQ(a.size(), 1u);
  EXPECT_EQ(a[0].index, 14u);
  EXPECT_EQ(a[0].points, Range(0, 14));
  // 14 within, and a 15th exactly at 1 sigma (not within).
  std::vector<double> edge(hugging.begin(), hugging.end() - 1);
  edge.push_back(-1.0);
  EXPECT_TRUE(Alarms(RuleCode::kNelson7, edge).empty());
}

// --- N8: 8 in a row beyond 1 sigma, either side ---

TEST(RunRulesTest, EightBeyondOneSigmaEitherSide) {
  const std::vector<RuleAlarm> a = Alarms(RuleCode::kNelson8, Alternate(1.5, -1.5, 8));
  ASSERT_EQ(a.size(), 1u);
  EXPECT_EQ(a[0].index, 7u);
  EXPECT_EQ(a[0].points, Range(0, 7));
  EXPECT_TRUE(Alarms(RuleCode::kNelson8, Alternate(1.5, -1.5, 7)).empty());
  // 7 beyond, then one inside: broken.
  std::vector<double> broken = Alternate(1.5, -1.5, 7);
  broken.push_back(0.5);
  broken.push_back(1.5);
  EXPECT_TRUE(Alarms(RuleCode::kNelson8, broken).empty());
  // Exactly 1 sigma is not beyond.
  std::vector<double> edge = Alternate(1.5, -1.5, 8);
  edge[3] = -1.0;
  EXPECT_TRUE(Alarms(RuleCode::kNelson8, edge).empty());
}

// --- All rules together ---

TEST(RunRulesTest, InControlSequenceRaisesNothing) {
  const std::vector<double> calm{0.3,  -0.5, 0.8,  0.1, -1.2, 0.4,  -0.2, 1.1,  -0.7, 0.6,
                                 -0.4, 0.2,  -1.6, 0.9, 1.2,  -0.1, 0.5,  -0.9, 2.2,  -0.3};
  EXPECT_TRUE(CheckWesternElectricRules(calm, 0, 1).empty());
  EXPECT_TRUE(CheckNelsonRules(calm, 0, 1).empty());
}

TEST(RunRulesTest, AlarmsAreOrderedByIndexThenCode) {
  // Point 2 completes WE1 and WE2; WE4 completes at 7.
  const std::vector<double> points{0.5, 2.5, 3.5, 0.5, 0.5, 0.5, 0.5, 0.5};
  const std::vector<RuleAlarm> a = CheckWesternElectricRules(points, 0, 1);
  ASSERT_GE(a.size(), 3u);
  for (std::size_t i = 1; i < a.size(); ++i) {
    EXPECT_TRUE(a[i - 1].index < a[i].index ||
                (a[i - 1].index == a[i].index && a[i - 1].code < a[i].code));
  }
  EXPECT_EQ(a.front().index, 2u);
  EXPECT_EQ(a.front().code, RuleCode::kWe1);
  EXPECT_EQ(a.back().code, RuleCode::kWe4);
}

TEST(RunRulesTest, EveryRuleHasACodeAndText) {
  for (RuleCode code :
       {RuleCode::kWe1, RuleCode::kWe2, RuleCode::kWe3, RuleCode::kWe4, RuleCode::kNelson1,
        RuleCode::kNelson2, RuleCode::kNelson3, RuleCode::kNelson4, RuleCode::kNelson5,
        RuleCode::kNelson6, RuleCode::kNelson7, RuleCode::kNelson8}) {
    EXPECT_NE(RuleCodeName(code), "?");
    EXPECT_NE(RuleText(code), "unknown rule");
  }
  EXPECT_EQ(RuleCodeName(RuleCode::kWe4), "WE4");
  EXPECT_EQ(RuleCodeName(RuleCode::kNelson7), "N7");
}

TEST(RunRulesTest, RefusesChartsWithoutASigma) {
  const std::vector<double> points{0, 1};
  const double inf = std::numeric_limits<double>::infinity();
  for (auto [centre, sigma] : {std::pair{0.0, 0.0}, std::pair{0.0, -1.0}, std::pair{0.0, kNaN},
                               std::pair{inf, 1.0}, std::pair{0.0, inf}}) {
    EXPECT_THROW((void)CheckWesternElectricRules(points, centre, sigma), Error);
    EXPECT_THROW((void)CheckNelsonRules(points, centre, sigma), Error);
  }
  try {
    (void)CheckNelsonRules(std::vector<double>{0, 1, -inf}, 0, 1);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.category(), ErrorCategory::kInput);
    EXPECT_NE(std::string(e.what()).find("point 2"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace linesight::process
