#include "store/outbox_schema.h"

#include <algorithm>
#include <array>
#include <filesystem>
#include <string_view>

#include "core/clock.h"
#include "core/error.h"
#include "store/outbox_salvage.h"

namespace linesight::store {
namespace {

namespace fs = std::filesystem;

// kMigrations[v] takes a file from version v to v + 1. Never edit one that has shipped: add a
// new one and raise kOutboxSchemaVersion.
constexpr std::array<std::string_view, kOutboxSchemaVersion> kMigrations = {
    R"sql(
CREATE TABLE parts (
  id INTEGER PRIMARY KEY,          -- insertion order: the uplink sends oldest first
  part_id TEXT NOT NULL UNIQUE,    -- "<machine>-<shot>": a part is stored once
  machine TEXT NOT NULL,
  shot INTEGER NOT NULL,
  time_ms INTEGER NOT NULL,        -- shot time, UTC ms
  decision TEXT NOT NULL,          -- pass, reject or hold
  sent INTEGER NOT NULL DEFAULT 0, -- 1 once the uplink has delivered it (2: refused, migration 2)
  record TEXT NOT NULL             -- the PartRecord as JSON (docs/records.md)
);
CREATE INDEX parts_unsent ON parts(id) WHERE sent = 0;
CREATE INDEX parts_machine_shot ON parts(machine, shot);
CREATE INDEX parts_time ON parts(time_ms);
CREATE TABLE events (
  id INTEGER PRIMARY KEY,
  machine TEXT NOT NULL,
  time_ms INTEGER NOT NULL,
  state TEXT NOT NULL,
  sent INTEGER NOT NULL DEFAULT 0,
  record TEXT NOT NULL             -- the MachineEvent as JSON
);
CREATE INDEX events_unsent ON events(id) WHERE sent = 0;
CREATE TABLE images (
  id INTEGER PRIMARY KEY,          -- insertion order: retention deletes oldest first
  name TEXT NOT NULL UNIQUE,       -- sha256 hex + "." + extension, the file in the image folder
  bytes INTEGER NOT NULL,
  rank INTEGER NOT NULL            -- retention: 0 pass image, 1 reject/hold image of sent parts,
                                   -- 2 reject/hold image of an unsent part (never deleted)
);
CREATE INDEX images_rank ON images(rank, id);
CREATE TABLE image_uses (          -- which part's view shows which image
  part INTEGER NOT NULL REFERENCES parts(id),
  view TEXT NOT NULL,
  image INTEGER NOT NULL REFERENCES images(id),
  PRIMARY KEY (part, view)
);
CREATE INDEX image_uses_image ON image_uses(image);
CREATE TABLE meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
INSERT INTO meta VALUES ('images_dropped', 0), ('image_bytes', 0);
)sql",
    // 1 -> 2: records the server refused (sent = 2, "parked"), with the server's answer, so one
    // bad record cannot wedge the uplink and an operator can see why (docs/outbox.md).
    R"sql(
ALTER TABLE parts ADD COLUMN rejected TEXT;   -- the server's answer when sent = 2
ALTER TABLE events ADD COLUMN rejected TEXT;
CREATE INDEX parts_rejected ON parts(id) WHERE sent = 2;
CREATE INDEX events_rejected ON events(id) WHERE sent = 2;
)sql",
    // 2 -> 3: when each record was delivered, so that records sent keep_sent_days ago can be
    // deleted (docs/outbox.md, "Record retention"). Records sent before this step keep sent_at
    // NULL and count as sent at the migration, whose time meta keeps: the file cannot tell when
    // they went, and writing a time into every row would rewrite months of records at start.
    R"sql(
ALTER TABLE parts ADD COLUMN sent_at INTEGER;  -- UTC ms the uplink marked it sent (sent = 1)
ALTER TABLE events ADD COLUMN sent_at INTEGER;
INSERT OR REPLACE INTO meta VALUES ('sent_at_from_ms', CAST(strftime('%s', 'now') AS INTEGER) * 1000);
CREATE INDEX parts_sent_at ON parts(sent_at) WHERE sent = 1;
CREATE INDEX events_sent_at ON events(sent_at) WHERE sent = 1;
)sql",
};

