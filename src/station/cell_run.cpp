#include "station/cell_run.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <fstream>
#include <iostream>
#include <mutex>
#include <thread>

#include "core/clock.h"
#include "core/error.h"
#include "inspect/finding_type.h"
#include "io/plc_client.h"
#include "process/line_shots.h"
#include "process/ranking_metrics.h"
#include "process/risk_model.h"
#include "sim/cell.h"
#include "station/sim_camera.h"
#include "station/station.h"

namespace linesight::station {
namespace {

// The PLC code of the type the line should give a simulated defect (inspect/finding_type.h): a
// cold shut, a dark seam, reads as a crack; a die's vein is a raised line. 0 (no code the line
// gives) for a type the list lacks, so it is never counted right.
uint16_t LineCodeOf(sim::DefectType type) {
  const std::string_view name = type == sim::DefectType::kColdShut  ? "crack"
                                : type == sim::DefectType::kDieVein ? "raised_line"
                                                                    : sim::DefectName(type);
  const auto* end = std::end(kFindingTypes);
  const auto* it = std::find(std::begin(kFindingTypes), end, name);
  return it == end ? 0 : static_cast<uint16_t>(FindingTypeCode(name));
}

namespace fs = std::filesystem;
using Clock = SteadyClock;

// What the machine reported of each of its shots (process values, simulated time), for the
// station's records.
class ShotLog {
 public:
  void Put(int64_t shot, const MachineShotReport& r) {
    std::lock_guard lock(mu_);
    reports_[shot] = r;
    while (reports_.size() > 64) reports_.erase(reports_.begin());
  }
  MachineShotReport Get(int64_t shot) const {
    std::lock_guard lock(mu_);
    const auto it = reports_.find(shot);
    return it == reports_.end() ? MachineShotReport{} : it->second;
  }

 private:
  mutable std::mutex mu_;
  std::map<int64_t, MachineShotReport> reports_;
};

StationConfig ConfigFor(const CellRunOptions& o, const std::string& machine) {
  StationConfig c;
  c.station = "S" + machine.substr(1);
  c.machine = machine;
  c.plc.port = 0;  // any free loopback port
  c.camera.kind = CameraKind::kSimulator;
  c.views = {ViewConfig{"top", o.model}};
  c.deadline_ms = o.deadline_ms;
  c.workers = 1;
  c.outbox.path = o.out / machine / "outbox.db";
  c.outbox.image_dir = o.out / machine / "images";
  // Nine stations at simulated speed on one disk: durable against a killed process, not a
  // power cut, which a demo can afford (docs/outbox.md).
  c.outbox.sync_full = false;
  c.outbox.keep_pass_images = o.keep_pass_images;
  c.risk_model = o.risk_model;
  if (!o.uplink_url.empty()) {
    c.uplink.enabled = true;
    c.uplink.url = o.uplink_url;
    const auto token = o.uplink_tokens.find(c.station);
    if (token != o.uplink_tokens.end()) c.uplink.token = token->second;
  }
  return c;
}

// Downtime from a machine's events: each stretch out of kRunning up to `end_ms`, by whether the
// event that began it was planned, and whether a die failure began it.
void TallyEvents(const std::vector<MachineEvent>& events, int64_t end_ms, MachineTally& t) {
  const MachineEvent* down = nullptr;
  auto close = [&](int64_t until_ms) {
    const double min = std::max<int64_t>(0, until_ms - down->time_ms) / 60000.0;
    t.downtime_min += min;
    if (!down->planned) t.unplanned_downtime_min += min;
    if (down->reason == "die_failure") t.die_failure_downtime_min += min;
    down = nullptr;
  };
  for (const auto& e : events) {
    if (e.reason == "die_failure") ++t.die_failures;
    if (e.state == MachineState::kDieChange) ++t.die_changes;
    if (e.state != MachineState::kRunning) {
      if (!down) {
        down = &e;
        t.unplanned_stops += !e.planned;
      }
      continue;
    }
    if (down) close(e.time_ms);
  }
  if (down) close(end_ms);
}

// One machine, its simulated PLC and robot: shot, present, trigger, read, acknowledge, tally.
class MachineLoop {
 public:
  MachineLoop(const CellRunOptions& o, sim::MachineSim& machine)
      : options_(o),
        machine_(machine),
        camera_(new SimCamera(machine.id())),
        station_(ConfigFor(o, machine.id()), std::unique_ptr<io::FrameSource>(camera_),
                 [this](int64_t shot) { return shots_.Get(shot); }) {
    tally_.machine = machine.id();
  }

