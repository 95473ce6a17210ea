// server/stored_shots.h: the newest stored parts of a filter as the process layer's shot table
// (verdicts, process values, restarts from the machines' events), for the causes and risk routes.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "process/shot_table.h"
#include "store/store.h"

namespace linesight::server {

struct StoredShots {
  process::ShotTable table;           // process::LineShotTable: oldest first
  std::vector<std::string> part_ids;  // the part of each table row
  int64_t first_ms = 0, last_ms = 0;  // shot times of the first and last row (0 when empty)
};

// The newest `limit` parts matching `filter`, with each process variable joined on part id and
// the events of their machines over their period (and the last one before it).
[[nodiscard]] StoredShots LoadStoredShots(store::Store& store, const store::PartFilter& filter,
                                          int limit);

}  // namespace linesight::server
