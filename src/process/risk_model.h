// process/risk_model.h: defect risk of each shot from its process values alone, a gradient-boosted
// tree model (XGBoost), with per-shot SHAP contributions that say which values raised the risk.
// A fitted RiskModel is immutable; Predict and Contributions may run on several threads.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "process/shot_table.h"

namespace linesight::process {

struct RiskModelOptions {
  // These change results.
  // Boosting rounds; 0 = pick from candidate_rounds x candidate_depths by a time-ordered
  // validation: fit on the first (1 - validation_fraction) of the fit shots, score AUROC on the
  // normal shots of the rest, then refit on all fit shots with the best pair.
  int rounds = 0;
  int max_depth = 4;
  std::vector<int> candidate_rounds{100, 200, 400, 800};
  std::vector<int> candidate_depths{3, 5};
  double validation_fraction = 0.2;
  double eta = 0.05;            // learning rate
  double min_child_weight = 2;  // smallest hessian sum in a leaf (fewer spurious splits)
  bool die_one_hot = true;      // one 0/1 column per die seen when fitting
  bool shot_flags = true;       // try_shot and stopped as features
  int seed = 7;
  // This only changes speed (results are the same for the same value).
  int threads = 2;
};

// SHAP contributions (tree SHAP, XGBoost option 4) of each shot: values[shot * (names.size() + 1)
// + k] is feature k's contribution to the log-odds; the last column is the bias.
struct Contributions {
  std::vector<std::string> names;
  std::vector<float> values;
};

class RiskModel {
 public:
  // Fits on the labelled shots of `fit` (label 0/1; unknown labels are left out). Throws
  // Error{kData} if either class has no shot, Error{kInternal} with XGBoost's message if it fails.
  [[nodiscard]] static RiskModel Fit(const ShotTable& fit, const RiskModelOptions& options);

  // Probability of scrap of every shot of `table`. Missing feature columns are NaN (missing).
  [[nodiscard]] std::vector<double> Predict(const ShotTable& table) const;
  // Per-shot SHAP contributions of every model feature, plus the bias.
  [[nodiscard]] Contributions Contribute(const ShotTable& table) const;
  // Mean |SHAP| per table feature over `table`, highest first; one-hot die columns summed into
  // "die". Tree SHAP costs about 2 ms a shot at 400 trees of depth 5, so at most `max_shots`
  // evenly spaced shots are used.
  [[nodiscard]] std::vector<std::pair<std::string, double>> MeanAbsShap(
      const ShotTable& table, std::size_t max_shots = 5000) const;

  // The model's input columns, in order.
  [[nodiscard]] const std::vector<std::string>& FeatureNames() const { return names_; }
  [[nodiscard]] int rounds() const { return rounds_; }
  [[nodiscard]] int max_depth() const { return depth_; }
  // What the time-ordered validation found, e.g. "depth 3, 200 rounds: AUROC 0.93; ...".
  [[nodiscard]] const std::string& selection() const { return selection_; }

  // The model as JSON text (XGBoost's JSON plus the feature layout); Load reverses it. Load
  // throws Error{kModel} naming what is wrong with the text.
  [[nodiscard]] std::string SaveJson() const;
  [[nodiscard]] static RiskModel LoadJson(std::string_view json, int threads = 2);

  struct Booster;  // RAII owner of the XGBoost handle (risk_model.cpp)

 private:
  [[nodiscard]] std::vector<float> Matrix(const ShotTable& table) const;
  // Sets rounds_ and depth_ by the time-ordered validation of RiskModelOptions.
  void SelectByValidation(const ShotTable& fit, const std::vector<std::size_t>& order,
                          const std::vector<float>& x, const RiskModelOptions& options);

  std::shared_ptr<const Booster> booster_;
  std::vector<std::string> table_features_;  // copied from the fit table
  std::vector<std::string> dies_;            // one-hot columns
  bool shot_flags_ = true;
  std::vector<std::string> names_;
  int rounds_ = 0, depth_ = 0;
  std::string selection_;
};

// Adds the gaps a process engineer looks at: "die_gap_s", seconds since the same die's previous
// shot, and "machine_gap_s", since the machine's previous shot (a long gap = cold die). Call it
// on the whole history before splitting, so the first shots after a split keep their gap.
void AddGapFeatures(ShotTable& table);

}  // namespace linesight::process
