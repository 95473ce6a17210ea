#include "store/sql_filter.h"

namespace linesight::store {

std::string SqlQuery::Param(SqlValue v) {
  params.push_back(v);
  return "$" + std::to_string(params.size());
}

void AppendWhere(SqlQuery& q, const PartFilter& f) {
  std::string& s = q.sql;
  s += " WHERE 1 = 1";
  if (!f.machine.empty()) s += " AND p.machine = " + q.Param(std::string_view(f.machine));
  if (!f.die.empty()) s += " AND p.die = " + q.Param(std::string_view(f.die));
  if (!f.station.empty()) s += " AND p.station = " + q.Param(std::string_view(f.station));
  if (f.from_ms != std::numeric_limits<int64_t>::min())
    s += " AND p.time_ms >= " + q.Param(f.from_ms);
  if (f.to_ms != std::numeric_limits<int64_t>::max()) s += " AND p.time_ms < " + q.Param(f.to_ms);
  if (f.decision) s += " AND p.decision = " + q.Param(DecisionName(*f.decision));
  if (!f.defect_type.empty())
    s += " AND p.defect_type = " + q.Param(std::string_view(f.defect_type));
  if (f.min_score) s += " AND p.score >= " + q.Param(*f.min_score);
  if (f.max_score) s += " AND p.score <= " + q.Param(*f.max_score);
  if (f.unreviewed_only) s += " AND p.review_id IS NULL";
  if (f.reviewed_only) s += " AND p.review_id IS NOT NULL";
}

}  // namespace linesight::store
