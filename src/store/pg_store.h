// store/pg_store.h: the server store on PostgreSQL (libpq), for plants that run several server
// processes or want the database on its own machine. Parameterised statements only.
#pragma once

#include <memory>
#include <string>

#include "store/store.h"

namespace linesight::store {

struct PgOptions {
  // A statement the database has not answered in this time fails with Error{kIo} and its
  // connection is dropped: a database process that stopped (frozen, swapped out) while its host
  // still acknowledges TCP would otherwise hold the calling thread for good, since neither
  // keepalives nor the TCP user timeout notice it.
  int answer_timeout_ms = 60'000;
};

// Connects to `uri` ("postgresql://user@host:port/db?..."), migrates the schema, and keeps a
// small pool of connections; a connection lost (server restarted) or not answering fails its call
// with Error{kIo} and the next call reconnects. Throws Error{kIo} naming the server (never the
// password) if it cannot connect or the schema is newer than this build.
std::unique_ptr<Store> OpenPgStore(const std::string& uri, const PgOptions& options = {});

// `uri` with any password replaced by "***", for messages and logs.
std::string RedactedUri(const std::string& uri);

}  // namespace linesight::store
