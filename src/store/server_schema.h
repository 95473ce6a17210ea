// store/server_schema.h: the factory server's schema, one text for SQLite and PostgreSQL, as
// numbered migration steps applied in order; the `schema_version` table records each step.
#pragma once

#include <string>

#include "store/sql_connection.h"

namespace linesight::store {

// The schema version this build writes. Raise it with a new step in server_schema.cpp.
inline constexpr int kServerSchemaVersion = 8;

enum class SqlEngine : uint8_t { kSqlite, kPostgres };

// Brings the store behind `c` to kServerSchemaVersion, each missing step in its own
// transaction (on PostgreSQL under an advisory lock, so servers starting at once migrate once).
// Throws Error{kIo} "upgrade linesight" if the store is at a newer version than this build, and
// Error{kIo} if a step fails (that step is rolled back). `where` names the store in messages.
void MigrateServerSchema(SqlConnection& c, SqlEngine engine, const std::string& where);

// The version the store behind `c` is at (0 for an empty store).
int ServerSchemaVersion(SqlConnection& c);

}  // namespace linesight::store
