// cli/cmd_demo.cpp: `linesight demo` — the simulated die-casting cell end to end: learn the part
// from good castings, then run one shift of 9 machines, each with its station (the code of
// `linesight station`) driven by a simulated PLC over loopback Modbus TCP, every part in the
// stations' outboxes, and a summary against the simulator's ground truth.
#include <unistd.h>
#include <filesystem>
#include <iomanip>
#include <iostream>
#include <limits>
#include <map>
#include <optional>
#include <sstream>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <thread>

#include <sys/stat.h>

#include "cli/alarm_count.h"
#include "cli/commands.h"
#include "cli/interrupt.h"
#include "cli/paths.h"
#include "cli/progress.h"
#include "cli/report_html.h"
#include "core/clock.h"
#include "core/error.h"
#include "core/json_text.h"
#include "inspect/eval_report.h"
#include "inspect/trainer.h"
#include "process/plant_report.h"
#include "process/ranking_metrics.h"
#include "server/auth.h"
#include "server/bootstrap.h"
#include "server/factory_server.h"
#include "sim/die_model.h"
#include "sim/part_renderer.h"
#include "station/cell_run.h"

namespace linesight::cli {
namespace {

// "1 machine", "9 machines".
std::string Count(int64_t n, const std::string& thing) {
  return std::to_string(n) + " " + thing + (n == 1 ? "" : "s");
}

namespace fs = std::filesystem;

// Hours of simulated process history the stations' defect-risk model learns from.
constexpr double kHistoryHours = 72;

// The simulated part's recipe: cells along arcs of each ring that turn with the part, which see
// thin cracks and cold shuts against the vanes (docs/algorithm.md, "Arcs: statistics that turn with
// the part"). Real castings are judged better by arcs and whole rings together (the default); the
// renders' lighting is even, so there whole rings only dilute what the arcs see. Three calibration
// folds, not the default ten: learning from 120 renders, ten folds set a threshold (4.52) that
// rejected 2.9% of a shift's good parts, three (5.02) 0.6%, with the same escapes.
constexpr const char* kDemoRecipe =
    "name: simulated impeller\npart:\n  cells: arcs\nanomaly:\n  holdout_fraction: 0.3\n";

struct DemoArgs {
  std::string out = "demo-out";
  std::string recipe;  // "" = the default recipe
  int train = 120, machines = 9;
  double hours = 8, speed = 300, die_life_scale = 0.015;
  // Passing parts whose frame and heatmap are kept (rejects and holds: all). Every pass's images
  // cost a shared 2-core machine about a fifth of its CPU (encoding, files, uplink, server) and
  // pushed the stations' p99 from about 40 to 55-70 ms; a plant keeps 1% (station.yaml's default).
  double keep_pass_images = 0.1;
  uint64_t seed = 1;
  bool json = false;
  bool run_dies_to_failure = false;       // no planned die change on the line's die_mark
  std::string listen = "127.0.0.1:8080";  // the factory server's address; "off" = no server
  std::string web;                        // the built dashboard; "" = looked for (FindWebDir)
};

// The demo's factory server: a SQLite store in the output folder, an admin whose fresh password
// is written to <out>/admin-password.txt, and a token per station.
struct DemoServer {
  std::unique_ptr<store::Store> store;
  std::unique_ptr<server::FactoryServer> http;
  std::string password;
  std::map<std::string, std::string> tokens;
  std::string web_dir;  // "" = none found: the API only
};

std::unique_ptr<DemoServer> StartServer(const DemoArgs& a, const fs::path& out) {
  if (a.listen == "off") return nullptr;
  auto d = std::make_unique<DemoServer>();
  server::ServerOptions o;
  const size_t colon = a.listen.rfind(':');
  if (colon == std::string::npos)
    throw Error(ErrorCategory::kInput, "--listen " + a.listen + ": not HOST:PORT",
                "Write e.g. 127.0.0.1:8080, 127.0.0.1:0 for any free port, or off");
  o.host = a.listen.substr(0, colon);
  o.port = std::atoi(a.listen.c_str() + colon + 1);
  o.image_dir = (out / "server-images").string();
  o.web_dir = a.web.empty() ? server::FindWebDir("/proc/self/exe").string() : a.web;
  if (!a.web.empty() && !fs::exists(fs::path(a.web) / "index.html"))
    throw Error(ErrorCategory::kInput, "--web " + a.web + ": no index.html there",
                "give the built dashboard's folder (scripts/build-web.sh writes web/dist)");
  d->web_dir = o.web_dir;
  d->store = store::OpenStore((out / "linesight.db").string());
  d->password = server::NewToken().substr(0, 16);
  server::SetUser(*d->store, "admin", store::Role::kAdmin, d->password, "demo");
  const fs::path pw = out / "admin-password.txt";
  {
    std::ofstream f(pw, std::ios::trunc);
    f << d->password << "\n";
  }
  ::chmod(pw.c_str(), 0600);
  for (int m = 1; m <= a.machines; ++m) {
    const std::string station = "S" + std::to_string(m);
    d->tokens[station] = server::IssueStationToken(*d->store, station, "demo");
  }
  // The alert watch runs on the cell's own clock (the newest part's shot time: the simulated
  // shift runs faster than the wall clock), every second, with die life scaled as the cell's is.
  o.alerts.interval_s = 1;
  o.alerts.sources.die_life_shots =
      std::max<int64_t>(1, std::llround(o.alerts.sources.die_life_shots * a.die_life_scale));
  // Die health: flash rises over a few hundred shots of a scaled die's life, not thousands; 100
  // shots a bin is the fewest that still show a rate of a few percent.
  o.alerts.die.health.flash_bin_shots = std::clamp<int64_t>(
      std::llround(static_cast<double>(o.alerts.die.health.flash_bin_shots) * a.die_life_scale),
      100, o.alerts.die.health.flash_bin_shots);
  o.alerts.clock = [s = d->store.get()] { return NewestPartMs(*s).value_or(0); };
  // OEE judges each machine against its own nominal cycle (70-110 s in the simulated cell), not
  // one plant-wide 90 s, which put the fast machines' effectiveness over 100%.
  o.planned_cycle_s_of = station::NominalCycles(a.machines, a.seed);
  // The dashboard's "now" and "this shift" are the cell's too: its shift is dated today from
  // 06:00, 14:00 or 22:00 UTC and runs ahead of the wall clock.
  o.clock = [s = d->store.get()] { return NewestPartMs(*s).value_or(UtcNowMs()); };
  try {
    d->http = std::make_unique<server::FactoryServer>(*d->store, o);
  } catch (const Error& e) {
    throw Error(e.category(), e.cause(),
                "Stop what uses that port, or pass --listen 127.0.0.1:0 (any free port) or "
                "--listen off");
  }
  return d;
}

void PrintDashboard(const DemoServer& d, std::ostream& log) {
  if (d.web_dir.empty()) {
    log << "   no dashboard files found (web/dist in this folder or beside the program): the API "
           "answers at "
        << d.http->url() << "/api/v1; build them with scripts/build-web.sh or pass --web DIR\n";
    return;
  }
  log << "   dashboard: " << d.http->url() << "/  (user admin, password " << d.password << ")"
      << "\n";
}

// Learns the part from `count` good castings; returns the model file.
fs::path TrainPart(const DemoArgs& a, std::ostream& log) {
  const sim::PartRenderer renderer;
  std::vector<cv::Mat> good;
  std::vector<std::string> names;
  for (int i = 0; i < a.train; ++i) {
    good.push_back(renderer.Render(static_cast<uint64_t>(i) + 1).image);
    names.push_back("train_" + std::to_string(i + 1));
  }
  Progress progress("train");
  TrainOptions options;
  options.progress = [&](int d, int t, const char* s) { progress.Update(d, t, s); };
  const Recipe recipe =
      a.recipe.empty() ? ParseRecipe(kDemoRecipe, "the demo's recipe") : LoadRecipe(a.recipe);
  const InspectionModel model = TrainFromImages(recipe, good, names, options);
  progress.Finish();
  const fs::path path = fs::path(a.out) / "model.lsm";
  SaveInspectionModel(model, path);
  log << "   model " << path.string() << " (" << model.Id() << "): threshold " << model.threshold
      << ", " << std::fixed << std::setprecision(1) << model.training.seconds << " s\n\n";
  return path;
}

// Live status, a line per machine: redrawn in place on a terminal, every 20 s otherwise.
class LiveLines {
 public:
  void Show(const std::vector<std::string>& lines) {
    const auto now = SteadyClock::now();
    if (!tty_ && now < next_) return;
    next_ = now + std::chrono::seconds(20);
    if (tty_ && shown_) std::cerr << "\x1b[" << shown_ << "A";
    for (const auto& l : lines) std::cerr << "   " << l << (tty_ ? "\x1b[K\n" : "\n");
    if (!tty_) std::cerr << "\n";
    shown_ = static_cast<int>(lines.size());
  }