  void Run(const sim::PartRenderer& renderer, int64_t start_ms, int64_t end_ms,
           Clock::time_point real_start, CellSummary& summary, std::mutex& summary_mu) {
    std::atomic<bool> stop{false};
    std::thread station([&] { station_.Run(stop); });
    try {
      Drive(renderer, start_ms, end_ms, real_start, summary, summary_mu);
    } catch (...) {
      stop = true;
      station.join();
      throw;
    }
    stop = true;
    station.join();
    DrainUplink();
    TallyEvents(events_, end_ms, tally_);
    ReadRisks(summary, summary_mu);
  }

  MachineTally tally() const {
    std::lock_guard lock(mu_);
    return tally_;
  }

  std::string StatusLine() const {
    std::lock_guard lock(mu_);
    return tally_.machine + ": " + std::to_string(tally_.parts) + " parts, " +
           std::to_string(tally_.rejects + tally_.holds) + " NG, " +
           std::to_string(tally_.escapes) + " escapes" + (stopped_ ? "  [stopped]" : "");
  }

 private:
  void Drive(const sim::PartRenderer& renderer, int64_t start_ms, int64_t end_ms,
             Clock::time_point real_start, CellSummary& summary, std::mutex& summary_mu) {
    io::PlcClient plc("127.0.0.1", station_.plc_port());
    while (auto shot = machine_.NextShot(end_ms)) {
      Collect();
      Pace(shot->shot.time_ms - start_ms, real_start);
      const sim::RenderedPart part = sim::RenderShot(renderer, *shot);
      shots_.Put(shot->shot.shot, {shot->shot.process, shot->shot.time_ms});
      camera_->Present(shot->shot.shot, "top", part.image);
      const auto t0 = Clock::now();
      plc.Trigger(static_cast<uint32_t>(shot->shot.shot),
                  static_cast<uint32_t>(shot->shot.die_shot), DieNumber(shot->shot.die));
      const auto result =
          plc.WaitResult(std::chrono::milliseconds(10000), std::chrono::milliseconds(1));
      const double latency = MillisSince(t0);
      if (!result)
        throw Error(ErrorCategory::kInternal,
                    "station " + machine_.id() + " gave no result for shot " +
                        std::to_string(shot->shot.shot) + " within 10 s",
                    "Report this with the station's log");
      plc.Acknowledge();
      Tally(*shot, *result, latency, summary, summary_mu);
      ActOnDieMark(shot->shot.die, *result);
    }
    Collect();
  }

  // Each part's risk, as its station recorded it in the outbox.
  void ReadRisks(CellSummary& summary, std::mutex& summary_mu) {
    std::vector<std::pair<double, int8_t>> found;
    for (const auto& [shot, defective] : truth_) {
      const auto part = station_.outbox().Get(PartId(machine_.id(), shot));
      if (part && std::isfinite(part->risk)) found.emplace_back(part->risk, defective);
    }
    std::lock_guard lock(summary_mu);
    for (const auto& [risk, defective] : found) {
      summary.risks.push_back(risk);
      summary.risk_truth.push_back(defective);
    }
  }

