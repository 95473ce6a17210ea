#include "store/server_schema.h"

#include <array>
#include <chrono>
#include <string_view>

#include "core/clock.h"
#include "core/error.h"

namespace linesight::store {
namespace {

// kSteps[v] takes a store from version v to v + 1. The text is shared by both engines; {serial}
// becomes the engine's auto-numbered key. BIGINT and DOUBLE PRECISION get integer and real
// affinity in SQLite. Booleans are 0/1 BIGINTs in both. Never edit a step that has shipped: add
// one and raise kServerSchemaVersion.
constexpr std::array<std::string_view, kServerSchemaVersion> kSteps = {
    R"sql(
CREATE TABLE parts (
  seq {serial},                     -- store-wide insertion (= commit) order: the live stream
  part_id TEXT NOT NULL UNIQUE,     -- "<machine>-<shot>": a part is stored once
  station TEXT NOT NULL,
  machine TEXT NOT NULL,
  die TEXT NOT NULL,
  shot BIGINT NOT NULL,
  die_shot BIGINT NOT NULL,
  time_ms BIGINT NOT NULL,          -- shot time, UTC ms
  decision TEXT NOT NULL,           -- the line's: pass, reject, hold
  reason TEXT NOT NULL,             -- hold reason name, "none" unless held
  score DOUBLE PRECISION NOT NULL,  -- the worst view's (highest score / threshold)
  threshold DOUBLE PRECISION NOT NULL,
  defect_type_line TEXT NOT NULL,   -- worst view's first finding's type when the line rejected
  defect_type TEXT NOT NULL,        -- the part's: the latest review's label, else the line's
  image TEXT NOT NULL,              -- the first view's kept image, "" if none
  model_id TEXT NOT NULL,           -- the worst view's model
  latency_ms DOUBLE PRECISION NOT NULL,
  melt_temp_c DOUBLE PRECISION,     -- process values: NULL = not measured
  die_temp_c DOUBLE PRECISION,
  fast_shot_mps DOUBLE PRECISION,
  intensification_bar DOUBLE PRECISION,
  spray_s DOUBLE PRECISION,
  vacuum_mbar DOUBLE PRECISION,
  cycle_s DOUBLE PRECISION,
  review_id BIGINT,                 -- the latest review (reviews.id), NULL if none
  review_verdict TEXT,              -- its verdict: pass or reject
  record TEXT NOT NULL              -- the PartRecord as the station sent it (JSON)
);
CREATE INDEX parts_time ON parts (time_ms, part_id);
CREATE INDEX parts_machine_time ON parts (machine, time_ms);
CREATE INDEX parts_die_time ON parts (die, time_ms);
CREATE INDEX parts_decision_time ON parts (decision, time_ms);
CREATE TABLE events (
  id {serial},
  machine TEXT NOT NULL,
  time_ms BIGINT NOT NULL,
  state TEXT NOT NULL,              -- running, stopped, die_change
  planned BIGINT NOT NULL,          -- 1 or 0
  reason TEXT NOT NULL,
  die TEXT NOT NULL,
  detail TEXT NOT NULL,
  UNIQUE (machine, time_ms, state)
);
CREATE INDEX events_time ON events (time_ms);
CREATE TABLE machines (             -- each machine's latest part, kept by ingest
  machine TEXT PRIMARY KEY,
  station TEXT NOT NULL,
  die TEXT NOT NULL,
  last_part_ms BIGINT NOT NULL
);
CREATE TABLE reviews (
  id {serial},
  part_id TEXT NOT NULL,
  user_name TEXT NOT NULL,
  time_ms BIGINT NOT NULL,
  verdict TEXT NOT NULL,            -- pass (good) or reject (bad)
  defect_type TEXT NOT NULL,
  note TEXT NOT NULL
);
CREATE INDEX reviews_part ON reviews (part_id, id);
CREATE TABLE users (
  name TEXT PRIMARY KEY,
  role TEXT NOT NULL,               -- operator, quality_engineer, admin
  password_hash TEXT NOT NULL,      -- Argon2id string
  created_ms BIGINT NOT NULL,
  disabled BIGINT NOT NULL
);
CREATE TABLE sessions (
  token_hash TEXT PRIMARY KEY,      -- sha256 hex of the cookie's token
  user_name TEXT NOT NULL,
  csrf TEXT NOT NULL,
  created_ms BIGINT NOT NULL,
  expires_ms BIGINT NOT NULL
);
CREATE TABLE station_tokens (
  token_hash TEXT PRIMARY KEY,      -- sha256 hex of the station's bearer token
  station TEXT NOT NULL
);
CREATE TABLE audit (
  id {serial},
  time_ms BIGINT NOT NULL,
  user_name TEXT NOT NULL,
  action TEXT NOT NULL,
  target TEXT NOT NULL,
  detail TEXT NOT NULL              -- JSON
);
)sql",
    // 2: indexes measured by bench/queries.sh (docs/store.md, "Query speed"). The Pareto reads
    // only bad parts (~4 %), through a partial index that holds every column it filters and
    // groups on (an index-only scan); counts and review queues of one machine and one decision
    // no longer read every part of the machine; yield, reject rate and machine counts over a
    // time range read parts_stats alone, not the rows (which hold the record JSON, ~1 KB), and
    // those of one machine parts_machine_stats (which replaces parts (machine, time_ms)).
    R"sql(
CREATE INDEX parts_bad ON parts (time_ms, machine, die, station, defect_type)
  WHERE coalesce(review_verdict, decision) = 'reject';
CREATE INDEX parts_decision_machine_time ON parts (decision, machine, time_ms);
CREATE INDEX parts_stats ON parts (time_ms, machine, die, station, decision, review_verdict);
DROP INDEX parts_machine_time;
CREATE INDEX parts_machine_stats
  ON parts (machine, time_ms, die, station, decision, review_verdict, defect_type);
)sql",
    // 3: the sign-in limiter counts a user's recent failed sign-ins in the audit log; image
    // retention finds the images that only good, unreviewed parts show (docs/server.md); shots'
    // process values from MQTT telemetry wait in `shots` for their parts (docs/mqtt.md).
    R"sql(
CREATE TABLE shots (
  machine TEXT NOT NULL,
  shot BIGINT NOT NULL,
  time_ms BIGINT NOT NULL,
  die TEXT NOT NULL,
  die_shot BIGINT NOT NULL,
  melt_temp_c DOUBLE PRECISION,     -- NULL = not measured (or a sensor fault)
  die_temp_c DOUBLE PRECISION,
  fast_shot_mps DOUBLE PRECISION,
  intensification_bar DOUBLE PRECISION,
  spray_s DOUBLE PRECISION,
  vacuum_mbar DOUBLE PRECISION,
  cycle_s DOUBLE PRECISION,
  received_ms BIGINT NOT NULL,
  PRIMARY KEY (machine, shot)
);
CREATE INDEX shots_time ON shots (time_ms);
CREATE INDEX audit_action_target_time ON audit (action, target, time_ms);
CREATE TABLE part_images (
  name TEXT NOT NULL,               -- content address, "<sha256>.png"
  part_id TEXT NOT NULL,            -- a part whose record names it (frame or heatmap)
  PRIMARY KEY (name, part_id)
);
CREATE INDEX part_images_part ON part_images (part_id);
INSERT INTO part_images (name, part_id)
  SELECT image, part_id FROM parts WHERE image <> '' ON CONFLICT DO NOTHING;
)sql",
    // 4: alerts (docs/store.md, "Alerts"). The partial unique index lets a key have one open
    // alert at a time, which INSERT ... ON CONFLICT relies on across server processes.
    R"sql(
