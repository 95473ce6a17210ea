// Tests of sim/machine_sim.h and sim/cell.h: determinism, process ranges, causes, warm-up, die
// failures and changes, events.
#include "sim/machine_sim.h"

#include <algorithm>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "core/clock.h"
#include "core/error.h"
#include "sim/cell.h"

namespace linesight::sim {
namespace {

constexpr int64_t kStart = 1764662400000;  // 2025-12-02 08:00 UTC

struct MachineRun {
  std::vector<CellShot> shots;
  std::vector<MachineEvent> events;
  std::vector<int> after_restart;  // per shot: 1 for the first shot after a restart
};

// Runs `m` up to `until`, in slices of `slice_ms` (0: one call), taking events after each shot.
MachineRun RunMachine(MachineSim& m, int64_t until, int64_t slice_ms = 0) {
  MachineRun run;
  int after = 100;
  auto take = [&] {
    for (MachineEvent& e : m.TakeEvents()) {
      if (e.state == MachineState::kRunning && e.reason != "shift_start") after = 0;
      run.events.push_back(std::move(e));
    }
  };
  for (int64_t t = slice_ms > 0 ? kStart + slice_ms : until;; t = std::min(until, t + slice_ms)) {
    while (auto shot = m.NextShot(t)) {
      take();
      run.shots.push_back(std::move(*shot));
      run.after_restart.push_back(++after);
    }
    take();
    if (t >= until) break;
  }
  return run;
}

CellOptions Options(uint64_t seed = 1) {
  CellOptions o;
  o.seed = seed;
  o.start_time_ms = kStart;
  return o;
}

std::string Key(const CellShot& s) {
  std::string key = ToJson(s.shot).dump() + std::to_string(s.render_seed);
  for (const DefectTruth& d : s.truth.defects) {
    key += " " + std::string(DefectName(d.type)) + "/" + std::string(CauseName(d.cause)) + "/" +
           std::to_string(d.length);
  }
  return key;
}

std::vector<std::string> Keys(const MachineRun& run) {
  std::vector<std::string> keys;
  for (const CellShot& s : run.shots) keys.push_back(Key(s));
  for (const MachineEvent& e : run.events) keys.push_back(ToJson(e).dump());
  return keys;
}

TEST(MachineSim, SameSeedGivesSameShotsAndEvents) {
  Cell a(Options()), b(Options());
  for (int i = 0; i < a.size(); ++i) {
    EXPECT_EQ(Keys(RunMachine(a.machine(i), kStart + 8 * kHourMs)),
              Keys(RunMachine(b.machine(i), kStart + 8 * kHourMs)));
  }
  Cell c(Options(2));
  EXPECT_NE(Keys(RunMachine(a.machine(0), kStart + 16 * kHourMs)),
            Keys(RunMachine(c.machine(0), kStart + 16 * kHourMs)));
}

TEST(MachineSim, InterleavedSlicesGiveTheSameAsOneRunPerMachine) {
  CellOptions o = Options(7);
  o.die_life_scale = 0.01;  // die failures and changes happen too
  Cell interleaved(o), sequential(o);
  const int64_t end = kStart + 24 * kHourMs;
  std::vector<MachineRun> runs(interleaved.size());
  for (int64_t t = kStart; t < end;) {
    t = std::min(end, t + 7 * 60 * 1000);  // 7-minute slices, machines in turn
    for (int i = 0; i < interleaved.size(); ++i) {
      MachineRun part = RunMachine(interleaved.machine(i), t);
      for (auto& s : part.shots) runs[i].shots.push_back(std::move(s));
      for (auto& e : part.events) runs[i].events.push_back(std::move(e));
    }
  }
  int failures = 0;
  for (int i = 0; i < sequential.size(); ++i) {
    const MachineRun whole = RunMachine(sequential.machine(i), end);
    EXPECT_EQ(Keys(runs[i]), Keys(whole)) << "machine " << i;
    for (const MachineEvent& e : whole.events) failures += e.reason == "die_failure";
  }
  EXPECT_GT(failures, 0) << "the comparison should cover die failures";
  // A machine alone gives the same as in a cell.
  MachineSim alone(o, 3);
  Cell fresh(o);
  EXPECT_EQ(Keys(RunMachine(alone, end)), Keys(RunMachine(fresh.machine(3), end)));
}

TEST(MachineSim, OneThreadPerMachineGivesTheSameAsOneThread) {
  CellOptions o = Options(4);
  o.die_life_scale = 0.02;
  Cell threaded(o), single(o);
  const int64_t end = kStart + 12 * kHourMs;
  std::vector<MachineRun> runs(threaded.size());
  std::vector<std::thread> threads;
  for (int i = 0; i < threaded.size(); ++i) {
    threads.emplace_back([&, i] { runs[i] = RunMachine(threaded.machine(i), end, kHourMs); });
  }
  for (std::thread& t : threads) t.join();
  for (int i = 0; i < single.size(); ++i) {
    EXPECT_EQ(Keys(runs[i]), Keys(RunMachine(single.machine(i), end))) << "machine " << i;
  }
}

TEST(MachineSim, IdsAndCounters) {
  Cell cell(Options());
  ASSERT_EQ(cell.size(), 9);
  EXPECT_EQ(cell.machine(0).id(), "M1");
  EXPECT_EQ(cell.machine(8).id(), "M9");
  const MachineRun run = RunMachine(cell.machine(2), kStart + 2 * kHourMs);
  ASSERT_GT(run.shots.size(), 10u);
  EXPECT_EQ(run.shots[0].shot.die, "M3-D01");
  EXPECT_EQ(run.shots[0].shot.machine, "M3");
  for (size_t k = 1; k < run.shots.size(); ++k) {
    EXPECT_EQ(run.shots[k].shot.shot, run.shots[k - 1].shot.shot + 1);
    EXPECT_EQ(run.shots[k].shot.die_shot, run.shots[k - 1].shot.die_shot + 1);
    EXPECT_GT(run.shots[k].shot.time_ms, run.shots[k - 1].shot.time_ms);
  }
  EXPECT_EQ(PartId("M3", run.shots[0].shot.shot).substr(0, 3), "M3-");
}

// PROCESS.md, "Process window": with no excursions, values stay in the windows a plant runs.
TEST(MachineSim, ProcessValuesStayInPlantRanges) {
  CellOptions o = Options(3);
  o.excursions_per_hour = 0;
  Cell cell(o);
  std::vector<double> cycles;
  int shots = 0, melt_out = 0;
  for (int i = 0; i < cell.size(); ++i) {
    const MachineRun run = RunMachine(cell.machine(i), kStart + 24 * kHourMs);
    double sum = 0, sum2 = 0;
    for (const CellShot& s : run.shots) {
      const ProcessValues& p = s.shot.process;
      ++shots;
      melt_out += p.melt_temp_c < 630 || p.melt_temp_c > 730;
      EXPECT_GT(p.melt_temp_c, 580);
      EXPECT_LT(p.melt_temp_c, 760);
      EXPECT_GT(p.die_temp_c, 130);
      EXPECT_LT(p.die_temp_c, 290);
      EXPECT_GE(p.fast_shot_mps, 2.0);
      EXPECT_LE(p.fast_shot_mps, 4.0);
      EXPECT_GE(p.intensification_bar, 400);
      EXPECT_LE(p.intensification_bar, 1000);
      EXPECT_GT(p.spray_s, 2);
      EXPECT_LT(p.spray_s, 9);
      EXPECT_GT(p.vacuum_mbar, 0);
      EXPECT_LT(p.vacuum_mbar, 150);
      cycles.push_back(p.cycle_s);
      sum += p.melt_temp_c;
      sum2 += p.melt_temp_c * p.melt_temp_c;
    }
    const double n = static_cast<double>(run.shots.size());
    const double mean = sum / n, sd = std::sqrt(sum2 / n - mean * mean);
    EXPECT_NEAR(mean, 675, 15) << cell.machine(i).id();
    EXPECT_GT(sd, 4) << "shot-to-shot scatter 15-40 degC";
    EXPECT_LT(sd, 15);
  }
  EXPECT_LT(melt_out, shots / 100);
  std::sort(cycles.begin(), cycles.end());
  EXPECT_GE(cycles[cycles.size() / 20], 60);  // 90% of cycles within 60-120 s
  EXPECT_LE(cycles[cycles.size() * 19 / 20], 125);
}

struct CauseCase {
  const char* name;
  void (*bias)(ProcessBias&);
  Cause cause;
  DefectType type;
};

class CauseRaisesItsDefect : public testing::TestWithParam<CauseCase> {};

// Counts defects of `cause` and `type` in 9 machines x 8 h.
int CountDefects(const CellOptions& o, Cause cause, DefectType type, int* shots) {
  Cell cell(o);
  int n = 0;
  *shots = 0;
  for (int i = 0; i < cell.size(); ++i) {
    for (const CellShot& s : RunMachine(cell.machine(i), kStart + 8 * kHourMs).shots) {
      ++*shots;
      for (const DefectTruth& d : s.truth.defects) n += d.cause == cause && d.type == type;
    }
  }
  return n;
}

TEST_P(CauseRaisesItsDefect, WithAFixedSeed) {
  CellOptions base = Options(11);
  base.excursions_per_hour = 0;
  CellOptions pushed = base;
  GetParam().bias(pushed.bias);
  int shots_base = 0, shots_pushed = 0;
  const int before = CountDefects(base, GetParam().cause, GetParam().type, &shots_base);
  const int after = CountDefects(pushed, GetParam().cause, GetParam().type, &shots_pushed);
  EXPECT_LT(before, shots_base / 50) << "a process in its window rarely makes this defect";
  EXPECT_GT(after, shots_pushed / 5);
  EXPECT_GT(after, 5 * before + 20);
}

INSTANTIATE_TEST_SUITE_P(
    Causes, CauseRaisesItsDefect,
    testing::Values(CauseCase{"cold_metal", [](ProcessBias& b) { b.melt_c = -50; },
                              Cause::kColdMetal, DefectType::kColdShut},
                    CauseCase{"hot_metal", [](ProcessBias& b) { b.melt_c = 50; }, Cause::kHotMetal,
                              DefectType::kBlowHole},
                    CauseCase{"cold_die", [](ProcessBias& b) { b.die_c = -70; }, Cause::kColdDie,
                              DefectType::kColdShut},
                    CauseCase{"slow_fill", [](ProcessBias& b) { b.fast_shot_mps = -0.8; },
                              Cause::kSlowFill, DefectType::kColdShut},
                    CauseCase{"fast_fill", [](ProcessBias& b) { b.fast_shot_mps = 0.9; },
                              Cause::kFastFill, DefectType::kBlowHole},
                    CauseCase{"heavy_spray", [](ProcessBias& b) { b.spray_s = 3.5; },
                              Cause::kHeavySpray, DefectType::kBlowHole},
                    CauseCase{"poor_vacuum", [](ProcessBias& b) { b.vacuum_mbar = 170; },
                              Cause::kPoorVacuum, DefectType::kPinHole},
                    CauseCase{"low_intensification",
                              [](ProcessBias& b) { b.intensification_bar = -350; },
                              Cause::kLowIntensification, DefectType::kPinHole}),
    [](const testing::TestParamInfo<CauseCase>& info) { return std::string(info.param.name); });

TEST(MachineSim, WarmupShotsAfterAStopHaveMoreColdShuts) {
  CellOptions o = Options(5);
  o.excursions_per_hour = 0;
  Cell cell(o);
  int early = 0, early_bad = 0, later = 0, later_bad = 0;
  double early_die = 0, later_die = 0;
  for (int i = 0; i < cell.size(); ++i) {
    const MachineRun run = RunMachine(cell.machine(i), kStart + 24 * kHourMs);
    for (size_t k = 0; k < run.shots.size(); ++k) {
      const bool cold_shut =
          std::any_of(run.shots[k].truth.defects.begin(), run.shots[k].truth.defects.end(),
                      [](const DefectTruth& d) { return d.type == DefectType::kColdShut; });
      if (run.after_restart[k] <= 3) {
        ++early, early_bad += cold_shut, early_die += run.shots[k].shot.process.die_temp_c;
      } else if (run.after_restart[k] > 20) {
        ++later, later_bad += cold_shut, later_die += run.shots[k].shot.process.die_temp_c;
      }
    }
  }
  ASSERT_GT(early, 100);
  EXPECT_GT(static_cast<double>(early_bad) / early, 10.0 * later_bad / later);
  EXPECT_LT(early_die / early, later_die / later - 5) << "the die cools during a stop";
}

// Runs machine `i` until its first die failure (or `hours`); returns the run.
MachineRun RunToFailure(MachineSim& m, int hours) {
  return RunMachine(m, kStart + hours * kHourMs, kHourMs);
}

TEST(MachineSim, DieCrackVeinStaysInPlaceAndGrowsUntilTheDieFails) {
  CellOptions o = Options(2);
  o.die_life_scale = 0.01;
  MachineSim m(o, 0);
  const MachineRun run = RunToFailure(m, 72);
  std::vector<const CellShot*> veined;
  for (const CellShot& s : run.shots) {
    if (s.shot.die == "M1-D01" && !s.veins.empty()) veined.push_back(&s);
  }
  ASSERT_GT(veined.size(), 10u);
  for (size_t k = 1; k < veined.size(); ++k) {
    const DieVein& a = veined[k - 1]->veins[0];
    const DieVein& b = veined[k]->veins[0];
    EXPECT_EQ(a.at, b.at);
    EXPECT_EQ(a.heading, b.heading);
    EXPECT_EQ(a.shape_seed, b.shape_seed);
    EXPECT_GT(b.length, a.length);
    const DefectTruth& truth = veined[k]->truth.defects.back();
    EXPECT_EQ(truth.cause, Cause::kDieCrack);
    EXPECT_EQ(truth.type, DefectType::kDieVein);
    EXPECT_EQ(truth.at_part, b.at);
    EXPECT_EQ(truth.length, b.length);
  }
  EXPECT_GT(veined.back()->veins[0].length, 3 * veined.front()->veins[0].length);
  // The die fails right after its last veined shot: an unplanned stop of 4-8 h, then a new die.
  const auto failure =
      std::find_if(run.events.begin(), run.events.end(),
                   [](const MachineEvent& e) { return e.reason == "die_failure"; });
  ASSERT_NE(failure, run.events.end());
  EXPECT_EQ(failure->state, MachineState::kStopped);
  EXPECT_FALSE(failure->planned);
  EXPECT_EQ(failure->die, "M1-D01");
  EXPECT_GT(failure->time_ms, veined.back()->shot.time_ms);
  const auto change = failure + 1, restart = failure + 2;
  ASSERT_LT(restart - run.events.begin(), static_cast<long>(run.events.size()));
  EXPECT_EQ(change->state, MachineState::kDieChange);
  EXPECT_FALSE(change->planned) << "downtime after a failure is unplanned";
  EXPECT_EQ(restart->state, MachineState::kRunning);
  EXPECT_EQ(restart->die, "M1-D02");
  const int64_t down = restart->time_ms - failure->time_ms;
  EXPECT_GE(down, 4 * kHourMs);
  EXPECT_LE(down, 8 * kHourMs);
  const auto next = std::find_if(run.shots.begin(), run.shots.end(), [&](const CellShot& s) {
    return s.shot.time_ms > restart->time_ms;
  });
  ASSERT_NE(next, run.shots.end());
  EXPECT_EQ(next->shot.die, "M1-D02");
  EXPECT_EQ(next->shot.die_shot, 1);
  EXPECT_TRUE(next->veins.empty());
}

TEST(MachineSim, PlannedDieChangeResetsDieShots) {
  MachineSim m(Options(), 4);
  const MachineRun first = RunMachine(m, kStart + kHourMs);
  ASSERT_FALSE(first.shots.empty());
  const int64_t last_counter = first.shots.back().shot.shot;
  EXPECT_GT(first.shots.back().shot.die_shot, 1);
  m.RequestDieChange();
  const MachineRun second = RunMachine(m, kStart + 4 * kHourMs);
  ASSERT_GE(second.events.size(), 2u);
  EXPECT_EQ(second.events[0].state, MachineState::kDieChange);
  EXPECT_TRUE(second.events[0].planned);
  EXPECT_EQ(second.events[0].reason, "die_change");
  EXPECT_EQ(second.events[0].die, "M5-D01");
  EXPECT_EQ(second.events[1].state, MachineState::kRunning);
  EXPECT_EQ(second.events[1].die, "M5-D02");
  const int64_t down = second.events[1].time_ms - second.events[0].time_ms;
  EXPECT_GE(down, kHourMs);
  EXPECT_LE(down, 2 * kHourMs);
  ASSERT_FALSE(second.shots.empty());
  EXPECT_EQ(second.shots[0].shot.die, "M5-D02");
  EXPECT_EQ(second.shots[0].shot.die_shot, 1);
  EXPECT_EQ(second.shots[0].shot.shot, last_counter + 1) << "the machine's counter goes on";
  EXPECT_EQ(m.die().id, "M5-D02");
}

TEST(MachineSim, VeinPolicyChangesDiesBeforeTheyFail) {
  CellOptions o = Options(2);
  o.die_life_scale = 0.01;
  o.die_change_at_vein_px = 10;
  Cell cell(o);
  int planned_changes = 0, failures = 0;
  for (int i = 0; i < cell.size(); ++i) {
    const MachineRun run = RunMachine(cell.machine(i), kStart + 48 * kHourMs);
    std::map<std::string, double> longest_vein;  // by die
    for (const CellShot& s : run.shots) {
      for (const DieVein& v : s.veins) longest_vein[s.shot.die] = v.length;
    }
    for (const MachineEvent& e : run.events) {
      planned_changes += e.reason == "die_change" && e.planned;
      if (e.reason != "die_failure") continue;
      // Only dies that fail without warning (infant failures) get past the policy.
      ++failures;
      EXPECT_LT(longest_vein[e.die], 10) << e.die;
    }
  }
  EXPECT_GT(planned_changes, failures);
  EXPECT_GT(planned_changes, 0);
}

TEST(MachineSim, EventsComeInTimeOrderWithKnownReasons) {
  CellOptions o = Options(9);
  o.die_life_scale = 0.01;
  o.faults_per_hour = 0.5;
  Cell cell(o);
  std::map<std::string, int> reasons;
  for (int i = 0; i < cell.size(); ++i) {
    const MachineRun run = RunMachine(cell.machine(i), kStart + 72 * kHourMs, 3 * kHourMs);
    ASSERT_FALSE(run.events.empty());
    EXPECT_EQ(run.events[0].reason, "shift_start");
    EXPECT_EQ(run.events[0].time_ms, kStart);
    for (size_t k = 1; k < run.events.size(); ++k) {
      EXPECT_GE(run.events[k].time_ms, run.events[k - 1].time_ms);
      // A stop is always followed by a restart (or a die change, then a restart).
      if (run.events[k - 1].state != MachineState::kRunning) {
        EXPECT_NE(run.events[k].state, MachineState::kStopped);
      }
    }
    for (const MachineEvent& e : run.events) {
      ++reasons[e.reason];
      EXPECT_EQ(e.machine, cell.machine(i).id());
      EXPECT_LE(e.time_ms, kStart + 72 * kHourMs);
    }
  }
  for (const char* r : {"shift_start", "break", "shift_change", "restart", "machine_fault",
                        "die_failure", "die_change"}) {
    EXPECT_GT(reasons[r], 0) << r;
  }
  EXPECT_EQ(reasons.size(), 7u);
}

TEST(CellOptions, OutOfRangeThrows) {
  CellOptions o = Options();
  o.machines = 0;
  EXPECT_THROW(Cell{o}, Error);
  o = Options();
  o.die_life_scale = 0;
  EXPECT_THROW(Cell{o}, Error);
  o = Options();
  o.faults_per_hour = -1;
  EXPECT_THROW(Cell{o}, Error);
  o = Options();
  o.die_life.vein_final_px = 1;
  EXPECT_THROW(Cell{o}, Error);
  try {
    o = Options();
    o.shift_hours = 0;
    Cell cell(o);
    FAIL() << "expected an Error";
  } catch (const Error& e) {
    EXPECT_EQ(e.category(), ErrorCategory::kInput);
    EXPECT_NE(std::string(e.what()).find("shift_hours"), std::string::npos);
  }
}

}  // namespace
}  // namespace linesight::sim
