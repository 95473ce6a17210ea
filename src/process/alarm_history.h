// process/alarm_history.h: the process alarms (process_alarm.h) a plant's shot history would have
// raised, as episodes: what the factory server's alert watch would have called people for, and
// how often the shots made while each alarm lasted were scrap. Pure function; safe on any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "process/cause_ranking.h"
#include "process/process_alarm.h"
#include "process/shot_table.h"

namespace linesight::process {

struct AlarmHistoryOptions {
  // Feature columns to judge; empty = every one but the counters (shots_since_restart, die_shots)
  // and the gaps (*_gap_s), which are not process values.
  std::vector<std::string> variables;
  GroupBy by = GroupBy::kMachine;  // whose process: a machine's (default), a die's, or all shots
  // As the alert watch (server/alert_sources.cpp): production shots are the normal ones (no try
  // shot, not stopped) past the first `warmup_shots` after a restart (when the table has a
  // shots_since_restart column); limits from the up to `baseline_shots` production shots before
  // the on-delay's window, refitted every `refit_every` shots (the watch refits at each look).
  int warmup_shots = 15;
  std::size_t baseline_shots = 600, min_baseline = 60;
  int refit_every = 20;
  OnDelay delay;
  // An episode ends after this many production shots without a trip (the watch looks for trips
  // among at least its latest 20 shots): one excursion is one episode, not a chattering one.
  int off_delay = 20;
};

// One alarm, from the shot that turned it on to the last shot that tripped it.
struct AlarmEpisode {
  std::string group, variable;
  int side = 0;  // +1 above the upper limit, -1 below the lower one
  std::int64_t start_ms = 0, end_ms = 0;
  std::size_t first_row = 0;            // table row of the shot that turned it on
  std::size_t shots = 0;                // production shots while it was on
  std::size_t scrap = 0, labelled = 0;  // of those: scrap, and with a known label
  double extreme = 0;                   // the value farthest beyond the limit while on
  AlarmLimits limits;                   // when it turned on
};

struct AlarmHistory {
  std::vector<AlarmEpisode> episodes;            // by start time
  std::size_t groups = 0;                        // machines, dies, or 1 (all)
  std::size_t production_shots = 0;              // judged, over all groups (each shot once)
  std::size_t warmup_shots = 0, not_normal = 0;  // left out
  // Scrap among production shots that tripped any alarm of their group, and among the rest.
  std::size_t scrap_on = 0, labelled_on = 0, scrap_off = 0, labelled_off = 0;
  std::int64_t span_ms = 0;         // from the first production shot to the last, over all groups
  std::vector<std::string> judged;  // "machine M1 melt_temp_c": each series judged
  std::vector<std::pair<std::string, std::string>> skipped;  // series -> why not judged
};

// Replays `table` (rows in any order; each group is taken oldest first) through the alarm rule.
// A shot whose value was not measured neither trips nor clears an alarm. Throws Error{kInput} if a
// variable named in `options` is not a feature of the table, or an option is out of range.
[[nodiscard]] AlarmHistory FindAlarmEpisodes(const ShotTable& table,
                                             const AlarmHistoryOptions& options = {});

}  // namespace linesight::process