CREATE TABLE alerts (
  id {serial},
  key TEXT NOT NULL,                -- de-duplication key, e.g. "process:M3:melt_temp_c"
  kind TEXT NOT NULL,               -- reject_rate, process, die_life
  severity TEXT NOT NULL,           -- warning or alarm
  machine TEXT NOT NULL,
  die TEXT NOT NULL,
  title TEXT NOT NULL,
  detail TEXT NOT NULL,             -- JSON: the latest evidence
  first_ms BIGINT NOT NULL,
  last_ms BIGINT NOT NULL,
  count BIGINT NOT NULL,            -- times raised while open
  acked_by TEXT,                    -- NULL while open
  acked_ms BIGINT,
  ack_note TEXT
);
CREATE UNIQUE INDEX alerts_open_key ON alerts (key) WHERE acked_ms IS NULL;
CREATE INDEX alerts_key ON alerts (key, id);
CREATE INDEX alerts_machine ON alerts (machine, id);
)sql",
    // 5: when each alert last went out to the webhook and MQTT, kept in the store so that a
    // restarted server, or a second one on the same store, does not send an open alert again
    // before its repeat interval (docs/store.md, "Alerts"). Alerts open at the upgrade count as
    // sent when last raised.
    R"sql(
ALTER TABLE alerts ADD COLUMN notified_ms BIGINT;  -- NULL = never sent
UPDATE alerts SET notified_ms = last_ms WHERE acked_ms IS NULL;
)sql",
    // 6: the newest evidence each alert was raised with, dated on the parts' clock, which an ack
    // covers (docs/store.md, "Alerts"). Rows from before are taken as dated when acknowledged or
    // last raised, on the watch's clock, which is what an ack was compared with until then; a
    // die's life is undated (0), as the watch raises it.
    R"sql(
