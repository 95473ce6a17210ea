#include "core/outcome.h"

#include <array>

namespace linesight {
namespace {

constexpr std::array<std::string_view, 3> kDecisionNames = {"pass", "reject", "hold"};
constexpr std::array<std::string_view, 12> kHoldReasonNames = {
    "none",         "bad_image", "part_not_found", "deadline",     "no_model", "internal",
    "out_of_focus", "saturated", "exposure",       "part_at_edge", "camera",   "outbox"};

}  // namespace

std::string_view DecisionName(Decision d) {
  const auto i = static_cast<size_t>(d);
  return i < kDecisionNames.size() ? kDecisionNames[i] : "hold";
}

std::string_view HoldReasonName(HoldReason r) {
  const auto i = static_cast<size_t>(r);
  return i < kHoldReasonNames.size() ? kHoldReasonNames[i] : "internal";
}

std::optional<Decision> ParseDecision(std::string_view name) {
  for (size_t i = 0; i < kDecisionNames.size(); ++i)
    if (kDecisionNames[i] == name) return static_cast<Decision>(i);
  return std::nullopt;
}

std::optional<HoldReason> ParseHoldReason(std::string_view name) {
  for (size_t i = 0; i < kHoldReasonNames.size(); ++i)
    if (kHoldReasonNames[i] == name) return static_cast<HoldReason>(i);
  return std::nullopt;
}

}  // namespace linesight
