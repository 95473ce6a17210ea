// store/outbox_salvage.h: takes the records a damaged outbox had not yet sent into the fresh one
// that replaces it, row by row, so a corrupt page loses only the rows on it, not the station's
// whole backlog.
#pragma once

#include <cstdint>
#include <string>

#include "store/sqlite_db.h"

namespace linesight::store {

struct SalvageReport {
  int64_t parts = 0, events = 0;  // unsent records taken over
  int64_t unreadable = 0;         // rows (or tables) that could not be read
};

// Copies the unsent parts (with their image links) and machine events of the outbox file at
// `damaged` into `fresh`, an open outbox of the current schema, under new ids in their old order.
// Never throws for what it cannot read in `damaged`: that is counted in `unreadable`. Throws
// Error{kIo} if `fresh` cannot be written (then nothing of it was taken over).
SalvageReport SalvageUnsent(SqliteDb& fresh, const std::string& damaged);

}  // namespace linesight::store
