// sim/process_model.cpp: set points, drifts, scatter, excursions and the die's heat balance.
// Every figure's source is in docs/simulator.md ("Process model").
#include "sim/process_model.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>

#include "core/clock.h"

namespace linesight::sim {
namespace {

// Die heat balance: between shots the die surface cools towards kDieRestC with time constant
// kDieCoolS; each shot moves it kDieHeatShare of the way towards kDieHotC. At a 90 s cycle this
// settles at ~230 degC before the shot (254 at 60 s, 214 at 120 s) and takes ~7 shots to warm up.
constexpr double kDieRestC = 150, kDieHotC = 400, kDieCoolS = 900, kDieHeatShare = 0.0494;
constexpr int64_t kRampMs = 3 * kMinuteMs;  // excursions come and go over 3 minutes

struct ExcursionShape {
  double size_lo, size_hi;  // signed offset on its value
  double min_lo, min_hi;    // duration, minutes
};
// Indexed by ExcursionKind.
constexpr std::array<ExcursionShape, 8> kShapes{{{-20, -8, 40, 40},
                                                 {-45, -25, 20, 60},
                                                 {25, 45, 20, 60},
                                                 {-0.9, -0.5, 30, 90},
                                                 {0.5, 0.9, 30, 90},
                                                 {-350, -200, 30, 90},
                                                 {2, 4, 30, 90},
                                                 {80, 250, 30, 120}}};

int64_t ExpDelayMs(Rng& rng, double rate_per_ms) {
  if (rate_per_ms <= 0) return std::numeric_limits<int64_t>::max() / 4;
  return static_cast<int64_t>(-std::log(1.0 - rng.Uniform()) / rate_per_ms) + 1;
}

}  // namespace

std::string_view ExcursionName(ExcursionKind kind) {
  switch (kind) {
    case ExcursionKind::kRefill:
      return "refill";
    case ExcursionKind::kBurnerFault:
      return "burner_fault";
    case ExcursionKind::kOverheat:
      return "overheat";
    case ExcursionKind::kAccumulatorLow:
      return "accumulator_low";
    case ExcursionKind::kShotSpeedHigh:
      return "shot_speed_high";
    case ExcursionKind::kIntensifierLeak:
      return "intensifier_leak";
    case ExcursionKind::kSprayOverdose:
      return "spray_overdose";
    case ExcursionKind::kVacuumLeak:
      return "vacuum_leak";
  }
  return "unknown";
}

ProcessModel::ProcessModel(uint64_t seed, uint64_t stream, const ProcessBias& bias,
                           double excursions_per_hour, int64_t start_ms)
    : rng_(seed, stream),
      bias_(bias),
      excursion_rate_per_ms_(excursions_per_hour / kHourMs),
      last_ms_(start_ms) {
  melt_c_ = 675 + 3 * rng_.Normal() + bias.melt_c;
  melt_scatter_c_ = rng_.Uniform(4, 10);  // +-2 sigma spans 16-40 degC
  speed_mps_ = 3.0 + 0.08 * rng_.Normal() + bias.fast_shot_mps;
  intensification_bar_ = 800 + 30 * rng_.Normal() + bias.intensification_bar;
  spray_s_ = 5.0 + 0.3 * rng_.Normal() + bias.spray_s;
  vacuum_mbar_ = 45 + 8 * rng_.Normal() + bias.vacuum_mbar;
  cycle_s_ = rng_.Uniform(70, 110);
  // Start in the heat balance of the nominal cycle: the machine has been running.
  const double e = std::exp(-cycle_s_ / kDieCoolS);
  const double before =
      kDieRestC + e * kDieHeatShare * (kDieHotC - kDieRestC) / (1 - e + e * kDieHeatShare);
  die_after_c_ = before + kDieHeatShare * (kDieHotC - before) + bias.die_c;
  next_refill_ms_ = start_ms + ExpDelayMs(rng_, 1.0 / kHourMs);
  next_excursion_ms_ = start_ms + ExpDelayMs(rng_, excursion_rate_per_ms_);
}

double ProcessModel::Drift(double& state, double sigma, double tau_s, double dt_s) {
  const double a = std::exp(-dt_s / tau_s);
  state = state * a + sigma * std::sqrt(1 - a * a) * rng_.Normal();
  return state;
}

double ProcessModel::Offset(ExcursionKind kind, int64_t t) const {
  double sum = 0;
  for (auto it = excursions_.rbegin(); it != excursions_.rend(); ++it) {
    if (it->start_ms < t - 3 * kHourMs) break;  // none lasts that long
    if (it->kind != kind || t < it->start_ms) continue;
    if (kind == ExcursionKind::kRefill) {
      sum += it->size * std::exp(-static_cast<double>(t - it->start_ms) / (10 * kMinuteMs));
    } else if (t < it->end_ms) {
      const double in = static_cast<double>(t - it->start_ms) / kRampMs;
      const double out = static_cast<double>(it->end_ms - t) / kRampMs;
      sum += it->size * std::clamp(std::min(in, out), 0.0, 1.0);
    }
  }
  return sum;
}

void ProcessModel::StartExcursions(int64_t time_ms) {
  while (next_refill_ms_ <= time_ms || next_excursion_ms_ <= time_ms) {
    Excursion x;
    if (next_refill_ms_ <= next_excursion_ms_) {
      x.kind = ExcursionKind::kRefill;
      x.start_ms = next_refill_ms_;
      next_refill_ms_ += ExpDelayMs(rng_, 1.0 / kHourMs);
    } else {
      x.kind = static_cast<ExcursionKind>(rng_.UniformInt(1, 7));
      x.start_ms = next_excursion_ms_;
      next_excursion_ms_ += ExpDelayMs(rng_, excursion_rate_per_ms_);
    }
    const ExcursionShape& shape = kShapes[static_cast<size_t>(x.kind)];
    x.size = rng_.Uniform(shape.size_lo, shape.size_hi);
    const double minutes = rng_.Uniform(shape.min_lo, shape.min_hi);
    x.end_ms = x.start_ms + static_cast<int64_t>(minutes * kMinuteMs);
    excursions_.push_back(x);
  }
}

ProcessValues ProcessModel::Shoot(int64_t time_ms, double cycle_s) {
  StartExcursions(time_ms);
  const double dt = std::max(0.0, static_cast<double>(time_ms - last_ms_) / 1000);
  last_ms_ = time_ms;
  // One draw per statement: the order in which operands are evaluated is unspecified, and
  // compilers differ, which would change the values.
  ProcessValues p;
  const double melt_drift = Drift(melt_drift_, 5, 2 * 3600, dt);
  const double melt_scatter = melt_scatter_c_ * rng_.Normal();
  p.melt_temp_c = melt_c_ + melt_drift + melt_scatter + Offset(ExcursionKind::kRefill, time_ms) +
                  Offset(ExcursionKind::kBurnerFault, time_ms) +
                  Offset(ExcursionKind::kOverheat, time_ms);
  const double rest = kDieRestC + bias_.die_c, hot = kDieHotC + bias_.die_c;
  const double before = rest + (die_after_c_ - rest) * std::exp(-dt / kDieCoolS);
  die_after_c_ = before + kDieHeatShare * (hot - before);
  p.die_temp_c = before + 3 * rng_.Normal();
  const double speed_drift = Drift(speed_drift_, 0.08, 4 * 3600, dt);
  const double speed_scatter = 0.05 * rng_.Normal();
  p.fast_shot_mps = speed_mps_ + speed_drift + speed_scatter +
                    Offset(ExcursionKind::kAccumulatorLow, time_ms) +
                    Offset(ExcursionKind::kShotSpeedHigh, time_ms);
  const double intens_drift = Drift(intens_drift_, 30, 4 * 3600, dt);
  const double intens_scatter = 15 * rng_.Normal();
  p.intensification_bar = intensification_bar_ + intens_drift + intens_scatter +
                          Offset(ExcursionKind::kIntensifierLeak, time_ms);
  const double spray_drift = Drift(spray_drift_, 0.3, 2 * 3600, dt);
  const double spray_scatter = 0.15 * rng_.Normal();
  p.spray_s = std::max(
      0.5, spray_s_ + spray_drift + spray_scatter + Offset(ExcursionKind::kSprayOverdose, time_ms));
  const double vac_drift = Drift(vac_drift_, 8, 3600, dt);
  const double vac_scatter = 5 * rng_.Normal();
  p.vacuum_mbar = std::max(
      5.0, vacuum_mbar_ + vac_drift + vac_scatter + Offset(ExcursionKind::kVacuumLeak, time_ms));
  p.cycle_s = cycle_s;
  return p;
}

double ProcessModel::DrawCycleS() {
  double cycle = cycle_s_ * (1 + 0.02 * std::clamp(rng_.Normal(), -3.0, 3.0));
  // Minor stops: a late ladle or an operator's check delays a few shots by up to two minutes.
  const double minor = rng_.Uniform();
  if (minor < 0.03) cycle += rng_.Uniform(20, 120);
  return cycle;
}

}  // namespace linesight::sim
