#include "process/oee.h"

#include <algorithm>
#include <map>
#include <utility>

#include "core/error.h"

namespace linesight::process {
namespace {

std::vector<MachineEvent> InTimeOrder(std::span<const MachineEvent> events) {
  std::vector<MachineEvent> sorted(events.begin(), events.end());
  std::stable_sort(sorted.begin(), sorted.end(), [](const MachineEvent& a, const MachineEvent& b) {
    return a.time_ms < b.time_ms;
  });
  return sorted;
}

void CheckPeriod(int64_t from_ms, int64_t to_ms) {
  if (to_ms <= from_ms)
    throw Error(ErrorCategory::kInput,
                "the period ends (" + std::to_string(to_ms) + ") before it starts (" +
                    std::to_string(from_ms) + ")",
                "give to_ms > from_ms");
}

}  // namespace

std::vector<Failure> FailuresOf(std::span<const Downtime> downtimes) {
  std::vector<Failure> out;
  const Downtime* previous = nullptr;
  for (const Downtime& d : downtimes) {
    if (!d.planned) {
      const bool continues = previous && !previous->planned && previous->end_ms == d.start_ms;
      if (continues)
        out.back().end_ms = d.end_ms;
      else
        out.push_back({d.start_ms, d.end_ms, d.reason, d.carried_in});
    }
    previous = &d;
  }
  return out;
}

std::vector<Downtime> DowntimesOf(std::span<const MachineEvent> events, int64_t from_ms,
                                  int64_t to_ms) {
  CheckPeriod(from_ms, to_ms);
  const std::vector<MachineEvent> sorted = InTimeOrder(events);
  std::vector<Downtime> out;
  const MachineEvent* current = nullptr;  // the event that set the state now
  int64_t since = from_ms;
  auto close = [&](int64_t at) {
    if (current && current->state != MachineState::kRunning && at > since)
      out.push_back({since, at, current->planned, current->reason, current->time_ms < from_ms});
  };
  for (const MachineEvent& e : sorted) {
    if (e.time_ms >= to_ms) break;
    if (e.time_ms <= from_ms) {
      current = &e;  // the state the period starts in
      continue;
    }
    close(e.time_ms);
    current = &e;
    since = e.time_ms;
  }
  close(to_ms);
  return out;
}

Oee ComputeOee(std::span<const MachineEvent> events, const OeeCounts& counts, int64_t from_ms,
               int64_t to_ms, double planned_cycle_s) {
  CheckPeriod(from_ms, to_ms);
  if (!(planned_cycle_s > 0))
    throw Error(ErrorCategory::kInput, "the planned cycle time must be positive",
                "give the part's planned run time per unit in seconds");
  if (counts.produced < 0 || counts.good < 0 || counts.good > counts.produced)
    throw Error(ErrorCategory::kInput,
                "good parts (" + std::to_string(counts.good) + ") must be between 0 and the " +
                    std::to_string(counts.produced) + " produced",
                "count good parts among the produced ones");
  Oee o;
  o.period_ms = to_ms - from_ms;
  o.planned_cycle_s = planned_cycle_s;
  o.counts = counts;
  std::map<std::pair<std::string, bool>, DowntimeRow> by_reason;
  const std::vector<Downtime> downtimes = DowntimesOf(events, from_ms, to_ms);
  for (const Downtime& d : downtimes) {
    (d.planned ? o.planned_downtime_ms : o.unplanned_downtime_ms) += d.end_ms - d.start_ms;
    DowntimeRow& row = by_reason[{d.reason, d.planned}];
    row.reason = d.reason;
    row.planned = d.planned;
    row.ms += d.end_ms - d.start_ms;
    ++row.stops;
  }
  o.planned_busy_ms = o.period_ms - o.planned_downtime_ms;
  o.actual_production_ms = o.planned_busy_ms - o.unplanned_downtime_ms;
  if (o.planned_busy_ms > 0)
    o.availability = static_cast<double>(o.actual_production_ms) / o.planned_busy_ms;
  if (o.actual_production_ms > 0)
    o.effectiveness = planned_cycle_s * 1000.0 * counts.produced / o.actual_production_ms;
  if (counts.produced > 0) o.quality = static_cast<double>(counts.good) / counts.produced;
  o.oee = o.availability * o.effectiveness * o.quality;
  int64_t repair_ms = 0;
  for (const Failure& f : FailuresOf(downtimes)) {
    (f.carried_in ? o.carried_in_repair_ms : repair_ms) += f.end_ms - f.start_ms;
    o.failures += !f.carried_in;
  }
  if (o.failures > 0) {
    o.mtbf_s = o.actual_production_ms / 1000.0 / o.failures;
    o.mttr_s = repair_ms / 1000.0 / o.failures;
  }
  for (auto& [key, row] : by_reason) o.pareto.push_back(std::move(row));
  std::stable_sort(o.pareto.begin(), o.pareto.end(),
                   [](const DowntimeRow& a, const DowntimeRow& b) { return a.ms > b.ms; });
  return o;
}

}  // namespace linesight::process
