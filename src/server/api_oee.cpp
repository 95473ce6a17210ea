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
  // A ratio with nothing to divide is unknown, not 0 (which would read as a failed machine).
  const auto ratio = [](bool known, double r) { return known ? nlohmann::json(r) : nullptr; };
  const bool made = o.counts.produced > 0;
  return {{"machine", machine},
          {"availability", ratio(o.planned_busy_ms > 0, o.availability)},
          {"effectiveness", ratio(o.actual_production_ms > 0, o.effectiveness)},
          {"quality", ratio(made, o.quality)},
          {"oee", ratio(made && o.planned_busy_ms > 0, o.oee)},
          {"produced", o.counts.produced},
          {"good", o.counts.good},
          {"planned_busy_ms", o.planned_busy_ms},
          {"actual_production_ms", o.actual_production_ms},
          {"planned_downtime_ms", o.planned_downtime_ms},
          {"unplanned_downtime_ms", o.unplanned_downtime_ms},
          {"failures", o.failures},
          {"mtbf_s", ratio(o.failures > 0, o.mtbf_s)},
          {"mttr_s", ratio(o.failures > 0, o.mttr_s)},
          {"carried_in_repair_ms", o.carried_in_repair_ms},
          {"downtime", std::move(downtime)}};
}

io::HttpResponse OeeRoute(ServerContext& ctx, const io::HttpRequest& req) {
  const int64_t now = ctx.Now();
  const int64_t from = IntParam(req, "from_ms", ctx.options.shifts.ShiftStart(now), 0, INT64_MAX);
  if (req.Param("to_ms").empty() && from > now)
    throw BadRequest("from_ms lies in the future: give to_ms as well");
  // Half-open [from, to): by default up to and including the newest part, made at `now`.
  const int64_t to = IntParam(req, "to_ms", std::max(now + 1, from + 1), 0, INT64_MAX);
  if (to <= from) throw BadRequest("to_ms must be after from_ms: give the period forwards");
  const bool asked = !req.Param("planned_cycle_s").empty();  // for every machine: no own cycles
  const double cycle =
      asked ? DoubleParam(req, "planned_cycle_s", 0, 0.01, 86400) : ctx.options.planned_cycle_s;
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
    const auto own = ctx.options.planned_cycle_s_of.find(m.machine);
    const double pru = !asked && own != ctx.options.planned_cycle_s_of.end() ? own->second : cycle;
    nlohmann::json j =
        ToJson(m.machine, process::ComputeOee(events, counts[m.machine], from, to, pru));
    j["planned_cycle_s"] = pru;
    machines.push_back(std::move(j));
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
