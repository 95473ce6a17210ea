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

// A part and a shot of one machine and shot number are one shot only if their dies agree (or
// one is not known) and their times lie within kJoinWindowMs: a shot counter that restarted
// (a machine replaced, a controller reset) must not give last month's values to today's part.
// "$d" and "$t" are the other side's die and time; `die` and `time_ms` this side's columns.
std::string SameShot(const std::string& die, const std::string& time_ms, int d, int t) {
  const std::string pd = "CAST($" + std::to_string(d) + " AS TEXT)";
  return "(" + die + " = " + pd + " OR " + die + " = '' OR " + pd + " = '') AND abs(" + time_ms +
         " - CAST($" + std::to_string(t) + " AS BIGINT)) <= " + std::to_string(kJoinWindowMs);
}

// Gives the stored part of `s` the values it lacks; true if it had any to take.
bool FillPart(SqlConnection& c, const Shot& s) {
  const std::string part_id = PartId(s.machine, s.shot);
  std::vector<SqlValue> params = {std::string_view(part_id)};
  for (const ProcessVariable& v : ProcessVariables()) params.push_back(s.process.*(v.field));
  const int d = static_cast<int>(params.size()) + 1;
  params.push_back(std::string_view(s.die));
  params.push_back(s.time_ms);
  return c.Exec("UPDATE parts SET " + CoalesceColumns(2) + " WHERE part_id = $1 AND (" +
                    LacksAValue() + ") AND " + SameShot("die", "time_ms", d, d + 1),
                params) > 0;
}

// The stored shot `s` collided with, if it is another shot (another die, or hours away): the
// machine's shot counter restarted. "" when it is the same shot delivered again.
std::string Conflict(SqlConnection& c, const Shot& s) {
  std::string out;
  const SqlValue params[] = {std::string_view(s.machine), s.shot, std::string_view(s.die),
                             s.time_ms};
  c.Query("SELECT die, time_ms FROM shots WHERE machine = $1 AND shot = $2 AND NOT (" +
              SameShot("die", "time_ms", 3, 4) + ")",
          params, [&](const SqlRow& r) {
            out = s.machine + " shot " + std::to_string(s.shot) + " (die '" + s.die + "', time " +
                  std::to_string(s.time_ms) + ") is stored already as die '" + r.Text(0) +
                  "', time " + std::to_string(r.Int(1));
          });
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
    if (c->Exec(kInsertShot, params) == 0) {
      ++n.shots_duplicate;
      if (std::string conflict = Conflict(*c, s); !conflict.empty())
        n.conflicts.push_back(std::move(conflict));
      continue;
    }
    ++n.shots_new;
    if (FillPart(*c, s)) ++n.parts_filled;
  }
  tx.Commit();
  return n;
}

// Called by Ingest() in its transaction: parts that arrive lacking values take them from shots
// that telemetry brought first.
void FillPartsFromShots(SqlConnection& c, std::span<const PartRecord> parts) {
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
               SameShot("s.die", "s.time_ms", 4, 5) + "))";
        first = false;
      }
      sql += " WHERE part_id = $1";
    }
    const SqlValue params[] = {std::string_view(p.part_id), std::string_view(p.shot.machine),
                               p.shot.shot, std::string_view(p.shot.die), p.shot.time_ms};
    c.Exec(sql, params);
  }
}

}  // namespace linesight::store
