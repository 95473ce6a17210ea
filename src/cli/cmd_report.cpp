// cli/cmd_report.cpp: `linesight report` — the plant report on the four targets from a factory
// server's store over a period (process/plant_report.h), as HTML, JSON, PDF or PNG
// (docs/process.md "Plant report").
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <set>
#include <sstream>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "cli/alarm_count.h"
#include "cli/commands.h"
#include "cli/report_html.h"
#include "cli/shift_options.h"
#include "core/error.h"
#include "process/oee.h"
#include "store/pg_store.h"
#include "store/store.h"

namespace linesight::cli {
namespace {

namespace fs = std::filesystem;

struct ReportArgs {
  std::string store = "linesight.db", from, to, out = "report.html", pdf, png, sim_json;
  double hours = 24;
  ShiftArgs shifts;
  bool json = false;
  process::PlantAssumptions assume;
  double downtime_cut = -1;
};

// "2026-12-02T06:00:00Z", "2026-12-02 06:00:00" (UTC) or milliseconds since the epoch. Anything
// after the seconds but "Z" is refused: an offset read as UTC would shift the period silently.
int64_t ParseTime(const std::string& text, const std::string& option) {
  const Error bad(ErrorCategory::kInput, option + " " + text + ": not a time",
                  "Write UTC as 2026-12-02T06:00:00Z, or milliseconds since 1970");
  if (!text.empty() && text.find_first_not_of("0123456789") == std::string::npos) {
    if (text.size() > 15) throw bad;  // beyond the year 33658
    return std::stoll(text);
  }
  std::tm tm{};
  std::istringstream in(text);
  in >> std::get_time(
            &tm, text.find('T') != std::string::npos ? "%Y-%m-%dT%H:%M:%S" : "%Y-%m-%d %H:%M:%S");
  if (in.fail()) throw bad;
  std::string rest;
  in >> rest;
  if (!rest.empty() && rest != "Z") throw bad;
  return static_cast<int64_t>(timegm(&tm)) * 1000;
}

// The newest part's shot time, or nullopt for an empty store.
void AddCounts(store::Store& s, const store::PartFilter& period, const store::ShiftCalendar& shifts,
               process::PlantFacts& f) {
  std::set<std::string> shifts_worked;
  for (const auto& y : s.Yield(period, store::GroupBy::kMachine, shifts)) {
    ++f.machines;
    f.parts += y.parts, f.passes += y.passes, f.rejects += y.rejects, f.holds += y.holds;
    f.good += y.good;
    // The shifts this machine made parts in: a machine idle for a shift needs no report of it.
    store::PartFilter of_machine = period;
    of_machine.machine = y.key;
    for (const auto& shift : s.Yield(of_machine, store::GroupBy::kShift, shifts)) {
      f.machine_shifts += shift.parts > 0;
      if (shift.parts > 0) shifts_worked.insert(shift.key);
    }
  }
  f.shifts = static_cast<double>(shifts_worked.size());
  // Parts of one line verdict a person reviewed: passes audited (escapes found), and rejects
  // overruled to good (not bad castings, for the quality baseline).
  auto reviewed = [&](Decision decision, const auto& each) {
    store::PartFilter audited = period;
    audited.decision = decision;
    audited.reviewed_only = true;
    store::PartPage page;
    page.limit = 1000;
    for (;;) {
      const auto batch = s.FindParts(audited, page);
      for (const auto& p : batch) each(p);
      if (batch.size() < 1000) break;
      page.before_time_ms = batch.back().time_ms;
      page.before_part_id = batch.back().part_id;
    }
  };
  reviewed(Decision::kPass, [&](const store::PartSummary& p) {
    ++f.reviewed_passes;
    if (p.review && p.review->verdict != Decision::kPass) ++f.escapes_found;
  });
  reviewed(Decision::kReject, [&](const store::PartSummary& p) {
    if (p.review && p.review->verdict == Decision::kPass) ++f.rejects_overruled;
  });
}

void AddDowntime(store::Store& s, process::PlantFacts& f) {
  for (const auto& m : s.Machines(f.from_ms)) {
    std::vector<MachineEvent> events = s.Events(m.machine, f.from_ms, f.to_ms);
    if (auto before = s.EventBefore(m.machine, f.from_ms)) events.push_back(*before);
    const auto downtimes = process::DowntimesOf(events, f.from_ms, f.to_ms);
    for (const auto& d : downtimes)
      (d.planned ? f.planned_downtime_ms : f.unplanned_downtime_ms) += d.end_ms - d.start_ms;
    // Failures as OEE counts them: a die failure and the die change that repairs it are one,
    // with both stretches in its repair time; one begun before the period is not the period's.
    for (const auto& failure : process::FailuresOf(downtimes)) {
      if (failure.reason == "die_failure")
        f.die_failure_downtime_ms += failure.end_ms - failure.start_ms;
      f.failures += !failure.carried_in;
    }
  }
}

process::PlantFacts Facts(store::Store& s, const ReportArgs& a,
                          const store::ShiftCalendar& shifts) {
  process::PlantFacts f;
  const auto newest = NewestPartMs(s);
  if (!newest && a.to.empty()) {
    throw Error(ErrorCategory::kData, "the store holds no parts",
                "Point --store at a factory server's store, or run `linesight demo` first");
  }
  f.to_ms = a.to.empty() ? *newest + 1 : ParseTime(a.to, "--to");
  f.from_ms = a.from.empty() ? f.to_ms - static_cast<int64_t>(a.hours * 3.6e6)
                             : ParseTime(a.from, "--from");
  if (f.to_ms <= f.from_ms)
    throw Error(ErrorCategory::kInput, "--from is not before --to", "Give a period forwards");
  store::PartFilter period;
  period.from_ms = f.from_ms;
  period.to_ms = f.to_ms;
  AddCounts(s, period, shifts, f);
  AddDowntime(s, f);
  // Each alert the watch opened is one alarm a person did not have to raise by watching charts.
  f.alarms = TotalAlarms(CountAlarms(s, f.from_ms, f.to_ms));
  return f;
}

// The downtime cut from process_sim_bench's JSON (or bench/process.sh's).
void ReadSimJson(ReportArgs& a) {
  const std::string what = "--sim-json " + a.sim_json;
  const std::string fix = "Give the JSON that process_sim_bench or bench/process.sh printed";
  std::ifstream in(a.sim_json);
  if (!in.is_open() || fs::is_directory(a.sim_json))
    throw Error(ErrorCategory::kInput, what + ": cannot read the file", fix);
  nlohmann::json j = nlohmann::json::parse(in, nullptr, false);
  if (j.is_discarded() || !j.is_object())
    throw Error(ErrorCategory::kInput, what + ": not a JSON object", fix);
  if (j.contains("sim") && j["sim"].is_object()) j = j["sim"];
  if (!j.contains("downtime_cut"))
    throw Error(ErrorCategory::kInput, what + ": no downtime_cut in it", fix);
  if (!j["downtime_cut"].is_number() || !(j["downtime_cut"].get<double>() >= 0) ||
      j["downtime_cut"].get<double>() > 1)
    throw Error(ErrorCategory::kInput,
                what + ": downtime_cut is " + j["downtime_cut"].dump() + ", not a share 0..1", fix);
  a.assume.downtime_cut = j["downtime_cut"].get<double>();
  a.assume.downtime_cut_source = "process_sim_bench, " + std::to_string(j.value("seeds", 0)) +
                                 " seeds x " + std::to_string(j.value("weeks", 0)) + " weeks";
}

void Write(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  if (!out.flush()) {
    throw Error(ErrorCategory::kIo, "cannot write " + path,
                "Check that its folder exists and is writable, and the disk is not full");
  }
}

int Run(ReportArgs a) {
  const bool pg = a.store.starts_with("postgres");
  if (!pg && !fs::is_regular_file(a.store)) {
    throw Error(ErrorCategory::kInput, "--store " + a.store + ": no such store file",
                "Give the factory server's SQLite file or a postgresql:// URI");
  }
  for (const std::string* out : {&a.out, &a.pdf, &a.png}) {
    if (out->empty()) continue;
    const fs::path dir = fs::absolute(*out).parent_path();
    if (!fs::is_directory(dir) || fs::is_directory(*out)) {
      throw Error(ErrorCategory::kInput, *out + ": not a file in an existing folder",
                  "Create the folder first, or give a file name");
    }
  }
  const store::ShiftCalendar shifts = ShiftCalendarOf(a.shifts);
  if (!a.sim_json.empty()) ReadSimJson(a);
  if (a.downtime_cut >= 0) {
    a.assume.downtime_cut = a.downtime_cut;
    a.assume.downtime_cut_source = "given with --downtime-cut";
  }
  auto s = store::OpenStore(a.store);
  const process::PlantReport r = process::ComputePlantReport(Facts(*s, a, shifts), a.assume);
  const ReportSource source{
      std::string(s->engine()) + " " + (pg ? store::RedactedUri(a.store) : a.store), UtcNowText()};
  Write(a.out, RenderPlantReportHtml(r, source));
  std::cerr << "report: " << a.out << "\n";
  if (!a.pdf.empty()) ExportWithChromium(a.out, a.pdf, true), std::cerr << "pdf: " << a.pdf << "\n";
  if (!a.png.empty())
    ExportWithChromium(a.out, a.png, false), std::cerr << "png: " << a.png << "\n";
  if (a.json) {
    std::cout << PlantReportJson(r);
  } else {
    for (const auto& t : r.targets) {
      std::cout << t.title << ": "
                << (t.estimated ? std::to_string(static_cast<int>(std::lround(100 * t.change))) +
                                      "% (goal " +
                                      std::to_string(static_cast<int>(std::lround(100 * t.goal))) +
                                      "%)" + (t.met ? " met" : " not met")
                                : "not estimated: " + t.note)
                << "\n";
    }
  }
  return kExitOk;
}

}  // namespace

void AddReportCommand(CLI::App& app, CommandBody& body) {
  auto a = std::make_shared<ReportArgs>();
  CLI::App* c = app.add_subcommand(
      "report", "The plant report: the four targets against a baseline without linesight");
  c->add_option("--store", a->store, "The factory server's store: SQLite file or postgresql://")
      ->capture_default_str();
  c->add_option("--from", a->from, "Period start, UTC (2026-12-02T06:00:00Z) or ms");
  c->add_option("--to", a->to, "Period end (default: just after the newest part)");
  c->add_option("--hours", a->hours, "Period length when --from is not given")
      ->check(CLI::Range(0.01, 24.0 * 366))
      ->capture_default_str();
  AddShiftOptions(*c, a->shifts);
  c->add_option("--out", a->out, "The HTML page")->capture_default_str();
  c->add_option("--pdf", a->pdf, "Also print it to this PDF (headless Chromium)");
  c->add_option("--png", a->png, "Also save a PNG picture of it (headless Chromium)");
  c->add_flag("--json", a->json, "Print the figures as JSON on stdout");
  c->add_option("--sim-json", a->sim_json,
                "process_sim_bench's JSON: the downtime cut from acting on die warnings");
  c->add_option("--downtime-cut", a->downtime_cut, "That cut as a fraction, given directly")
      ->check(CLI::Range(0.0, 1.0));
  auto& s = a->assume;
  c->add_option("--manual-minutes", s.manual_minutes_per_part,
                "Minutes a person takes to inspect one casting")
      ->check(CLI::Range(0.001, 600.0))
      ->capture_default_str();
  c->add_option("--review-minutes", s.review_minutes_per_part,
                "Minutes a person takes to check a held or rejected part")
      ->check(CLI::Range(0.001, 600.0))
      ->capture_default_str();
  c->add_option("--manual-escape-rate", s.manual_escape_rate,
                "Share of bad castings a manual inspection passes")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
  c->add_option("--report-minutes", s.report_minutes_per_machine_shift,
                "Minutes to compile one machine's shift report by hand")
      ->check(CLI::Range(0.0, 600.0))
      ->capture_default_str();
  c->add_option("--watch-minutes", s.watch_minutes_per_machine_shift,
                "Minutes a shift to watch one machine's charts by hand")
      ->check(CLI::Range(0.0, 600.0))
      ->capture_default_str();
  c->add_option("--alarm-minutes", s.alarm_minutes, "Minutes a person spends on one alarm")
      ->check(CLI::Range(0.0, 600.0))
      ->capture_default_str();
  c->add_option("--read-minutes", s.read_minutes_per_shift,
                "Minutes to read the automatic report, per shift")
      ->check(CLI::Range(0.0, 600.0))
      ->capture_default_str();
  c->callback([&body, a] { body = [a] { return Run(*a); }; });
}

}  // namespace linesight::cli
