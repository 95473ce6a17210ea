// cli/report_html.cpp: the plant report page (a card per target with a baseline-against-linesight
// bar chart in SVG, the method and the assumptions), its JSON, and the Chromium export.
#include "cli/report_html.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <sstream>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/clock.h"
#include "core/error.h"
#include "core/html_text.h"

extern char** environ;

namespace linesight::cli {
namespace {

std::string Fmt(double v, int digits) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}

std::string Utc(int64_t ms) { return FormatUtc(ms, "%Y-%m-%d %H:%M UTC"); }

// Two horizontal bars, baseline (grey) and with linesight (blue), with the goal's mark.
std::string Bars(const process::TargetFigure& t) {
  const double top = std::max({t.baseline, t.with_linesight, 1e-9});
  const double goal_value = t.baseline * (1 + t.goal);
  const double scale = 360 / std::max(top, goal_value);
  const auto bar = [&](double y, double v, const char* colour, const std::string& label) {
    return "<rect x='120' y='" + Fmt(y, 0) + "' width='" + Fmt(std::max(1.0, v * scale), 1) +
           "' height='22' fill='" + colour + "'/><text x='114' y='" + Fmt(y + 16, 0) +
           "' text-anchor='end'>" + label + "</text><text x='" +
           Fmt(126 + std::max(1.0, v * scale), 1) + "' y='" + Fmt(y + 16, 0) + "'>" +
           Fmt(v, t.unit == "%" ? 2 : 1) + " " + HtmlEscape(t.unit) + "</text>";
  };
  std::string svg =
      "<svg viewBox='0 0 600 78' role='img' aria-label='" + HtmlEscape(t.title) + "'>";
  svg += bar(6, t.baseline, "#9aa3ad", "without");
  svg += bar(40, t.with_linesight, "#2f6fb3", "with linesight");
  const double gx = 120 + goal_value * scale;
  svg += "<line x1='" + Fmt(gx, 1) + "' x2='" + Fmt(gx, 1) +
         "' y1='0' y2='70' stroke='#c0392b' stroke-dasharray='4 3'/><text x='" + Fmt(gx + 3, 1) +
         "' y='76' fill='#c0392b' font-size='10'>goal</text>";
  return svg + "</svg>";
}

std::string Card(const process::TargetFigure& t) {
  const std::string change =
      t.estimated ? (t.change >= 0 ? "+" : "") + Fmt(100 * t.change, 1) + "%" : "not estimated";
  const std::string goal = (t.goal >= 0 ? "+" : "") + Fmt(100 * t.goal, 0) + "%";
  const std::string badge = !t.estimated ? "<span class='badge none'>no estimate</span>"
                            : t.met      ? "<span class='badge met'>goal met</span>"
                                         : "<span class='badge miss'>goal not met</span>";
  std::string h = "<section class='card' id='" + HtmlEscape(t.key) + "'><h2>" +
                  HtmlEscape(t.title) + " " + badge + "</h2><p class='big'>" + change +
                  " <small>goal " + goal + "</small></p>";
  if (t.estimated) h += Bars(t);
  h += "<p>" + HtmlEscape(t.method) + "</p>";
  if (!t.note.empty()) h += "<p class='note'>" + HtmlEscape(t.note) + "</p>";
  return h + "</section>";
}

std::string Row(const std::string& k, const std::string& v) {
  return "<tr><th>" + HtmlEscape(k) + "</th><td>" + HtmlEscape(v) + "</td></tr>";
}

std::string FactsTable(const process::PlantFacts& f) {
  std::string t = "<table>";
  t += Row("period", Utc(f.from_ms) + " to " + Utc(f.to_ms));
  t += Row("machines, shifts, machine-shifts worked",
           std::to_string(f.machines) + ", " + Fmt(f.shifts, 1) + ", " + Fmt(f.machine_shifts, 1));
  t += Row("parts (pass / reject / hold)",
           std::to_string(f.parts) + " (" + std::to_string(f.passes) + " / " +
               std::to_string(f.rejects) + " / " + std::to_string(f.holds) + ")");
  t += Row("good after reviews", std::to_string(f.good));
  t += Row("passes reviewed, found bad",
           std::to_string(f.reviewed_passes) + ", " + std::to_string(f.escapes_found));
  if (f.truly_bad && f.true_escapes)
    t += Row("truth (simulator): bad, escaped",
             std::to_string(*f.truly_bad) + ", " + std::to_string(*f.true_escapes));
  t += Row("unplanned stops, downtime",
           (f.failures >= 0 ? std::to_string(f.failures) : std::string("not counted")) + ", " +
               Fmt(static_cast<double>(f.unplanned_downtime_ms) / 3.6e6, 2) + " h");
  t += Row("planned downtime", Fmt(static_cast<double>(f.planned_downtime_ms) / 3.6e6, 2) + " h");
  t += Row("alerts raised automatically (alarms and warnings)", std::to_string(f.alarms));
  return t + "</table>";
}

std::string AssumptionsTable(const process::PlantAssumptions& a) {
  std::string t = "<table>";
  t += Row("manual inspection, min per part", Fmt(a.manual_minutes_per_part, 2));
  t += Row("check of a held or rejected part, min", Fmt(a.review_minutes_per_part, 2));
  t += Row("manual inspection escape rate", Fmt(a.manual_escape_rate, 2));
  t += Row(
      "unplanned downtime cut by acting on die warnings",
      a.downtime_cut ? Fmt(*a.downtime_cut, 3) + " (" + a.downtime_cut_source + ")" : "not given");
  t += Row("shift report by hand, min per machine-shift",
           Fmt(a.report_minutes_per_machine_shift, 0));
  t += Row("chart watching by hand, min per machine-shift",
           Fmt(a.watch_minutes_per_machine_shift, 0));
  t += Row("acting on an alarm, min", Fmt(a.alarm_minutes, 0));
  t += Row("reading the automatic report, min per shift", Fmt(a.read_minutes_per_shift, 0));
  return t + "</table>";
}

constexpr const char* kStyle = R"(
body{font:14px/1.45 system-ui,"Noto Sans","WenQuanYi Micro Hei",sans-serif;color:#1d2733;
margin:24px auto;max-width:980px;padding:0 16px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:0 0 6px}
.sub{color:#5b6673;margin:0 0 18px}.grid{display:grid;grid-template-columns:1fr 1fr;gap:14px}
.card{border:1px solid #d5dbe1;border-radius:8px;padding:12px 14px;break-inside:avoid}
.big{font-size:26px;margin:2px 0}.big small{font-size:13px;color:#5b6673}
.note{color:#5b6673;font-size:12.5px}svg{width:100%;height:auto;font-size:12px}
.badge{font-size:11px;border-radius:10px;padding:2px 8px;vertical-align:middle;margin-left:6px}
.met{background:#d8f0de;color:#1e6b34}.miss{background:#fbe0dc;color:#9c2b1f}
.none{background:#e8ebef;color:#5b6673}table{border-collapse:collapse;width:100%;margin:6px 0}
th,td{text-align:left;border-bottom:1px solid #e3e7eb;padding:4px 6px;font-weight:normal}
th{color:#5b6673;width:55%}@media print{body{margin:0}.grid{gap:8px}})";

}  // namespace

std::string UtcNowText() { return Utc(static_cast<int64_t>(std::time(nullptr)) * 1000); }

std::string RenderPlantReportHtml(const process::PlantReport& r, const ReportSource& source) {
  std::ostringstream o;
  o << "<!doctype html><html lang='en'><head><meta charset='utf-8'><title>linesight plant report "
    << HtmlEscape(Utc(r.facts.from_ms)) << "</title><style>" << kStyle << "</style></head><body>"
    << "<h1>Plant report: the four targets</h1><p class='sub'>" << HtmlEscape(Utc(r.facts.from_ms))
    << " to " << HtmlEscape(Utc(r.facts.to_ms)) << " · " << r.facts.machines << " machines · store "
    << HtmlEscape(source.store) << " · made " << HtmlEscape(source.generated)
    << "</p><div class='grid'>";
  for (const auto& t : r.targets) o << Card(t);
  o << "</div><div class='grid' style='margin-top:14px'><section class='card'><h2>Measured</h2>"
    << FactsTable(r.facts) << "</section><section class='card'><h2>Assumed</h2>"
    << AssumptionsTable(r.assumptions)
    << "<p class='note'>Assumptions are the plant's to set (linesight report --help).</p>"
    << "</section></div></body></html>\n";
  return o.str();
}

std::string PlantReportJson(const process::PlantReport& r) {
  nlohmann::json targets = nlohmann::json::array();
  for (const auto& t : r.targets) {
    targets.push_back({{"key", t.key},
                       {"title", t.title},
                       {"unit", t.unit},
                       {"estimated", t.estimated},
                       {"baseline", t.baseline},
                       // Not estimated: no figure, rather than a 0 that reads as one.
                       {"with_linesight", t.estimated ? nlohmann::json(t.with_linesight) : nullptr},
                       {"change", t.estimated ? nlohmann::json(t.change) : nullptr},
                       {"goal", t.goal},
                       {"met", t.met},
                       {"method", t.method},
                       {"note", t.note}});
  }
  const auto& f = r.facts;
  nlohmann::json facts = {{"from_ms", f.from_ms},
                          {"to_ms", f.to_ms},
                          {"machines", f.machines},
                          {"shifts", f.shifts},
                          {"machine_shifts", f.machine_shifts},
                          {"parts", f.parts},
                          {"passes", f.passes},
                          {"rejects", f.rejects},
                          {"holds", f.holds},
                          {"good", f.good},
                          {"reviewed_passes", f.reviewed_passes},
                          {"escapes_found", f.escapes_found},
                          {"unplanned_downtime_ms", f.unplanned_downtime_ms},
                          {"die_failure_downtime_ms", f.die_failure_downtime_ms},
                          {"planned_downtime_ms", f.planned_downtime_ms},
                          {"failures", f.failures},
                          {"alarms", f.alarms}};
  if (f.truly_bad) facts["truly_bad"] = *f.truly_bad;
  if (f.true_escapes) facts["true_escapes"] = *f.true_escapes;
  return nlohmann::json{{"targets", targets}, {"facts", facts}}.dump(1) + "\n";
}

void ExportWithChromium(const std::string& html_path, const std::string& out_path, bool pdf) {
  const char* env = std::getenv("LINESIGHT_CHROMIUM");
  std::string browser = env && *env ? env : "";
  if (browser.empty()) {
    for (const char* name : {"/usr/bin/chromium", "/usr/bin/chromium-browser"})
      if (std::filesystem::exists(name)) browser = name;
  }
  if (browser.empty()) {
    throw Error(ErrorCategory::kIo, "cannot export the report: no Chromium found",
                "Install it (apt-get install chromium) or set LINESIGHT_CHROMIUM to its path; the "
                "HTML page was written and can be printed from any browser");
  }
  const std::string url = "file://" + std::filesystem::absolute(html_path).string();
  const std::string out = std::filesystem::absolute(out_path).string();
  std::vector<std::string> args{"timeout",          "120",          browser,
                                "--headless",       "--no-sandbox", "--disable-gpu",
                                "--hide-scrollbars"};
  if (pdf) {
    args.insert(args.end(), {"--no-pdf-header-footer", "--print-to-pdf=" + out});
  } else {
    args.insert(args.end(), {"--window-size=1000,1500", "--screenshot=" + out});
  }
  args.push_back(url);
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::filesystem::remove(out);
  pid_t pid = 0;
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&fa, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
  const int rc = posix_spawnp(&pid, "timeout", &fa, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  int status = 0;
  if (rc != 0 || waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0 ||
      !std::filesystem::exists(out) || std::filesystem::file_size(out) == 0) {
    throw Error(ErrorCategory::kIo,
                "Chromium (" + browser + ") could not print the report to " + out_path +
                    (WIFEXITED(status) && WEXITSTATUS(status) == 124 ? " within two minutes" : ""),
                "Check that it starts (" + browser +
                    " --headless --no-sandbox --version) and that the folder is writable");
  }
}

}  // namespace linesight::cli
