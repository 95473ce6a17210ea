// process/control_chart.h: Shewhart control-chart limits for statistical process control: the
// individuals and moving-range (I-MR) chart for one process value, and the p-chart and Laney p'
// chart for a reject rate per subgroup. Pure functions of their inputs; safe on any thread.
//
// Formulas follow D. C. Montgomery, Introduction to Statistical Quality Control (6th ed., Wiley
// 2009): I-MR in section 6.4, p-chart with variable subgroup sizes in section 7.2.2, constants d2
// and D4 for n = 2 in appendix table VI; and D. B. Laney, "Improved control charts for attributes",
// Quality Engineering 14(4), 531-537 (2002) for p'. docs/process.md states them with examples.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace linesight::process {

// Control chart constants for moving ranges of two successive points (subgroup size n = 2).
inline constexpr double kD2 = 1.128;  // E[range of 2 normals] / sigma: sigma-hat = MR-bar / d2
inline constexpr double kD4 = 3.267;  // upper limit factor of the range chart: UCL = D4 * MR-bar

// The limits of an I-MR chart fitted on a phase I baseline.
struct IndividualsLimits {
  double centre = 0;              // mean of the measured baseline values
  double sigma = 0;               // short-term sigma estimate, MR-bar / d2
  double ucl = 0;                 // centre + 3 sigma
  double lcl = 0;                 // centre - 3 sigma (not floored: a process value may be negative)
  double mr_bar = 0;              // mean moving range
  double mr_ucl = 0;              // D4 * MR-bar
  double mr_lcl = 0;              // always 0 for n = 2 (D3 = 0)
  std::size_t measured = 0;       // baseline values used
  std::size_t not_measured = 0;   // NaN values skipped
  std::size_t moving_ranges = 0;  // moving ranges used for MR-bar
};

// Moving ranges |x[i] - x[i-1]| of `values`; element i (i >= 1) is NaN where x[i] or x[i-1] is NaN,
// and element 0 is always NaN. A gap breaks the range rather than joining the points on either
// side, as Minitab does: a range across a gap spans more time and would overstate short-term
// sigma when the process drifts. Throws Error{kInput} naming the index of an infinite value.
[[nodiscard]] std::vector<double> MovingRanges(std::span<const double> values);

// Fits I-MR limits on a phase I baseline (Montgomery 6.4): centre = mean of the measured values,
// sigma = MR-bar / d2, limits centre +- 3 sigma; MR chart UCL = D4 * MR-bar, LCL = 0. NaN values
// (not measured) are skipped and counted in `not_measured`. Throws Error{kInput} naming an
// infinite value's index, and Error{kData} if fewer than two adjacent measured values give a
// moving range or if every moving range is 0 (zero-width limits would flag every change).
[[nodiscard]] IndividualsLimits FitIndividualsChart(std::span<const double> baseline);

// One subgroup of inspected parts: `rejects` of `size` parts were rejected (e.g. one shift or one
// hour of one machine and die).
struct Subgroup {
  std::int64_t rejects = 0;
  std::int64_t size = 0;
};

// Which attribute chart: the classic p-chart assumes binomial variation between subgroups; Laney
// p' widens the limits by the between-subgroup variation observed (sigma_z), which large
// subgroups (thousands of shots) show and which would otherwise flag nearly every subgroup.
enum class PChartKind : std::uint8_t { kP = 1, kLaneyPPrime = 2 };

// The parameters of a p or p' chart fitted on a phase I baseline of subgroups.
struct PChartParams {
  PChartKind kind = PChartKind::kP;
  double p_bar = 0;                 // total rejects / total parts over the baseline
  double sigma_z = 1;               // Laney's overdispersion factor; exactly 1 for the p-chart
  std::size_t subgroups = 0;        // baseline subgroups used
  std::size_t empty_subgroups = 0;  // subgroups of size 0 skipped
};

// One subgroup on a p or p' chart. Limits vary with the subgroup's size.
struct PChartPoint {
  std::size_t index = 0;  // position in the input span
  double p = 0;           // rejects / size
  double sigma = 0;       // sqrt(p_bar (1 - p_bar) / n), times sigma_z for p'
  double ucl = 0;         // p_bar + 3 sigma, capped at 1
  double lcl = 0;         // p_bar - 3 sigma, floored at 0
  // (p - p_bar) / sigma: the point on a chart of centre 0 and sigma 1, where the run rules
  // (run_rules.h) apply despite varying limits. 0 when sigma is 0 (p_bar is 0 or 1).
  double z = 0;
  bool beyond_limits = false;  // p > ucl or p < lcl
};

// Fits a p-chart (p_bar = sum rejects / sum sizes) or a Laney p' chart (also sigma_z = mean
// moving range of the z-scores (p_i - p_bar) / sqrt(p_bar (1 - p_bar) / n_i), divided by d2).
// Subgroups of size 0 are skipped and counted. Throws Error{kInput} naming the subgroup if rejects
// or size is negative or rejects > size; Error{kData} if no subgroup has parts, or, for p', if
// fewer than two subgroups remain, p_bar is 0 or 1, or sigma_z is 0.
[[nodiscard]] PChartParams FitPChart(std::span<const Subgroup> baseline, PChartKind kind);

// Places `subgroups` (the baseline itself, or later phase II subgroups) on the chart `params`.
// Subgroups of size 0 give no point. Throws Error{kInput} as FitPChart does for bad subgroups.
[[nodiscard]] std::vector<PChartPoint> EvaluatePChart(const PChartParams& params,
                                                      std::span<const Subgroup> subgroups);

}  // namespace linesight::process
