// process/oee.h: overall equipment effectiveness of one machine over one period (a shift) by
// ISO 22400-2, from its machine events (stops with reasons, planned or not) and its parts; with
// the downtime Pareto, MTBF and MTTR (IEC 60050-191). Pure functions over plain values.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "core/part_record.h"

namespace linesight::process {

// What a machine made in the period.
struct OeeCounts {
  int64_t produced = 0;  // parts made (every verdict)
  int64_t good = 0;      // parts good (after reviews)
};

// One stretch of time out of `running`, clipped to the period.
struct Downtime {
  int64_t start_ms = 0, end_ms = 0;
  bool planned = false;
  std::string reason;       // the reason of the event that began it
  bool carried_in = false;  // that event lies before the period
};

// Downtime of one reason, for the Pareto.
struct DowntimeRow {
  std::string reason;
  bool planned = false;
  int64_t ms = 0;
  int64_t stops = 0;
};

struct Oee {
  // ISO 22400-2 times, ms: planned busy time (the period less planned downtime), actual
  // production time (planned busy time less unplanned downtime).
  int64_t period_ms = 0, planned_downtime_ms = 0, unplanned_downtime_ms = 0;
  int64_t planned_busy_ms = 0, actual_production_ms = 0;
  double planned_cycle_s = 0;  // planned run time per unit (PRU)
  OeeCounts counts;
  // The ratios, 0..1 (effectiveness may exceed 1 if the machine ran faster than planned).
  double availability = 0, effectiveness = 0, quality = 0, oee = 0;
  int64_t failures = 0;  // FailuresOf() that began in the period
  double mtbf_s = 0;     // actual production time / failures; 0 without failures
  double mttr_s = 0;     // those failures' repair time in the period / failures; 0 without
  int64_t carried_in_repair_ms = 0;  // repair within the period of a failure begun before it
  std::vector<DowntimeRow> pareto;   // by time lost, most first
};

// The stretches out of `running` within [from_ms, to_ms) from `events` (one machine's, any
// order). The machine's state at from_ms is that of the last event before it, or `running`
// when there is none. Throws Error{kInput} if to_ms <= from_ms.
[[nodiscard]] std::vector<Downtime> DowntimesOf(std::span<const MachineEvent> events,
                                                int64_t from_ms, int64_t to_ms);

// One failure (IEC 60050-191): an unbroken run of unplanned stretches, however many states its
// repair goes through (a die failure, then the die change that repairs it), entered from running
// or from a planned stop (a fault found during a break). Its repair time is the run's time within
// the period; `reason` is its first stretch's. One under way when the period begins is
// `carried_in`: its repair counts in the period's downtime, the failure in the period it began in.
struct Failure {
  int64_t start_ms = 0, end_ms = 0;
  std::string reason;
  bool carried_in = false;
};

// The failures among `downtimes` (DowntimesOf's, in time order).
[[nodiscard]] std::vector<Failure> FailuresOf(std::span<const Downtime> downtimes);

// OEE over [from_ms, to_ms). `planned_cycle_s` is the planned run time per part (a master-data
// value of the part and machine). Throws Error{kInput} if the period is empty or
// planned_cycle_s is not positive, or the counts are negative or good > produced.
[[nodiscard]] Oee ComputeOee(std::span<const MachineEvent> events, const OeeCounts& counts,
                             int64_t from_ms, int64_t to_ms, double planned_cycle_s);

}  // namespace linesight::process