  // The shift is over: give the uplink up to 30 s to bring the last parts and events to the
  // server. What it cannot send stays in the outbox for the next start.
  void DrainUplink() {
    if (!station_.uplink()) return;
    const auto until = Clock::now() + std::chrono::seconds(30);
    while (Clock::now() < until) {
      const auto c = station_.outbox().counts();
      if (c.pending_parts + c.pending_events == 0) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }

  // Sleeps until the shot's simulated time, scaled to real time (no sleep when behind).
  void Pace(int64_t sim_ms, Clock::time_point real_start) const {
    if (options_.speed <= 0) return;
    const auto due = real_start + std::chrono::microseconds(
                                      static_cast<int64_t>(sim_ms * 1000.0 / options_.speed));
    std::this_thread::sleep_until(due);
  }

  void Collect() {
    auto events = machine_.TakeEvents();
    // The machine's stops and die changes go with its parts to the factory server.
    for (const auto& e : events) station_.outbox().PutEvent(e);
    std::lock_guard lock(mu_);
    for (auto& e : events) {
      stopped_ = e.state != MachineState::kRunning;
      events_.push_back(std::move(e));
    }
  }

  // What the plant does on the die_mark alarm: the die comes off before the next shot (once).
  void ActOnDieMark(const std::string& die, const io::PlcResultRead& r) {
    if (!options_.change_die_on_mark || die == changing_die_ ||
        r.defect_type != FindingTypeCode("die_mark"))
      return;
    changing_die_ = die;
    machine_.RequestDieChange();
    std::lock_guard lock(mu_);
    ++tally_.die_changes_on_mark;
  }

  static uint16_t DieNumber(const std::string& die) {
    const auto d = die.rfind("-D");
    return d == std::string::npos ? 0 : static_cast<uint16_t>(std::atoi(die.c_str() + d + 2));
  }

  void Tally(const sim::CellShot& shot, const io::PlcResultRead& r, double latency,
             CellSummary& summary, std::mutex& summary_mu) {
    const bool defective = !shot.truth.good();
    const bool ng = r.decision != Decision::kPass;  // the line throws out held parts too
    std::string row = TruthRow(shot, r, latency);
    {
      std::lock_guard lock(mu_);
      MachineTally& t = tally_;
      ++t.parts;
      t.passes += r.decision == Decision::kPass;
      t.rejects += r.decision == Decision::kReject;
      t.holds += r.decision == Decision::kHold;
      t.defective += defective;
      t.escapes += defective && !ng;
      t.false_rejects += !defective && ng;
      t.latency_ms.push_back(latency);
      truth_.emplace_back(shot.shot.shot, defective ? int8_t{1} : int8_t{0});
      for (const auto& d : shot.truth.defects) {
        auto& bt = t.by_type[std::string(sim::DefectName(d.type))];
        bt.first += ng;
        ++bt.second;
        auto& bc = t.by_cause[std::string(sim::CauseName(d.cause))];
        bc.first += ng;
        ++bc.second;
      }
      truth_rows_.push_back(std::move(row));
      if (shot.truth.defects.size() == 1 && r.decision == Decision::kReject) {
        const sim::DefectType type = shot.truth.defects[0].type;
        auto& tt = t.typed[std::string(sim::DefectName(type))];
        // A vein the line knows as its die's recurring mark is typed right as that too.
        tt.first +=
            r.defect_type == LineCodeOf(type) ||
            (type == sim::DefectType::kDieVein && r.defect_type == FindingTypeCode("die_mark"));
        ++tt.second;
      }
      stopped_ = false;
    }
    const float rel = r.score_permille / 1000.0f;  // the score relative to the threshold
    const float score = r.decision == Decision::kHold ? std::max(rel, 10.0f) : rel;
    std::lock_guard lock(summary_mu);
    (defective ? summary.defect_scores : summary.good_scores).push_back(score);
  }

  // One line of truth.csv (cell_run.h, WriteTruthCsv): the part, its true defects with their
  // causes, and what the line read.
  std::string TruthRow(const sim::CellShot& shot, const io::PlcResultRead& r,
                       double latency) const {
    std::string defects;
    for (const auto& d : shot.truth.defects)
      defects += (defects.empty() ? "" : " ") + std::string(sim::DefectName(d.type)) + ":" +
                 std::string(sim::CauseName(d.cause));
    const double vein = shot.veins.empty() ? 0.0 : shot.veins.front().length;
    const size_t code = r.defect_type;
    const std::string_view type = r.decision == Decision::kPass ? ""
                                  : code >= 1 && code <= std::size(kFindingTypes)
                                      ? kFindingTypes[code - 1]
                                      : "";
    const std::string_view hold = r.decision == Decision::kHold ? HoldReasonName(r.reason) : "";
    char numbers[128];
    std::snprintf(numbers, sizeof numbers, "%.1f,%s,%s,%s,%.3f,%.2f", vein,
                  std::string(DecisionName(r.decision)).c_str(), std::string(type).c_str(),
                  std::string(hold).c_str(), r.score_permille / 1000.0, latency);
    return PartId(machine_.id(), shot.shot.shot) + "," + machine_.id() + "," + shot.shot.die + "," +
           std::to_string(shot.shot.die_shot) + "," + std::to_string(shot.shot.time_ms) + "," +
           (shot.truth.good() ? "0" : "1") + "," + defects + "," + numbers;
  }

 public:
  std::vector<std::string> truth_rows() const {
    std::lock_guard lock(mu_);
    return truth_rows_;
  }

 private:
  const CellRunOptions& options_;
  sim::MachineSim& machine_;
  SimCamera* camera_;  // owned by station_
  ShotLog shots_;
  Station station_;
  mutable std::mutex mu_;
  MachineTally tally_;
  std::vector<MachineEvent> events_;
  std::vector<std::pair<int64_t, int8_t>> truth_;  // shot, defective; under mu_
  std::vector<std::string> truth_rows_;            // truth.csv's lines; under mu_
  bool stopped_ = false;
  std::string changing_die_;  // the die a change was ordered for (Drive's thread only)
};

}  // namespace

double MachineTally::LatencyQuantile(double q) const {
  if (latency_ms.empty()) return 0;
  std::vector<double> v = latency_ms;
  const size_t k = std::min(v.size() - 1, static_cast<size_t>(q * v.size()));
  std::nth_element(v.begin(), v.begin() + static_cast<long>(k), v.end());
  return v[k];
}

void MachineTally::Add(const MachineTally& o) {
  parts += o.parts;
  passes += o.passes;
  rejects += o.rejects;
  holds += o.holds;
  defective += o.defective;
  escapes += o.escapes;
  false_rejects += o.false_rejects;
  die_failures += o.die_failures;
  die_changes += o.die_changes;
  die_changes_on_mark += o.die_changes_on_mark;
  downtime_min += o.downtime_min;
  unplanned_downtime_min += o.unplanned_downtime_min;
  die_failure_downtime_min += o.die_failure_downtime_min;
  unplanned_stops += o.unplanned_stops;
  latency_ms.insert(latency_ms.end(), o.latency_ms.begin(), o.latency_ms.end());
  for (const auto& [k, v] : o.typed) {
    typed[k].first += v.first;
    typed[k].second += v.second;
  }
  for (const auto& [k, v] : o.by_type) {
    by_type[k].first += v.first;
    by_type[k].second += v.second;
  }
  for (const auto& [k, v] : o.by_cause) {
    by_cause[k].first += v.first;
    by_cause[k].second += v.second;
  }
}

namespace {
// Writes `text` to `path` whole or not at all (a temporary file renamed over it).
void WriteWhole(const fs::path& path, const std::string& text, const std::string& what) {
  const fs::path tmp = fs::path(path).concat(".tmp");
  {
    std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
    f << text;
    if (!f.flush()) {
      f.close();
      std::error_code ignored;
      fs::remove(tmp, ignored);  // no half file left behind
      throw Error(ErrorCategory::kIo, "cannot write " + what + " " + tmp.string(),
                  "Check that the folder exists, is writable and has room");
    }
  }
  std::error_code ec;
  fs::rename(tmp, path, ec);
  if (ec)
    throw Error(ErrorCategory::kIo,
                "cannot write " + what + " " + path.string() + ": " + ec.message(),
                "Check that the folder is writable");
}

void WriteTruthCsv(const std::vector<std::unique_ptr<MachineLoop>>& loops, const fs::path& path) {
  std::string text =
      "part_id,machine,die,die_shot,time_ms,defective,defects,vein_px,decision,line_type,"
      "hold_reason,score_rel,latency_ms\n";
  for (const auto& l : loops)
    for (const auto& row : l->truth_rows()) text += row + '\n';
  WriteWhole(path, text, "the parts' truth");
}
}  // namespace

size_t FitRiskOnSimulatedHistory(const CellRunOptions& options, double hours,
                                 const fs::path& path) {
  sim::CellOptions co;
  co.machines = options.machines;
  co.seed = options.seed + 7919;  // another stretch of the same kind of cell
  co.die_life_scale = options.die_life_scale;
  co.start_time_ms = options.start_time_ms - static_cast<int64_t>(hours * 3600 * 1000);
  sim::Cell cell(co);
  std::vector<process::LineShot> shots;
  std::vector<MachineEvent> events;
  for (int i = 0; i < cell.size(); ++i) {
    sim::MachineSim& m = cell.machine(i);
    while (auto shot = m.NextShot(options.start_time_ms)) {
      const Shot& s = shot->shot;
      shots.push_back({s.time_ms, s.machine, s.die, s.die_shot,
                       shot->truth.good() ? Decision::kPass : Decision::kReject, s.process});
    }
    for (auto& e : m.TakeEvents()) events.push_back(std::move(e));
  }
  process::RiskModelOptions ro;  // as the server's GET /api/v1/risk/model
  ro.rounds = 200;
  ro.max_depth = 3;
  ro.shot_flags = false;
  ro.die_one_hot = false;
  const size_t n = shots.size();
  WriteWhole(
      path,
      process::RiskModel::Fit(process::LineShotTable(std::move(shots), events), ro).SaveJson(),
      "the risk model");
  return n;
}

std::map<std::string, double> NominalCycles(int machines, uint64_t seed) {
  sim::CellOptions co;
  co.machines = machines;
  co.seed = seed;
  const sim::Cell cell(co);
  std::map<std::string, double> out;
  for (int i = 0; i < cell.size(); ++i)
    out[cell.machine(i).id()] = cell.machine(i).process().nominal_cycle_s();
  return out;
}

CellSummary RunCell(const CellRunOptions& options) {
  sim::CellOptions co;
  co.machines = options.machines;
  co.seed = options.seed;
  co.die_life_scale = options.die_life_scale;
  co.start_time_ms = options.start_time_ms;
  sim::Cell cell(co);
  const int64_t start_ms = cell.options().start_time_ms;
  const int64_t end_ms = start_ms + static_cast<int64_t>(options.hours * 3600 * 1000);
  const sim::PartRenderer renderer;
  std::vector<std::unique_ptr<MachineLoop>> loops;
  for (int i = 0; i < cell.size(); ++i) {
    fs::create_directories(options.out / cell.machine(i).id());
    loops.push_back(std::make_unique<MachineLoop>(options, cell.machine(i)));
  }
  CellSummary summary;
  std::mutex summary_mu;
  std::vector<std::thread> threads;
  std::vector<std::exception_ptr> errors(loops.size());
  std::atomic<int> running{static_cast<int>(loops.size())};
  const auto real_start = Clock::now();
  for (size_t i = 0; i < loops.size(); ++i)
    threads.emplace_back([&, i] {
      try {
        loops[i]->Run(renderer, start_ms, end_ms, real_start, summary, summary_mu);
      } catch (...) {
        errors[i] = std::current_exception();
      }
      --running;
    });
  while (running > 0) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    if (options.progress) {
      std::vector<std::string> lines;
      for (const auto& l : loops) lines.push_back(l->StatusLine());
      options.progress(lines);
    }
  }
  for (auto& t : threads) t.join();
  for (auto& e : errors)
    if (e) std::rethrow_exception(e);
  summary.real_seconds = MillisSince(real_start) / 1000;
  summary.total.machine = "all";
  for (const auto& l : loops) {
    summary.machines.push_back(l->tally());
    summary.total.Add(summary.machines.back());
  }
  try {  // the shift's summary stands without it
    WriteTruthCsv(loops, options.out / "truth.csv");
  } catch (const Error& e) {
    std::cerr << "warning: " << e.what() << " (" << e.fix() << ")\n";
  }
  return summary;
}

nlohmann::json SummaryToJson(const CellSummary& s) {
  auto one = [](const MachineTally& t) {
    nlohmann::json by_type = nlohmann::json::object(), by_cause = nlohmann::json::object();
    for (const auto& [k, v] : t.by_type) by_type[k] = {{"caught", v.first}, {"total", v.second}};
    for (const auto& [k, v] : t.typed) {
      by_type[k]["typed_right"] = v.first;
      by_type[k]["typed"] = v.second;
    }
    for (const auto& [k, v] : t.by_cause) by_cause[k] = {{"caught", v.first}, {"total", v.second}};
    return nlohmann::json{{"machine", t.machine},
                          {"parts", t.parts},
                          {"passes", t.passes},
                          {"rejects", t.rejects},
                          {"holds", t.holds},
                          {"defective", t.defective},
                          {"escapes", t.escapes},
                          {"false_rejects", t.false_rejects},
                          {"die_failures", t.die_failures},
                          {"die_changes", t.die_changes},
                          {"die_changes_on_mark", t.die_changes_on_mark},
                          {"downtime_min", t.downtime_min},
                          {"unplanned_downtime_min", t.unplanned_downtime_min},
                          {"latency_p50_ms", t.LatencyQuantile(0.5)},
                          {"latency_p99_ms", t.LatencyQuantile(0.99)},
                          {"by_defect_type", by_type},
                          {"by_cause", by_cause}};
  };
  nlohmann::json machines = nlohmann::json::array();
  for (const auto& m : s.machines) machines.push_back(one(m));
  nlohmann::json j = {
      {"machines", machines}, {"total", one(s.total)}, {"real_seconds", s.real_seconds}};
  // The stations' defect risk against the true defects; null when not defined (no risk, or no
  // defective or no good part among those with one).
  const double auroc = s.risks.empty() ? std::nan("") : process::Auroc(s.risks, s.risk_truth);
  j["risk"] = {{"parts", s.risks.size()},
               {"auroc", std::isfinite(auroc) ? nlohmann::json(auroc) : nlohmann::json()}};
  return j;
}

}  // namespace linesight::station
