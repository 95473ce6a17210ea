// sim/defect_causes.cpp: the windows and logistic weights of each cause (docs/simulator.md,
// "Cause model", gives each number's source).
#include "sim/defect_causes.h"

#include <algorithm>
#include <cmath>

namespace linesight::sim {
namespace {

// p = 1 / (1 + exp(-(kBase + kSteep * d^2))), d = distance outside the window in units of its
// scale: 0.15% inside the window, ~1% at d = 1, ~50% at d = 1.8, ~97% at d = 2.
constexpr double kBase = -6.5, kSteep = 2.5;

double Logistic(double x) { return 1 / (1 + std::exp(-x)); }

// Risk of a value below `lo` (scale `w`).
double Below(double v, double lo, double w) {
  const double d = std::max(0.0, (lo - v) / w);
  return Logistic(kBase + kSteep * d * d);
}
// Risk of a value above `hi` (scale `w`).
double Above(double v, double hi, double w) {
  const double d = std::max(0.0, (v - hi) / w);
  return Logistic(kBase + kSteep * d * d);
}

// Warm-up shots (KAMP: the first 5 after a restart are mostly scrap): 90% on the first,
// falling by e every 1.5 shots, none after the fifth.
double Warmup(int shot_after_restart) {
  if (shot_after_restart < 1 || shot_after_restart > 5) return 0;
  return 0.9 * std::exp(-(shot_after_restart - 1) / 1.5);
}

}  // namespace

std::array<CauseRisk, 12> CauseRisks(const ProcessValues& p, const ShotContext& c,
                                     double random_rate) {
  // Flash grows with wear past half the median life: ~1% at the median, ~20% at 1.3x.
  const double wear = std::max(0.0, (c.die_wear - 0.5) / 0.5);
  return {{
      {Cause::kColdMetal, DefectType::kColdShut, Below(p.melt_temp_c, 655, 20)},
      {Cause::kColdDie, DefectType::kColdShut, Below(p.die_temp_c, 190, 20)},
      {Cause::kSlowFill, DefectType::kColdShut, Below(p.fast_shot_mps, 2.6, 0.3)},
      {Cause::kHotMetal, DefectType::kBlowHole, Above(p.melt_temp_c, 695, 20)},
      {Cause::kFastFill, DefectType::kBlowHole, Above(p.fast_shot_mps, 3.5, 0.3)},
      {Cause::kHeavySpray, DefectType::kBlowHole, Above(p.spray_s, 6.5, 1.0)},
      {Cause::kPoorVacuum, DefectType::kPinHole, Above(p.vacuum_mbar, 100, 60)},
      {Cause::kLowIntensification, DefectType::kPinHole, Below(p.intensification_bar, 650, 120)},
      {Cause::kDieWear, DefectType::kFlash, Logistic(kBase + kSteep * wear * wear)},
      {Cause::kDieCrack, DefectType::kDieVein, c.vein.length > 0 ? 1.0 : 0.0},
      {Cause::kWarmup, DefectType::kColdShut, Warmup(c.shot_after_restart)},
      {Cause::kRandom, DefectType::kEdgeChip, random_rate},
  }};
}

ShotTruth DrawDefects(const ProcessValues& p, const ShotContext& c, double random_rate, Rng& rng) {
  ShotTruth truth;
  // One draw per cause whatever the risks, so a change in one cause leaves the others' draws.
  for (const CauseRisk& risk : CauseRisks(p, c, random_rate)) {
    const double u = rng.Uniform(), kind = rng.Uniform();
    if (risk.cause == Cause::kDieCrack || u >= risk.probability) continue;
    DefectTruth d{risk.type, risk.cause};
    // Try shots show both kinds of fault; random defects are handling chips or hot tears.
    if (risk.cause == Cause::kWarmup && kind < 0.3) d.type = DefectType::kBlowHole;
    if (risk.cause == Cause::kRandom && kind < 0.5) d.type = DefectType::kCrack;
    truth.defects.push_back(d);
  }
  if (c.vein.length > 0) {
    truth.defects.push_back({DefectType::kDieVein, Cause::kDieCrack, c.vein.at, c.vein.length});
  }
  return truth;
}

}  // namespace linesight::sim
