#include "store/sql_store.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <optional>

#include "core/error.h"
#include "core/json_text.h"
#include "store/part_columns.h"
#include "store/part_hours.h"
#include "store/sql_filter.h"

namespace linesight::store {
namespace {

constexpr std::string_view kInsertParts =
    "INSERT INTO parts (part_id, station, machine, die, shot, die_shot, time_ms, decision, "
    "reason, score, threshold, defect_type_line, defect_type, image, model_id, latency_ms, "
    "melt_temp_c, die_temp_c, fast_shot_mps, intensification_bar, spray_s, vacuum_mbar, "
    "cycle_s, record) VALUES ";
constexpr int kPartColumns = 24;
// Parts per INSERT statement: one round trip for many rows (1200 parameters, well under
// SQLite's 32766 and PostgreSQL's 65535).
constexpr size_t kPartsPerInsert = 50;

constexpr std::string_view kInsertEvent =
    "INSERT INTO events (machine, time_ms, state, planned, reason, die, detail) "
    "VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (machine, time_ms, state) DO NOTHING";

// Each machine's latest part; an older part (a late batch) does not overwrite a newer one.
constexpr std::string_view kUpsertMachine =
    "INSERT INTO machines (machine, station, die, last_part_ms) VALUES ($1, $2, $3, $4) "
    "ON CONFLICT (machine) DO UPDATE SET station = excluded.station, die = excluded.die, "
    "last_part_ms = excluded.last_part_ms WHERE excluded.last_part_ms >= machines.last_part_ms";

// Shot times a part may have: UTC ms of the years 1 to 9999, far from int64's ends, where the
// hour of a time (part_hours) would overflow.
constexpr int64_t kEarliestShotMs = -62'135'596'800'000, kLatestShotMs = 253'402'300'799'999;

void CheckPart(const PartRecord& p, size_t i) {
  const std::string where = "parts[" + std::to_string(i) + "]";
  if (p.part_id.empty())
    throw Error(ErrorCategory::kInput, where + " has no part_id",
                "send each part with its id (\"<machine>-<shot>\"); nothing was stored");
  if (p.shot.machine.empty())
    throw Error(ErrorCategory::kInput, where + " (" + p.part_id + ") has no shot.machine",
                "send each part with its machine; nothing was stored");
  if (p.shot.time_ms < kEarliestShotMs || p.shot.time_ms > kLatestShotMs)
    throw Error(ErrorCategory::kInput,
                where + " (" + p.part_id + ") has shot.time_ms " + std::to_string(p.shot.time_ms) +
                    ", outside the years 1 to 9999",
                "send the shot time in UTC milliseconds since 1970; nothing was stored");
}

void CheckEvent(const MachineEvent& e, size_t i) {
  if (e.machine.empty())
    throw Error(ErrorCategory::kInput, "events[" + std::to_string(i) + "] has no machine",
                "send each event with its machine; nothing was stored");
}

// The derived columns and the JSON of one part, kept alive while its row is bound.
struct PartRow {
  PartColumns col;
  std::string record;
};

void AddPartParams(const PartRecord& p, const PartRow& row, std::vector<SqlValue>& params) {
  const PartColumns& col = row.col;
  const ProcessValues& v = p.shot.process;
  params.insert(params.end(), {std::string_view(p.part_id),
                               std::string_view(p.station),
                               std::string_view(p.shot.machine),
                               std::string_view(p.shot.die),
                               p.shot.shot,
                               p.shot.die_shot,
                               p.shot.time_ms,
                               DecisionName(p.decision),
                               HoldReasonName(p.reason),
                               double{col.score},
                               double{col.threshold},
                               std::string_view(col.defect_type_line),
                               std::string_view(col.defect_type_line),
                               std::string_view(col.image),
                               std::string_view(col.model_id),
                               p.latency_ms,
                               v.melt_temp_c,
                               v.die_temp_c,
                               v.fast_shot_mps,
                               v.intensification_bar,
                               v.spray_s,
                               v.vacuum_mbar,
                               v.cycle_s,
                               std::string_view(row.record)});
}

// INSERT of `rows` parts, skipping known part ids, returning the id of each part stored.
std::string InsertPartsSql(size_t rows) {
  return std::string(kInsertParts) + ValuesRows(rows, kPartColumns) +
         " ON CONFLICT (part_id) DO NOTHING RETURNING part_id";
}

// The part_hours row a part the line just judged counts in.
PartHourKey HourKey(const PartRecord& p, const PartColumns& col) {
  const std::string decision(DecisionName(p.decision));
  return {HourStart(p.shot.time_ms),
          p.shot.machine,
          p.shot.die,
          p.station,
          decision,
          decision,
          col.defect_type_line,
          0};
}

// A part id already stored is a batch sent again, unless another station stored it (two
// stations name the same machine) or its shot time differs (the machine's counter gave the id to
// a second shot, after a reset; a station no longer refuses such an id once retention deleted
// its first record). Storing nothing would lose that part silently, so the batch is refused
// (nothing of it is stored; the uplink then parks the part, keeping it).
void CheckResentFromOwnStation(SqlConnection& c, std::span<const PartRecord> parts,
                               const std::vector<bool>& stored, size_t at) {
  SqlQuery q{"SELECT part_id, station, time_ms FROM parts WHERE part_id IN (", {}};
  std::map<std::string_view, size_t> known;
  for (size_t i = 0; i < parts.size(); ++i) {
    if (stored[i] || !known.emplace(parts[i].part_id, i).second) continue;
    q.sql += (known.size() > 1 ? ", " : "") + q.Param(std::string_view(parts[i].part_id));
  }
  q.sql += ")";
  struct First {
    std::string part_id, station;
    int64_t time_ms;
  };
  std::vector<First> firsts;  // as stored
  c.Query(q.sql, q.params, [&](const SqlRow& r) {
    firsts.push_back({r.Text(0), r.Text(1), r.Int(2)});
  });
  for (const auto& [id, first, first_ms] : firsts) {
    const size_t i = known.at(id);
    const PartRecord& p = parts[i];
    if (first == p.station && first_ms == p.shot.time_ms) continue;
    if (first == p.station)
      throw PartConflict(
          ErrorCategory::kInput,
          "parts[" + std::to_string(at + i) + "] (" + p.part_id +
              ") is already stored from station " + first + " for a shot at " +
              std::to_string(first_ms) + " ms, and the station sends it for a shot at " +
              std::to_string(p.shot.time_ms) + " ms: the machine gave one shot number to two shots",
          "make the PLC's shot counter (registers 1-2, docs/plc.md) never repeat; the "
          "station keeps this part parked (docs/outbox.md); nothing of this batch was "
          "stored");
    throw Error(ErrorCategory::kInput,
                "parts[" + std::to_string(at + i) + "] (" + p.part_id +
                    ") is already stored from station " + first + ", and station " + p.station +
                    " sends it too: both name machine " + p.shot.machine,
                "give each station its own machine in its station.yaml (part ids are "
                "<machine>-<shot>); nothing of this batch was stored");
  }
}

// Stores `parts` (at most kPartsPerInsert; the batch's from index `at`) in one statement, counting
// the new ones into `hours`; returns how many were new.
int64_t InsertParts(SqlConnection& c, std::span<const PartRecord> parts, size_t at,
                    std::map<PartHourKey, int64_t>& hours) {
  std::vector<PartRow> rows(parts.size());
  std::vector<SqlValue> params;
  params.reserve(parts.size() * kPartColumns);
  std::map<std::string_view, size_t> by_id;  // a part id sent twice is stored as first sent
  for (size_t i = 0; i < parts.size(); ++i) {
    rows[i] = {DerivePartColumns(parts[i]), JsonText(ToJson(parts[i]))};
    AddPartParams(parts[i], rows[i], params);
    by_id.emplace(parts[i].part_id, i);
  }
  int64_t fresh = 0;
  std::vector<bool> stored(parts.size(), false);
  c.Query(InsertPartsSql(parts.size()), params, [&](const SqlRow& r) {
    ++fresh;
    const size_t i = by_id.at(r.Text(0));
    stored[i] = true;
    ++hours[HourKey(parts[i], rows[i].col)];
  });
  if (fresh < static_cast<int64_t>(parts.size())) CheckResentFromOwnStation(c, parts, stored, at);
  return fresh;
}

// A machine's events come from the station its parts come from (machines.station, set by its
// latest part). Another station sending them means two stations name one machine, as a part id
// stored from another station does (above): refuses the batch, so that the uplink parks the
// event rather than the machine's stops mixing with another machine's. A machine no part named
// yet belongs to no station. `station` "" checks nothing.
void CheckEventsFromOwnStation(SqlConnection& c, std::span<const MachineEvent> events,
                               std::string_view station) {
  if (station.empty() || events.empty()) return;
  SqlQuery q{"SELECT machine, station FROM machines WHERE machine IN (", {}};
  std::map<std::string_view, size_t> first;  // machine -> index of its first event
  for (size_t i = 0; i < events.size(); ++i) {
    if (!first.emplace(events[i].machine, i).second) continue;
    q.sql += (first.size() > 1 ? ", " : "") + q.Param(std::string_view(events[i].machine));
  }
  q.sql += ")";
  std::optional<std::pair<size_t, std::string>> wrong;  // the first event refused, its station
  c.Query(q.sql, q.params, [&](const SqlRow& r) {
    const std::string owner = r.Text(1);
    const size_t i = first.at(r.Text(0));
    if (!owner.empty() && owner != station && (!wrong || i < wrong->first)) wrong = {i, owner};
  });
  if (!wrong) return;
  const std::string& machine = events[wrong->first].machine;
  throw Error(ErrorCategory::kInput,
              "events[" + std::to_string(wrong->first) + "] (machine " + machine +
                  ") comes from station " + std::string(station) + ", but machine " + machine +
                  "'s parts come from station " + wrong->second + ": both name machine " + machine,
              "give each station its own machine in its station.yaml (if " + machine +
                  " really moved to station " + std::string(station) +
                  ", its events are taken once a part of it from there is stored); nothing of "
                  "this batch was stored");
}

bool InsertEvent(SqlConnection& c, const MachineEvent& e) {
  const SqlValue params[] = {std::string_view(e.machine), e.time_ms,
                             MachineStateName(e.state),   int64_t{e.planned ? 1 : 0},
                             std::string_view(e.reason),  std::string_view(e.die),
                             std::string_view(e.detail)};
  const bool fresh = c.Exec(kInsertEvent, params) > 0;
  // A machine that only sent events is listed too; its first part fills in station and die.
  const SqlValue machine[] = {std::string_view(e.machine), std::string_view(""),
                              std::string_view(""), int64_t{std::numeric_limits<int64_t>::min()}};
  c.Exec(
      "INSERT INTO machines (machine, station, die, last_part_ms) VALUES ($1, $2, $3, $4) "
      "ON CONFLICT (machine) DO NOTHING",
      machine);
  return fresh;
}

// Records which kept images each part names, for image retention. Idempotent.
void InsertImageUses(SqlConnection& c, std::span<const PartRecord> parts) {
  for (const PartRecord& p : parts)
    for (const ViewResult& v : p.views)
      for (const std::string* name : {&v.image, &v.heatmap}) {
        if (name->empty()) continue;
        const SqlValue params[] = {std::string_view(*name), std::string_view(p.part_id)};
        c.Exec("INSERT INTO part_images (name, part_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
               params);
      }
}

// Records each machine's latest part of the batch.
void UpdateMachines(SqlConnection& c, std::span<const PartRecord> parts) {
  std::map<std::string_view, const PartRecord*> latest;
  for (const PartRecord& p : parts) {
    auto& l = latest[p.shot.machine];
    if (!l || p.shot.time_ms >= l->shot.time_ms) l = &p;
  }
  for (const auto& [machine, p] : latest) {
    const SqlValue params[] = {machine, std::string_view(p->station), std::string_view(p->shot.die),
                               p->shot.time_ms};
    c.Exec(kUpsertMachine, params);
  }
}

std::vector<PartSummary> Summaries(SqlConnection& c, const SqlQuery& q) {
  std::vector<PartSummary> out;
  c.Query(q.sql, q.params, [&](const SqlRow& r) { out.push_back(ReadSummary(r)); });
  return out;
}

int64_t ClampRows(int64_t n) { return std::clamp<int64_t>(n, 1, kMaxRows); }

}  // namespace

SqlStore::SqlStore(SqlEngine engine, std::string where, ConnectionFactory open, int connections)
    : where_(std::move(where)), pool_(std::move(open), connections) {
  auto c = Connection();
  MigrateServerSchema(*c, engine, where_);
}

int SqlStore::schema_version() {
  auto c = Connection();
  return ServerSchemaVersion(*c);
}

IngestCounts SqlStore::Ingest(std::span<const PartRecord> parts,
                              std::span<const MachineEvent> events, std::string_view station) {
  for (size_t i = 0; i < parts.size(); ++i) CheckPart(parts[i], i);
  for (size_t i = 0; i < events.size(); ++i) CheckEvent(events[i], i);
  IngestCounts n;
  if (parts.empty() && events.empty()) return n;
  auto c = Connection();
  SqlTransaction tx(*c, TxKind::kIngest);
  std::map<PartHourKey, int64_t> hours;
  for (size_t at = 0; at < parts.size(); at += kPartsPerInsert) {
    const auto chunk = parts.subspan(at, std::min(kPartsPerInsert, parts.size() - at));
    const int64_t fresh = InsertParts(*c, chunk, at, hours);
    n.parts_new += fresh;
    n.parts_duplicate += static_cast<int64_t>(chunk.size()) - fresh;
  }
  // The batch's parts first: a machine whose parts now come from this station takes its events.
  UpdateMachines(*c, parts);
  CheckEventsFromOwnStation(*c, events, station);
  for (const MachineEvent& e : events) ++(InsertEvent(*c, e) ? n.events_new : n.events_duplicate);
  InsertImageUses(*c, parts);
  n.not_joined = FillPartsFromShots(*c, parts);
  // Last, as AddReview does: a part's row before the rollup's, so that a review of a part this
  // batch sends again never waits on the batch in the opposite order (a deadlock on PostgreSQL).
  CountPartHours(*c, hours);
  tx.Commit();
  return n;
}

std::vector<PartSummary> SqlStore::FindParts(const PartFilter& filter, const PartPage& page) {
  SqlQuery q{std::string(kSummarySelect), {}};
  AppendWhere(q, filter);
  if (page.before_time_ms)
    q.sql += " AND (p.time_ms, p.part_id) < (" + q.Param(*page.before_time_ms) + ", " +
             q.Param(std::string_view(page.before_part_id)) + ")";
  q.sql += " ORDER BY p.time_ms DESC, p.part_id DESC LIMIT " + q.Param(ClampRows(page.limit));
  auto c = Connection();
  return Summaries(*c, q);
}

std::vector<std::string> SqlStore::DisposableImages(int64_t before_ms, int limit) {
  const SqlValue params[] = {before_ms, ClampRows(limit)};
  std::vector<std::string> out;
  auto c = Connection();
  c->Query(
      "SELECT i.name FROM part_images i JOIN parts p ON p.part_id = i.part_id GROUP BY i.name "
      "HAVING sum(CASE WHEN p.decision <> 'pass' OR p.review_id IS NOT NULL THEN 1 ELSE 0 END) "
      "= 0 AND max(p.time_ms) < $1 ORDER BY max(p.time_ms), i.name LIMIT $2",
      params, [&](const SqlRow& r) { out.push_back(r.Text(0)); });
  return out;
}

std::vector<std::string> SqlStore::NamedImages() {
  std::vector<std::string> out;
  auto c = Connection();
  c->Query("SELECT DISTINCT name FROM part_images", {},
           [&](const SqlRow& r) { out.push_back(r.Text(0)); });
  return out;
}

void SqlStore::ForgetImages(std::span<const std::string> names) {
  auto c = Connection();
  SqlTransaction tx(*c, TxKind::kWrite);
  for (const std::string& name : names) {
    const SqlValue params[] = {std::string_view(name)};
    c->Exec("DELETE FROM part_images WHERE name = $1", params);
  }
  tx.Commit();
}

int64_t SqlStore::CountParts(const PartFilter& filter) {
  SqlQuery q{"SELECT coalesce(sum(p.n), 0) FROM ", {}};
  AppendPartsSource(q, filter, true, false);
  int64_t n = 0;
  auto c = Connection();
  c->Query(q.sql, q.params, [&](const SqlRow& r) { n = r.Int(0); });
  return n;
}

int64_t SqlStore::CountPartsUpTo(const PartFilter& filter, int64_t cap) {
  CheckCountCap(cap);
  // The rollup counts weeks in milliseconds; what it cannot answer is counted up to the cap.
  if (RollupAnswers(filter)) return std::min(CountParts(filter), cap);
  // The LIMIT inside lets both engines stop after `cap` rows of the filter's index.
  SqlQuery q{"SELECT count(*) FROM (SELECT 1 FROM parts p", {}};
  AppendWhere(q, filter);
  q.sql += " LIMIT " + q.Param(cap) + ") t";
  int64_t n = 0;
  auto c = Connection();
  c->Query(q.sql, q.params, [&](const SqlRow& r) { n = r.Int(0); });
  return n;
}

std::vector<PartSummary> SqlStore::PartsAfter(int64_t seq, int limit) {
  SqlQuery q{std::string(kSummarySelect), {}};
  q.sql += " WHERE p.seq > " + q.Param(seq) + " ORDER BY p.seq LIMIT " + q.Param(ClampRows(limit));
  auto c = Connection();
  return Summaries(*c, q);
}

int64_t SqlStore::LastSeq() {
  int64_t seq = 0;
  auto c = Connection();
  c->Query("SELECT coalesce(max(seq), 0) FROM parts", {}, [&](const SqlRow& r) { seq = r.Int(0); });
  return seq;
}

std::optional<PartDetail> SqlStore::GetPart(std::string_view part_id) {
  SqlQuery q{std::string(kSummarySelect), {}};
  q.sql += " WHERE p.part_id = " + q.Param(part_id);
  auto c = Connection();
  SqlTransaction tx(*c, TxKind::kRead);  // the part and its reviews as of one moment
  std::optional<PartDetail> d;
  std::string record;
  c->Query(q.sql, q.params, [&](const SqlRow& r) {
    d.emplace();
    d->summary = ReadSummary(r);
  });
  if (!d) return d;
  const SqlValue id[] = {part_id};
  // The columns may hold values telemetry brought after the station sent the record.
  ProcessValues columns;
  std::string sql = "SELECT record";
  for (const ProcessVariable& v : ProcessVariables()) sql += ", " + std::string(v.name);
  c->Query(sql + " FROM parts WHERE part_id = $1", id, [&](const SqlRow& r) {
    record = r.Text(0);
    int col = 1;
    for (const ProcessVariable& v : ProcessVariables()) columns.*(v.field) = r.Double(col++);
  });
  c->Query("SELECT " + std::string(kReviewColumns) + " FROM reviews WHERE part_id = $1 ORDER BY id",
           id, [&](const SqlRow& r) { d->reviews.push_back(ReadReview(r, 0)); });
  tx.Commit();
  try {
    d->record = PartRecordFromJson(nlohmann::json::parse(record));
    for (const ProcessVariable& v : ProcessVariables()) {
      double& value = d->record.shot.process.*(v.field);
      if (std::isnan(value)) value = columns.*(v.field);
    }
  } catch (const std::exception& e) {
    throw Error(ErrorCategory::kIo,
                "the stored record of part " + std::string(part_id) + " in " + where_ +
                    " does not read back: " + e.what(),
                "restore the store from a backup; report this");
  }
  return d;
}

}  // namespace linesight::store
