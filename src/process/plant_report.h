// process/plant_report.h: the plant's four targets (inspection labour -15%, unplanned downtime
// -50%, quality +5%, management effort -20%) from what the store measured over a period, each
// against a baseline without linesight, with its method in words. Pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace linesight::process {

// What the period's records say (the CLI reads them from the store; the demo adds its truth).
struct PlantFacts {
  int64_t from_ms = 0, to_ms = 0;
  int machines = 0;           // machines that made parts in the period
  double shifts = 0;          // shifts in which any machine made parts
  double machine_shifts = 0;  // (machine, shift) pairs in which the machine made parts
  int64_t parts = 0, passes = 0, rejects = 0, holds = 0;
  int64_t good = 0;               // good after reviews
  int64_t reviewed_passes = 0;    // parts the line passed that a person reviewed anyway
  int64_t escapes_found = 0;      // of those, found bad
  int64_t rejects_overruled = 0;  // rejects a person judged good
  // The simulator's truth (the demo): parts really bad, and bad parts the line passed.
  std::optional<int64_t> truly_bad, true_escapes;
  int64_t unplanned_downtime_ms = 0, die_failure_downtime_ms = 0, planned_downtime_ms = 0;
  int64_t failures = 0;  // unplanned stops; -1: not counted
  int64_t alarms = 0;    // alarms raised automatically (SPC, die warnings)
};

// The figures a baseline needs and no record holds. Defaults are assumptions, stated in the
// report; a plant sets its own (docs/process.md "Plant report").
struct PlantAssumptions {
  double manual_minutes_per_part = 0.5;  // a person inspecting one casting by eye
  double review_minutes_per_part = 1.0;  // a person checking a part the line held or rejected
  double manual_escape_rate = 0.2;       // share of bad castings a manual inspection passes
  // Share of unplanned downtime acting on die warnings removes (process_sim_bench's
  // downtime_cut over all unplanned stops); unset: the downtime target is not estimated.
  std::optional<double> downtime_cut;
  std::string downtime_cut_source;               // where that figure comes from
  double report_minutes_per_machine_shift = 20;  // compiling a shift's quality/OEE report by hand
  double watch_minutes_per_machine_shift = 30;   // watching charts for drifts by hand
  double alarm_minutes = 10;                     // a person acting on one automatic alarm
  double read_minutes_per_shift = 10;            // reading the automatic report, per shift
};

// One target: baseline and with linesight in `unit`, the change, the goal, and the method.
struct TargetFigure {
  std::string key;    // "inspection_labour", "unplanned_downtime", "quality", "management_effort"
  std::string title;  // "Inspection labour"
  std::string unit;   // "h", "%"
  bool estimated = false;  // false: not enough data; `note` says why
  double baseline = 0, with_linesight = 0;
  double change = 0;  // relative: (with - baseline) / baseline; quality: percentage points
  double goal = 0;    // the plant's target in the same terms as `change`
  bool met = false;
  std::string method;  // how each figure was made, in words
  std::string note;    // what was left out or assumed
};

struct PlantReport {
  PlantFacts facts;
  PlantAssumptions assumptions;
  std::vector<TargetFigure> targets;  // the four, in the plant's order
};

// Throws Error{kInput} if the facts are inconsistent (negative counts, more passes than parts,
// an empty period) or an assumption is out of range (naming it).
[[nodiscard]] PlantReport ComputePlantReport(const PlantFacts& facts,
                                             const PlantAssumptions& assumptions);

}  // namespace linesight::process
