// core/part_record.h: the records every layer above the inspector shares, designed once: the
// shot that made a part (machine, die, process values), the part as judged at a station (verdict
// per view, model id, latency) and machine events (stops, die changes). The station's outbox,
// the uplink, MQTT, the store and the process analytics all read and write these.
#pragma once

#include <cstdint>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/outcome.h"

namespace linesight {

inline constexpr double kNotMeasured = std::numeric_limits<double>::quiet_NaN();

// One shot's process values, as the machine measured them. NaN = not measured (JSON null).
struct ProcessValues {
  double melt_temp_c = kNotMeasured;          // melt temperature at injection, deg C
  double die_temp_c = kNotMeasured;           // die surface temperature before the shot, deg C
  double fast_shot_mps = kNotMeasured;        // fast-shot plunger speed, m/s
  double intensification_bar = kNotMeasured;  // intensification pressure on the metal, bar
  double spray_s = kNotMeasured;              // die spray time, s
  double vacuum_mbar = kNotMeasured;          // cavity pressure under vacuum, mbar (lower = better)
  double cycle_s = kNotMeasured;              // time since the previous shot, s
};

// A process variable by name, for code that treats them all alike (SPC, CSV import, causes).
struct ProcessVariable {
  std::string_view name;  // JSON key and column name, e.g. "melt_temp_c"
  std::string_view unit;  // "degC", "m/s", "bar", "s", "mbar"
  double ProcessValues::*field;
};
// All process variables, in the order of ProcessValues.
std::span<const ProcessVariable> ProcessVariables();

// Where a part comes from: one shot of one machine.
struct Shot {
  std::string machine;   // machine id, e.g. "M3"
  std::string die;       // id of the die on the machine, e.g. "M3-D02"
  int64_t shot = 0;      // the machine's shot counter (> 0)
  int64_t die_shot = 0;  // shots made by this die, this one included
  int64_t time_ms = 0;   // when the shot was made: UTC, milliseconds since the Unix epoch
  ProcessValues process;
};

// The plant-wide id of the part a shot made: "<machine>-<shot>", e.g. "M3-000001234".
std::string PartId(std::string_view machine, int64_t shot);

// A place where the die's memory of its parts (inspect/die_memory.h) sees a mark recurring: in the
// part's own frame as Finding's place (rim radii), and how strongly it stands out (robust spreads).
struct DieMarkSeen {
  double x = 0, y = 0, size = 0, sigma = 0;
};

// A place where findings recur on the die's recent parts (station/recurring_mark.h): in the
// part's own frame (rim radii), on `parts` of the last `window` parts when it was found. While
// it stands the view does not pass, whatever its own score.
struct RecurringMarkSeen {
  double x = 0, y = 0, size = 0;
  int parts = 0, window = 0;
};

// The verdict on one view (pose) of a part, with the model that gave it.
struct ViewResult {
  std::string view = "top";  // the pose's name in the station's configuration
  Decision decision = Decision::kHold;
  HoldReason reason = HoldReason::kNone;  // set iff decision == kHold
  std::string detail;                     // why it was held, for people
  float score = 0;  // the decision score; reject iff score > threshold or recurring_mark is set
  float threshold = 0;
  std::vector<Finding> findings;
  std::string model_id;   // the model that judged this view ("" if none was loaded)
  double inspect_ms = 0;  // align + score
  std::string image;      // name of the kept image in the station's image folder, "" if not kept
  std::string heatmap;    // its anomaly heatmap (HeatmapLayer, inspect/overlay.h), "" if none
  // Set when the station's memory of this die's parts marks a place (not a finding of this part;
  // the recurring-mark watch takes it for the die's mark: station/recurring_mark.h).
  std::optional<DieMarkSeen> die_mark;
  // Set when findings recur at one place of this die's parts: the view is rejected for it.
  std::optional<RecurringMarkSeen> recurring_mark;
};

// One part as judged at a station. The part passes only if every view passes; it is held if any
// view is held (the line treats hold as reject), rejected if any view is rejected.
struct PartRecord {
  std::string part_id;  // PartId(shot.machine, shot.shot)
  std::string station;  // station id
  Shot shot;
  Decision decision = Decision::kHold;  // the part's, combined over views
  HoldReason reason = HoldReason::kNone;
  std::vector<ViewResult> views;
  int64_t trigger_time_ms = 0;  // UTC ms when the PLC triggered the inspection
  double latency_ms = 0;        // trigger to result valid, as the PLC saw it
  // The shot's defect risk from its process values alone, as the station judged it before the
  // part was inspected (process/shot_risk.h), 0..1; NaN when the station has no risk model or
  // no process values. `risk_model` names the model ("" = none).
  double risk = kNotMeasured;
  std::string risk_model;
};

// Combines the views' verdicts into the part's: hold if any is held (its reason), else reject if
// any is rejected, else pass; hold (kInternal) when there are no views.
void CombineViews(PartRecord& part);

// True for a part rejected only because its die's recurring mark stood: every rejecting view
// carries `recurring_mark` and its own score passed (docs/station.md, "Recurring marks").
bool RejectedForRecurringMark(const PartRecord& part);

// What a machine is doing from an event on.
enum class MachineState : uint8_t { kRunning = 0, kStopped = 1, kDieChange = 2 };
std::string_view MachineStateName(MachineState s);  // "running", "stopped", "die_change"

// A machine entering a state. Downtime is the time spent out of kRunning; it is unplanned when
// the event that began it is not planned. Reason codes are listed in docs/records.md.
struct MachineEvent {
  std::string machine;
  int64_t time_ms = 0;  // UTC ms
  MachineState state = MachineState::kRunning;
  bool planned = true;
  std::string reason;  // e.g. "shift_start", "break", "die_failure", "machine_fault"
  std::string die;     // the die on the machine after the event
  std::string detail;  // free text for people
};

// JSON (docs/records.md). The readers check every key and type and throw Error{kInput} naming
// the field that is missing or wrong.
nlohmann::json ToJson(const ProcessValues& p);
nlohmann::json ToJson(const Shot& s);
nlohmann::json ToJson(const Finding& f);
nlohmann::json ToJson(const ViewResult& v);
nlohmann::json ToJson(const PartRecord& r);
nlohmann::json ToJson(const MachineEvent& e);
ProcessValues ProcessValuesFromJson(const nlohmann::json& j);
Shot ShotFromJson(const nlohmann::json& j);
PartRecord PartRecordFromJson(const nlohmann::json& j);
// Throws Error{kInput} naming the field if a record coming in from outside (ingest) has a part id
// that is not 1-128 printable ASCII characters without space, '/' or '\', or says pass without
// at least one view, each passed. Records already stored are not held to it (older versions
// stored such ids), so reading them back never fails for it.
void CheckIncomingPart(const PartRecord& record);
MachineEvent MachineEventFromJson(const nlohmann::json& j);

}  // namespace linesight
