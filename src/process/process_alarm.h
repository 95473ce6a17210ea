// process/process_alarm.h: when a process value should call a person: limits from the value's
// long-term spread (robust to the excursions it is meant to catch) and an on-delay, so that a
// drift the process always has and a single stray shot stay on the SPC page. Pure functions.
#pragma once

#include <cstddef>
#include <optional>
#include <span>

namespace linesight::process {

// Alarm limits of one process value: centre +- k sigma of its long-term spread.
struct AlarmLimits {
  double centre = 0;         // median of the measured baseline values
  double sigma = 0;          // 1.4826 x their median absolute deviation (sigma for normal data)
  std::size_t measured = 0;  // baseline values used (NaN skipped)
};

// Fits alarm limits on `baseline`. The median and MAD ignore the few shots of an excursion in the
// baseline, and unlike MR-bar / d2 they include slow drift, which a process whose value wanders
// over hours shows as common cause (an I-MR chart's short-term sigma flags such a value on ~10% of
// shots). Throws Error{kInput} for an infinite value and Error{kData} for fewer than
// `min_measured` measured values or a MAD of 0.
[[nodiscard]] AlarmLimits FitAlarmLimits(std::span<const double> baseline,
                                         std::size_t min_measured = 60);

// An alarm on-delay (ISA-18.2 / EEMUA 191 against fleeting and chattering alarms): at least
// `beyond` of the latest `of` measured points beyond `k` sigma, all on one side.
struct OnDelay {
  int beyond = 4, of = 5;
  double k = 3;
};

struct ProcessAlarm {
  int side = 0;           // +1 above the upper limit, -1 below the lower one
  std::size_t index = 0;  // the latest point beyond the limit on that side, index in `points`
  int beyond = 0;         // how many of the window's points were beyond on that side
};

// The alarm on the latest `delay.of` measured points of `points` (oldest first; NaN skipped), or
// nullopt. Fewer measured points than `delay.of` never alarm. Reads only from the end back to
// the oldest of those points, so a long history costs nothing. Throws Error{kInput} for an
// infinite point among them, limits whose sigma is not finite and > 0, or an on-delay that cannot
// be met.
[[nodiscard]] std::optional<ProcessAlarm> CheckOnDelay(std::span<const double> points,
                                                       const AlarmLimits& limits,
                                                       const OnDelay& delay = {});

}  // namespace linesight::process
