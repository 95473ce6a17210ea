#include "process/alarm_history.h"

#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "core/error.h"
#include "testing/test_util.h"

namespace linesight::process {
namespace {

constexpr int64_t kCycleMs = 90'000;
constexpr int64_t kStart = testing::kT0;

// `n` shots of one machine, a shot every 90 s: x is N(0, 1) plus `offset(i)`; a shot is scrap
// when `scrap(i)`.
template <typename Offset, typename Scrap>
void AddMachine(ShotTable& t, std::vector<double>& x, const std::string& machine, int n,
                Offset offset, Scrap scrap) {
  std::mt19937_64 rng(std::hash<std::string>{}(machine));
  std::normal_distribution<double> z;
  for (int i = 0; i < n; ++i) {
    t.AddShot(kStart + i * kCycleMs, machine, "D1", scrap(i) ? 1 : 0);
    x.push_back(z(rng) + offset(i));
  }
}

TEST(AlarmHistoryTest, AnExcursionIsOneAlarmWithItsScrapAndTheRestIsQuiet) {
  ShotTable t;
  std::vector<double> x;
  AddMachine(
      t, x, "M1", 2000, [](int i) { return i >= 1500 && i < 1530 ? 8.0 : 0.0; },
      [](int i) { return i >= 1500 && i < 1530 && i % 3 == 0; });
  t.AddFeature("vacuum_mbar", x);
  const AlarmHistory h = FindAlarmEpisodes(t);
  ASSERT_EQ(h.episodes.size(), 1u);
  const AlarmEpisode& e = h.episodes[0];
  EXPECT_EQ(e.group, "machine M1");
  EXPECT_EQ(e.variable, "vacuum_mbar");
  EXPECT_EQ(e.side, 1);
  EXPECT_GE(e.start_ms, kStart + 1503 * kCycleMs);  // the 4th shot out at the earliest
  EXPECT_LE(e.start_ms, kStart + 1506 * kCycleMs);
  EXPECT_GE(e.shots, 24u);
  EXPECT_GT(e.extreme, 8.0);
  EXPECT_EQ(h.production_shots, 2000u);
  // Shot 1500 is scrap, but the alarm trips on the 4th shot out (1503): it counts as off.
  EXPECT_EQ(h.scrap_off, 1u);
  EXPECT_EQ(h.scrap_on, 9u);  // 1503, 1506, ..., 1527
  ASSERT_EQ(h.judged.size(), 1u);
  EXPECT_TRUE(h.skipped.empty());
}

TEST(AlarmHistoryTest, WarmUpShotsAfterARestartAreLeftOut) {
  ShotTable t;
  std::vector<double> x, since;
  // A stop before shot 1000: its first 15 shots come in cold.
  AddMachine(
      t, x, "M1", 1500, [](int i) { return i >= 1000 && i < 1015 ? -8.0 : 0.0; },
      [](int) { return false; });
  for (int i = 0; i < 1500; ++i) since.push_back(i < 1000 ? 100 + i : i - 999);
  ShotTable without = t;
  without.AddFeature("melt_temp_c", x);
  t.AddFeature("melt_temp_c", x);
  t.AddFeature("shots_since_restart", since);
  const AlarmHistory h = FindAlarmEpisodes(t);
  EXPECT_TRUE(h.episodes.empty());
  EXPECT_EQ(h.warmup_shots, 15u);
  EXPECT_EQ(h.production_shots, 1485u);
  EXPECT_EQ(h.judged, std::vector<std::string>{"machine M1 melt_temp_c"});  // not the counter
  // Without the restart counter the same cold shots are an alarm.
  ASSERT_EQ(FindAlarmEpisodes(without).episodes.size(), 1u);
  EXPECT_EQ(FindAlarmEpisodes(without).episodes[0].side, -1);
}

TEST(AlarmHistoryTest, TripsCloseTogetherAreOneAlarmAndFarApartTwo) {
  const auto run = [](int gap) {
    ShotTable t;
    std::vector<double> x;
    AddMachine(
        t, x, "M2", 1500,
        [gap](int i) {
          return (i >= 1000 && i < 1006) || (i >= 1006 + gap && i < 1012 + gap) ? 9.0 : 0.0;
        },
        [](int) { return false; });
    t.AddFeature("spray_s", x);
    return FindAlarmEpisodes(t).episodes.size();
  };
  EXPECT_EQ(run(10), 1u);
  EXPECT_EQ(run(60), 2u);
}

TEST(AlarmHistoryTest, UnmeasuredShotsNeitherTripNorStretchAnAlarmAndTheExtremeIsTheWindows) {
  ShotTable t;
  std::vector<double> x;
  AddMachine(
      t, x, "M1", 1200, [](int i) { return i >= 1000 && i < 1005 ? 10.0 : 0.0; },
      [](int i) { return i >= 1005; });
  x[1000] = 15;  // the first shot out is the farthest; the alarm turns on at the 4th
  for (int i = 1005; i < 1100; ++i) x[static_cast<size_t>(i)] = kMissing;  // a sensor drop-out
  t.AddFeature("vacuum_mbar", x);
  const AlarmHistory h = FindAlarmEpisodes(t);
  ASSERT_EQ(h.episodes.size(), 1u);
  // Shots 1003 and 1004, and 1100, whose window of the latest 5 measured values reaches back
  // over the drop-out; not the 95 unmeasured shots (scrap, all of them).
  EXPECT_EQ(h.episodes[0].shots, 3u);
  EXPECT_DOUBLE_EQ(h.episodes[0].extreme, 15.0);
  EXPECT_EQ(h.scrap_on, 1u);
}

TEST(AlarmHistoryTest, GroupsAreJudgedApartAndAFlatOrUnknownVariableIsReported) {
  ShotTable t;
  std::vector<double> x;
  AddMachine(
      t, x, "M1", 800, [](int) { return 0.0; }, [](int) { return false; });
  AddMachine(
      t, x, "M2", 800, [](int i) { return i >= 700 && i < 720 ? -9.0 : 0.0; },
      [](int) { return false; });
  t.AddFeature("intensification_bar", x);
  t.AddFeature("spray_s", std::vector<double>(t.size(), 5.0));
  const AlarmHistory h = FindAlarmEpisodes(t);
  ASSERT_EQ(h.episodes.size(), 1u);
  EXPECT_EQ(h.episodes[0].group, "machine M2");
  ASSERT_EQ(h.skipped.size(), 2u);  // spray_s on each machine: no spread
  EXPECT_NE(h.skipped[0].second.find("spread is 0"), std::string::npos) << h.skipped[0].second;
  AlarmHistoryOptions o;
  o.variables = {"no_such_column"};
  EXPECT_EQ(testing::ThrownCategory([&] { (void)FindAlarmEpisodes(t, o); }), ErrorCategory::kInput);
}

}  // namespace
}  // namespace linesight::process
