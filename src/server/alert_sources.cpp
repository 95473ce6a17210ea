#include "server/alert_sources.h"

#include <cmath>
#include <cstdio>
#include <map>
#include <optional>
#include <span>

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "process/control_chart.h"
#include "process/run_rules.h"
#include "server/api_json.h"

namespace linesight::server {
namespace {

constexpr int64_t kHour = 3'600'000;
constexpr size_t kRecentShots = 20;
constexpr int kSeriesShots = 200;
constexpr int kBaselineHours = 24;

std::string Percent(double share) {
  char text[32];
  std::snprintf(text, sizeof text, "%.1f%%", share * 100);
  return text;
}

std::string Number(double v) {
  char text[32];
  std::snprintf(text, sizeof text, "%.4g", v);
  return text;
}

std::vector<std::string> MachinesActiveSince(store::Store& store, int64_t since_ms) {
  std::vector<std::string> out;
  for (const auto& m : store.Machines(since_ms))
    if (m.last_part_ms >= since_ms) out.push_back(m.machine);
  return out;
}

// Index of the last rule-1 point at or after `from` on the side `above` (or either side), if any.
std::optional<size_t> LastRuleOne(std::span<const double> points, double centre, double sigma,
                                  size_t from, bool only_above) {
  std::optional<size_t> last;
  for (const auto& a : process::CheckWesternElectricRules(points, centre, sigma))
    if (a.code == process::RuleCode::kWe1 && a.index >= from &&
        (!only_above || points[a.index] > centre))
      last = a.index;
  return last;
}

std::optional<AlertCandidate> RejectRateOf(store::Store& store, const std::string& machine,
                                           int64_t hour_start) {
  store::PartFilter filter;
  filter.machine = machine;
  filter.from_ms = hour_start - kBaselineHours * kHour;
  filter.to_ms = hour_start + kHour;
  const auto buckets = store.RejectRate(filter, kHour);
  if (buckets.size() < 3 || buckets.back().start_ms != hour_start) return std::nullopt;
  std::vector<process::Subgroup> groups;
  for (const auto& b : buckets) groups.push_back({b.rejects, b.parts});
  const auto baseline = std::span(groups).first(groups.size() - 1);
  const auto params = process::FitPChart(baseline, process::PChartKind::kP);
  if (params.p_bar <= 0 || params.p_bar >= 1) return std::nullopt;  // no spread to judge by
  const auto points = process::EvaluatePChart(params, groups);
  std::vector<double> z;
  for (const auto& p : points) z.push_back(p.z);
  if (!LastRuleOne(z, 0, 1, z.size() - 1, true)) return std::nullopt;
  const auto& last = points.back();
  AlertCandidate c;
  c.evidence_ms = hour_start;
  c.input = {"reject_rate:" + machine + ":" + std::to_string(hour_start),
             "reject_rate",
             store::AlertSeverity::kAlarm,
             machine,
             "",
             machine + ": reject rate " + Percent(last.p) +
                 " in the last hour, above the p-chart's " + "upper limit " + Percent(last.ucl) +
                 " (mean " + Percent(params.p_bar) + ")",
             Dump({{"hour_start_ms", hour_start},
                   {"parts", buckets.back().parts},
                   {"rejects", buckets.back().rejects},
                   {"p", last.p},
                   {"ucl", last.ucl},
                   {"p_bar", params.p_bar},
                   {"baseline_hours", baseline.size()},
                   {"rule", "WE1"}})};
  return c;
}

std::optional<AlertCandidate> ProcessOf(store::Store& store, const std::string& machine,
                                        const ProcessVariable& variable) {
  store::PartFilter filter;
  filter.machine = machine;
  const auto series = store.ProcessSeries(filter, variable.name, kSeriesShots);
  if (series.size() < kRecentShots + 10) return std::nullopt;
  std::vector<double> values;
  for (const auto& p : series) values.push_back(p.value);
  const size_t from = values.size() - kRecentShots;
  const auto limits = process::FitIndividualsChart(std::span<const double>(values).first(from));
  const auto at = LastRuleOne(values, limits.centre, limits.sigma, from, false);
  if (!at) return std::nullopt;
  const store::ProcessPoint& p = series[*at];
  const std::string name(variable.name), unit(variable.unit);
  AlertCandidate c;
  c.evidence_ms = p.time_ms;
  c.input = {"process:" + machine + ":" + name,
             "process",
             store::AlertSeverity::kAlarm,
             machine,
             p.die,
             machine + ": " + name + " " + Number(p.value) + " " + unit + " on part " + p.part_id +
                 ", outside its control limits " + Number(limits.lcl) + ".." + Number(limits.ucl),
             Dump({{"variable", name},
                   {"unit", unit},
                   {"value", p.value},
                   {"part_id", p.part_id},
                   {"time_ms", p.time_ms},
                   {"centre", limits.centre},
                   {"lcl", limits.lcl},
                   {"ucl", limits.ucl},
                   {"rule", "WE1"}})};
  return c;
}

}  // namespace

std::vector<AlertCandidate> RejectRateAlerts(store::Store& store, int64_t now_ms) {
  const int64_t hour_start = now_ms - (now_ms % kHour) - kHour;  // the latest complete hour
  std::vector<AlertCandidate> out;
  for (const std::string& machine : MachinesActiveSince(store, hour_start)) {
    try {
      if (auto c = RejectRateOf(store, machine, hour_start)) out.push_back(std::move(*c));
    } catch (const Error& e) {
      if (e.category() != ErrorCategory::kData) throw;  // too little data for a chart: no alert
    }
  }
  return out;
}

std::vector<AlertCandidate> ProcessAlerts(store::Store& store, int64_t now_ms) {
  std::vector<AlertCandidate> out;
  for (const std::string& machine : MachinesActiveSince(store, now_ms - kHour))
    for (const ProcessVariable& v : ProcessVariables()) {
      try {
        if (auto c = ProcessOf(store, machine, v)) out.push_back(std::move(*c));
      } catch (const Error& e) {
        if (e.category() != ErrorCategory::kData) throw;  // constant or unmeasured: no chart
      }
    }
  return out;
}

std::vector<AlertCandidate> DieLifeAlerts(store::Store& store, int64_t now_ms,
                                          const AlertSourceOptions& options) {
  std::map<std::string, store::DieShots> worst;  // a die moved between machines counts once
  for (const auto& d : store.DieShotCounts(now_ms - 90 * 24 * kHour))
    if (d.die_shot > worst[d.die].die_shot) worst[d.die] = d;
  const double threshold = options.die_life_share * static_cast<double>(options.die_life_shots);
  std::vector<AlertCandidate> out;
  for (const auto& [die, d] : worst) {
    if (die.empty() || static_cast<double>(d.die_shot) < threshold) continue;
    const double share =
        static_cast<double>(d.die_shot) / static_cast<double>(options.die_life_shots);
    AlertCandidate c;
    c.input = {"die_life:" + die,
               "die_life",
               store::AlertSeverity::kWarning,
               d.machine,
               die,
               "die " + die + " on " + d.machine + " has made " + std::to_string(d.die_shot) +
                   " shots, " + Percent(share) + " of its expected life of " +
                   std::to_string(options.die_life_shots),
               Dump({{"die_shot", d.die_shot},
                     {"life_shots", options.die_life_shots},
                     {"share", share},
                     {"last_part_ms", d.last_ms}})};
    out.push_back(std::move(c));
  }
  return out;
}

}  // namespace linesight::server
