// bench/process_real.cpp: defect risk and causes on the real KAMP shots
// (DATA_DIR/diecasting_process/shots.csv, docs/process.md "Figures on real data").
// Measures: CSV import time; the risk model fitted on shots before the split (default: the last
// 20% of the time span is judged) and judged after it: AUROC and average precision on all judged
// shots and on normal ones (no try shots, not stopped); the top causes per die. Progress goes to
// stderr; one JSON object to stdout.
#include <cmath>
#include <filesystem>
#include <iostream>
#include <string>

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "process/cause_ranking.h"
#include "process/csv_import.h"
#include "process/risk_evaluation.h"

namespace lp = linesight::process;

namespace {

nlohmann::json Num(double v) { return std::isnan(v) ? nlohmann::json() : nlohmann::json(v); }

nlohmann::json Causes(const lp::ShotTable& table, const lp::RiskEvaluation& e) {
  nlohmann::json out = nlohmann::json::object();
  for (const lp::CauseGroup& g : lp::RankCauses(table, lp::GroupBy::kDie, {}, e.mean_abs_shap)) {
    nlohmann::json top = nlohmann::json::array();
    for (std::size_t k = 0; k < g.causes.size() && k < 3; ++k) {
      const lp::Cause& c = g.causes[k];
      top.push_back({{"condition", c.Condition()},
                     {"relative_risk", c.relative_risk},
                     {"ci95", {c.ci_low, c.ci_high}},
                     {"rejects_inside", c.rejects_inside},
                     {"supported", c.supported},
                     {"sentence", c.Sentence(g.target)}});
    }
    out[g.group] = {{"shots", g.shots}, {"rejects", g.rejects}, {"note", g.note}, {"top", top}};
  }
  return out;
}

int Run(int argc, char** argv) {
  std::string data_dir = "/work/shared/data", split;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--split-at" && i + 1 < argc)
      split = argv[++i];
    else
      data_dir = a;
  }
  const std::filesystem::path csv =
      std::filesystem::path(data_dir) / "diecasting_process/shots.csv";
  if (!std::filesystem::exists(csv)) {
    std::cerr << "skipped: " << csv.string() << " not found\n";
    std::cout << nlohmann::json{{"skipped", csv.string() + " not found"}}.dump() << "\n";
    return 0;
  }
  const lp::CsvMapping mapping = lp::ResolveCsvMapping("kamp-shots");
  std::cerr << "importing " << csv.string() << "\n";
  lp::ImportResult imp = lp::ImportCsvFile(csv, mapping);
  std::cerr << imp.report.Summary();
  lp::AddGapFeatures(imp.table);
  const std::int64_t split_ms =
      split.empty() ? lp::SplitAtFraction(imp.table) : lp::ParseMappingTime(split, mapping);
  std::cerr << "fitting the risk model on shots before the split\n";
  const lp::RiskEvaluation e = lp::EvaluateRisk(imp.table, split_ms, {});
  std::cerr << "fitted in " << e.fit_seconds << " s (" << e.model.selection() << ")\n";
  std::cerr << "ranking causes per die (all shots)\n";
  nlohmann::json shap = nlohmann::json::object();
  for (const auto& [name, v] : e.mean_abs_shap) shap[name] = v;
  const nlohmann::json j = {{"import_seconds", imp.report.seconds},
                            {"rows", imp.report.rows},
                            {"rows_skipped", imp.report.skipped},
                            {"split_utc_ms", split_ms},
                            {"fit_shots", e.fit_shots},
                            {"fit_scrap", e.fit_scrap},
                            {"judged_shots", e.judged_shots},
                            {"judged_scrap", e.judged_scrap},
                            {"judged_normal", e.judged_normal},
                            {"judged_normal_scrap", e.judged_normal_scrap},
                            {"real_auroc_all", Num(e.auroc_all)},
                            {"real_auroc_normal", Num(e.auroc_normal)},
                            {"real_ap_all", Num(e.ap_all)},
                            {"real_ap_normal", Num(e.ap_normal)},
                            {"model",
                             {{"rounds", e.model.rounds()},
                              {"max_depth", e.model.max_depth()},
                              {"selection", e.model.selection()},
                              {"fit_seconds", e.fit_seconds}}},
                            {"mean_abs_shap", shap},
                            {"causes_by_die", Causes(imp.table, e)}};
  std::cout << j.dump() << "\n";
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return Run(argc, argv);
  } catch (const linesight::Error& e) {
    std::cerr << "process_real_bench: " << e.what() << "\n";
    return 1;
  }
}
