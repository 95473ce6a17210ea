// The statistics routes: yield and first-pass yield by group, the defect Pareto and the reject
// rate over time, each over the part filters of docs/api.md.
#include "server/api_json.h"
#include "server/server_context.h"

namespace linesight::server {
namespace {

store::GroupBy GroupOf(const std::string& name) {
  if (name.empty() || name == "machine") return store::GroupBy::kMachine;
  if (name == "die") return store::GroupBy::kDie;
  if (name == "station") return store::GroupBy::kStation;
  if (name == "shift") return store::GroupBy::kShift;
  throw BadRequest("group_by: use machine, die, station or shift");
}

io::HttpResponse Yield(ServerContext& ctx, const io::HttpRequest& req) {
  const store::GroupBy by = GroupOf(req.Param("group_by"));
  nlohmann::json rows = nlohmann::json::array();
  for (const auto& y : ctx.store.Yield(FilterOf(req), by, ctx.options.shifts))
    rows.push_back(ToJson(y));
  return JsonAnswer({{"rows", std::move(rows)}});
}

io::HttpResponse Pareto(ServerContext& ctx, const io::HttpRequest& req) {
  nlohmann::json rows = nlohmann::json::array();
  for (const auto& p : ctx.store.DefectPareto(FilterOf(req)))
    rows.push_back({{"defect_type", p.defect_type}, {"parts", p.parts}});
  return JsonAnswer({{"rows", std::move(rows)}});
}

io::HttpResponse RejectRate(ServerContext& ctx, const io::HttpRequest& req) {
  constexpr int64_t kMinute = 60 * 1000;
  const int64_t bucket = IntParam(req, "bucket_ms", 60 * kMinute, kMinute, 366 * 24 * 60 * kMinute);
  nlohmann::json buckets = nlohmann::json::array();
  for (const auto& b : ctx.store.RejectRate(FilterOf(req), bucket))
    buckets.push_back(
        {{"start_ms", b.start_ms}, {"parts", b.parts}, {"rejects", b.rejects}, {"holds", b.holds}});
  return JsonAnswer({{"bucket_ms", bucket}, {"buckets", std::move(buckets)}});
}

io::HttpRoute Stat(ServerContext& ctx, const char* pattern,
                   io::HttpResponse (*fn)(ServerContext&, const io::HttpRequest&)) {
  return {"GET", pattern,
          ForPerson(ctx, store::Role::kOperator,
                    [&ctx, fn](const Caller&, const io::HttpRequest& r) { return fn(ctx, r); })};
}

}  // namespace

void AddStatsRoutes(ServerContext& ctx, std::vector<io::HttpRoute>& routes) {
  routes.push_back(Stat(ctx, "/api/v1/stats/yield", Yield));
  routes.push_back(Stat(ctx, "/api/v1/stats/pareto", Pareto));
  routes.push_back(Stat(ctx, "/api/v1/stats/reject_rate", RejectRate));
}

}  // namespace linesight::server
