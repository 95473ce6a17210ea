// process/line_shots.h: the line's own shots (parts the stations judged, with the process values
// their machines sent) as a ShotTable for cause ranking on the factory server. Pure functions.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "core/part_record.h"
#include "process/shot_table.h"

namespace linesight::process {

// One judged part: where it came from, its verdict and its shot's process values.
struct LineShot {
  int64_t time_ms = 0;
  std::string machine, die;
  int64_t die_shot = 0;
  Decision decision = Decision::kHold;
  ProcessValues process;
};

// One row per shot, oldest first. Features: every ProcessVariables() value (NaN where not
// measured), `shots_since_restart` and `die_shots`. Label: reject 1, pass 0, hold unknown (a
// held part was never judged). `events` (any machines, any order) should include each machine's
// latest event before the first shot: a stop or die change (any state but running) restarts the
// count, so the first shot after it is 1. A stop before a machine's first shot adds the shots the
// machine would have made since then at its median cycle; a machine with no stop known gets NaN.
[[nodiscard]] ShotTable LineShotTable(std::vector<LineShot> shots,
                                      std::span<const MachineEvent> events);

}  // namespace linesight::process
