// process/telemetry.h: reads one shot's process values as a machine (or its gateway) publishes
// them over MQTT (docs/mqtt.md, "Telemetry in"): the topic names the machine, the JSON payload the
// shot. Checks every field; values outside a sensor's plausible range are faults, kept as "not
// measured" and named. Pure functions.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/part_record.h"

namespace linesight::process {

// The range a process variable's sensor can plausibly read; outside it, the reading is a fault
// (a dead thermocouple reads 0 or 1449, a counter 65534).
struct PlausibleRange {
  std::string_view variable;
  double lo, hi;
};
[[nodiscard]] std::span<const PlausibleRange> PlausibleRanges();

// Sets every value of `p` outside its sensor's plausible range (or not finite) to not measured
// (NaN), as telemetry keeps them, and returns them as "melt_temp_c=65535".
std::vector<std::string> ClearImplausible(ProcessValues& p);

struct Telemetry {
  Shot shot;
  std::vector<std::string> implausible;  // "melt_temp_c=0": read, out of range, not stored
  std::vector<std::string> ignored;      // unknown keys under "process", not stored
};

// How far a shot's time may lie ahead of the receiver's clock before it is refused.
inline constexpr int64_t kMaxClockAheadMs = 10 * 60 * 1000;

// Reads a message of topic linesight/v1/<site>/<line>/<machine>/telemetry received at `now_ms`.
// Throws Error{kInput} naming the field and the fix: a topic of another shape, a payload that is
// not a JSON object, a missing or wrong shot, die or time, a machine that differs from the
// topic's, a time more than kMaxClockAheadMs ahead (a clock that jumped), a process value that is
// not a number or null.
[[nodiscard]] Telemetry ParseTelemetry(std::string_view topic, std::string_view payload,
                                       int64_t now_ms);

}  // namespace linesight::process
