// ShiftCalendar (store.h): shift starts on UTC or on a time zone's local clock, through the
// system's time zone database (Howard Hinnant's date, the library C++20's <chrono> zones
// come from; g++ 12's library lacks them).
#include <date/tz.h>

#include <chrono>

#include "core/error.h"
#include "store/store.h"

namespace linesight::store {
namespace {

using Ms = std::chrono::milliseconds;

// The start of the period of `length` from `origin` holding `t`: floor, also before the origin.
int64_t PeriodFloor(int64_t t, int64_t origin, int64_t length) {
  int64_t into = (t - origin) % length;
  if (into < 0) into += length;
  return t - into;
}

const date::time_zone* Zone(const std::string& name) {
  try {
    return date::locate_zone(name);
  } catch (const std::exception& e) {
    throw Error(
        ErrorCategory::kInput,
        "time zone '" + name + "': not in the system's time zone database (" + e.what() + ")",
        "Give an IANA name such as Europe/Berlin or America/Chicago (Debian's tzdata "
        "package holds them, /usr/share/zoneinfo), or none for UTC");
  }
}

}  // namespace

void CheckTimeZone(const std::string& zone) {
  if (!zone.empty()) Zone(zone);
}

int64_t ShiftCalendar::UtcOffsetMs(int64_t time_ms) const {
  if (zone.empty()) return 0;
  const date::sys_time<Ms> t{Ms{time_ms}};
  return std::chrono::duration_cast<Ms>(Zone(zone)->get_info(t).offset).count();
}

int64_t ShiftCalendar::ShiftStart(int64_t time_ms) const {
  if (length_ms <= 0) return time_ms;
  if (zone.empty()) return PeriodFloor(time_ms, origin_ms, length_ms);
  const date::time_zone* z = Zone(zone);
  // The local shift start, back to UTC. A start the clock skipped (spring forward) maps to the
  // moment of the change; one it passed twice (fall back) to the first.
  for (int64_t local = PeriodFloor(time_ms + UtcOffsetMs(time_ms), origin_ms, length_ms);;
       local -= length_ms) {
    const int64_t utc = z->to_sys(date::local_time<Ms>{Ms{local}}, date::choose::earliest)
                            .time_since_epoch()
                            .count();
    if (utc <= time_ms) return utc;
  }
}

}  // namespace linesight::store
