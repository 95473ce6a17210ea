// station/cell_run.h: the simulated die-casting cell run end to end, as `linesight demo` shows
// it: each machine of the simulator with its own Station (the code `linesight station` runs), a
// simulated PLC per machine driving it over loopback Modbus TCP, every part in the station's
// outbox, and a tally of the verdicts against the simulator's ground truth.
#pragma once

#include <filesystem>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace linesight::station {

struct CellRunOptions {
  int machines = 9;
  double hours = 8;    // simulated time
  double speed = 300;  // simulated seconds per real second; 0 = as fast as the machine can
  uint64_t seed = 1;
  int64_t start_time_ms = 0;  // when the shift starts, UTC ms
  // Below 1 ages dies faster (the simulator's option): the demo compresses die life so that a
  // die cracks and fails within a shift.
  double die_life_scale = 1;
  std::filesystem::path model;  // the part's model, trained beforehand
  // Each station's defect-risk model ("" = none): FitRiskOnSimulatedHistory's, or the server's.
  std::filesystem::path risk_model;
  std::filesystem::path out;  // one folder per station (outbox, images) under it
  int deadline_ms = 500;
  // The factory server the stations uplink to ("" = none), and each station's token by id.
  std::string uplink_url;
  std::map<std::string, std::string> uplink_tokens;
  // Fraction of passing parts whose image is kept (rejects and holds: always). The demo keeps
  // every image so the dashboard shows each part; a plant samples (docs/station.md).
  double keep_pass_images = 0.01;
  // The line's maintenance acts on a part the station rejected as its die's mark (PLC register 17
  // = die_mark, docs/station.md "Recurring marks"): a planned die change before the machine's
  // next shot, as a plant would order on that alarm, instead of running the die to failure.
  bool change_die_on_mark = true;
  // Called about once a second from the calling thread with one status line per machine.
  std::function<void(const std::vector<std::string>&)> progress;
};

// Counts for one machine, or the whole cell (machine "all").
struct MachineTally {
  std::string machine;
  int parts = 0, passes = 0, rejects = 0, holds = 0;
  int defective = 0, escapes = 0, false_rejects = 0;  // against the simulator's ground truth
  int die_failures = 0, die_changes = 0;
  int die_changes_on_mark = 0;  // planned die changes ordered on the line's die_mark
  double downtime_min = 0, unplanned_downtime_min = 0, die_failure_downtime_min = 0;
  int unplanned_stops = 0;         // stretches of downtime begun by an unplanned event
  std::vector<double> latency_ms;  // trigger to result valid, as the PLC saw it
  std::map<std::string, std::pair<int, int>> by_type;   // defect type: caught, total
  std::map<std::string, std::pair<int, int>> by_cause;  // cause: caught, total
  // Rejected parts with one defect, by its type: the line's type (PLC register 17) right, all.
  std::map<std::string, std::pair<int, int>> typed;
  double LatencyQuantile(double q) const;  // 0 with no parts
  void Add(const MachineTally& other);
};

struct CellSummary {
  std::vector<MachineTally> machines;
  MachineTally total;
  double real_seconds = 0;
  std::vector<float> good_scores, defect_scores;  // score / threshold, for the report
  // Each part's defect risk as its station recorded it (judged before inspection, from the
  // process values alone) and whether the part was truly defective; parts without a risk are
  // left out.
  std::vector<double> risks;
  std::vector<int8_t> risk_truth;
};

// The process history a plant has before the shift: `hours` of a cell like `options`' (the
// same machines and die life, another seed) ending at the shift's start, simulated without
// rendering parts; each shot labelled by its true defects (a perfect inspection's verdict). A
// risk model is fitted on it the way the factory server's GET /api/v1/risk/model fits one and
// written to `path`. Returns the number of shots it learned from. Throws Error{kData} if the
// history has no defective shot, Error{kIo} if `path` cannot be written.
size_t FitRiskOnSimulatedHistory(const CellRunOptions& options, double hours,
                                 const std::filesystem::path& path);

// Runs the cell, and writes out/truth.csv: one line per part with its true defects and causes
// beside what the line read (docs/guide.md, "demo"), so that each escape and false reject
// can be looked up (a file that cannot be written is warned about; the summary stands). Throws
// Error when a station cannot start (model, port, outbox).
CellSummary RunCell(const CellRunOptions& options);

// Each machine's nominal cycle, s, by machine id, in the cell RunCell simulates with `machines`
// and `seed`: its planned run time per part (OEE's PRU).
std::map<std::string, double> NominalCycles(int machines, uint64_t seed);

// The summary as `linesight demo --json` ends: machines (one entry each) and total, each with
// parts, rejects, holds, escapes, false_rejects, downtime_min, latency_p50_ms, latency_p99_ms
// and more (docs/guide.md, "demo").
nlohmann::json SummaryToJson(const CellSummary& summary);

}  // namespace linesight::station
