// core/clock.h: the one clock linesight reads, and the Deadline a part's inspection must meet.
// Monotonic time only; wall-clock timestamps for records come from the caller.
#pragma once

#include <chrono>
#include <limits>

namespace linesight {

using SteadyClock = std::chrono::steady_clock;

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

}  // namespace linesight
