// store/sqlite_store.h: the server store on one SQLite file (the embedded default): WAL, so
// readers never wait for the writer; writes serialised by SQLite's lock, across processes too.
#pragma once

#include <memory>
#include <string>

#include "store/store.h"

namespace linesight::store {

// Opens or creates the store file at `path` (and its folder) and migrates it. Throws Error{kIo}
// naming the path and the cause (cannot open, not a database, newer schema).
std::unique_ptr<Store> OpenSqliteStore(const std::string& path);

}  // namespace linesight::store
