// cli/alarm_count.h: the alarms the factory server's alert watch raised in a period, by kind:
// what the plant report counts as management effort done automatically, and what the demo prints.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "store/store.h"

namespace linesight {

// Alerts first raised in [from_ms, to_ms), open or acknowledged since, counted by kind.
[[nodiscard]] std::map<std::string, int64_t> CountAlarms(store::Store& store, int64_t from_ms,
                                                         int64_t to_ms);

// The sum of CountAlarms' counts.
[[nodiscard]] int64_t TotalAlarms(const std::map<std::string, int64_t>& by_kind);

}  // namespace linesight
