// process/risk_evaluation.cpp: the time split, the fit, and the figures on the judged shots.
#include "process/risk_evaluation.h"

#include <algorithm>
#include <chrono>

#include "core/error.h"
#include "process/ranking_metrics.h"

namespace linesight::process {

std::int64_t SplitAtFraction(const ShotTable& t, double judged_fraction) {
  const auto [lo, hi] = std::minmax_element(t.time_ms.begin(), t.time_ms.end());
  return *lo + static_cast<std::int64_t>(static_cast<double>(*hi - *lo) * (1 - judged_fraction));
}

RiskEvaluation EvaluateRisk(const ShotTable& t, std::int64_t split_ms, const RiskModelOptions& o) {
  std::vector<bool> before(t.size()), after(t.size());
  for (std::size_t i = 0; i < t.size(); ++i) {
    const bool labelled = t.label[i] == 0 || t.label[i] == 1;
    before[i] = labelled && t.time_ms[i] < split_ms;
    after[i] = labelled && t.time_ms[i] >= split_ms;
  }
  if (std::none_of(t.label.begin(), t.label.end(),
                   [](std::int8_t y) { return y == 0 || y == 1; })) {
    throw Error(ErrorCategory::kData, "no shot has a scrap/pass label",
                "Map the file's label column in the column mapping (label: {column: ...})");
  }
  const ShotTable fit = SelectRows(t, before);
  RiskEvaluation e;
  e.split_ms = split_ms;
  e.judged = SelectRows(t, after);
  if (fit.size() == 0 || e.judged.size() == 0) {
    throw Error(ErrorCategory::kData,
                "the split leaves " + std::to_string(fit.size()) + " labelled shots to fit and " +
                    std::to_string(e.judged.size()) + " to judge",
                "Pick a split time inside the file's time span (--split-at)");
  }
  const auto start = std::chrono::steady_clock::now();
  e.model = RiskModel::Fit(fit, o);
  e.fit_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  e.mean_abs_shap = e.model.MeanAbsShap(fit);
  e.judged_risk = e.model.Predict(e.judged);
  e.fit_shots = fit.size();
  for (std::int8_t y : fit.label) e.fit_scrap += y == 1;
  std::vector<double> normal_risk;
  std::vector<std::int8_t> normal_label;
  for (std::size_t i = 0; i < e.judged.size(); ++i) {
    e.judged_scrap += e.judged.label[i] == 1;
    if (!e.judged.Normal(i)) continue;
    normal_risk.push_back(e.judged_risk[i]);
    normal_label.push_back(e.judged.label[i]);
    e.judged_normal_scrap += e.judged.label[i] == 1;
  }
  e.judged_shots = e.judged.size();
  e.judged_normal = normal_risk.size();
  e.auroc_all = Auroc(e.judged_risk, e.judged.label);
  e.ap_all = AveragePrecision(e.judged_risk, e.judged.label);
  e.auroc_normal = Auroc(normal_risk, normal_label);
  e.ap_normal = AveragePrecision(normal_risk, normal_label);
  return e;
}

}  // namespace linesight::process
