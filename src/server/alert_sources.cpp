#include "server/alert_sources.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <optional>
#include <span>

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "process/control_chart.h"
#include "process/process_alarm.h"
#include "process/run_rules.h"
#include "server/api_json.h"
#include "server/stored_shots.h"

namespace linesight::server {
namespace {

constexpr int64_t kHour = 3'600'000;
// Process alarms: a day's shots at a 90 s cycle hold the slow drifts a process always has (so
// the limits include them), and the 15 shots after a restart are warm-up (a cold die recovers
// over 7-15 shots, docs/simulator.md; the KAMP line scraps its first 5), known and not alarmed.
constexpr size_t kBaselineShots = 600;
constexpr int kProcessShots = 700;  // the baseline, the window and room for warm-up shots
constexpr double kWarmupShots = 15;
constexpr size_t kMinBaselineShots = 60;
constexpr process::OnDelay kOnDelay{4, 5, 3.0};
constexpr int kScanShots = 20;
constexpr int kBaselineHours = 24;
// A station's clock may run ahead of the server's: its newest parts are judged all the same, up
// to this far ahead (a part dated further is taken for a broken clock and left out).
constexpr int64_t kMaxClockLeadMs = 24 * kHour;
constexpr int64_t kCatchUpMs = 8 * kHour;  // one shift

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
  AlertCandidate c = {"reject_rate:" + machine + ":" + std::to_string(hour_start),
                      "reject_rate",
                      store::AlertSeverity::kAlarm,
                      machine,
                      "",
                      machine + ": reject rate " + Percent(last.p) +
                          " in the last hour, above the p-chart's " + "upper limit " +
                          Percent(last.ucl) + " (mean " + Percent(params.p_bar) + ")",
                      JsonText({{"hour_start_ms", hour_start},
                                {"parts", buckets.back().parts},
                                {"rejects", buckets.back().rejects},
                                {"p", last.p},
                                {"ucl", last.ucl},
                                {"p_bar", params.p_bar},
                                {"baseline_hours", baseline.size()},
                                {"rule", "WE1"}})};
  c.evidence_ms = hour_start;
  return c;
}

// The machine's production shots (not warm-up after a restart), oldest first: their rows in
// `shots.table`.
std::vector<size_t> ProductionRows(const StoredShots& shots) {
  std::vector<size_t> rows;
  const auto since = shots.table.Feature("shots_since_restart");
  for (size_t i = 0; i < since.size(); ++i)
    if (!(since[i] <= kWarmupShots)) rows.push_back(i);  // NaN: no stop known, production
  return rows;
}

// Windows ending at each of the latest `scan` measured points of `variable` are judged, against
// limits from everything before them; `scan` is at least kScanShots, so that shots made between
// two evaluations are all seen, and beyond that at most what leaves a full baseline
// (kBaselineShots) before them: a backlog is never judged on thinner limits than a live look.
std::optional<AlertCandidate> ProcessOf(const StoredShots& shots, const std::vector<size_t>& rows,
                                        const std::string& machine, const ProcessVariable& variable,
                                        size_t scan) {
  const auto column = shots.table.Feature(variable.name);
  std::vector<double> values;
  size_t measured = 0;
  for (size_t r : rows) {
    values.push_back(column[r]);
    measured += !std::isnan(column[r]);
  }
  const size_t room = measured > kBaselineShots ? measured - kBaselineShots : 0;
  const size_t want = std::min(std::max(scan, size_t{kScanShots}) + kOnDelay.of - 1,
                               std::max(room, size_t{kScanShots} + kOnDelay.of - 1));
  size_t cut = values.size();
  for (size_t seen = 0; cut > 0 && seen < want;)
    if (!std::isnan(values[--cut])) ++seen;
  const auto recent = std::span<const double>(values).subspan(cut);
  const process::AlarmLimits limits = process::FitAlarmLimits(
      std::span<const double>(values).first(cut).last(std::min<size_t>(cut, kBaselineShots)),
      kMinBaselineShots);
  std::optional<process::ProcessAlarm> alarm;
  for (size_t end = recent.size(); end > 0 && !alarm; --end)
    alarm = process::CheckOnDelay(recent.first(end), limits, kOnDelay);
  if (!alarm) return std::nullopt;
  const size_t row = rows[cut + alarm->index];
  const double value = column[row], k = kOnDelay.k;
  const double lcl = limits.centre - k * limits.sigma, ucl = limits.centre + k * limits.sigma;
  const std::string name(variable.name), unit(variable.unit);
  AlertCandidate c = {"process:" + machine + ":" + name,
                      "process",
                      store::AlertSeverity::kAlarm,
                      machine,
                      shots.table.die[row],
                      machine + ": " + name + " " + Number(value) + " " + unit + " on part " +
                          shots.part_ids[row] + "; " + std::to_string(alarm->beyond) +
                          " of the latest " + std::to_string(kOnDelay.of) + " production shots " +
                          (alarm->side > 0 ? "above " + Number(ucl) : "below " + Number(lcl)) +
                          " (centre " + Number(limits.centre) +
                          ", 3 sigma of its long-term spread)",
                      JsonText({{"variable", name},
                                {"unit", unit},
                                {"value", value},
                                {"part_id", shots.part_ids[row]},
                                {"time_ms", shots.table.time_ms[row]},
                                {"centre", limits.centre},
                                {"sigma", limits.sigma},
                                {"lcl", lcl},
                                {"ucl", ucl},
                                {"side", alarm->side > 0 ? "above" : "below"},
                                {"beyond", alarm->beyond},
                                {"of", kOnDelay.of},
                                {"baseline_shots", limits.measured},
                                {"rule", "on_delay"}})};
  c.evidence_ms = shots.table.time_ms[row];
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

void CheckAlertSourceOptions(const AlertSourceOptions& options) {
  std::string known;
  for (const ProcessVariable& v : ProcessVariables())
    known += (known.empty() ? "" : ", ") + std::string(v.name);
  for (const std::string& name : options.process_variables) {
    bool found = false;
    for (const ProcessVariable& v : ProcessVariables()) found = found || v.name == name;
    if (!found)
      throw Error(ErrorCategory::kInput, "alert variables: no process value '" + name + "'",
                  "Name some of: " + known);
  }
}

std::vector<AlertCandidate> ProcessAlerts(store::Store& store, int64_t now_ms,
                                          const AlertSourceOptions& options, JudgedUpTo* judged) {
  std::vector<AlertCandidate> out;
  for (const std::string& machine : MachinesActiveSince(store, now_ms - kHour)) {
    store::PartFilter filter;
    filter.machine = machine;
    filter.to_ms = now_ms + kMaxClockLeadMs;
    const StoredShots shots = LoadStoredShots(store, filter, kProcessShots);
    const std::vector<size_t> rows = ProductionRows(shots);
    if (rows.empty()) continue;
    // Shots made since the last look; on a machine not looked at since the watch started, its
    // last kCatchUpMs of shots. Acknowledged evidence is not raised again (AlertWatch), so
    // catching up raises only what no person has seen.
    size_t scan = 0;
    const int64_t newest = shots.table.time_ms[rows.back()];
    if (judged) {
      const auto it = judged->find(machine);
      const int64_t since = it != judged->end() ? it->second : newest - kCatchUpMs;
      for (size_t r : rows) scan += shots.table.time_ms[r] > since;
      (*judged)[machine] = std::max(newest, since);
    }
    for (const ProcessVariable& v : ProcessVariables()) {
      const auto& only = options.process_variables;
      if (!only.empty() && std::find(only.begin(), only.end(), v.name) == only.end()) continue;
      try {
        if (auto c = ProcessOf(shots, rows, machine, v, scan)) out.push_back(std::move(*c));
      } catch (const Error& e) {
        if (e.category() != ErrorCategory::kData) throw;  // too few, unmeasured or constant
      }
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
    AlertCandidate c = {"die_life:" + die,
                        "die_life",
                        store::AlertSeverity::kWarning,
                        d.machine,
                        die,
                        "die " + die + " on " + d.machine + " has made " +
                            std::to_string(d.die_shot) + " shots, " + Percent(share) +
                            " of its expected life of " + std::to_string(options.die_life_shots),
                        JsonText({{"die_shot", d.die_shot},
                                  {"life_shots", options.die_life_shots},
                                  {"share", share},
                                  {"last_part_ms", d.last_ms}})};
    out.push_back(std::move(c));
  }
  return out;
}

std::vector<AlertCandidate> ClockAlerts(store::Store& store,
                                        const std::function<int64_t()>& clock) {
  std::vector<AlertCandidate> out;
  const std::vector<store::MachineStatus> machines = store.Machines(clock());
  const int64_t now_ms = clock();
  for (const auto& m : machines) {
    const int64_t lead = m.last_part_ms - now_ms;
    if (lead < kClockLeadAlertMs) continue;
    char ahead[48];
    if (lead < 2 * 24 * kHour)
      std::snprintf(ahead, sizeof ahead, "%.1f h", static_cast<double>(lead) / kHour);
    else
      std::snprintf(ahead, sizeof ahead, "%.1f days", static_cast<double>(lead) / (24 * kHour));
    const std::string station = m.station.empty() ? "" : " (station " + m.station + ")";
    AlertCandidate c = {"clock:" + m.machine,
                        "clock",
                        store::AlertSeverity::kWarning,
                        m.machine,
                        "",
                        m.machine + station + ": parts dated " + ahead +
                            " ahead of the server's clock: the station's or the machine's clock "
                            "runs ahead (set it, e.g. by NTP); lists, shifts and OEE place these "
                            "parts in the future",
                        JsonText({{"station", m.station},
                                  {"last_part_ms", m.last_part_ms},
                                  {"server_ms", now_ms},
                                  {"lead_ms", lead}}),
                        m.last_part_ms - m.last_part_ms % (24 * kHour)};
    out.push_back(std::move(c));
  }
  return out;
}

}  // namespace linesight::server
