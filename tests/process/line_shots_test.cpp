// Tests of the line's shots as a shot table: labels from verdicts, process values and die shots
// as features, and shots counted since each machine's latest stop.
#include "process/line_shots.h"

#include <cmath>

#include <gtest/gtest.h>

namespace linesight::process {
namespace {

constexpr int64_t kT0 = 1'796'000'000'000;
constexpr int64_t kCycle = 60'000;

LineShot Shot(const std::string& machine, int k, Decision d) {
  LineShot s;
  s.time_ms = kT0 + k * kCycle;
  s.machine = machine;
  s.die = machine + "-D1";
  s.die_shot = 100 + k;
  s.decision = d;
  s.process.melt_temp_c = 660 + k;
  return s;
}

MachineEvent Stop(const std::string& machine, int64_t t) {
  MachineEvent e;
  e.machine = machine;
  e.time_ms = t;
  e.state = MachineState::kStopped;
  e.planned = false;
  e.reason = "machine_fault";
  return e;
}

TEST(LineShotTableTest, VerdictsAreLabelsAndValuesAreFeaturesInTimeOrder) {
  std::vector<LineShot> shots{Shot("M1", 3, Decision::kHold), Shot("M1", 1, Decision::kReject),
                              Shot("M1", 2, Decision::kPass)};
  shots[2].process.vacuum_mbar = 80;
  const ShotTable t = LineShotTable(shots, {});
  ASSERT_EQ(t.size(), 3u);
  EXPECT_EQ(t.time_ms[0], kT0 + kCycle);
  EXPECT_EQ(t.label[0], 1);
  EXPECT_EQ(t.label[1], 0);
  EXPECT_EQ(t.label[2], kLabelUnknown) << "a held part was never judged";
  EXPECT_EQ(t.Feature("melt_temp_c")[0], 661);
  EXPECT_EQ(t.Feature("vacuum_mbar")[1], 80);
  EXPECT_TRUE(std::isnan(t.Feature("vacuum_mbar")[0])) << "not measured stays NaN, never 0";
  EXPECT_EQ(t.Feature("die_shots")[2], 103);
  EXPECT_TRUE(std::isnan(t.Feature("shots_since_restart")[0])) << "no stop known";
  EXPECT_EQ(t.FeatureIndex("cycle_s") >= 0, true);
}

TEST(LineShotTableTest, ShotsAreCountedFromEachMachinesLatestStop) {
  std::vector<LineShot> shots;
  for (int k = 1; k <= 10; ++k) shots.push_back(Shot("M1", k, Decision::kPass));
  for (int k = 1; k <= 4; ++k) shots.push_back(Shot("M2", k, Decision::kPass));
  MachineEvent running = Stop("M1", kT0 + 5 * kCycle + 10);
  running.state = MachineState::kRunning;  // a restart event does not restart the count
  // M1 stopped after shot 5; M2 stopped 30 cycles before its first shot in the table.
  const std::vector<MachineEvent> events{Stop("M1", kT0 + 5 * kCycle + 1), running,
                                         Stop("M2", kT0 + kCycle - 30 * kCycle)};
  const ShotTable t = LineShotTable(shots, events);
  std::vector<double> m1, m2;
  const auto since = t.Feature("shots_since_restart");
  for (size_t i = 0; i < t.size(); ++i) (t.machine[i] == "M1" ? m1 : m2).push_back(since[i]);
  for (int k = 0; k < 5; ++k) EXPECT_TRUE(std::isnan(m1[k])) << k;
  for (int k = 5; k < 10; ++k) EXPECT_EQ(m1[k], k - 4) << "the first shot after a stop is 1";
  // The run began before the period: the shots it would have made at the median cycle count.
  EXPECT_EQ(m2, (std::vector<double>{31, 32, 33, 34}));
}

}  // namespace
}  // namespace linesight::process
