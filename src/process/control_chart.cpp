#include "process/control_chart.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

#include "core/error.h"

namespace linesight::process {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

void CheckSubgroup(const Subgroup& s, std::size_t index) {
  if (s.size < 0 || s.rejects < 0 || s.rejects > s.size) {
    throw Error(ErrorCategory::kInput,
                "subgroup " + std::to_string(index) + " has " + std::to_string(s.rejects) +
                    " rejects of " + std::to_string(s.size) + " parts",
                "Give each subgroup a size >= 0 and 0 <= rejects <= size");
  }
}

// The binomial sigma of a subgroup's proportion, before any Laney factor.
double BinomialSigma(double p_bar, std::int64_t size) {
  return std::sqrt(p_bar * (1.0 - p_bar) / static_cast<double>(size));
}

}  // namespace

std::vector<double> MovingRanges(std::span<const double> values) {
  std::vector<double> ranges(values.size(), kNaN);
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (std::isinf(values[i])) {
      throw Error(ErrorCategory::kInput, "value " + std::to_string(i) + " is infinite",
                  "Pass NaN for a value that was not measured, and drop sentinel values first");
    }
    if (i > 0 && !std::isnan(values[i]) && !std::isnan(values[i - 1])) {
      ranges[i] = std::fabs(values[i] - values[i - 1]);
    }
  }
  return ranges;
}

IndividualsLimits FitIndividualsChart(std::span<const double> baseline) {
  const std::vector<double> ranges = MovingRanges(baseline);  // also rejects infinities
  IndividualsLimits out;
  double sum = 0;
  for (double x : baseline) {
    if (std::isnan(x)) {
      ++out.not_measured;
    } else {
      sum += x;
      ++out.measured;
    }
  }
  double range_sum = 0;
  for (double r : ranges) {
    if (!std::isnan(r)) {
      range_sum += r;
      ++out.moving_ranges;
    }
  }
  if (out.moving_ranges == 0) {
    throw Error(ErrorCategory::kData,
                "the baseline has " + std::to_string(out.measured) + " measured values of " +
                    std::to_string(baseline.size()) + " and no two adjacent ones",
                "Supply a baseline of at least two successive measured values (20 or more "
                "is usual for phase I)");
  }
  out.centre = sum / static_cast<double>(out.measured);
  out.mr_bar = range_sum / static_cast<double>(out.moving_ranges);
  if (!std::isfinite(out.centre) || !std::isfinite(out.mr_bar)) {
    throw Error(ErrorCategory::kData,
                "the baseline's values are too large to chart (their mean or moving range "
                "overflows)",
                "Check the sensor: values near 1e308 are no measurement (the server now stores "
                "them as not measured)");
  }
  if (out.mr_bar == 0) {
    throw Error(ErrorCategory::kData,
                "every moving range of the baseline is 0, so the control limits would have no "
                "width",
                "Check that the value is really measured (not a constant set point), or chart "
                "it at a finer resolution");
  }
  out.sigma = out.mr_bar / kD2;
  out.ucl = out.centre + 3 * out.sigma;
  out.lcl = out.centre - 3 * out.sigma;
  out.mr_ucl = kD4 * out.mr_bar;
  out.mr_lcl = 0;
  return out;
}

PChartParams FitPChart(std::span<const Subgroup> baseline, PChartKind kind) {
  PChartParams params;
  params.kind = kind;
  std::int64_t rejects = 0;
  std::int64_t parts = 0;
  for (std::size_t i = 0; i < baseline.size(); ++i) {
    CheckSubgroup(baseline[i], i);
    if (baseline[i].size == 0) {
      ++params.empty_subgroups;
      continue;
    }
    ++params.subgroups;
    rejects += baseline[i].rejects;
    parts += baseline[i].size;
  }
  if (parts == 0) {
    throw Error(ErrorCategory::kData, "no baseline subgroup has any parts",
                "Supply subgroups with inspected parts (20 or more subgroups is usual)");
  }
  params.p_bar = static_cast<double>(rejects) / static_cast<double>(parts);
  if (kind == PChartKind::kP) return params;

  if (params.subgroups < 2) {
    throw Error(ErrorCategory::kData, "Laney p' needs at least two non-empty subgroups",
                "Supply more subgroups, or use the p-chart");
  }
  if (params.p_bar == 0 || params.p_bar == 1) {
    throw Error(
        ErrorCategory::kData,
        params.p_bar == 0 ? "the baseline has no rejects" : "every baseline part is a reject",
        "Laney p' is undefined without variation; use the p-chart, or a longer baseline");
  }
  // sigma_z: the moving range of the z-scores of successive non-empty subgroups over d2 (Laney
  // 2002). An empty subgroup is no production, not a missing reading, so it does not break a range.
  double previous_z = 0;
  bool have_previous = false;
  double range_sum = 0;
  std::size_t ranges = 0;
  for (const Subgroup& s : baseline) {
    if (s.size == 0) continue;
    const double p = static_cast<double>(s.rejects) / static_cast<double>(s.size);
    const double z = (p - params.p_bar) / BinomialSigma(params.p_bar, s.size);
    if (have_previous) {
      range_sum += std::fabs(z - previous_z);
      ++ranges;
    }
    previous_z = z;
    have_previous = true;
  }
  params.sigma_z = range_sum / static_cast<double>(ranges) / kD2;
  if (params.sigma_z == 0) {
    throw Error(ErrorCategory::kData, "every baseline subgroup has the same z-score (sigma_z = 0)",
                "Use the p-chart, or a baseline with more subgroups");
  }
  return params;
}

std::vector<PChartPoint> EvaluatePChart(const PChartParams& params,
                                        std::span<const Subgroup> subgroups) {
  std::vector<PChartPoint> points;
  points.reserve(subgroups.size());
  const double factor = params.kind == PChartKind::kLaneyPPrime ? params.sigma_z : 1.0;
  for (std::size_t i = 0; i < subgroups.size(); ++i) {
    CheckSubgroup(subgroups[i], i);
    if (subgroups[i].size == 0) continue;
    PChartPoint pt;
    pt.index = i;
    pt.p = static_cast<double>(subgroups[i].rejects) / static_cast<double>(subgroups[i].size);
    pt.sigma = BinomialSigma(params.p_bar, subgroups[i].size) * factor;
    pt.ucl = std::min(1.0, params.p_bar + 3 * pt.sigma);
    pt.lcl = std::max(0.0, params.p_bar - 3 * pt.sigma);
    pt.z = pt.sigma > 0 ? (pt.p - params.p_bar) / pt.sigma : 0.0;
    pt.beyond_limits = pt.p > pt.ucl || pt.p < pt.lcl;
    points.push_back(pt);
  }
  return points;
}

}  // namespace linesight::process
