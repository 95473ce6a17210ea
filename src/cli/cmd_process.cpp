// cli/cmd_process.cpp: `linesight process risk|causes|alarms` — defect risk per shot, the process
// conditions behind rejects and the process alarms the alert watch would raise, from a plant's
// shot history in a CSV file (docs/process.md).
#include <algorithm>
#include <cmath>
#include <iomanip>
#include <iostream>
#include <map>
#include <numeric>
#include <sstream>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "core/clock.h"
#include "core/error.h"
#include "core/json_text.h"
#include "process/alarm_history.h"
#include "process/cause_json.h"
#include "process/cause_ranking.h"
#include "process/csv_import.h"
#include "process/risk_evaluation.h"

namespace linesight::cli {
namespace {

namespace lp = linesight::process;

struct Args {
  std::string csv, mapping = "kamp-shots", split_at, by = "die", defect;
  std::vector<std::string> variables;
  bool json = false, strict = false, shap = false;
};

std::string Utc(std::int64_t ms) { return FormatUtc(ms, "%Y-%m-%d %H:%M:%S UTC"); }

nlohmann::json Num(double v) { return std::isnan(v) ? nlohmann::json() : nlohmann::json(v); }

// What the import read and left out, for --json (the same as the summary on stderr): an
// analysis states what it did not see.
nlohmann::json ImportJson(const lp::ImportReport& r) {
  nlohmann::json broken = nlohmann::json::array(), columns = nlohmann::json::array();
  for (const lp::BadRow& b : r.first_bad_rows)
    broken.push_back({{"line", b.line}, {"column", b.column}, {"message", b.message}});
  for (const lp::ColumnReport& c : r.columns)
    columns.push_back({{"column", c.column},
                       {"name", c.name},
                       {"measured", c.measured},
                       {"blank", c.blank},
                       {"fault", c.fault}});
  return {{"rows", r.rows},
          {"imported", r.imported},
          {"skipped", r.skipped},
          {"first_skipped", broken},
          {"empty_lines", r.empty_lines},
          {"duplicate_rows", r.duplicate_rows},
          {"labels_unknown", r.labels_unknown},
          {"columns", columns}};
}

// Imports the CSV with gap features added; the import summary goes to stderr.
lp::ImportResult Load(const Args& a, const lp::CsvMapping& mapping) {
  lp::ImportOptions o;
  o.bad_rows = a.strict ? lp::BadRowPolicy::kStrict : lp::BadRowPolicy::kSkip;
  lp::ImportResult r = lp::ImportCsvFile(a.csv, mapping, o);
  std::cerr << r.report.Summary();
  if (r.table.size() == 0) {
    throw Error(ErrorCategory::kData, "no shot could be read from " + a.csv,
                r.report.skipped > 0
                    ? "Check the column mapping against the file (see the broken rows above)"
                    : "Give a file with at least one shot under its header");
  }
  lp::AddGapFeatures(r.table);
  return r;
}

// The `top` riskiest normal judged shots with the three contributions that raised their risk
// most. Try shots and stopped shots are left out: they are scrap by definition, so they would
// fill the list without telling an engineer anything.
nlohmann::json RiskiestShots(const lp::RiskEvaluation& e, std::size_t top) {
  std::vector<std::size_t> order;
  for (std::size_t i = 0; i < e.judged.size(); ++i)
    if (e.judged.Normal(i)) order.push_back(i);
  std::stable_sort(order.begin(), order.end(), [&e](std::size_t a, std::size_t b) {
    return e.judged_risk[a] > e.judged_risk[b];
  });
  order.resize(std::min(top, order.size()));
  std::vector<bool> keep(e.judged.size(), false);
  for (std::size_t i : order) keep[i] = true;
  const lp::ShotTable few = lp::SelectRows(e.judged, keep);
  const lp::Contributions c = e.model.Contribute(few);
  const std::size_t cols = c.names.size() + 1;
  std::vector<std::size_t> sorted_keep(order);
  std::sort(sorted_keep.begin(), sorted_keep.end());  // row r of `few` is sorted_keep[r]
  nlohmann::json out = nlohmann::json::array();
  for (std::size_t i : order) {
    const std::size_t r =
        std::lower_bound(sorted_keep.begin(), sorted_keep.end(), i) - sorted_keep.begin();
    std::vector<std::size_t> k(c.names.size());
    std::iota(k.begin(), k.end(), 0);
    std::sort(k.begin(), k.end(), [&](std::size_t x, std::size_t y) {
      return c.values[r * cols + x] > c.values[r * cols + y];
    });
    nlohmann::json why = nlohmann::json::array();
    for (std::size_t j = 0; j < 3 && j < k.size(); ++j)
      why.push_back({{"feature", c.names[k[j]]}, {"shap", c.values[r * cols + k[j]]}});
    out.push_back({{"time", Utc(e.judged.time_ms[i])},
                   {"machine", e.judged.machine[i]},
                   {"die", e.judged.die[i]},
                   {"risk", e.judged_risk[i]},
                   {"scrap", e.judged.label[i] == 1},
                   {"normal", e.judged.Normal(i)},
                   {"raised_by", why}});
  }
  return out;
}

nlohmann::json RiskJson(const lp::RiskEvaluation& e) {
  nlohmann::json shap = nlohmann::json::array();
  for (const auto& [name, v] : e.mean_abs_shap)
    shap.push_back({{"feature", name}, {"mean_abs_shap", v}});
  return {{"split", Utc(e.split_ms)},
          {"fit", {{"shots", e.fit_shots}, {"scrap", e.fit_scrap}}},
          {"judged",
           {{"shots", e.judged_shots},
            {"scrap", e.judged_scrap},
            {"normal_shots", e.judged_normal},
            {"normal_scrap", e.judged_normal_scrap}}},
          {"auroc_all", Num(e.auroc_all)},
          {"auroc_normal", Num(e.auroc_normal)},
          {"ap_all", Num(e.ap_all)},
          {"ap_normal", Num(e.ap_normal)},
          {"model",
           {{"rounds", e.model.rounds()},
            {"max_depth", e.model.max_depth()},
            {"selection", e.model.selection()}}},
          {"mean_abs_shap", shap},
          {"riskiest_normal_shots", RiskiestShots(e, 10)}};
}

void PrintRisk(const nlohmann::json& j) {
  auto f = [](const nlohmann::json& v) {
    std::ostringstream o;
    if (v.is_null()) return std::string("n/a");
    o << std::fixed << std::setprecision(3) << v.get<double>();
    return o.str();
  };
  std::cout << "Defect risk from process values (fit before " << j["split"].get<std::string>()
            << ", judged after)\n"
            << "  fit on     " << j["fit"]["shots"] << " shots (" << j["fit"]["scrap"]
            << " scrap)\n"
            << "  judged     " << j["judged"]["shots"] << " shots (" << j["judged"]["scrap"]
            << " scrap), of which normal production " << j["judged"]["normal_shots"] << " ("
            << j["judged"]["normal_scrap"] << " scrap)\n"
            << "  model      gradient-boosted trees, depth " << j["model"]["max_depth"] << ", "
            << j["model"]["rounds"] << " rounds (chosen on the last 20% of the fit period)\n"
            << "                      AUROC  avg precision\n"
            << "  all judged shots    " << f(j["auroc_all"]) << "  " << f(j["ap_all"]) << "\n"
            << "  normal shots        " << f(j["auroc_normal"]) << "  " << f(j["ap_normal"])
            << "   (no try shots, not stopped)\n"
            << "What drives the risk (mean |SHAP| on the fit shots, log-odds):\n";
  for (std::size_t k = 0; k < j["mean_abs_shap"].size() && k < 8; ++k)
    std::cout << "  " << std::left << std::setw(30)
              << j["mean_abs_shap"][k]["feature"].get<std::string>() << std::right
              << f(j["mean_abs_shap"][k]["mean_abs_shap"]) << "\n";
  std::cout << "Riskiest normal judged shots (mean |SHAP| above; here each shot's own):\n";
  for (const auto& s : j["riskiest_normal_shots"]) {
    std::cout << "  " << s["time"].get<std::string>() << "  die " << s["die"].get<std::string>()
              << "  risk " << f(s["risk"]) << (s["scrap"].get<bool>() ? "  scrap" : "  good ")
              << "  raised by";
    for (const auto& w : s["raised_by"])
      std::cout << " " << w["feature"].get<std::string>() << " +" << f(w["shap"]);
    std::cout << "\n";
  }
}

int RunRisk(const Args& a) {
  const lp::CsvMapping mapping = lp::ResolveCsvMapping(a.mapping);
  const lp::ImportResult imp = Load(a, mapping);
  const std::int64_t split = a.split_at.empty() ? lp::SplitAtFraction(imp.table)
                                                : lp::ParseMappingTime(a.split_at, mapping);
  std::cerr << "fitting the risk model on shots before " << Utc(split) << "\n";
  nlohmann::json j = RiskJson(lp::EvaluateRisk(imp.table, split, {}));
  j["import"] = ImportJson(imp.report);
  if (a.json)
    std::cout << JsonText(j) << "\n";
  else
    PrintRisk(j);
  return kExitOk;
}

lp::GroupBy ParseBy(const std::string& by) {
  if (by == "die") return lp::GroupBy::kDie;
  if (by == "machine") return lp::GroupBy::kMachine;
  return lp::GroupBy::kAll;  // CLI11 checks the choice
}

int RunCauses(const Args& a) {
  const lp::ImportResult imp = Load(a, lp::ResolveCsvMapping(a.mapping));
  std::vector<std::pair<std::string, double>> shap;
  if (a.shap) {
    std::cerr << "fitting a risk model on all shots for SHAP\n";
    lp::RiskModelOptions o;
    o.rounds = 200;  // fixed: no validation needed for a description of the past
    shap = lp::RiskModel::Fit(imp.table, o).MeanAbsShap(imp.table);
  }
  lp::CauseOptions o;
  o.defect = a.defect;
  const std::vector<lp::CauseGroup> groups = lp::RankCauses(imp.table, ParseBy(a.by), o, shap);
  if (a.json) {
    std::cout << JsonText(
                     {{"import", ImportJson(imp.report)}, {"groups", lp::CauseGroupsJson(groups)}})
              << "\n";
    return kExitOk;
  }
  for (const lp::CauseGroup& g : groups) {
    std::cout << g.group << ": " << g.rejects << " " << g.target << " in " << g.shots
              << " normal shots (" << g.left_out << " try/stopped/unlabelled left out)\n";
    if (!g.note.empty()) std::cout << "  note: " << g.note << "\n";
    for (std::size_t k = 0; k < g.causes.size() && k < 5; ++k)
      std::cout << "  " << k + 1 << ". " << g.causes[k].Sentence(g.target) << "\n";
    const auto supported = std::count_if(g.causes.begin(), g.causes.end(),
                                         [](const lp::Cause& c) { return c.supported; });
    if (supported > 5)
      std::cout << "  (" << supported - 5 << " more supported conditions; --json lists them all)\n";
  }
  return kExitOk;
}

nlohmann::json Rate(std::size_t scrap, std::size_t labelled) {
  return {{"scrap", scrap},
          {"labelled", labelled},
          {"rate",
           labelled ? nlohmann::json(static_cast<double>(scrap) / labelled) : nlohmann::json()}};
}

nlohmann::json AlarmsJson(const lp::AlarmHistory& h) {
  nlohmann::json episodes = nlohmann::json::array(), skipped = nlohmann::json::array();
  std::map<std::string, int> by_variable;
  for (const lp::AlarmEpisode& e : h.episodes) {
    ++by_variable[e.variable];
    episodes.push_back({{"group", e.group},
                        {"variable", e.variable},
                        {"side", e.side > 0 ? "above" : "below"},
                        {"start", Utc(e.start_ms)},
                        {"end", Utc(e.end_ms)},
                        {"shots", e.shots},
                        {"scrap", e.scrap},
                        {"labelled", e.labelled},
                        {"extreme", e.extreme},
                        {"centre", e.limits.centre},
                        {"sigma", e.limits.sigma}});
  }
  for (const auto& [series, why] : h.skipped) skipped.push_back({{"series", series}, {"why", why}});
  const double hours = static_cast<double>(h.span_ms) / 3.6e6;
  return {{"groups", h.groups},
          {"production_shots", h.production_shots},
          {"warmup_shots", h.warmup_shots},
          {"not_normal_shots", h.not_normal},
          {"span_hours", hours},
          {"series_judged", h.judged.size()},
          {"series_skipped", skipped},
          {"alarms", h.episodes.size()},
          {"alarms_per_8h_of_span",
           hours > 0 ? nlohmann::json(h.episodes.size() * 8 / hours) : nlohmann::json()},
          {"alarms_by_variable", by_variable},
          {"tripping_shots", Rate(h.scrap_on, h.labelled_on)},
          {"other_shots", Rate(h.scrap_off, h.labelled_off)},
          {"episodes", episodes}};
}

void PrintAlarms(const nlohmann::json& j) {
  const auto pct = [](const nlohmann::json& r) {
    std::ostringstream o;
    o << r["scrap"] << " of " << r["labelled"];
    if (!r["rate"].is_null())
      o << " (" << std::fixed << std::setprecision(1) << 100 * r["rate"].get<double>() << "%)";
    return o.str();
  };
  std::cout
      << std::fixed << std::setprecision(1)
      << "Process alarms the alert watch would have raised (4 of 5 successive production shots "
         "beyond 3 sigma of the long-term spread)\n"
      << "  production shots  " << j["production_shots"] << " over "
      << j["span_hours"].get<double>() << " h of " << j["groups"]
      << " group(s) (left out: " << j["warmup_shots"] << " warm-up after a restart, "
      << j["not_normal_shots"] << " try or stopped)\n"
      << "  series judged     " << j["series_judged"] << " (group x variable); not judged "
      << j["series_skipped"].size() << "\n";
  for (std::size_t k = 0; k < j["series_skipped"].size() && k < 5; ++k)
    std::cout << "    " << j["series_skipped"][k]["series"].get<std::string>() << ": "
              << j["series_skipped"][k]["why"].get<std::string>() << "\n";
  std::cout << "  alarms            " << j["alarms"];
  if (!j["alarms_per_8h_of_span"].is_null())
    std::cout << " (" << std::setprecision(2) << j["alarms_per_8h_of_span"].get<double>()
              << " per 8 h of the history)";
  std::cout << "\n  by variable      ";
  for (const auto& [name, n] : j["alarms_by_variable"].items())
    std::cout << " " << name << " " << n;
  std::cout << "\n  scrap among the shots that tripped an alarm: " << pct(j["tripping_shots"])
            << "; among the rest " << pct(j["other_shots"]) << "\n  latest alarms:\n";
  const auto& e = j["episodes"];
  for (std::size_t k = e.size() > 10 ? e.size() - 10 : 0; k < e.size(); ++k)
    std::cout << "    " << e[k]["start"].get<std::string>() << "  "
              << e[k]["group"].get<std::string>() << "  " << e[k]["variable"].get<std::string>()
              << " " << e[k]["side"].get<std::string>() << ", to " << std::defaultfloat
              << std::setprecision(5) << e[k]["extreme"].get<double>() << " (centre "
              << e[k]["centre"].get<double>() << ", sigma " << e[k]["sigma"].get<double>() << "); "
              << e[k]["shots"] << " shots, " << e[k]["scrap"] << " scrap\n";
}

int RunAlarms(const Args& a) {
  const lp::ImportResult imp = Load(a, lp::ResolveCsvMapping(a.mapping));
  lp::AlarmHistoryOptions o;
  o.by = ParseBy(a.by);
  o.variables = a.variables;
  nlohmann::json j = AlarmsJson(lp::FindAlarmEpisodes(imp.table, o));
  j["import"] = ImportJson(imp.report);
  if (a.json)
    std::cout << JsonText(j) << "\n";
  else
    PrintAlarms(j);
  return kExitOk;
}

void CommonOptions(CLI::App* c, Args& a) {
  c->add_option("--csv", a.csv, "The plant's shot history, one row per shot (UTF-8 CSV)")
      ->required();
  c->add_option("--mapping", a.mapping,
                "Column mapping: kamp-shots (built in) or a YAML/JSON file (docs/process.md)");
  c->add_flag("--strict", a.strict, "Refuse the file if any row is broken (default: skip them)");
  c->add_flag("--json", a.json, "Print one JSON document");
}

}  // namespace

void AddProcessCommand(CLI::App& app, CommandBody& body) {
  auto args = std::make_shared<Args>();
  CLI::App* cmd =
      app.add_subcommand("process", "Defect risk, causes and process alarms from process data");
  cmd->require_subcommand(1);
  CLI::App* risk = cmd->add_subcommand(
      "risk", "Fit a defect-risk model on earlier shots and judge it on later ones");
  CommonOptions(risk, *args);
  risk->add_option("--split-at", args->split_at,
                   "Fit before this time, judge after (file's local time, YYYY-MM-DD[ hh:mm]); "
                   "default: the last 20% of the time span is judged");
  risk->callback([args, &body] { body = [args] { return RunRisk(*args); }; });
  CLI::App* causes =
      cmd->add_subcommand("causes", "Rank the process conditions that go with rejects");
  CommonOptions(causes, *args);
  causes->add_option("--by", args->by, "Group shots by die, machine or all")
      ->check(CLI::IsMember({"die", "machine", "all"}));
  causes->add_option("--defect", args->defect, "A defect column of the mapping (default: scrap)");
  causes->add_flag("--shap", args->shap,
                   "Also fit a risk model and show each variable's mean |SHAP| (slower)");
  causes->callback([args, &body] { body = [args] { return RunCauses(*args); }; });
  CLI::App* alarms = cmd->add_subcommand(
      "alarms", "Replay the history through the alert watch's process alarm: what it would raise");
  CommonOptions(alarms, *args);
  alarms->add_option("--by", args->by, "Whose process: machine (default), die or all")
      ->check(CLI::IsMember({"die", "machine", "all"}))
      ->default_str("machine");
  alarms
      ->add_option("--variables", args->variables,
                   "Feature columns to judge (default: every process value of the mapping)")
      ->delimiter(',');
  alarms->preparse_callback([args](std::size_t) { args->by = "machine"; });
  alarms->callback([args, &body] { body = [args] { return RunAlarms(*args); }; });
}

}  // namespace linesight::cli
