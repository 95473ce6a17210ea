// Tests of sim/process_model.h: the die's heat balance, drifts and excursions.
#include "sim/process_model.h"

#include <cmath>

#include <gtest/gtest.h>

namespace linesight::sim {
namespace {

constexpr int64_t kModelStart = 1764662400000;

// Mean die temperature of shots 51-100 at a steady `cycle_s`.
double SteadyDieTemp(double cycle_s) {
  ProcessModel m(1, 1, ProcessBias{}, 0, kModelStart);
  double sum = 0;
  for (int i = 1; i <= 100; ++i) {
    const ProcessValues p =
        m.Shoot(kModelStart + static_cast<int64_t>(i * cycle_s * 1000), cycle_s);
    if (i > 50) sum += p.die_temp_c;
  }
  return sum / 50;
}

TEST(ProcessModel, DieTemperatureFollowsTheCycleRate) {
  const double fast = SteadyDieTemp(60), mid = SteadyDieTemp(90), slow = SteadyDieTemp(120);
  EXPECT_GT(fast, mid + 10);
  EXPECT_GT(mid, slow + 5);
  EXPECT_NEAR(mid, 230, 10);  // PROCESS.md: die surface ~200-250 degC
}

TEST(ProcessModel, DieCoolsDuringAStopAndWarmsUpOverTheFirstShots) {
  ProcessModel m(2, 1, ProcessBias{}, 0, kModelStart);
  int64_t t = kModelStart;
  double running = 0;
  for (int i = 0; i < 60; ++i) running = m.Shoot(t += 90000, 90).die_temp_c;
  t += 4 * 3600 * 1000;  // a four-hour stop
  const double first = m.Shoot(t, 4 * 3600).die_temp_c;
  EXPECT_LT(first, running - 50);
  EXPECT_LT(first, 175);
  double tenth = 0, twentieth = 0;
  for (int i = 2; i <= 20; ++i) {
    const double d = m.Shoot(t += 90000, 90).die_temp_c;
    if (i == 10) tenth = d;
    if (i == 20) twentieth = d;
  }
  EXPECT_GT(tenth, first + 20);
  EXPECT_GT(twentieth, running - 20);
}

TEST(ProcessModel, ExcursionsMoveTheirValue) {
  ProcessModel m(3, 1, ProcessBias{}, 4.0, kModelStart);  // an excursion every 15 min
  int64_t t = kModelStart;
  int out = 0;
  for (int i = 0; i < 2000; ++i) {
    const ProcessValues p = m.Shoot(t += 90000, 90);
    out += p.melt_temp_c < 640 || p.melt_temp_c > 710 || p.fast_shot_mps < 2.6 ||
           p.fast_shot_mps > 3.4 || p.intensification_bar < 650 || p.spray_s > 6.5 ||
           p.vacuum_mbar > 100;
  }
  ASSERT_GT(m.excursions().size(), 100u);
  for (size_t k = 1; k < m.excursions().size(); ++k) {
    EXPECT_GE(m.excursions()[k].start_ms, m.excursions()[k - 1].start_ms);
  }
  EXPECT_GT(out, 200);
  ProcessModel calm(3, 1, ProcessBias{}, 0, kModelStart);
  int calm_out = 0;
  t = kModelStart;
  for (int i = 0; i < 2000; ++i) {
    const ProcessValues p = calm.Shoot(t += 90000, 90);
    calm_out += p.fast_shot_mps < 2.6 || p.intensification_bar < 650 || p.vacuum_mbar > 100;
  }
  EXPECT_LT(calm_out, 40);
  EXPECT_EQ(ExcursionName(ExcursionKind::kVacuumLeak), "vacuum_leak");
}

TEST(ProcessModel, BiasShiftsTheSetPoints) {
  ProcessBias cold;
  cold.melt_c = -40;
  ProcessModel a(4, 1, ProcessBias{}, 0, kModelStart), b(4, 1, cold, 0, kModelStart);
  const ProcessValues pa = a.Shoot(kModelStart + 90000, 90), pb = b.Shoot(kModelStart + 90000, 90);
  EXPECT_NEAR(pb.melt_temp_c, pa.melt_temp_c - 40, 1e-9);
  EXPECT_EQ(pb.fast_shot_mps, pa.fast_shot_mps);
}

}  // namespace
}  // namespace linesight::sim
