// Ranked causes as JSON: see cause_json.h.
#include "process/cause_json.h"

namespace linesight::process {
namespace {

nlohmann::json CauseJson(const Cause& c, const std::string& target) {
  return {
      {"variable", c.variable},
      {"condition", c.Condition()},
      {"relative_risk", c.relative_risk},
      {"ci95", {c.ci_low, c.ci_high}},
      {"bonferroni_low", c.adjusted_low},
      {"shots_inside", c.shots_inside},
      {"rejects_inside", c.rejects_inside},
      {"excess_rejects", c.excess_rejects},
      {"attributed_excess", c.attributed_excess},
      {"shares_with", c.shares_with.empty() ? nlohmann::json() : nlohmann::json(c.shares_with)},
      {"across_groups", c.across_groups},
      {"mean_abs_shap", c.mean_abs_shap < 0 ? nlohmann::json() : nlohmann::json(c.mean_abs_shap)},
      {"supported", c.supported},
      {"explained_by", c.explained_by.empty() ? nlohmann::json() : nlohmann::json(c.explained_by)},
      {"sentence", c.Sentence(target)}};
}

}  // namespace

nlohmann::json CauseGroupsJson(const std::vector<CauseGroup>& groups) {
  nlohmann::json out = nlohmann::json::array();
  for (const CauseGroup& g : groups) {
    nlohmann::json causes = nlohmann::json::array();
    for (const Cause& c : g.causes) causes.push_back(CauseJson(c, g.target));
    out.push_back({{"group", g.group},
                   {"target", g.target},
                   {"shots", g.shots},
                   {"rejects", g.rejects},
                   {"left_out", g.left_out},
                   {"conditions_tried", g.conditions_tried},
                   {"note", g.note},
                   {"causes", std::move(causes)}});
  }
  return out;
}

}  // namespace linesight::process
