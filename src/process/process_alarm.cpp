#include "process/process_alarm.h"

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "core/error.h"
#include "process/median.h"

namespace linesight::process {
namespace {

void CheckFinite(std::span<const double> values, const char* what) {
  for (size_t i = 0; i < values.size(); ++i)
    if (std::isinf(values[i]))
      throw Error(ErrorCategory::kInput,
                  std::string(what) + " value " + std::to_string(i) + " is infinite",
                  "Pass measured values, or NaN where a value was not measured");
}

}  // namespace

AlarmLimits FitAlarmLimits(std::span<const double> baseline, std::size_t min_measured) {
  CheckFinite(baseline, "baseline");
  std::vector<double> v;
  for (double x : baseline)
    if (!std::isnan(x)) v.push_back(x);
  if (v.empty())
    throw Error(ErrorCategory::kData, "the value was not measured on any baseline shot",
                "Check the sensor or the column mapping of this variable");
  if (v.size() < std::max<size_t>(min_measured, 2))
    throw Error(ErrorCategory::kData,
                "the baseline has " + std::to_string(v.size()) + " measured values, fewer than " +
                    std::to_string(min_measured),
                "Wait for more production shots of this value before judging it");
  AlarmLimits out;
  out.measured = v.size();
  out.centre = MedianInPlace(v);
  for (double& x : v) x = std::abs(x - out.centre);
  out.sigma = 1.4826 * MedianInPlace(v);
  if (!std::isfinite(out.centre) || !std::isfinite(out.sigma))
    throw Error(ErrorCategory::kData,
                "the baseline's values are too large for their spread to be a number",
                "Check the values sent for this variable: they are beyond any sensor's range");
  if (!(out.sigma > 0))
    throw Error(ErrorCategory::kData,
                "at least half of the baseline's values are equal, so its spread is 0",
                "A value that barely changes has no spread to judge by; check the sensor");
  return out;
}

std::optional<ProcessAlarm> CheckOnDelay(std::span<const double> points, const AlarmLimits& limits,
                                         const OnDelay& delay) {
  if (!(std::isfinite(limits.sigma) && limits.sigma > 0) || !std::isfinite(limits.centre))
    throw Error(ErrorCategory::kInput, "alarm limits need a finite centre and a sigma above 0",
                "Fit the limits with FitAlarmLimits");
  if (delay.of < 1 || delay.beyond < 1 || delay.beyond > delay.of || !(delay.k > 0))
    throw Error(ErrorCategory::kInput,
                "an on-delay of " + std::to_string(delay.beyond) + " of " +
                    std::to_string(delay.of) + " points cannot be met",
                "Use 1 <= beyond <= of and k > 0");
  int seen = 0, up = 0, down = 0;
  std::optional<size_t> last_up, last_down;
  for (size_t i = points.size(); i-- > 0 && seen < delay.of;) {
    const double x = points[i];
    if (std::isnan(x)) continue;
    if (std::isinf(x))
      throw Error(ErrorCategory::kInput, "point " + std::to_string(i) + " is infinite",
                  "Pass measured values, or NaN where a value was not measured");
    ++seen;
    if (x > limits.centre + delay.k * limits.sigma) {
      ++up;
      if (!last_up) last_up = i;
    } else if (x < limits.centre - delay.k * limits.sigma) {
      ++down;
      if (!last_down) last_down = i;
    }
  }
  if (seen < delay.of) return std::nullopt;
  if (up >= delay.beyond) return ProcessAlarm{+1, *last_up, up};
  if (down >= delay.beyond) return ProcessAlarm{-1, *last_down, down};
  return std::nullopt;
}

}  // namespace linesight::process
