// store/sql_filter.h: a PartFilter as a parameterised WHERE clause over `parts p`. Values are
// always bound as parameters, never spliced into the SQL text.
#pragma once

#include <string>
#include <vector>

#include "store/sql_connection.h"
#include "store/store.h"

namespace linesight::store {

// SQL text with its parameters. Strings are borrowed from the filter: keep it alive.
struct SqlQuery {
  std::string sql;
  std::vector<SqlValue> params;
  // Adds `v` and returns its placeholder ("$n").
  std::string Param(SqlValue v);
};

// Appends " WHERE ..." (always at least "WHERE 1 = 1") for `filter` to `q`.
void AppendWhere(SqlQuery& q, const PartFilter& filter);

}  // namespace linesight::store
