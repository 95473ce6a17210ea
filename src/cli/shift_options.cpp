#include "cli/shift_options.h"

#include <cctype>
#include <cmath>
#include <cstdio>

#include "core/error.h"

namespace linesight::cli {
namespace {

constexpr int64_t kMinuteMs = 60'000;
constexpr int64_t kDayMinutes = 24 * 60;

// "HH:MM" (00:00-23:59) as minutes after midnight, or -1.
int64_t MinutesOfDay(const std::string& text) {
  const auto digit = [&](size_t i) { return std::isdigit(static_cast<unsigned char>(text[i])); };
  if (text.size() != 5 || text[2] != ':' || !digit(0) || !digit(1) || !digit(3) || !digit(4))
    return -1;
  const int h = (text[0] - '0') * 10 + (text[1] - '0');
  const int m = (text[3] - '0') * 10 + (text[4] - '0');
  return h <= 23 && m <= 59 ? h * 60 + m : -1;
}

}  // namespace

void AddShiftOptions(CLI::App& cmd, ShiftArgs& a) {
  cmd.add_option("--shift-start", a.start,
                 "When a shift starts, HH:MM on the --shift-zone clock; the others follow every "
                 "--shift-hours")
      ->capture_default_str();
  cmd.add_option("--shift-hours", a.hours,
                 "Shift length, whole hours that divide a day (8, 12, 6, 24)")
      ->capture_default_str();
  cmd.add_option("--shift-zone", a.zone,
                 "The plant's time zone, e.g. Europe/Berlin: shifts keep its local time through "
                 "summer time (default UTC)");
}

store::ShiftCalendar ShiftCalendarOf(const ShiftArgs& a) {
  const int64_t start = MinutesOfDay(a.start);
  if (start < 0)
    throw Error(ErrorCategory::kInput, "--shift-start " + a.start + ": not a time of day HH:MM",
                "Give when a shift starts, e.g. --shift-start 06:00");
  const double minutes = a.hours * 60;
  const int64_t whole = std::llround(minutes);
  const bool whole_hours =
      std::abs(minutes - static_cast<double>(whole)) < 1e-6 && whole >= 60 && whole % 60 == 0;
  if (!whole_hours || kDayMinutes % whole != 0) {
    char hours[32];
    std::snprintf(hours, sizeof hours, "%g", a.hours);
    throw Error(
        ErrorCategory::kInput,
        std::string("--shift-hours ") + hours + ": not whole hours that divide a day into shifts",
        "Give whole hours that divide 24: 8 (three shifts), 12 (two), 6, 4 or 24; a "
        "plant that works two 8 h shifts keeps 8 (its night is a shift without parts)");
  }
  store::ShiftCalendar c;
  c.origin_ms = start * kMinuteMs;
  c.length_ms = whole * kMinuteMs;
  try {
    store::CheckTimeZone(a.zone);
  } catch (const Error& e) {
    throw Error(e.category(), "--shift-zone: " + std::string(e.cause()), e.fix());
  }
  c.zone = a.zone;
  return c;
}

}  // namespace linesight::cli