ALTER TABLE alerts ADD COLUMN evidence_ms BIGINT NOT NULL DEFAULT 0;
UPDATE alerts SET evidence_ms = coalesce(acked_ms, last_ms) WHERE kind <> 'die_life';
)sql",
    // 7: the hourly rollup of parts (store/part_hours.h, docs/store.md "Query speed"): yield,
    // Pareto, reject rate and counts over weeks read its rows for whole hours and parts only
    // for the partial hours at the ends. Ingest and reviews keep it; here it is filled from the
    // parts stored so far.
    R"sql(
CREATE TABLE part_hours (
  time_ms BIGINT NOT NULL,          -- the hour's start, UTC ms
  machine TEXT NOT NULL,
  die TEXT NOT NULL,
  station TEXT NOT NULL,
  decision TEXT NOT NULL,           -- the line's
  verdict TEXT NOT NULL,            -- after reviews: the latest review's, else the line's
  reviewed BIGINT NOT NULL,         -- 1: a person reviewed these parts
  defect_type TEXT NOT NULL,        -- as parts.defect_type
  parts BIGINT NOT NULL,
  PRIMARY KEY (time_ms, machine, die, station, decision, verdict, reviewed, defect_type)
);
CREATE INDEX part_hours_machine ON part_hours (machine, time_ms);
INSERT INTO part_hours (time_ms, machine, die, station, decision, verdict, reviewed,
                        defect_type, parts)
  SELECT time_ms - ((time_ms % 3600000) + 3600000) % 3600000, machine, die, station, decision,
         coalesce(review_verdict, decision), CASE WHEN review_id IS NULL THEN 0 ELSE 1 END,
         defect_type, count(*)
  FROM parts GROUP BY 1, 2, 3, 4, 5, 6, 7, 8;
)sql",
    // 8: how many times an open alert's condition showed with newer evidence (a later trip, a
    // later hour), as the dashboard's "times"; `count` goes on counting the watch's looks that
    // found it, once a minute or so while it stands, which says nothing to a person. Open alerts
    // of before start at 1.
    R"sql(
ALTER TABLE alerts ADD COLUMN occurrences BIGINT NOT NULL DEFAULT 1;
)sql",
};

constexpr std::string_view kVersionTable =
    "CREATE TABLE IF NOT EXISTS schema_version (version BIGINT PRIMARY KEY, "
    "applied_ms BIGINT NOT NULL)";

std::string ForEngine(std::string_view step, SqlEngine engine) {
  const std::string_view serial =
      engine == SqlEngine::kSqlite ? "INTEGER PRIMARY KEY AUTOINCREMENT" : "BIGSERIAL PRIMARY KEY";
  std::string sql(step);
  for (size_t at = sql.find("{serial}"); at != std::string::npos; at = sql.find("{serial}"))
    sql.replace(at, 8, serial);
  return sql;
}

// Takes the store one step up, in one transaction. Returns true once it is at this build's
// version. Re-reads the version under the lock, since another server may have migrated.
bool StepUp(SqlConnection& c, SqlEngine engine, const std::string& where) {
  SqlTransaction tx(c, TxKind::kMigrate);
  c.ExecScript(kVersionTable);
  const int now = ServerSchemaVersion(c);
  if (now > kServerSchemaVersion)
    throw Error(ErrorCategory::kIo,
                where + " has schema version " + std::to_string(now) + ", newer than the " +
                    std::to_string(kServerSchemaVersion) + " this linesight knows",
                "upgrade linesight to the version that wrote it (the store is left untouched)");
  if (now < kServerSchemaVersion) {
    c.ExecScript(ForEngine(kSteps[static_cast<size_t>(now)], engine));
    const SqlValue params[] = {int64_t{now + 1}, UtcNowMs()};
    c.Exec("INSERT INTO schema_version (version, applied_ms) VALUES ($1, $2)", params);
  }
  tx.Commit();
  return now + 1 >= kServerSchemaVersion;
}

}  // namespace

int ServerSchemaVersion(SqlConnection& c) {
  int64_t version = 0;
  c.Query("SELECT coalesce(max(version), 0) FROM schema_version", {},
          [&](const SqlRow& r) { version = r.Int(0); });
  return static_cast<int>(version);
}

void MigrateServerSchema(SqlConnection& c, SqlEngine engine, const std::string& where) {
  while (!StepUp(c, engine, where)) {
  }
}

}  // namespace linesight::store
