// OEE by ISO 22400-2 on a hand-computed shift, stops carried into the period, and bad input.
#include "process/oee.h"

#include <gtest/gtest.h>

#include "core/error.h"
#include "testing/test_util.h"

namespace linesight::process {
namespace {

using linesight::testing::Caught;
constexpr int64_t kFrom = 1'796'000'000'000, kMin = 60'000, kHour = 60 * kMin;

MachineEvent Ev(int64_t at, MachineState s, bool planned, const char* reason) {
  return {"M3", at, s, planned, reason, "M3-D01", ""};
}

// An 8-hour shift: a planned 30-minute break; a die failure (10 min stopped, then a 30-minute
// unplanned die change); a 20-minute machine fault.
std::vector<MachineEvent> Shift() {
  using S = MachineState;
  return {Ev(kFrom + 5 * kHour + 10 * kMin, S::kDieChange, false, "die_change"),  // out of order
          Ev(kFrom - 1000, S::kRunning, true, "shift_start"),
          Ev(kFrom + 2 * kHour, S::kStopped, true, "break"),
          Ev(kFrom + 2 * kHour + 30 * kMin, S::kRunning, true, "restart"),
          Ev(kFrom + 5 * kHour, S::kStopped, false, "die_failure"),
          Ev(kFrom + 5 * kHour + 40 * kMin, S::kRunning, true, "restart"),
          Ev(kFrom + 7 * kHour, S::kStopped, false, "machine_fault"),
          Ev(kFrom + 7 * kHour + 20 * kMin, S::kRunning, true, "restart"),
          Ev(kFrom + 9 * kHour, S::kStopped, true, "shift_end")};  // after the period: ignored
}

TEST(OeeTest, MatchesAHandComputedShift) {
  const Oee o = ComputeOee(Shift(), {200, 190}, kFrom, kFrom + 8 * kHour, 100.0);
  EXPECT_EQ(o.planned_downtime_ms, 30 * kMin);
  EXPECT_EQ(o.unplanned_downtime_ms, 60 * kMin);
  EXPECT_EQ(o.planned_busy_ms, 27000'000);
  EXPECT_EQ(o.actual_production_ms, 23400'000);
  EXPECT_NEAR(o.availability, 23400.0 / 27000.0, 1e-12);
  EXPECT_NEAR(o.effectiveness, 100.0 * 200 / 23400.0, 1e-12);
  EXPECT_NEAR(o.quality, 0.95, 1e-12);
  EXPECT_NEAR(o.oee, (23400.0 / 27000.0) * (20000.0 / 23400.0) * 0.95, 1e-12);
  EXPECT_EQ(o.failures, 2);  // the die change repairs the die failure: one failure, not two
  EXPECT_NEAR(o.mtbf_s, 11700, 1e-9);
  EXPECT_NEAR(o.mttr_s, 1800, 1e-9);
  ASSERT_EQ(o.pareto.size(), 4u);
  EXPECT_EQ(o.pareto[0].ms, 30 * kMin);
  EXPECT_EQ(o.pareto[2].reason, "machine_fault");
  EXPECT_EQ(o.pareto[3].reason, "die_failure");
  EXPECT_FALSE(o.pareto[3].planned);
}

TEST(OeeTest, AStopBeforeThePeriodCountsFromItsStartButIsNoFailureOfIt) {
  const std::vector<MachineEvent> events = {
      Ev(kFrom - kHour, MachineState::kStopped, false, "machine_fault"),
      Ev(kFrom + 10 * kMin, MachineState::kRunning, true, "restart")};
  const auto down = DowntimesOf(events, kFrom, kFrom + kHour);
  ASSERT_EQ(down.size(), 1u);
  EXPECT_EQ(down[0].start_ms, kFrom);
  EXPECT_EQ(down[0].end_ms, kFrom + 10 * kMin);
  const Oee o = ComputeOee(events, {30, 30}, kFrom, kFrom + kHour, 100.0);
  EXPECT_EQ(o.unplanned_downtime_ms, 10 * kMin);
  EXPECT_EQ(o.failures, 0);
  EXPECT_EQ(o.mtbf_s, 0);
  EXPECT_EQ(o.mttr_s, 0);
  EXPECT_EQ(o.carried_in_repair_ms, 10 * kMin) << "its repair is the period's, named apart";
}

// A fault found during a planned break is a failure; a die failure and the die change that
// repairs it are one, whatever came before.
TEST(OeeTest, AFaultThatEndsAPlannedStopIsAFailure) {
  using S = MachineState;
  const std::vector<MachineEvent> events = {
      Ev(kFrom + kHour, S::kStopped, true, "break"),
      Ev(kFrom + kHour + 15 * kMin, S::kStopped, false, "machine_fault"),
      Ev(kFrom + kHour + 30 * kMin, S::kRunning, true, "restart"),
      Ev(kFrom + 3 * kHour, S::kStopped, true, "break"),
      Ev(kFrom + 3 * kHour + 30 * kMin, S::kStopped, false, "die_failure"),
      Ev(kFrom + 4 * kHour, S::kDieChange, false, "die_change"),
      Ev(kFrom + 5 * kHour, S::kRunning, true, "restart")};
  const Oee o = ComputeOee(events, {100, 100}, kFrom, kFrom + 8 * kHour, 60.0);
  EXPECT_EQ(o.failures, 2);
  EXPECT_NEAR(o.mttr_s, (15 + 90) * 60 / 2.0, 1e-9);
  const auto failures = FailuresOf(DowntimesOf(events, kFrom, kFrom + 8 * kHour));
  ASSERT_EQ(failures.size(), 2u);
  EXPECT_EQ(failures[1].reason, "die_failure");
  EXPECT_EQ(failures[1].end_ms - failures[1].start_ms, 90 * kMin);
}

TEST(OeeTest, NoEventsMeansRunningAllPeriodAndNoPartsMeansZeroQuality) {
  const Oee o = ComputeOee({}, {0, 0}, kFrom, kFrom + kHour, 60.0);
  EXPECT_EQ(o.availability, 1.0);
  EXPECT_EQ(o.effectiveness, 0.0);
  EXPECT_EQ(o.quality, 0.0);
  EXPECT_EQ(o.oee, 0.0);
  // A machine stopped for the whole period: nothing available, nothing divided by zero.
  const std::vector<MachineEvent> down = {Ev(kFrom - 1, MachineState::kStopped, false, "fault")};
  const Oee d = ComputeOee(down, {0, 0}, kFrom, kFrom + kHour, 60.0);
  EXPECT_EQ(d.availability, 0.0);
  EXPECT_EQ(d.actual_production_ms, 0);
}

TEST(OeeTest, BadInputIsRefusedNamingTheFix) {
  EXPECT_EQ(Caught([] {
              (void)ComputeOee({}, {1, 1}, kFrom, kFrom, 60);
            }).category(),
            ErrorCategory::kInput);
  EXPECT_EQ(Caught([] {
              (void)ComputeOee({}, {1, 1}, kFrom, kFrom + 1, 0);
            }).category(),
            ErrorCategory::kInput);
  EXPECT_EQ(Caught([] {
              (void)ComputeOee({}, {1, 2}, kFrom, kFrom + 1, 60);
            }).category(),
            ErrorCategory::kInput);
}

}  // namespace
}  // namespace linesight::process
