// The OEE route (docs/api.md, "OEE"): availability, effectiveness and quality ratio of each
// machine over a period (by default the current shift) by ISO 22400-2, with its downtime Pareto,
// MTBF and MTTR, from the stored machine events and parts.
#include <cmath>
#include <map>

#include "core/clock.h"
#include "process/oee.h"
#include "server/api_json.h"
#include "server/server_context.h"

namespace linesight::server {
namespace {

nlohmann::json ToJson(const std::string& machine, const process::Oee& o) {
  nlohmann::json downtime = nlohmann::json::array();
  for (const auto& d : o.pareto)
    downtime.push_back(
        {{"reason", d.reason}, {"planned", d.planned}, {"ms", d.ms}, {"stops", d.stops}});
  return {{"machine", machine},
          {"availability", o.availability},
          {"effectiveness", o.effectiveness},
          {"quality", o.quality},
          {"oee", o.oee},
          {"produced", o.counts.produced},
          {"good", o.counts.good},
          {"planned_busy_ms", o.planned_busy_ms},
          {"actual_production_ms", o.actual_production_ms},
          {"planned_downtime_ms", o.planned_downtime_ms},
          {"unplanned_downtime_ms", o.unplanned_downtime_ms},
          {"failures", o.failures},
          {"mtbf_s", o.mtbf_s},
          {"mttr_s", o.mttr_s},
          {"downtime", std::move(downtime)}};
}

io::HttpResponse OeeRoute(ServerContext& ctx, const io::HttpRequest& req) {
  const int64_t now = ctx.Now();
  const int64_t from = IntParam(req, "from_ms", ctx.options.shifts.ShiftStart(now), 0, INT64_MAX);
  const int64_t to = IntParam(req, "to_ms", std::max(now, from + 1), from + 1, INT64_MAX);
  double cycle = ctx.options.planned_cycle_s;
  if (const std::string c = req.Param("planned_cycle_s"); !c.empty()) {
    try {
      cycle = std::stod(c);
    } catch (const std::exception&) {
      cycle = NAN;
    }
    if (!(cycle > 0 && cycle < 86400)) throw BadRequest("planned_cycle_s: seconds, over 0");
  }
  store::PartFilter period;
  period.from_ms = from;
  period.to_ms = to;
  std::map<std::string, process::OeeCounts> counts;
  for (const auto& y : ctx.store.Yield(period, store::GroupBy::kMachine, ctx.options.shifts))
    counts[y.key] = {y.parts, y.good};
  nlohmann::json machines = nlohmann::json::array();
  for (const auto& m : ctx.store.Machines(from)) {
    std::vector<MachineEvent> events = ctx.store.Events(m.machine, from, to);
    if (auto before = ctx.store.EventBefore(m.machine, from)) events.push_back(*before);
    machines.push_back(
        ToJson(m.machine, process::ComputeOee(events, counts[m.machine], from, to, cycle)));
  }
  return JsonAnswer(
      {{"from_ms", from}, {"to_ms", to}, {"planned_cycle_s", cycle}, {"machines", machines}});
}

}  // namespace

void AddOeeRoutes(ServerContext& ctx, std::vector<io::HttpRoute>& routes) {
  routes.push_back(
      {"GET", "/api/v1/oee",
       ForPerson(ctx, store::Role::kOperator,
                 [&ctx](const Caller&, const io::HttpRequest& r) { return OeeRoute(ctx, r); })});
}

}  // namespace linesight::server
