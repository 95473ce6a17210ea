// process/cause_ranking.h: which process conditions explain a group's rejects. For each variable it
// finds the low or high condition (quantile threshold) with the strongest evidence, gives its
// relative risk with a confidence interval, says plainly when the evidence is weak, and which
// conditions only stand in for another (Mantel–Haenszel adjustment).
// Pure functions of their inputs; safe on any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "process/shot_table.h"

namespace linesight::process {

struct CauseOptions {
  // Candidate thresholds: "value <= quantile q" for low, "value >= quantile q" for high.
  std::vector<double> low_quantiles{0.01, 0.02, 0.05, 0.1, 0.2};
  std::vector<double> high_quantiles{0.8, 0.9, 0.95, 0.98, 0.99};
  bool missing_condition = true;  // also try "value not measured" (a sensor fault as a sign)
  std::string defect;             // "" = the scrap label; else a defect column of the table
  bool normal_only = true;        // leave out try shots and stopped shots (scrap by definition)
  std::size_t min_rejects_inside = 5;  // fewer rejects inside a condition = weak evidence
  std::size_t min_group_rejects = 10;  // fewer rejects in a group: no cause is claimed
};

// The best condition of one variable in one group: of its candidate thresholds, the one with the
// strongest evidence (highest adjusted lower bound).
struct Cause {
  enum class Kind : std::uint8_t { kBelow = 1, kAbove = 2, kMissing = 3 };
  std::string variable;
  Kind kind = Kind::kBelow;
  double threshold = 0;  // value <= threshold (kBelow) or >= threshold (kAbove)
  std::size_t shots_inside = 0, rejects_inside = 0;
  std::size_t shots_outside = 0, rejects_outside = 0;
  double relative_risk = 0;        // reject rate inside / outside
  double ci_low = 0, ci_high = 0;  // 95% CI of the relative risk (Katz log method)
  double adjusted_low = 0;         // lower bound after Bonferroni over all conditions tried
  // Rejects inside beyond what the rate outside would give: the rejects the condition explains.
  double excess_rejects = 0;
  // Of a supported cause no other explains: the excess of the rejects on the shots it is given
  // where several such causes hold (each shot goes to the one with the strongest evidence).
  // What the ranking orders those causes by; 0 for the others.
  double attributed_excess = 0;
  // Set when attributed_excess is under half of excess_rejects and a stronger cause holds some of
  // this one's rejects: the one holding most of them (after a restart the die is cold too). Such
  // a cause is listed after the causes whose rejects are mostly their own.
  std::string shares_with;
  double mean_abs_shap = -1;  // from the risk model; < 0 if not given
  bool supported = false;     // adjusted_low > 1 and enough rejects inside
  // Another supported condition that accounts for this one's rejects: within its shots and within
  // the rest (Mantel–Haenszel), this condition's effect is no longer supported while the other's
  // still is ("cycle_s ≥ 958" is the first shot after a stop, "shots_since_restart ≤ 1" seen from
  // the side). "" if none. Such a condition is listed after the unexplained ones.
  std::string explained_by;
  // A condition found over every group's shots, which nearly all of this group's shots meet (a
  // die near the end of its life all week): within the group nothing compares, so the group's
  // shots inside are set against all groups' shots outside it. shots_outside and rejects_outside
  // then count those. Listed after the group's own supported, unexplained causes.
  bool across_groups = false;

  // "value <= 5", "value >= 340", "value not measured".
  [[nodiscard]] std::string Condition() const;
  // One sentence, e.g. "scrap 6.2× more likely when shots_since_restart ≤ 5 (95% CI 5.1–7.4;
  // 412 of 530 rejects, about 398 beyond the rate elsewhere)", prefixed "weak evidence: " when
  // not supported.
  [[nodiscard]] std::string Sentence(const std::string& target) const;
};

// The ranked causes of one group (a die, a machine, or all shots).
struct CauseGroup {
  std::string group;                                 // "die 8412", "machine M3", "all"
  std::string target;                                // "scrap" or the defect name
  std::size_t shots = 0, rejects = 0, left_out = 0;  // left_out: not normal or unlabelled
  std::size_t conditions_tried = 0;
  // Supported and unexplained first: those whose rejects are mostly their own by attributed
  // excess, then those that share a stronger one's shots; then supported conditions seen across
  // groups; then explained ones; then weak evidence; each but the first by adjusted lower bound.
  std::vector<Cause> causes;
  std::string note;  // e.g. "only 4 rejects: no cause can be claimed"
};

enum class GroupBy : std::uint8_t { kAll = 1, kDie = 2, kMachine = 3 };

// Ranks every feature of `table` as a cause of the target in each group. With several groups, the
// supported conditions of all their shots together are also tried on each group that nearly all
// lies inside one (Cause::across_groups). `shap` (feature name,
// mean |SHAP|) from RiskModel::MeanAbsShap is attached where names match. Throws Error{kInput}
// if options.defect names no defect column.
[[nodiscard]] std::vector<CauseGroup> RankCauses(
    const ShotTable& table, GroupBy by, const CauseOptions& options = {},
    const std::vector<std::pair<std::string, double>>& shap = {});

// Two-sided standard normal quantile z with P(|Z| > z) = alpha (e.g. 1.96 for 0.05).
[[nodiscard]] double NormalTwoSidedZ(double alpha);

}  // namespace linesight::process
