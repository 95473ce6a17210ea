// process/run_rules.h: the Western Electric and Nelson run rules that raise an alarm when a
// sequence of control-chart points shows a pattern a stable process rarely makes. Pure functions;
// safe on any thread.
//
// Sources: Western Electric Co., Statistical Quality Control Handbook (1956), section 1-B, tests
// 1-4 for unnatural patterns; L. S. Nelson, "The Shewhart control chart - tests for special
// causes", Journal of Quality Technology 16(4), 237-239 (1984), tests 1-8; both as restated in
// Montgomery, Introduction to Statistical Quality Control, section 5.3.6. docs/process.md lists
// each rule.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

namespace linesight::process {

// One run rule. Stored and sent in alarms: never renumber.
enum class RuleCode : std::uint8_t {
  kWe1 = 1,       // 1 point beyond 3 sigma
  kWe2 = 2,       // 2 of 3 successive points beyond 2 sigma, same side
  kWe3 = 3,       // 4 of 5 successive points beyond 1 sigma, same side
  kWe4 = 4,       // 8 successive points on one side of the centre line
  kNelson1 = 11,  // 1 point beyond 3 sigma
  kNelson2 = 12,  // 9 points in a row on one side of the centre line
  kNelson3 = 13,  // 6 points in a row steadily increasing or decreasing
  kNelson4 = 14,  // 14 points in a row alternating up and down
  kNelson5 = 15,  // 2 of 3 points in a row beyond 2 sigma, same side
  kNelson6 = 16,  // 4 of 5 points in a row beyond 1 sigma, same side
  kNelson7 = 17,  // 15 points in a row within 1 sigma, either side
  kNelson8 = 18,  // 8 points in a row beyond 1 sigma, either side
};

// The rule's short code: "WE1".."WE4", "N1".."N8".
[[nodiscard]] std::string_view RuleCodeName(RuleCode code);

// The rule in plain words, e.g. "8 successive points on one side of the centre line".
[[nodiscard]] std::string_view RuleText(RuleCode code);

// One rule tripped by a sequence of points.
struct RuleAlarm {
  RuleCode code = RuleCode::kWe1;
  std::size_t index = 0;            // the point that completes the pattern
  std::vector<std::size_t> points;  // the points that make the pattern, ascending; ends at index
};

// Checks Western Electric rules 1-4 (or Nelson rules 1-8) over `points` of a chart with centre
// line `centre` and standard deviation `sigma` (for a p or p' chart, pass the points' z-scores
// with centre 0 and sigma 1). Returns the alarms ordered by index, then by rule code.
//
// Semantics, for all rules:
// - A rule alarms at every point that completes its pattern, with that point part of it: a run of
//   10 on one side gives WE4 alarms at its 8th, 9th and 10th points. De-duplicating is the
//   caller's (alerting's) job.
// - "Beyond k sigma" is strictly beyond (|x - centre| > k sigma); a point on a limit is inside,
//   "within 1 sigma" is strictly within, and a point exactly on the centre line is on neither
//   side, so it breaks a run on one side.
// - A NaN point (not measured) is skipped: it neither extends nor breaks a pattern, and indices
//   refer to positions in `points`. Ties (equal successive values) break trends and alternation.
// - "k of m" windows may be shorter than m at the start of the sequence.
// Throws Error{kInput} if centre is not finite, sigma is not finite and > 0, or a point is
// infinite.
[[nodiscard]] std::vector<RuleAlarm> CheckWesternElectricRules(std::span<const double> points,
                                                               double centre, double sigma);
[[nodiscard]] std::vector<RuleAlarm> CheckNelsonRules(std::span<const double> points, double centre,
                                                      double sigma);

}  // namespace linesight::process
