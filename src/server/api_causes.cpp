// The causes route (docs/api.md, "Causes"): which process conditions go with the line's rejects,
// ranked from the stored parts and their machines' process values and stops.
#include <algorithm>
#include <map>

#include "process/cause_json.h"
#include "process/cause_ranking.h"
#include "process/line_shots.h"
#include "server/api_json.h"
#include "server/server_context.h"

namespace linesight::server {
namespace {

process::GroupBy GroupOf(const io::HttpRequest& req) {
  const std::string by = req.Param("by");
  if (by.empty() || by == "machine") return process::GroupBy::kMachine;
  if (by == "die") return process::GroupBy::kDie;
  if (by == "all") return process::GroupBy::kAll;
  throw BadRequest("by: use machine (the default), die or all");
}

// The newest `limit` parts of `filter` with their verdicts, by part id.
std::map<std::string, process::LineShot> JudgedParts(store::Store& s,
                                                     const store::PartFilter& filter, int limit) {
  std::map<std::string, process::LineShot> shots;
  store::PartPage page;
  page.limit = std::min(limit, 1000);
  while (static_cast<int>(shots.size()) < limit) {
    const auto batch = s.FindParts(filter, page);
    for (const store::PartSummary& p : batch)
      shots[p.part_id] = {p.time_ms, p.machine, p.die, p.die_shot, p.decision, {}};
    if (static_cast<int>(batch.size()) < page.limit) break;
    page.before_time_ms = batch.back().time_ms;
    page.before_part_id = batch.back().part_id;
    page.limit = std::min(limit - static_cast<int>(shots.size()), 1000);
  }
  return shots;
}

// Each variable's values joined to the parts on part id (the series reads the same newest shots).
void AddProcessValues(store::Store& s, const store::PartFilter& filter, int limit,
                      std::map<std::string, process::LineShot>& shots) {
  for (const ProcessVariable& v : ProcessVariables())
    for (const store::ProcessPoint& p : s.ProcessSeries(filter, v.name, limit)) {
      const auto it = shots.find(p.part_id);
      if (it != shots.end()) it->second.process.*v.field = p.value;
    }
}

// Stops and die changes of the parts' machines over their period, and the last one before it.
std::vector<MachineEvent> EventsOf(store::Store& s,
                                   const std::map<std::string, process::LineShot>& shots) {
  std::map<std::string, std::pair<int64_t, int64_t>> span;  // machine -> first, last shot time
  for (const auto& [id, shot] : shots) {
    auto [it, fresh] = span.try_emplace(shot.machine, shot.time_ms, shot.time_ms);
    it->second.first = std::min(it->second.first, shot.time_ms);
    it->second.second = std::max(it->second.second, shot.time_ms);
  }
  std::vector<MachineEvent> events;
  for (const auto& [machine, t] : span) {
    for (MachineEvent& e : s.Events(machine, t.first, t.second + 1)) events.push_back(std::move(e));
    if (auto before = s.EventBefore(machine, t.first)) events.push_back(std::move(*before));
  }
  return events;
}

io::HttpResponse Causes(ServerContext& ctx, const io::HttpRequest& req) {
  const store::PartFilter filter = FilterOf(req);
  const process::GroupBy by = GroupOf(req);
  const int limit = static_cast<int>(IntParam(req, "shots", 5000, 1, store::kMaxSeriesPoints));
  auto parts = JudgedParts(ctx.store, filter, limit);
  AddProcessValues(ctx.store, filter, limit, parts);
  const std::vector<MachineEvent> events = EventsOf(ctx.store, parts);
  int64_t from = 0, to = 0;
  std::vector<process::LineShot> shots;
  for (auto& [id, shot] : parts) {
    from = shots.empty() ? shot.time_ms : std::min(from, shot.time_ms);
    to = std::max(to, shot.time_ms);
    shots.push_back(std::move(shot));
  }
  const process::ShotTable table = process::LineShotTable(std::move(shots), events);
  return JsonAnswer({{"shots", table.size()},
                     {"first_ms", table.size() ? nlohmann::json(from) : nlohmann::json()},
                     {"last_ms", table.size() ? nlohmann::json(to) : nlohmann::json()},
                     {"groups", process::CauseGroupsJson(process::RankCauses(table, by))}});
}

}  // namespace

void AddCauseRoutes(ServerContext& ctx, std::vector<io::HttpRoute>& routes) {
  routes.push_back(
      {"GET", "/api/v1/causes",
       ForPerson(ctx, store::Role::kOperator,
                 [&ctx](const Caller&, const io::HttpRequest& r) { return Causes(ctx, r); })});
}

}  // namespace linesight::server
