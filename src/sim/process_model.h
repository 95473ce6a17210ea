// sim/process_model.h: one die-casting machine's process over time: melt temperature (furnace
// drift, shot scatter, refills, burner faults), die temperature (heat balance of cycles and
// stops), shot speed, intensification, spray, vacuum and cycle time, with occasional excursions
// that push one of them out of its window. Deterministic from its Rng; one per machine.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "core/part_record.h"
#include "sim/rng.h"

namespace linesight::sim {

// Offsets added to every machine's set points: what-if runs and tests ("make the melt cold").
struct ProcessBias {
  double melt_c = 0;
  double die_c = 0;  // added to the measured die temperature's rest and hot levels
  double fast_shot_mps = 0;
  double intensification_bar = 0;
  double spray_s = 0;
  double vacuum_mbar = 0;
};

// A spell during which one process value leaves its window. Names in docs/simulator.md.
enum class ExcursionKind : uint8_t {
  kRefill = 0,           // furnace topped up: melt drops 8-20 degC, recovers in ~10 min
  kBurnerFault = 1,      // melt 25-45 degC low
  kOverheat = 2,         // melt 25-45 degC high
  kAccumulatorLow = 3,   // fast shot 0.5-0.9 m/s slow
  kShotSpeedHigh = 4,    // fast shot 0.5-0.9 m/s fast
  kIntensifierLeak = 5,  // intensification 200-350 bar low
  kSprayOverdose = 6,    // spray 2-4 s long
  kVacuumLeak = 7,       // vacuum 80-250 mbar worse
};
std::string_view ExcursionName(ExcursionKind kind);  // "refill", "burner_fault", ...

struct Excursion {
  ExcursionKind kind = ExcursionKind::kRefill;
  int64_t start_ms = 0;
  int64_t end_ms = 0;
  double size = 0;  // signed offset on its value at full strength
};

class ProcessModel {
 public:
  // `excursions_per_hour`: rate of excursions other than refills (one refill an hour besides).
  // Set points are drawn per machine from `rng`'s stream, so machines differ a little.
  ProcessModel(uint64_t seed, uint64_t stream, const ProcessBias& bias, double excursions_per_hour,
               int64_t start_ms);

  // The process values of a shot made at `time_ms`, `cycle_s` after the previous one (the die
  // cooled in between; a long gap is a stop). REQUIRES: time_ms never decreases between calls.
  ProcessValues Shoot(int64_t time_ms, double cycle_s);

  // The next cycle time this machine plans, s: its nominal cycle with a little scatter.
  double DrawCycleS();
  double nominal_cycle_s() const { return cycle_s_; }
  // Excursions that began up to the last shot, oldest first (kept for tests and reports).
  const std::vector<Excursion>& excursions() const { return excursions_; }

 private:
  double Drift(double& state, double sigma, double tau_s, double dt_s);
  double Offset(ExcursionKind kind, int64_t t) const;
  void StartExcursions(int64_t time_ms);

  Rng rng_;
  ProcessBias bias_;
  double excursion_rate_per_ms_;
  // Set points of this machine.
  double melt_c_, speed_mps_, intensification_bar_, spray_s_, vacuum_mbar_, cycle_s_;
  double melt_scatter_c_;
  // Slow drifts (Ornstein-Uhlenbeck), as offsets from the set points.
  double melt_drift_ = 0, speed_drift_ = 0, intens_drift_ = 0, spray_drift_ = 0, vac_drift_ = 0;
  double die_after_c_;  // die surface temperature just after the previous shot
  int64_t last_ms_;
  int64_t next_refill_ms_, next_excursion_ms_;
  std::vector<Excursion> excursions_;
};

}  // namespace linesight::sim
