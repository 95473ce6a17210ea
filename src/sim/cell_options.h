// sim/cell_options.h: what a simulated die-casting cell is like: machines, seed, shift calendar,
// how fast dies age, how often things go wrong. Every field changes the simulated results.
#pragma once

#include <cstdint>

#include "sim/die_model.h"
#include "sim/process_model.h"

namespace linesight::sim {

struct CellOptions {
  int machines = 9;           // machine ids "M1".."M<machines>", 1..99
  uint64_t seed = 1;          // everything follows from it; machines get independent streams
  int64_t start_time_ms = 0;  // the first shift starts, UTC ms since the Unix epoch
  double shift_hours = 8;     // shift length; a 10-minute shift change at each boundary
  bool breaks = true;         // three planned breaks a shift (15, 30, 15 min at 1/4, 1/2, 3/4)
  // Die life: multiplies every shot count of `die_life` (0.05: a median die lasts 5,000 shots,
  // so a 9-machine cell loses about one die a shift). 1 = the plant's real figures.
  double die_life_scale = 1;
  bool dies_start_aged = true;  // first dies at a random point of their life (a running cell)
  DieLifeOptions die_life;
  double faults_per_hour = 1.0 / 16;     // unplanned machine faults per machine (MTBF 16 h)
  double excursions_per_hour = 1.0 / 8;  // process excursions per machine, besides refills
  double random_defect_rate = 0.003;     // defects of no process cause, per shot
  // Maintenance policy: change a die (planned) once its vein reaches this length, px at 300 px;
  // 0 = run every die until it fails. MachineSim::RequestDieChange() asks for one any time.
  double die_change_at_vein_px = 0;
  ProcessBias bias;  // offsets on every machine's set points
};

// Throws Error{kInput} naming the field if `options` is out of range.
void CheckCellOptions(const CellOptions& options);

}  // namespace linesight::sim
