#include "store/sql_filter.h"

#include "core/error.h"

namespace linesight::store {

std::string SqlQuery::Param(SqlValue v) {
  params.push_back(v);
  return "$" + std::to_string(params.size());
}

std::string ValuesRows(size_t rows, int columns) {
  std::string sql;
  for (size_t r = 0; r < rows; ++r) {
    sql += r ? ", (" : "(";
    for (int c = 0; c < columns; ++c)
      sql += (c ? ", $" : "$") + std::to_string(r * static_cast<size_t>(columns) + c + 1);
    sql += ")";
  }
  return sql;
}

void AppendWhere(SqlQuery& q, const PartFilter& f, FilterTable table) {
  AppendWhere(q, f, table, f.from_ms, f.to_ms);
}

void AppendWhere(SqlQuery& q, const PartFilter& f, FilterTable table, int64_t from_ms,
                 int64_t to_ms) {
  std::string& s = q.sql;
  s += " WHERE 1 = 1";
  if (!f.machine.empty()) s += " AND p.machine = " + q.Param(std::string_view(f.machine));
  if (!f.die.empty()) s += " AND p.die = " + q.Param(std::string_view(f.die));
  if (!f.station.empty()) s += " AND p.station = " + q.Param(std::string_view(f.station));
  if (from_ms != std::numeric_limits<int64_t>::min()) s += " AND p.time_ms >= " + q.Param(from_ms);
  if (to_ms != std::numeric_limits<int64_t>::max()) s += " AND p.time_ms < " + q.Param(to_ms);
  if (f.decision) s += " AND p.decision = " + q.Param(DecisionName(*f.decision));
  if (!f.defect_type.empty())
    s += " AND p.defect_type = " + q.Param(std::string_view(f.defect_type));
  if (table == FilterTable::kPartHours) {
    if (f.min_score || f.max_score || f.above_threshold_share)
      throw Error(ErrorCategory::kInternal, "part_hours has no scores to filter on",
                  "read parts for a filter on scores (AppendPartsSource does)");
    if (f.unreviewed_only) s += " AND p.reviewed = 0";
    if (f.reviewed_only) s += " AND p.reviewed = 1";
    return;
  }
  if (f.min_score) s += " AND p.score >= " + q.Param(*f.min_score);
  if (f.max_score) s += " AND p.score <= " + q.Param(*f.max_score);
  if (f.above_threshold_share)
    s += " AND p.threshold > 0 AND p.score > " + q.Param(*f.above_threshold_share) +
         " * p.threshold";
  if (f.unreviewed_only) s += " AND p.review_id IS NULL";
  if (f.reviewed_only) s += " AND p.review_id IS NOT NULL";
}

}  // namespace linesight::store
