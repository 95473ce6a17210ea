// cli/alarm_count.h: what the plant report and the demo read from the factory server's store: the
// alarms its alert watch raised in a period, by kind (management effort done automatically), and
// the newest part's shot time (the end of a report's period; the demo's cell clock).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "store/store.h"

namespace linesight {

// Alerts first raised in [from_ms, to_ms), open or acknowledged since, counted by kind.
[[nodiscard]] std::map<std::string, int64_t> CountAlarms(store::Store& store, int64_t from_ms,
                                                         int64_t to_ms);

// The shot time of the newest stored part (one indexed row), or nullopt for an empty store.
[[nodiscard]] std::optional<int64_t> NewestPartMs(store::Store& store);

// The sum of CountAlarms' counts.
[[nodiscard]] int64_t TotalAlarms(const std::map<std::string, int64_t>& by_kind);

}  // namespace linesight
