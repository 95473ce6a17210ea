// The process routes (docs/api.md, "Causes" and "Defect risk"): which process conditions go with
// the line's rejects, and each recent shot's risk of scrap from its process values alone, both from
// the stored parts and their machines' process values and stops.
#include <algorithm>

#include "core/error.h"
#include "process/cause_json.h"
#include "process/cause_ranking.h"
#include "process/risk_evaluation.h"
#include "process/risk_model.h"
#include "server/api_json.h"
#include "server/server_context.h"
#include "server/stored_shots.h"

namespace linesight::server {
namespace {

process::GroupBy GroupOf(const io::HttpRequest& req) {
  const std::string by = req.Param("by");
  if (by.empty() || by == "machine") return process::GroupBy::kMachine;
  if (by == "die") return process::GroupBy::kDie;
  if (by == "all") return process::GroupBy::kAll;
  throw BadRequest("by: use machine (the default), die or all");
}

io::HttpResponse Causes(ServerContext& ctx, const io::HttpRequest& req) {
  const store::PartFilter filter = FilterOf(req);
  const process::GroupBy by = GroupOf(req);
  const int limit = static_cast<int>(IntParam(req, "shots", 5000, 1, store::kMaxSeriesPoints));
  const StoredShots shots = LoadStoredShots(ctx.store, filter, limit);
  const bool any = shots.table.size() > 0;
  return JsonAnswer({{"shots", shots.table.size()},
                     {"first_ms", any ? nlohmann::json(shots.first_ms) : nlohmann::json()},
                     {"last_ms", any ? nlohmann::json(shots.last_ms) : nlohmann::json()},
                     {"groups", process::CauseGroupsJson(process::RankCauses(shots.table, by))}});
}

// The features that raised one shot's risk most (positive SHAP), largest first, at most two.
nlohmann::json Why(const process::Contributions& c, const process::ShotTable& t, size_t row) {
  const size_t width = c.names.size() + 1;
  std::vector<std::pair<float, size_t>> up;
  for (size_t k = 0; k < c.names.size(); ++k)
    if (const float v = c.values[row * width + k]; v > 0) up.emplace_back(v, k);
  std::sort(up.rbegin(), up.rend());
  nlohmann::json out = nlohmann::json::array();
  for (size_t i = 0; i < up.size() && i < 2; ++i) {
    const std::string& name = c.names[up[i].second];
    const int f = t.FeatureIndex(name);
    out.push_back({{"variable", name},
                   {"value", f >= 0 ? NumberOrNull(t.features[static_cast<size_t>(f)][row])
                                    : nlohmann::json()},
                   {"shap", up[i].first}});
  }
  return out;
}

// Fits on all but the newest `judge` shots, scores those: each with its risk and why, and how
// well the risk ranked the line's own verdicts on them (AUROC, average precision).
io::HttpResponse Risk(ServerContext& ctx, const io::HttpRequest& req) {
  const store::PartFilter filter = FilterOf(req);
  const int limit = static_cast<int>(IntParam(req, "shots", 5000, 100, store::kMaxSeriesPoints));
  const auto judge = static_cast<size_t>(IntParam(req, "judge", 200, 10, 5000));
  const StoredShots shots = LoadStoredShots(ctx.store, filter, limit);
  const process::ShotTable& t = shots.table;
  nlohmann::json body = {{"shots", t.size()}, {"points", nlohmann::json::array()}};
  constexpr size_t kMinFit = 50;
  if (t.size() < judge + kMinFit) {
    body["no_model_because"] = "only " + std::to_string(t.size()) + " shots: the model needs " +
                               std::to_string(kMinFit) + " to learn from besides the " +
                               std::to_string(judge) + " it judges";
    return JsonAnswer(body);
  }
  process::RiskModelOptions o;
  o.rounds = 200;  // fixed: the validation search would take seconds per request
  o.max_depth = 3;
  o.threads = 1;
  const int64_t split = t.time_ms[t.size() - judge];
  process::RiskEvaluation e;
  try {
    e = process::EvaluateRisk(t, split, o);
  } catch (const Error& err) {
    if (err.category() != ErrorCategory::kData) throw;
    body["no_model_because"] = err.what();  // e.g. no reject among the shots to learn from
    return JsonAnswer(body);
  }
  const size_t first = static_cast<size_t>(
      std::lower_bound(t.time_ms.begin(), t.time_ms.end(), split) - t.time_ms.begin());
  const process::Contributions c = e.model.Contribute(e.judged);
  for (size_t i = 0; i < e.judged.size(); ++i) {
    const int8_t y = e.judged.label[i];
    body["points"].push_back(
        {{"part_id", shots.part_ids[first + i]},
         {"time_ms", e.judged.time_ms[i]},
         {"risk", e.judged_risk[i]},
         {"rejected", y == process::kLabelUnknown ? nlohmann::json() : nlohmann::json(y == 1)},
         {"why", Why(c, e.judged, i)}});
  }
  nlohmann::json drivers = nlohmann::json::array();
  for (const auto& [name, v] : e.mean_abs_shap)
    drivers.push_back({{"variable", name}, {"mean_abs_shap", v}});
  body.update({{"fit_shots", e.fit_shots},
               {"fit_rejects", e.fit_scrap},
               {"judged_shots", e.judged_shots},
               {"judged_rejects", e.judged_scrap},
               {"auroc", NumberOrNull(e.auroc_all)},
               {"average_precision", NumberOrNull(e.ap_all)},
               {"drivers", drivers},
               {"model", "gradient-boosted trees (XGBoost), 200 rounds of depth 3"}});
  return JsonAnswer(body);
}

// A risk model for the stations (process/shot_risk.h): fitted on the newest stored shots with
// the features a station can know of a shot, as the file a station's `risk_model` loads.
io::HttpResponse RiskModelFile(ServerContext& ctx, const io::HttpRequest& req) {
  const store::PartFilter filter = FilterOf(req);
  const int limit = static_cast<int>(IntParam(req, "shots", 5000, 100, store::kMaxSeriesPoints));
  const StoredShots shots = LoadStoredShots(ctx.store, filter, limit);
  process::RiskModelOptions o;
  o.rounds = 200;  // as GET /api/v1/risk
  o.max_depth = 3;
  o.threads = 1;
  o.shot_flags = false;   // a station cannot tell a try shot
  o.die_one_hot = false;  // nor knows the dies of other machines; and a new die has no column
  std::string text;
  try {
    text = process::RiskModel::Fit(shots.table, o).SaveJson();
  } catch (const Error& err) {
    if (err.category() != ErrorCategory::kData) throw;
    return io::JsonError(409, "no_model",
                         "no risk model from the " + std::to_string(shots.table.size()) +
                             " stored shots: " + err.cause() +
                             "; wait for shots with both passes and rejects");
  }
  nlohmann::json body = nlohmann::json::parse(text);
  int64_t rejects = 0;
  for (int8_t y : shots.table.label) rejects += y == 1;
  body["fitted_on"] = {{"shots", shots.table.size()},
                       {"rejects", rejects},
                       {"first_ms", shots.first_ms},
                       {"last_ms", shots.last_ms}};
  return JsonAnswer(body);
}

}  // namespace

void AddProcessRoutes(ServerContext& ctx, std::vector<io::HttpRoute>& routes) {
  for (auto [path, fn] : {std::pair{"/api/v1/causes", &Causes}, std::pair{"/api/v1/risk", &Risk},
                          std::pair{"/api/v1/risk/model", &RiskModelFile}})
    routes.push_back(
        {"GET", path,
         ForPerson(ctx, store::Role::kOperator,
                   [&ctx, fn](const Caller&, const io::HttpRequest& r) { return fn(ctx, r); })});
}

}  // namespace linesight::server
