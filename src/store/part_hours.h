// store/part_hours.h: the hourly rollup of parts (table part_hours), kept by ingest and reviews
// in their transactions, so that statistics over weeks read thousands of rows, not millions.
#pragma once

#include <compare>
#include <cstdint>
#include <map>
#include <string>

#include "store/sql_connection.h"
#include "store/sql_filter.h"
#include "store/store.h"

namespace linesight::store {

inline constexpr int64_t kHourMs = 3'600'000;

// One row of part_hours: the parts of one UTC hour that share every column a statistic groups
// or filters on. `verdict` is the part's after reviews (the latest review's, else the line's).
struct PartHourKey {
  int64_t hour_ms = 0;
  std::string machine, die, station, decision, verdict, defect_type;
  int64_t reviewed = 0;  // 1 once a person reviewed the part
  auto operator<=>(const PartHourKey&) const = default;
};

// The start of the UTC hour holding `time_ms` (floor, also before 1970); `time_ms` at least an
// hour above int64's minimum (Ingest refuses shot times outside the years 1 to 9999).
int64_t HourStart(int64_t time_ms);

// Adds each key's count (negative: takes parts away) in one transaction the caller holds. Keys
// go in sorted order, so two writers never wait on each other's rollup rows in opposite orders;
// call it after the transaction's writes to `parts` (Ingest and AddReview do), so that no
// writer holds a rollup row while it waits for a part's.
void CountPartHours(SqlConnection& c, const std::map<PartHourKey, int64_t>& deltas);

// Whether the rollup answers `filter` (with the partial hours at the ends read from parts): any
// filter but one on scores.
bool RollupAnswers(const PartFilter& filter);

// Appends the parts `filter` covers to `q` as the FROM source `(...) p` of a statistics query,
// with columns time_ms, machine, die, station, decision, verdict, defect_type and n (parts per
// row): whole hours from part_hours, the partial hours at the ends from parts. A filter the
// rollup cannot answer (scores), or a grouping that splits hours (`whole_hours` false), reads
// parts alone. `bad_only` keeps the parts whose verdict is reject.
void AppendPartsSource(SqlQuery& q, const PartFilter& filter, bool whole_hours, bool bad_only);

}  // namespace linesight::store
