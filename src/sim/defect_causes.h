// sim/defect_causes.h: the cause model: from one shot's process values and the state of its machine
// and die to the probability of each cause's defect, and a draw of the shot's defects. Each
// process cause is a logistic of the squared distance outside its window (PROCESS.md, after Liu
// et al. 2018); the die's wear, its crack and warm-up shots add their own. Pure functions.
#pragma once

#include <array>

#include "core/part_record.h"
#include "sim/cause.h"
#include "sim/die_model.h"
#include "sim/rng.h"

namespace linesight::sim {

// What, besides the process values, decides a shot's defects.
struct ShotContext {
  int shot_after_restart = 100;  // 1 for the first shot after a stop
  double die_wear = 0;           // DieState::wear()
  DieVein vein;                  // the die's vein on this shot (length 0: none shows)
};

// The probability of one cause's defect on a shot.
struct CauseRisk {
  Cause cause;
  DefectType type;  // the defect it makes (kRandom's is drawn: edge chip or crack)
  double probability;
};

// One risk per cause, in AllCauses() order. kRandom's probability is `random_rate`.
std::array<CauseRisk, 12> CauseRisks(const ProcessValues& p, const ShotContext& context,
                                     double random_rate);

// Draws the defects of a shot from its risks: each cause independently; a die vein always
// shows once it is long enough. Defects are in AllCauses() order, the vein last.
ShotTruth DrawDefects(const ProcessValues& p, const ShotContext& context, double random_rate,
                      Rng& rng);

}  // namespace linesight::sim
