// store/outbox_schema.h: the outbox's SQLite schema, its version and migrations, and opening a
// file with recovery: a file that is not a healthy outbox is moved aside and a fresh one started.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "store/sqlite_db.h"

namespace linesight::store {

// The schema version this build writes (PRAGMA user_version). Raise it with a new migration.
inline constexpr int64_t kOutboxSchemaVersion = 3;

// Opens or creates the outbox at `path` in WAL mode, synchronous FULL (`sync_full`) or NORMAL,
// and migrates it to kOutboxSchemaVersion. A file that is not a SQLite database, fails
// PRAGMA quick_check or holds another program's tables is renamed to <path>.corrupt-<UTC time>
// (with its -wal file) and a fresh outbox is started; `note` then says so, naming both paths.
// Throws Error{kIo} if the file is from a newer linesight, or cannot be opened or moved.
std::unique_ptr<SqliteDb> OpenOutboxDb(const std::string& path, bool sync_full, std::string& note);

}  // namespace linesight::store
