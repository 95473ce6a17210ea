// sim/cause.cpp: names of the causes.
#include "sim/cause.h"

#include <array>

namespace linesight::sim {
namespace {

constexpr std::array<Cause, 12> kAllCauses{
    Cause::kColdMetal, Cause::kColdDie,    Cause::kSlowFill,   Cause::kHotMetal,
    Cause::kFastFill,  Cause::kHeavySpray, Cause::kPoorVacuum, Cause::kLowIntensification,
    Cause::kDieWear,   Cause::kDieCrack,   Cause::kWarmup,     Cause::kRandom};

}  // namespace

std::string_view CauseName(Cause cause) {
  switch (cause) {
    case Cause::kColdMetal:
      return "cold_metal";
    case Cause::kColdDie:
      return "cold_die";
    case Cause::kSlowFill:
      return "slow_fill";
    case Cause::kHotMetal:
      return "hot_metal";
    case Cause::kFastFill:
      return "fast_fill";
    case Cause::kHeavySpray:
      return "heavy_spray";
    case Cause::kPoorVacuum:
      return "poor_vacuum";
    case Cause::kLowIntensification:
      return "low_intensification";
    case Cause::kDieWear:
      return "die_wear";
    case Cause::kDieCrack:
      return "die_crack";
    case Cause::kWarmup:
      return "warmup";
    case Cause::kRandom:
      return "random";
  }
  return "unknown";
}

std::optional<Cause> ParseCause(std::string_view name) {
  for (Cause cause : kAllCauses) {
    if (CauseName(cause) == name) return cause;
  }
  return std::nullopt;
}

std::span<const Cause> AllCauses() { return kAllCauses; }

}  // namespace linesight::sim
