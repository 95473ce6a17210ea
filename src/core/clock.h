// core/clock.h: the one clock linesight reads, and the Deadline a part's inspection must meet.
// Monotonic time for deadlines; UtcNow() is the one wall-clock timestamp for records.
#pragma once

#include <chrono>
#include <cstdint>
#include <ctime>
#include <limits>
#include <string>

namespace linesight {

using SteadyClock = std::chrono::steady_clock;

// Spans in the milliseconds that record times count (ms since the Unix epoch, UTC).
inline constexpr int64_t kMinuteMs = 60 * 1000;
inline constexpr int64_t kHourMs = 60 * kMinuteMs;
inline constexpr int64_t kDayMs = 24 * kHourMs;
inline constexpr int64_t kWeekMs = 7 * kDayMs;

// A point in monotonic time after which a result is too late to act on. Cheap to copy.
class Deadline {
 public:
  // A deadline that never passes.
  static Deadline Never() { return Deadline(SteadyClock::time_point::max()); }
  // A deadline `budget` from now.
  static Deadline In(std::chrono::microseconds budget) {
    return Deadline(SteadyClock::now() + budget);
  }

  explicit Deadline(SteadyClock::time_point at) : at_(at) {}

  // True once the deadline has passed.
  bool Passed() const { return at_ != SteadyClock::time_point::max() && SteadyClock::now() > at_; }

 private:
  SteadyClock::time_point at_;
};

// Milliseconds elapsed since `start`, as a double.
inline double MillisSince(SteadyClock::time_point start) {
  return std::chrono::duration<double, std::milli>(SteadyClock::now() - start).count();
}

// A record time (UTC ms since the Unix epoch) in strftime's `format`, as UTC, e.g.
// FormatUtc(ms, "%Y-%m-%d %H:%M UTC"); seconds are cut, not rounded.
inline std::string FormatUtc(int64_t ms, const char* format) {
  const std::time_t t = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, format, &tm);
  return buf;
}

// The current UTC time as ISO 8601 with seconds, e.g. "2026-12-02T06:46:53Z".
inline std::string UtcNow() {
  const std::time_t t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  return FormatUtc(static_cast<int64_t>(t) * 1000, "%Y-%m-%dT%H:%M:%SZ");
}

// The current UTC time in record time: milliseconds since the Unix epoch.
inline int64_t UtcNowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace linesight
