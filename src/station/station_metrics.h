// station/station_metrics.h: what a running station reports about itself — the trigger-to-result
// latency histogram (atomic, allocation-free on the line path), a snapshot of the station's
// state, and its renderings as Prometheus text (/metrics), health JSON (/healthz) and the MQTT
// status message (docs/station.md, docs/mqtt.md).
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "station/uplink.h"

namespace linesight::station {

// Counters of a running station (for status lines, /metrics and tests).
struct StationCounters {
  uint64_t parts = 0, pass = 0, reject = 0, hold = 0;
  uint64_t holds_by_reason[16] = {};
  uint64_t outbox_errors = 0;    // parts whose record could not be stored at once (kept, retried)
  uint64_t duplicate_parts = 0;  // parts held because their part id was already in the outbox
  uint64_t model_swaps = 0, model_swap_failures = 0;
  // Parts rejected only because their die's recurring mark stood: inspection alone passed them.
  uint64_t recurring_mark_parts = 0;
  // Recurring marks a person cleared through the PLC (command bit CLEAR_MARK) while they stood.
  uint64_t recurring_mark_clears = 0;
  uint64_t holds_in_a_row = 0;  // the latest parts' holds, up to the latest pass or reject
};

// Upper bounds of the latency buckets, in seconds (Prometheus `le`); a last bucket is +Inf.
inline constexpr std::array<double, 12> kLatencyBucketsS = {0.005, 0.01, 0.02, 0.03, 0.05, 0.075,
                                                            0.1,   0.2,  0.5,  1,    2,    5};

// Thread-safe: Record() on the line thread, Read() from any thread. Record never allocates or
// locks (relaxed atomics; a reader may see a count one part ahead of the sum).
class LatencyHistogram {
 public:
  void Record(double seconds);
  struct Counts {
    std::array<uint64_t, kLatencyBucketsS.size() + 1> buckets{};  // per bucket, not cumulative
    uint64_t count = 0;
    double sum_s = 0;
  };
  Counts Read() const;

 private:
  std::array<std::atomic<uint64_t>, kLatencyBucketsS.size() + 1> buckets_{};
  std::atomic<uint64_t> count_{0};
  std::atomic<uint64_t> sum_us_{0};  // integer microseconds: atomic add without a CAS loop
};

// The station's state at one moment, gathered under its lock.
struct StationSnapshot {
  std::string station, machine;
  // A view has no model, or records wait for the outbox: the PLC sees FAULT, /healthz answers 503.
  bool fault = false;
  int64_t unsaved = 0;  // records the outbox refused, held in memory until it takes them
  std::vector<std::pair<std::string, std::string>> models;  // view -> model id ("" = none)
  StationCounters counters;
  bool plc_connected = false;
  bool camera_ok = true;        // false when the last part had a view held "camera"
  double last_part_age_s = -1;  // seconds since the last part's result; -1 before the first
  // The defect risk of the latest shot that had one (0..1); NaN before the first or without a
  // risk model.
  double last_risk = std::numeric_limits<double>::quiet_NaN();
  int64_t die_memory_parts = 0;  // parts of the current die in the first view's die memory
  int64_t outbox_pending = 0;    // parts stored but not yet sent upstream
  LatencyHistogram::Counts latency;
  int64_t time_ms = 0;          // UTC, when taken
  bool uplink_enabled = false;  // the station file has an uplink: section
  UplinkStats uplink;           // when uplink_enabled
};

// Prometheus text exposition format 0.0.4.
std::string MetricsText(const StationSnapshot& s);
// {"ok","state","station","machine","models":{view:id},"camera","plc_connected","last_part_age_s",
// "outbox_pending"}, and "uplink":{"connected","last_status","last_error","pending_parts",
// "parked_parts"} when the uplink runs; state is "running" or "fault", ok is state == running.
nlohmann::json HealthJson(const StationSnapshot& s);
// The retained MQTT status: HealthJson plus counters and time_ms.
nlohmann::json StatusJson(const StationSnapshot& s);

}  // namespace linesight::station
