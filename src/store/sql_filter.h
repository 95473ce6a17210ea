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

// "($1, $2), ($3, $4)" for `rows` rows of `columns` parameters each: a multi-row VALUES list.
std::string ValuesRows(size_t rows, int columns);

// Which table `p` is: parts, or its hourly rollup part_hours (store/part_hours.h), which has no
// scores and keeps "reviewed" as a 0/1 column.
enum class FilterTable : uint8_t { kParts, kPartHours };

// Appends " WHERE ..." (always at least "WHERE 1 = 1") for `filter` to `q`.
void AppendWhere(SqlQuery& q, const PartFilter& filter, FilterTable table = FilterTable::kParts);
// The same for the shot times [from_ms, to_ms) instead of the filter's.
void AppendWhere(SqlQuery& q, const PartFilter& filter, FilterTable table, int64_t from_ms,
                 int64_t to_ms);

}  // namespace linesight::store
