// The alarm replay: per group and variable, the watch's rule at every production shot.
#include "process/alarm_history.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <map>
#include <optional>
#include <span>

#include "core/error.h"

namespace linesight::process {
namespace {

bool IsProcessValue(const std::string& name) {
  const bool gap = name.size() > 6 && name.compare(name.size() - 6, 6, "_gap_s") == 0;
  return name != "shots_since_restart" && name != "die_shots" && !gap;
}

std::vector<std::string> Variables(const ShotTable& t, const AlarmHistoryOptions& o) {
  if (o.variables.empty()) {
    std::vector<std::string> out;
    for (const std::string& n : t.feature_names)
      if (IsProcessValue(n)) out.push_back(n);
    return out;
  }
  std::vector<std::string> out;
  for (const std::string& n : o.variables) {
    (void)t.Feature(n);  // throws naming the columns
    if (std::find(out.begin(), out.end(), n) == out.end()) out.push_back(n);
  }
  return out;
}

std::string GroupKey(const ShotTable& t, std::size_t i, GroupBy by) {
  return by == GroupBy::kDie       ? "die " + t.die[i]
         : by == GroupBy::kMachine ? "machine " + t.machine[i]
                                   : "all";
}

// One series: the group's production rows (oldest first) and one variable.
struct Series {
  const ShotTable& table;
  const std::vector<std::size_t>& rows;
  std::string group, variable;
};

// The value farthest beyond the limit on `side` among the latest `of` measured points up to `k`.
double Extreme(const std::vector<double>& v, std::size_t k, int of, int side) {
  double best = side > 0 ? -HUGE_VAL : HUGE_VAL;
  for (std::size_t i = k + 1; i-- > 0 && of > 0;) {
    if (std::isnan(v[i])) continue;
    --of;
    best = side > 0 ? std::max(best, v[i]) : std::min(best, v[i]);
  }
  return best;
}

void Replay(const Series& s, const AlarmHistoryOptions& o, std::vector<bool>& on_any,
            AlarmHistory& out) {
  const auto column = s.table.Feature(s.variable);
  std::vector<double> v;
  for (std::size_t r : s.rows) v.push_back(column[r]);
  const std::size_t of = static_cast<std::size_t>(o.delay.of);
  const std::size_t refit = static_cast<std::size_t>(o.refit_every);
  std::optional<AlarmLimits> limits;
  std::optional<AlarmEpisode> open;
  bool fitted = false;
  std::size_t last_on = 0;
  std::string why = "fewer than " + std::to_string(o.min_baseline + of) + " production shots";
  const auto close = [&] {
    if (open) out.episodes.push_back(*open);
    open.reset();
  };
  for (std::size_t k = o.min_baseline + of - 1; k < v.size(); ++k) {
    if (k % refit == 0 || (!limits && !fitted && k == o.min_baseline + of - 1)) {
      const std::size_t end = k + 1 - of;  // the baseline ends where the on-delay's window begins
      const std::size_t begin = end > o.baseline_shots ? end - o.baseline_shots : 0;
      try {
        limits =
            FitAlarmLimits(std::span<const double>(v).subspan(begin, end - begin), o.min_baseline);
        fitted = true;
      } catch (const Error& e) {
        if (e.category() != ErrorCategory::kData) throw;
        why = e.cause();  // tried again at the next refit, as the watch does at its next look
        limits.reset();
        close();
      }
    }
    // A shot whose value was not measured neither trips nor clears the alarm.
    if (!limits || std::isnan(v[k])) continue;
    const auto alarm = CheckOnDelay(std::span<const double>(v).first(k + 1), *limits, o.delay);
    // The watch finds a trip among its latest shots for `off_delay` shots after it.
    if (open && ((!alarm && k - last_on >= static_cast<std::size_t>(o.off_delay)) ||
                 (alarm && open->side != alarm->side)))
      close();
    if (!alarm) continue;
    last_on = k;
    const std::size_t row = s.rows[k];
    if (!open) {
      open = AlarmEpisode{};
      open->group = s.group, open->variable = s.variable, open->side = alarm->side;
      open->start_ms = s.table.time_ms[row], open->first_row = row, open->limits = *limits;
      open->extreme = Extreme(v, k, o.delay.of, alarm->side);
    }
    open->end_ms = s.table.time_ms[row];
    ++open->shots;
    on_any[k] = true;
    if (s.table.label[row] != kLabelUnknown) {
      ++open->labelled;
      open->scrap += s.table.label[row] == 1;
    }
    if (alarm->side > 0 ? v[k] > open->extreme : v[k] < open->extreme) open->extreme = v[k];
  }
  close();
  if (fitted)
    out.judged.push_back(s.group + " " + s.variable);
  else
    out.skipped.emplace_back(s.group + " " + s.variable, why);
}

}  // namespace

AlarmHistory FindAlarmEpisodes(const ShotTable& t, const AlarmHistoryOptions& o) {
  if (o.refit_every < 1 || o.off_delay < 0 || o.delay.of < 1 || o.baseline_shots < o.min_baseline)
    throw Error(ErrorCategory::kInput, "alarm replay options out of range",
                "Use refit_every >= 1, off_delay >= 0, an on-delay of at least 1 point and "
                "baseline_shots >= min_baseline");
  const std::vector<std::string> variables = Variables(t, o);
  const int since = t.FeatureIndex("shots_since_restart");
  AlarmHistory out;
  std::map<std::string, std::vector<std::size_t>> groups;
  for (std::size_t i = 0; i < t.size(); ++i) {
    if (!t.Normal(i)) {
      ++out.not_normal;
      continue;
    }
    if (since >= 0 && t.features[static_cast<std::size_t>(since)][i] <= o.warmup_shots) {
      ++out.warmup_shots;
      continue;
    }
    groups[GroupKey(t, i, o.by)].push_back(i);
  }
  out.groups = groups.size();
  std::int64_t first_ms = INT64_MAX, last_ms = INT64_MIN;
  for (auto& [group, rows] : groups) {
    std::stable_sort(rows.begin(), rows.end(),
                     [&t](std::size_t a, std::size_t b) { return t.time_ms[a] < t.time_ms[b]; });
    out.production_shots += rows.size();
    first_ms = std::min(first_ms, t.time_ms[rows.front()]);
    last_ms = std::max(last_ms, t.time_ms[rows.back()]);
    std::vector<bool> on_any(rows.size(), false);
    for (const std::string& variable : variables)
      Replay({t, rows, group, variable}, o, on_any, out);
    for (std::size_t k = 0; k < rows.size(); ++k) {
      const std::int8_t label = t.label[rows[k]];
      if (label == kLabelUnknown) continue;
      (on_any[k] ? out.labelled_on : out.labelled_off) += 1;
      (on_any[k] ? out.scrap_on : out.scrap_off) += label == 1;
    }
  }
  out.span_ms = groups.empty() ? 0 : last_ms - first_ms;
  std::stable_sort(
      out.episodes.begin(), out.episodes.end(),
      [](const AlarmEpisode& a, const AlarmEpisode& b) { return a.start_ms < b.start_ms; });
  return out;
}

}  // namespace linesight::process
