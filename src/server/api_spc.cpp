// The SPC routes (docs/api.md, "Control charts"): an individuals chart of one process variable
// and a p or Laney p' chart of the reject rate, each with the run rules' alarms.
#include <cmath>

#include "core/error.h"
#include "process/control_chart.h"
#include "process/run_rules.h"
#include "server/api_json.h"
#include "server/server_context.h"

namespace linesight::server {
namespace {

using process::RuleAlarm;

bool NelsonRules(const io::HttpRequest& req) {
  const std::string rules = req.Param("rules");
  if (rules.empty() || rules == "we") return false;
  if (rules == "nelson") return true;
  throw BadRequest("rules: use we (Western Electric 1-4) or nelson (Nelson 1-8)");
}

std::vector<RuleAlarm> Alarms(bool nelson, std::span<const double> points, double centre,
                              double sigma) {
  return nelson ? process::CheckNelsonRules(points, centre, sigma)
                : process::CheckWesternElectricRules(points, centre, sigma);
}

// `where(i)` gives the JSON fields that place point i (time, part or bucket) for people.
template <class Where>
nlohmann::json AlarmsJson(const std::vector<RuleAlarm>& alarms, Where where) {
  nlohmann::json out = nlohmann::json::array();
  for (const RuleAlarm& a : alarms) {
    nlohmann::json j = where(a.index);
    j["rule"] = process::RuleCodeName(a.code);
    j["text"] = process::RuleText(a.code);
    j["index"] = a.index;
    j["points"] = a.points;
    out.push_back(std::move(j));
  }
  return out;
}

const ProcessVariable& VariableOf(const io::HttpRequest& req) {
  const std::string name = req.Param("variable");
  for (const ProcessVariable& v : ProcessVariables())
    if (v.name == name) return v;
  std::string known;
  for (const ProcessVariable& v : ProcessVariables())
    known += (known.empty() ? "" : ", ") + std::string(v.name);
  throw BadRequest("variable: use one of " + known);
}

nlohmann::json LimitsJson(const process::IndividualsLimits& l, int64_t baseline) {
  return {{"centre", l.centre},   {"sigma", l.sigma},       {"ucl", l.ucl},
          {"lcl", l.lcl},         {"mr_bar", l.mr_bar},     {"mr_ucl", l.mr_ucl},
          {"baseline", baseline}, {"measured", l.measured}, {"not_measured", l.not_measured}};
}

io::HttpResponse ProcessChart(ServerContext& ctx, const io::HttpRequest& req) {
  const ProcessVariable& variable = VariableOf(req);
  const bool nelson = NelsonRules(req);
  const int64_t limit = IntParam(req, "points", 500, 2, store::kMaxSeriesPoints);
  const auto series =
      ctx.store.ProcessSeries(FilterOf(req), variable.name, static_cast<int>(limit));
  std::vector<double> values;
  values.reserve(series.size());
  for (const auto& p : series) values.push_back(p.value);
  const std::vector<double> ranges = process::MovingRanges(values);
  const int64_t baseline =
      std::min<int64_t>(IntParam(req, "baseline", 100, 2, store::kMaxSeriesPoints),
                        static_cast<int64_t>(values.size()));
  nlohmann::json body = {
      {"variable", variable.name}, {"unit", variable.unit}, {"rules", nelson ? "nelson" : "we"}};
  nlohmann::json points = nlohmann::json::array();
  for (size_t i = 0; i < series.size(); ++i)
    points.push_back({{"time_ms", series[i].time_ms},
                      {"part_id", series[i].part_id},
                      {"die", series[i].die},
                      {"value", NumberOrNull(values[i])},
                      {"mr", NumberOrNull(ranges[i])}});
  body["points"] = std::move(points);
  try {
    const auto limits = process::FitIndividualsChart(
        std::span<const double>(values).first(static_cast<size_t>(baseline)));
    body["limits"] = LimitsJson(limits, baseline);
    body["alarms"] = AlarmsJson(Alarms(nelson, values, limits.centre, limits.sigma), [&](size_t i) {
      return nlohmann::json{{"time_ms", series[i].time_ms}, {"part_id", series[i].part_id}};
    });
  } catch (const Error& e) {
    if (e.category() != ErrorCategory::kData) throw;
    // Too few or constant values: no chart can be drawn, which the dashboard says in words.
    body["limits"] = nullptr;
    body["alarms"] = nlohmann::json::array();
    body["no_limits_because"] = e.what();
  }
  return JsonAnswer(body);
}

process::PChartKind ChartKind(const io::HttpRequest& req) {
  const std::string kind = req.Param("chart");
  if (kind.empty() || kind == "laney") return process::PChartKind::kLaneyPPrime;
  if (kind == "p") return process::PChartKind::kP;
  throw BadRequest("chart: use laney (Laney p', the default) or p");
}

io::HttpResponse RejectChart(ServerContext& ctx, const io::HttpRequest& req) {
  constexpr int64_t kMinute = 60 * 1000;
  const int64_t bucket = IntParam(req, "bucket_ms", 60 * kMinute, kMinute, 366 * 24 * 60 * kMinute);
  const process::PChartKind kind = ChartKind(req);
  const bool nelson = NelsonRules(req);
  const auto buckets = ctx.store.RejectRate(FilterOf(req), bucket);
  std::vector<process::Subgroup> groups;
  for (const auto& b : buckets) groups.push_back({b.rejects, b.parts});
  const int64_t baseline = std::min<int64_t>(IntParam(req, "baseline", 24, 2, 100000),
                                             static_cast<int64_t>(groups.size()));
  nlohmann::json body = {{"bucket_ms", bucket},
                         {"chart", kind == process::PChartKind::kP ? "p" : "laney"},
                         {"rules", nelson ? "nelson" : "we"}};
  try {
    const auto params =
        process::FitPChart(std::span(groups).first(static_cast<size_t>(baseline)), kind);
    const auto evaluated = process::EvaluatePChart(params, groups);
    nlohmann::json points = nlohmann::json::array();
    std::vector<double> z;
    for (size_t i = 0; i < evaluated.size(); ++i) {
      const auto& e = evaluated[i];
      points.push_back({{"start_ms", buckets[i].start_ms},
                        {"parts", buckets[i].parts},
                        {"rejects", buckets[i].rejects},
                        {"p", e.p},
                        {"ucl", e.ucl},
                        {"lcl", e.lcl},
                        {"z", e.z},
                        {"beyond_limits", e.beyond_limits}});
      z.push_back(buckets[i].parts > 0 ? e.z : std::nan(""));
    }
    body["p_bar"] = params.p_bar;
    body["sigma_z"] = params.sigma_z;
    body["baseline"] = baseline;
    body["points"] = std::move(points);
    body["alarms"] = params.p_bar > 0 && params.p_bar < 1
                         ? AlarmsJson(Alarms(nelson, z, 0, 1),
                                      [&](size_t i) {
                                        return nlohmann::json{{"start_ms", buckets[i].start_ms}};
                                      })
                         : nlohmann::json::array();
  } catch (const Error& e) {
    if (e.category() != ErrorCategory::kData) throw;
    body["points"] = nlohmann::json::array();
    body["alarms"] = nlohmann::json::array();
    body["no_limits_because"] = e.what();
  }
  return JsonAnswer(body);
}

io::HttpRoute Chart(ServerContext& ctx, const char* pattern,
                    io::HttpResponse (*fn)(ServerContext&, const io::HttpRequest&)) {
  return {"GET", pattern,
          ForPerson(ctx, store::Role::kOperator,
                    [&ctx, fn](const Caller&, const io::HttpRequest& r) { return fn(ctx, r); })};
}

}  // namespace

void AddSpcRoutes(ServerContext& ctx, std::vector<io::HttpRoute>& routes) {
  routes.push_back(Chart(ctx, "/api/v1/spc/process", ProcessChart));
  routes.push_back(Chart(ctx, "/api/v1/spc/reject_rate", RejectChart));
}

}  // namespace linesight::server