// "2026-12-02T064653Z": UtcNow() without colons, friendlier in file names.
std::string FileTime() {
  std::string t = UtcNow();
  t.erase(std::remove(t.begin(), t.end(), ':'), t.end());
  return t;
}

// Renames the database and its WAL aside; returns the new name of the database.
std::string MoveAside(const std::string& path) {
  std::string aside = path + ".corrupt-" + FileTime();
  for (int i = 2; fs::exists(aside); ++i)
    aside = path + ".corrupt-" + FileTime() + "-" + std::to_string(i);
  std::error_code ec;
  fs::rename(path, aside, ec);
  if (ec)
    throw Error(ErrorCategory::kIo,
                "cannot move the damaged outbox " + path + " aside: " + ec.message(),
                "move or delete it by hand, then restart");
  if (fs::exists(path + "-wal")) fs::rename(path + "-wal", aside + "-wal", ec);
  fs::remove(path + "-shm", ec);  // only an index into the WAL; rebuilt on open
  return aside;
}

// What is wrong with the file at `db`, or "" if it is an outbox or empty.
std::string Problem(SqliteDb& db) {
  const std::string health = db.CheckHealth();
  if (!health.empty()) return health;
  const bool foreign = db.QueryInt("PRAGMA user_version") == 0 &&
                       db.QueryInt("SELECT count(*) FROM sqlite_schema") > 0;
  return foreign ? "it holds tables of another program" : "";
}

void Configure(SqliteDb& db, bool sync_full) {
  db.Exec("PRAGMA busy_timeout = 5000");
  Statement wal = db.Prepare("PRAGMA journal_mode = WAL");
  if (!wal.Step() || wal.Text(0) != "wal")
    throw Error(ErrorCategory::kIo, "cannot switch " + db.path() + " to write-ahead logging",
                "put the outbox on a local file system that supports shared memory (not NFS)");
  db.Exec(sync_full ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL");
  db.Exec("PRAGMA foreign_keys = ON");
}

void Migrate(SqliteDb& db) {
  const int64_t version = db.QueryInt("PRAGMA user_version");
  if (version > kOutboxSchemaVersion)
    throw Error(ErrorCategory::kIo,
                db.path() + " has outbox schema version " + std::to_string(version) +
                    ", newer than the " + std::to_string(kOutboxSchemaVersion) +
                    " this linesight knows",
                "upgrade linesight to the version that wrote it (its parts are kept untouched)");
  for (int64_t v = version; v < kOutboxSchemaVersion; ++v) {
    Transaction t(db);
    db.Exec(kMigrations[static_cast<size_t>(v)]);
    db.Exec("PRAGMA user_version = " + std::to_string(v + 1));
    t.Commit();
  }
}

}  // namespace

std::unique_ptr<SqliteDb> OpenOutboxDb(const std::string& path, bool sync_full, std::string& note) {
  note.clear();
  std::error_code ec;
  const fs::path parent = fs::path(path).parent_path();
  if (!parent.empty()) fs::create_directories(parent, ec);
  auto db = std::make_unique<SqliteDb>(path);
  if (const std::string problem = Problem(*db); !problem.empty()) {
    db.reset();
    const std::string aside = MoveAside(path);
    db = std::make_unique<SqliteDb>(path);
    Configure(*db, sync_full);
    Migrate(*db);
    // The records it had not sent yet are the station's only copy: take over what can be read.
    const SalvageReport saved = SalvageUnsent(*db, aside);
    note = "outbox " + path + " was damaged (" + problem + "); moved it aside to " + aside +
           " and started a fresh outbox with the " + std::to_string(saved.parts) +
           " unsent parts and " + std::to_string(saved.events) + " unsent machine events it held" +
           (saved.unreadable > 0
                ? "; " + std::to_string(saved.unreadable) +
                      " rows could not be read (query the moved file with sqlite3 for what is "
                      "left; docs/outbox.md)"
                : "");
    return db;
  }
  Configure(*db, sync_full);
  Migrate(*db);
  return db;
}

}  // namespace linesight::store
