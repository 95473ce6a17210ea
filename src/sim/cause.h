// sim/cause.h: the ground truth of a simulated shot: each defect the cell made, and the process
// cause behind it. Plain values; thread-compatible.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include <opencv2/core.hpp>

#include "sim/part_renderer.h"

namespace linesight::sim {

// Why a defect was made (docs/simulator.md has the model of each). Stored: never renumber.
enum class Cause : uint8_t {
  kColdMetal = 1,           // melt below its window -> cold shut
  kColdDie = 2,             // die below its window (after a stop) -> cold shut
  kSlowFill = 3,            // fast shot too slow -> cold shut
  kHotMetal = 4,            // melt above its window -> blow hole
  kFastFill = 5,            // fast shot too fast (turbulence) -> blow hole
  kHeavySpray = 6,          // too much die spray (steam) -> blow hole
  kPoorVacuum = 7,          // cavity vacuum too weak -> pin holes (gas porosity)
  kLowIntensification = 8,  // too little intensification -> pin-hole cluster (shrinkage)
  kDieWear = 9,             // worn parting faces -> flash
  kDieCrack = 10,           // heat-checked die -> die vein at the same place on every part
  kWarmup = 11,             // first shots after a restart -> cold shut or blow hole
  kRandom = 12,             // none of the above (handling, hot tears) -> edge chip, crack
};

// Lower-case name: "cold_metal", "cold_die", "slow_fill", "hot_metal", "fast_fill",
// "heavy_spray", "poor_vacuum", "low_intensification", "die_wear", "die_crack", "warmup", "random".
std::string_view CauseName(Cause cause);
// Inverse of CauseName; nullopt for an unknown name.
std::optional<Cause> ParseCause(std::string_view name);
// All causes, in enum order.
std::span<const Cause> AllCauses();

// One defect of a shot and what caused it.
struct DefectTruth {
  DefectType type = DefectType::kBlowHole;
  Cause cause = Cause::kRandom;
  // For kDieVein only: where the vein starts, part coordinates (fractions of the outer radius in
  // the part's own frame), and its length in px at a 300 px render.
  cv::Point2d at_part{0, 0};
  double length = 0;
};

// What a shot really made: no defects means a good part.
struct ShotTruth {
  std::vector<DefectTruth> defects;
  bool good() const { return defects.empty(); }
};

}  // namespace linesight::sim