 private:
  bool tty_ = isatty(STDERR_FILENO);
  int shown_ = 0;
  SteadyClock::time_point next_ = SteadyClock::now();
};

std::string Fraction(const std::pair<int, int>& caught_total) {
  return std::to_string(caught_total.first) + "/" + std::to_string(caught_total.second);
}

// Die veins that passed, put in proportion: the demo's short-lived dies make a vein grow from
// first sight to failure in a few dozen shots, where a real die shows it for thousands and the
// station's die memory (600 parts before it judges) has time to mark it.
void PrintVeinNote(const station::CellSummary& s, double die_life_scale, std::ostream& out) {
  const auto it = s.total.by_type.find("die_vein");
  if (it == s.total.by_type.end() || it->second.first == it->second.second || die_life_scale >= 1)
    return;
  const sim::DieLifeOptions d;
  const double shown = d.vein_visible_share * (d.median_life - d.onset_median);
  std::ostringstream scale;
  scale << die_life_scale;
  out << "   die veins passed: " << it->second.second - it->second.first
      << " of the escapes. At --die-life-scale " << scale.str() << " a die's vein shows for about "
      << std::llround(shown * die_life_scale) << " shots before the die fails (about "
      << std::llround(shown)
      << " on a real die), too few for the die memory, which judges from a die's 600th part on "
         "(docs/station.md, \"Recurring marks\")\n";
}

void PrintTable(const station::CellSummary& s, std::ostream& out) {
  out << "\n   machine  parts  pass  reject  hold  defective  escapes  false rej  die fail  "
         "downtime min  p50 ms  p99 ms\n";
  auto row = [&](const station::MachineTally& t) {
    out << "   " << std::left << std::setw(7) << t.machine << std::right << std::setw(6) << t.parts
        << std::setw(6) << t.passes << std::setw(8) << t.rejects << std::setw(6) << t.holds
        << std::setw(11) << t.defective << std::setw(9) << t.escapes << std::setw(11)
        << t.false_rejects << std::setw(10) << t.die_failures << std::setw(14) << std::fixed
        << std::setprecision(0) << t.downtime_min << std::setw(8) << std::setprecision(1)
        << t.LatencyQuantile(0.5) << std::setw(8) << t.LatencyQuantile(0.99) << "\n";
  };
  for (const auto& m : s.machines) row(m);
  row(s.total);
  out << "\n   caught by defect type:";
  for (const auto& [type, ct] : s.total.by_type) out << "  " << type << " " << Fraction(ct);
  out << "\n   typed right (PLC):    ";
  for (const auto& [type, ct] : s.total.typed) out << "  " << type << " " << Fraction(ct);
  out << "\n   caught by cause:      ";
  for (const auto& [cause, ct] : s.total.by_cause) out << "  " << cause << " " << Fraction(ct);
  const auto& t = s.total;
  const int good = t.parts - t.defective;
  out << std::setprecision(2) << "\n   escapes " << t.escapes << " of " << t.defective
      << " defective parts (" << (t.defective ? 100.0 * t.escapes / t.defective : 0.0)
      << "%), false rejects " << t.false_rejects << " of " << good << " good parts ("
      << (good ? 100.0 * t.false_rejects / good : 0.0) << "%)\n   unplanned downtime "
      << std::setprecision(0) << t.unplanned_downtime_min << " min of " << t.downtime_min
      << " min stopped; " << Count(t.die_failures, "die failure");
  if (t.die_changes_on_mark > 0)
    out << "; " << Count(t.die_changes_on_mark, "planned die change")
        << " ordered on the line's die_mark, before the die failed";
  out << "\n";
}

// The plant report on the shift, with the simulator's truth for quality. Downtime is left
// unestimated: what acting on die warnings saves needs weeks, not a shift (process_sim_bench).
void WritePlantReport(const DemoArgs& a, const station::CellRunOptions& o,
                      const station::CellSummary& s, int64_t alarms, const fs::path& path) {
  const station::MachineTally& t = s.total;
  process::PlantFacts f;
  f.from_ms = o.start_time_ms;
  f.to_ms = o.start_time_ms + static_cast<int64_t>(a.hours * 3.6e6);
  f.machines = a.machines;
  f.shifts = a.hours / 8;
  f.machine_shifts = f.machines * f.shifts;  // every machine of the cell runs the whole shift
  f.parts = t.parts, f.passes = t.passes, f.rejects = t.rejects, f.holds = t.holds;
  f.good = t.passes;  // nobody reviewed: the line's verdicts stand
  f.truly_bad = t.defective, f.true_escapes = t.escapes;
  f.unplanned_downtime_ms = static_cast<int64_t>(t.unplanned_downtime_min * 60'000);
  f.planned_downtime_ms =
      static_cast<int64_t>((t.downtime_min - t.unplanned_downtime_min) * 60'000);
  f.die_failure_downtime_ms = static_cast<int64_t>(t.die_failure_downtime_min * 60'000);
  f.failures = t.unplanned_stops;
  f.alarms = alarms;
  const process::PlantReport r = process::ComputePlantReport(f, {});
  std::ofstream html(path);
  html << RenderPlantReportHtml(r, {"the demo's shift (simulator truth)", UtcNowText()});
}

// The alerts the server's watch raised over the shift, once it has looked at the last parts (two
// more evaluations: the first may have begun before the uplink's last batch).
std::map<std::string, int64_t> ShiftAlarms(DemoServer& d, int64_t from_ms) {
  const int64_t seen = d.http->alert_stats().evaluations;
  const auto give_up = SteadyClock::now() + std::chrono::seconds(60);
  while (d.http->alert_stats().evaluations < seen + 2 && SteadyClock::now() < give_up)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  return CountAlarms(*d.store, from_ms, std::numeric_limits<int64_t>::max());
}

void PrintShiftAlarms(const std::map<std::string, int64_t>& by_kind, std::ostream& out) {
  out << "   alerts raised by the factory server: " << TotalAlarms(by_kind);
  const char* sep = " (";
  for (const auto& [kind, n] : by_kind) out << sep << kind << " " << n, sep = ", ";
  out << (by_kind.empty() ? "" : ")") << "; the dashboard's Alerts page lists them\n";
}

// An earlier run's results in `out` would mix with this one's: a part id is stored once, so the
// old verdict of each shot would stay beside the new summary. Removes what the demo itself writes
// there (stores, images, model, reports, password), and nothing else. Returns how many it removed.
int ClearEarlierRun(const fs::path& out) {
  int removed = 0;
  const auto drop = [&](const fs::path& p) {
    std::error_code ec;
    const auto n = fs::remove_all(p, ec);
    if (ec)
      throw Error(ErrorCategory::kIo,
                  p.string() + ": cannot remove the earlier demo's result (" + ec.message() + ")",
                  "Remove it by hand, or give another --out folder");
    removed += n > 0;
  };
  for (const char* name : {"linesight.db", "linesight.db-wal", "linesight.db-shm", "server-images",
                           "model.lsm", "risk.json", "report.html", "plant_report.html",
                           "admin-password.txt", "truth.csv", "truth.csv.tmp", "risk.json.tmp"})
    drop(out / name);
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(out, ec)) {
    const std::string name = e.path().filename().string();
    const bool machine =
        name.size() > 1 && name[0] == 'M' &&
        std::all_of(name.begin() + 1, name.end(), [](char c) { return c >= '0' && c <= '9'; });
    if (!machine || !e.is_directory()) continue;
    for (const char* f : {"outbox.db", "outbox.db-wal", "outbox.db-shm", "outbox.die-memory",
                          "outbox.die-memory.tmp", "images"})
      drop(e.path() / f);
    fs::remove(e.path(), ec);  // only if nothing else is in it
  }
  return removed;
}

int RunDemo(const DemoArgs& a) {
  const fs::path out(a.out);
  PrepareOutputFolder("--out", out);
  std::ostream& log = a.json ? std::cerr : std::cout;
  if (const int n = ClearEarlierRun(out); n > 0)
    log << "linesight demo: removed an earlier run's results from " << out.string() << " (" << n
        << " files and folders)\n";
  log << "linesight demo: a die-casting cell of " << Count(a.machines, "machine")
      << ", simulated\n\n"
      << "1. learning the part from " << a.train << " good castings\n";
  const auto server = StartServer(a, out);
  if (server) {
    log << "   factory server: " << server->http->url() << "/ (store "
        << (out / "linesight.db").string() << ")\n";
    PrintDashboard(*server, log);
    log << "\n";
  }
  station::CellRunOptions o;
  o.model = TrainPart(a, log);
  o.keep_pass_images = a.keep_pass_images;  // about 60 KB a kept part, frame and heatmap
  if (server) {
    o.uplink_url = server->http->url();
    o.uplink_tokens = server->tokens;
  }
  o.out = out;
  o.machines = a.machines;
  o.hours = a.hours;
  o.speed = a.speed;
  o.seed = a.seed;
  o.die_life_scale = a.die_life_scale;
  o.change_die_on_mark = !a.run_dies_to_failure;
  // Today's 06:00 UTC: the shift's records carry real dates (only the start depends on the day).
  const int64_t now_ms = UtcNowMs();
  // The shift that is on now (06:00, 14:00, 22:00 UTC), so the dashboard's "this shift" shows it.
  o.start_time_ms = store::ShiftCalendar{}.ShiftStart(now_ms);
  o.risk_model = out / "risk.json";
  try {
    const size_t history = station::FitRiskOnSimulatedHistory(o, kHistoryHours, o.risk_model);
    log << "   learned the defect risk from the process values of " << history << " shots of the "
        << kHistoryHours << " h before the shift: " << o.risk_model.string() << "\n";
  } catch (const Error& e) {
    if (e.category() != ErrorCategory::kData) throw;
    o.risk_model.clear();  // e.g. a history without a defective shot: the shift runs without
    log << "   no defect risk this shift: " << e.what() << "\n";
  }
  LiveLines live;
  o.progress = [&](const std::vector<std::string>& lines) { live.Show(lines); };
  log << "2. one shift of " << a.hours << " h: " << Count(a.machines, "station")
      << (a.machines == 1 ? ", driven" : ", each driven") << " by its PLC over Modbus TCP "
      << "on 127.0.0.1 ("
      << (a.speed > 0 ? std::to_string(static_cast<int>(a.speed)) + "x"
                      : std::string("as fast as possible"))
      << ")\n"
      << "   images kept: every reject and hold, " << 100 * a.keep_pass_images
      << "% of passes (--keep-pass-images)\n";
  const station::CellSummary s = station::RunCell(o);
  std::map<std::string, int64_t> alarms;
  if (server) alarms = ShiftAlarms(*server, o.start_time_ms);
  // The reports are written in both modes: --json only changes what is printed.
  std::optional<double> image_auroc, risk_auroc;
  if (!s.risks.empty()) risk_auroc = process::Auroc(s.risks, s.risk_truth);
  if (!s.good_scores.empty() && !s.defect_scores.empty()) {
    EvalReport report;
    report.title = "linesight demo: one simulated shift";
    report.model_path = o.model.string();
    report.threshold = 1;  // scores are relative to each station's threshold
    report.good_scores = s.good_scores;
    report.defect_scores = s.defect_scores;
    FillImageMetrics(report);
    WriteHtmlReport(report, out / "report.html");
    image_auroc = report.image_auroc;
  }
  WritePlantReport(a, o, s, TotalAlarms(alarms), out / "plant_report.html");
  if (a.json) {
    nlohmann::json j = station::SummaryToJson(s);
    if (server) j["alerts"] = alarms;
    if (image_auroc) j["image_auroc"] = *image_auroc;
    j["reports"] = {{"plant", (out / "plant_report.html").string()}};
    if (image_auroc) j["reports"]["shift"] = (out / "report.html").string();
    j["reports"]["truth"] = (out / "truth.csv").string();
    std::cout << JsonText(j) << std::endl;
    return kExitOk;
  }
  const auto keep_serving = [&] {
    if (!server) return kExitOk;
    std::cout << "\n4. the factory server keeps serving the shift's parts until Ctrl-C:\n";
    PrintDashboard(*server, std::cout);
    std::cout.flush();
    InterruptFlag interrupt;
    while (!interrupt.signal()) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    return kExitOk;
  };
  PrintTable(s, std::cout);
  PrintVeinNote(s, a.die_life_scale, std::cout);
  std::cout << "   " << std::setprecision(1) << s.real_seconds << " s for the shift\n";
  if (server) PrintShiftAlarms(alarms, std::cout);
  if (risk_auroc)
    std::cout << "   defect risk at the stations (process values alone, before inspection): AUROC "
              << std::setprecision(3) << *risk_auroc << " on " << s.risks.size()
              << " parts against their true defects\n";
  if (image_auroc)
    std::cout << "   image AUROC on the shift: " << std::setprecision(3) << *image_auroc
              << "\n\n3. report: " << (out / "report.html").string() << "\n";
  std::cout << "   plant report (the four targets): " << (out / "plant_report.html").string()
            << "\n";
  std::cout << "   every part: " << (out / "M1" / "outbox.db").string()
            << " ... (one outbox per station; sqlite3 <file> \"select part_id, decision from "
               "parts\")\n";
  std::cout << "   each part beside the simulator's truth: " << (out / "truth.csv").string()
            << " (the escapes: awk -F, '$6 == 1 && $9 == \"pass\"' <file>)\n";
  return keep_serving();
}

}  // namespace

void AddDemoCommand(CLI::App& app, CommandBody& body) {
  auto a = std::make_shared<DemoArgs>();
  CLI::App* cmd = app.add_subcommand(
      "demo", "Simulate the 9-machine die-casting cell for a shift, with a station at each");
  cmd->add_option("--out", a->out, "Folder for the model, outboxes and the HTML report");
  cmd->add_option("--recipe", a->recipe,
                  "Recipe to learn the part with (default: rings cut into 1 px arcs)");
  cmd->add_option("--train", a->train, "Good parts to learn from")->check(CLI::Range(8, 5000));
  cmd->add_option("--hours", a->hours, "Simulated hours")->check(CLI::Range(0.01, 24.0 * 14));
  cmd->add_option("--speed", a->speed, "Simulated seconds per real second (0: no pacing)")
      ->check(CLI::Range(0.0, 1e6));
  cmd->add_option("--machines", a->machines, "Machines in the cell (benchmarks use 1)")
      ->check(CLI::Range(1, 9));
  cmd->add_option("--seed", a->seed, "Seed of the simulated cell");
  cmd->add_option(
         "--die-life-scale", a->die_life_scale,
         "Die life relative to real dies (the default compresses it so a die fails within a shift)")
      ->check(CLI::Range(0.001, 100.0));
  cmd->add_option("--keep-pass-images", a->keep_pass_images,
                  "Share of passing parts whose frame and heatmap are kept (rejects and holds: "
                  "all); 1 keeps every part's")
      ->check(CLI::Range(0.0, 1.0));
  cmd->add_flag("--run-dies-to-failure", a->run_dies_to_failure,
                "Keep a die the line marks (die_mark) running until it fails, instead of a planned "
                "die change");
  cmd->add_flag("--json", a->json,
                "End with the summary as one JSON object on stdout (the server stops then)");
  cmd->add_option("--listen", a->listen,
                  "The factory server and dashboard: HOST:PORT, 127.0.0.1:0 = any free port, off");
  cmd->add_option("--web", a->web,
                  "The built dashboard's folder (default: web/dist here or beside the program)");
  cmd->callback([a, &body] { body = [a] { return RunDemo(*a); }; });
}

}  // namespace linesight::cli
