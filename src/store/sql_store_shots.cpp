// The SqlStore's shots from telemetry (IngestShots) and the join of their process values to the
// parts of the same machine and shot, whichever of the two arrives first.
#include <chrono>
#include <cmath>

#include "core/clock.h"
#include "core/error.h"
#include "store/sql_store.h"

namespace linesight::store {
namespace {

constexpr std::string_view kInsertShot =
    "INSERT INTO shots (machine, shot, time_ms, die, die_shot, melt_temp_c, die_temp_c, "
    "fast_shot_mps, intensification_bar, spray_s, vacuum_mbar, cycle_s, received_ms) "
    "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) "
    "ON CONFLICT (machine, shot) DO NOTHING";

// Each process column keeps its value, else takes $n: "melt_temp_c = coalesce(melt_temp_c,
// CAST($2 AS DOUBLE PRECISION)), …", the parameters numbered from `first`.
std::string CoalesceColumns(int first) {
  std::string sql;
  for (const ProcessVariable& v : ProcessVariables()) {
    if (!sql.empty()) sql += ", ";
    sql += std::string(v.name) + " = coalesce(" + std::string(v.name) + ", CAST($" +
           std::to_string(first++) + " AS DOUBLE PRECISION))";
  }
  return sql;
}

// "melt_temp_c IS NULL OR …": a part that lacks some value.
std::string LacksAValue() {
  std::string sql;
  for (const ProcessVariable& v : ProcessVariables())
    sql += (sql.empty() ? "" : " OR ") + std::string(v.name) + " IS NULL";
  return sql;
}

void CheckShot(const Shot& s, size_t i) {
  const std::string where = "shots[" + std::to_string(i) + "]";
  if (s.machine.empty())
    throw Error(ErrorCategory::kInput, where + " has no machine",
                "send each shot with its machine; nothing was stored");
  if (s.shot < 1)
    throw Error(ErrorCategory::kInput,
                where + " of " + s.machine + " has shot " + std::to_string(s.shot),
                "send the machine's shot counter (1 or more); nothing was stored");
}

// A part and a shot of one machine and shot number are one shot only if their times lie within
// kJoinWindowMs: a shot counter that restarted (a controller reset, a machine replaced) must not
// give last month's values to today's part. Dies are not compared: a gateway may name a die
// "D02" where the station says "M3-D02". `a` and `b` are the two times, columns or parameters.
std::string SameShot(const std::string& a, const std::string& b) {
  return "abs(" + a + " - " + b + ") <= " + std::to_string(kJoinWindowMs);
}

// Parameter $n as a time, for SameShot.
std::string TimeParam(int n) { return "CAST($" + std::to_string(n) + " AS BIGINT)"; }

std::string Hours(int64_t ms) { return std::to_string(std::llabs(ms) / 3'600'000) + " h"; }

// Gives the stored part of `s` the values it lacks; true if it had any to take.
bool FillPart(SqlConnection& c, const Shot& s) {
  const std::string part_id = PartId(s.machine, s.shot);
  std::vector<SqlValue> params = {std::string_view(part_id)};
  for (const ProcessVariable& v : ProcessVariables()) params.push_back(s.process.*(v.field));
  const int t = static_cast<int>(params.size()) + 1;
  params.push_back(s.time_ms);
  return c.Exec("UPDATE parts SET " + CoalesceColumns(2) + " WHERE part_id = $1 AND (" +
                    LacksAValue() + ") AND " + SameShot("time_ms", TimeParam(t)),
                params) > 0;
}

// What `s` collided with, if it is another shot: a stored shot of its number, or a stored part
// of its id, over kJoinWindowMs away (the machine's shot counter restarted, or a clock is far
// off). "" when there is none, or it is the same shot delivered again.
std::string Conflict(SqlConnection& c, const Shot& s, bool stored) {
  std::string out;
  const auto say = [&out, &s](const char* what) {
    return [&out, &s, what](const SqlRow& r) {
      out = s.machine + " shot " + std::to_string(s.shot) + " (die '" + s.die + "') is " +
            Hours(r.Int(0) - s.time_ms) + " away from the " + what + " of that number (die '" +
            r.Text(1) + "')";
    };
  };
  if (!stored) {  // a duplicate: is the stored shot another one?
    const SqlValue params[] = {std::string_view(s.machine), s.shot, s.time_ms};
    c.Query("SELECT time_ms, die FROM shots WHERE machine = $1 AND shot = $2 AND NOT (" +
                SameShot("time_ms", TimeParam(3)) + ")",
            params, say("shot stored"));
  } else {  // stored: is there a part of its id it cannot be joined to?
    const std::string part_id = PartId(s.machine, s.shot);
    const SqlValue params[] = {std::string_view(part_id), s.time_ms};
    c.Query("SELECT time_ms, die FROM parts WHERE part_id = $1 AND NOT (" +
                SameShot("time_ms", TimeParam(2)) + ")",
            params, say("part"));
  }
  return out;
}

}  // namespace

ShotCounts SqlStore::IngestShots(std::span<const Shot> shots) {
  for (size_t i = 0; i < shots.size(); ++i) CheckShot(shots[i], i);
  ShotCounts n;
  if (shots.empty()) return n;
  const int64_t now = UtcNowMs();
  auto c = Connection();
  SqlTransaction tx(*c, TxKind::kIngest);
  for (const Shot& s : shots) {
    const ProcessValues& v = s.process;
    const SqlValue params[] = {std::string_view(s.machine),
                               s.shot,
                               s.time_ms,
                               std::string_view(s.die),
                               s.die_shot,
                               v.melt_temp_c,
                               v.die_temp_c,
                               v.fast_shot_mps,
                               v.intensification_bar,
                               v.spray_s,
                               v.vacuum_mbar,
                               v.cycle_s,
                               now};
    const bool stored = c->Exec(kInsertShot, params) > 0;
    n.shots_new += stored;
    n.shots_duplicate += !stored;
    if (stored && FillPart(*c, s)) {
      ++n.parts_filled;
      continue;  // joined: within the window
    }
    if (std::string conflict = Conflict(*c, s, stored); !conflict.empty())
      n.conflicts.push_back(std::move(conflict));
  }
  tx.Commit();
  return n;
}

namespace {

// A telemetry shot of the stored part's machine and number that lies too far from the part to be
// its shot; "" if there is none.
std::string ShotTooFar(SqlConnection& c, const PartRecord& p) {
  std::string out;
  const SqlValue params[] = {std::string_view(p.part_id), std::string_view(p.shot.machine),
                             p.shot.shot};
  c.Query(
      "SELECT s.time_ms - p.time_ms, s.die FROM shots s JOIN parts p ON p.part_id = $1 "
      "WHERE s.machine = $2 AND s.shot = $3 AND NOT (" +
          SameShot("s.time_ms", "p.time_ms") + ")",
      params, [&](const SqlRow& r) {
        out = "part " + p.part_id + " (die '" + p.shot.die + "') is " + Hours(r.Int(0)) +
              " away from the telemetry shot of that number (die '" + r.Text(1) + "')";
      });
  return out;
}

}  // namespace

// Called by Ingest() in its transaction: parts that arrive lacking values take them from shots
// that telemetry brought first. Returns the parts whose shot of that number was too far to join.
std::vector<std::string> FillPartsFromShots(SqlConnection& c, std::span<const PartRecord> parts) {
  std::vector<std::string> not_joined;
  std::string sql;
  for (const PartRecord& p : parts) {
    bool lacks = false;
    for (const ProcessVariable& v : ProcessVariables())
      lacks = lacks || std::isnan(p.shot.process.*(v.field));
    if (!lacks) continue;
    if (sql.empty()) {
      sql = "UPDATE parts SET ";
      bool first = true;
      for (const ProcessVariable& v : ProcessVariables()) {
        sql += (first ? "" : ", ") + std::string(v.name) + " = coalesce(" + std::string(v.name) +
               ", (SELECT s." + std::string(v.name) +
               " FROM shots s WHERE s.machine = $2 AND s.shot = $3 AND " +
               SameShot("s.time_ms", "parts.time_ms") + "))";
        first = false;
      }
      sql += " WHERE part_id = $1";
    }
    // The stored row's own time (parts.time_ms): a part sent again must not fill the part
    // stored before with a later shot's values.
    const SqlValue params[] = {std::string_view(p.part_id), std::string_view(p.shot.machine),
                               p.shot.shot};
    c.Exec(sql, params);
    if (std::string far = ShotTooFar(c, p); !far.empty()) not_joined.push_back(std::move(far));
  }
  return not_joined;
}

}  // namespace linesight::store
