// process/risk_evaluation.h: the honest test of a risk model on a plant's history: fit on the shots
// before a split time, judge the shots after it. The CLI and the bench both report these figures.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "process/risk_model.h"
#include "process/shot_table.h"

namespace linesight::process {

struct RiskEvaluation {
  std::int64_t split_ms = 0;  // fit: time < split; judged: time >= split
  std::size_t fit_shots = 0, fit_scrap = 0;
  std::size_t judged_shots = 0, judged_scrap = 0;  // labelled judged shots
  std::size_t judged_normal = 0, judged_normal_scrap = 0;
  double auroc_all = 0, auroc_normal = 0;  // NaN if a class is missing
  double ap_all = 0, ap_normal = 0;
  double fit_seconds = 0;
  RiskModel model;
  ShotTable judged;                                           // the judged shots
  std::vector<double> judged_risk;                            // model probability per judged shot
  std::vector<std::pair<std::string, double>> mean_abs_shap;  // over the fit shots
};

// The time that leaves the last `judged_fraction` of the table's time span to be judged.
// REQUIRES: table.size() > 0.
[[nodiscard]] std::int64_t SplitAtFraction(const ShotTable& table, double judged_fraction = 0.2);

// Fits a RiskModel on shots before `split_ms` and scores those after. Throws Error{kData} if
// either side has no labelled shot or the fit side lacks a class.
[[nodiscard]] RiskEvaluation EvaluateRisk(const ShotTable& table, std::int64_t split_ms,
                                          const RiskModelOptions& options);

}  // namespace linesight::process
