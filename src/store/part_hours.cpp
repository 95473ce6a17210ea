#include "store/part_hours.h"

#include <array>
#include <limits>
#include <vector>

namespace linesight::store {
namespace {

constexpr std::string_view kKeyColumns =
    "time_ms, machine, die, station, decision, verdict, reviewed, defect_type";
constexpr int kKeyParams = 9;  // the key's eight columns and the count
// Keys per statement: one round trip for a batch's keys (450 parameters).
constexpr size_t kKeysPerUpsert = 50;

constexpr std::string_view kPartsArm =
    "SELECT p.time_ms, p.machine, p.die, p.station, p.decision, "
    "coalesce(p.review_verdict, p.decision) AS verdict, p.defect_type, 1 AS n FROM parts p";
constexpr std::string_view kHoursArm =
    "SELECT p.time_ms, p.machine, p.die, p.station, p.decision, p.verdict, p.defect_type, "
    "p.parts AS n FROM part_hours p";

constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
constexpr int64_t kMax = std::numeric_limits<int64_t>::max();

using Delta = std::pair<const PartHourKey, int64_t>;

// The key's columns as parameters, in kKeyColumns' order; strings borrowed from `k`.
std::array<SqlValue, kKeyParams - 1> KeyValues(const PartHourKey& k) {
  return {k.hour_ms,
          std::string_view(k.machine),
          std::string_view(k.die),
          std::string_view(k.station),
          std::string_view(k.decision),
          std::string_view(k.verdict),
          k.reviewed,
          std::string_view(k.defect_type)};
}

void Upsert(SqlConnection& c, std::span<const Delta* const> rows) {
  std::string sql = "INSERT INTO part_hours (" + std::string(kKeyColumns) + ", parts) VALUES " +
                    ValuesRows(rows.size(), kKeyParams);
  std::vector<SqlValue> params;
  params.reserve(rows.size() * kKeyParams);
  for (size_t r = 0; r < rows.size(); ++r) {
    const auto key = KeyValues(rows[r]->first);
    params.insert(params.end(), key.begin(), key.end());
    params.push_back(rows[r]->second);
  }
  sql += " ON CONFLICT (" + std::string(kKeyColumns) +
         ") DO UPDATE SET parts = part_hours.parts + excluded.parts";
  c.Exec(sql, params);
}

// A review moves a part out of its row: a row left with no parts goes, so that no statistic
// shows a group of zero parts.
void DropIfEmpty(SqlConnection& c, const PartHourKey& k) {
  c.Exec(
      "DELETE FROM part_hours WHERE time_ms = $1 AND machine = $2 AND die = $3 AND station = $4 "
      "AND decision = $5 AND verdict = $6 AND reviewed = $7 AND defect_type = $8 AND parts <= 0",
      KeyValues(k));
}

// One SELECT of the source over the shot times [from_ms, to_ms).
void AppendArm(SqlQuery& q, std::string_view arm, const PartFilter& f, FilterTable table,
               std::pair<int64_t, int64_t> time, bool bad_only) {
  q.sql += arm;
  AppendWhere(q, f, table, time.first, time.second);
  if (bad_only)  // as written in the parts_bad index's predicate, so that the index serves it
    q.sql += table == FilterTable::kParts ? " AND coalesce(p.review_verdict, p.decision) = 'reject'"
                                          : " AND p.verdict = 'reject'";
}

// The first whole hour at or after `from_ms` and the end of the last whole hour before `to_ms`
// (unbounded ends stay unbounded); empty when no whole hour lies between.
std::pair<int64_t, int64_t> WholeHours(int64_t from_ms, int64_t to_ms) {
  // Within an hour of int64's ends an hour's start would overflow: such a range reads parts.
  const bool near_end = (from_ms != kMin && from_ms < kMin + kHourMs) || from_ms > kMax - kHourMs ||
                        to_ms < kMin + kHourMs || (to_ms != kMax && to_ms > kMax - kHourMs);
  if (from_ms >= to_ms || near_end) return {0, 0};
  const int64_t first =
      from_ms == kMin ? kMin : HourStart(from_ms) + (HourStart(from_ms) == from_ms ? 0 : kHourMs);
  const int64_t end = to_ms == kMax ? kMax : HourStart(to_ms);
  return first < end ? std::pair{first, end} : std::pair{int64_t{0}, int64_t{0}};
}

}  // namespace

int64_t HourStart(int64_t time_ms) { return time_ms - (((time_ms % kHourMs) + kHourMs) % kHourMs); }

void CountPartHours(SqlConnection& c, const std::map<PartHourKey, int64_t>& deltas) {
  std::vector<const Delta*> rows;
  for (const Delta& d : deltas)
    if (d.second != 0) rows.push_back(&d);
  for (size_t at = 0; at < rows.size(); at += kKeysPerUpsert)
    Upsert(c, std::span(rows).subspan(at, std::min(kKeysPerUpsert, rows.size() - at)));
  for (const Delta* d : rows)
    if (d->second < 0) DropIfEmpty(c, d->first);
}

bool RollupAnswers(const PartFilter& filter) {
  return !filter.min_score && !filter.max_score && !filter.above_threshold_share;
}

void AppendPartsSource(SqlQuery& q, const PartFilter& filter, bool whole_hours, bool bad_only) {
  const auto [first, end] = WholeHours(filter.from_ms, filter.to_ms);
  const bool rollup = whole_hours && RollupAnswers(filter) && first < end;
  const auto parts = FilterTable::kParts;
  q.sql += "(";
  if (!rollup) {
    AppendArm(q, kPartsArm, filter, parts, {filter.from_ms, filter.to_ms}, bad_only);
    q.sql += ") p";
    return;
  }
  AppendArm(q, kHoursArm, filter, FilterTable::kPartHours, {first, end}, bad_only);
  if (filter.from_ms < first) {  // the partial hour before
    q.sql += " UNION ALL ";
    AppendArm(q, kPartsArm, filter, parts, {filter.from_ms, first}, bad_only);
  }
  if (end < filter.to_ms) {  // the partial hour after
    q.sql += " UNION ALL ";
    AppendArm(q, kPartsArm, filter, parts, {end, filter.to_ms}, bad_only);
  }
  q.sql += ") p";
}

}  // namespace linesight::store
