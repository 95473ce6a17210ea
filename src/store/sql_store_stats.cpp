// The SqlStore's machine and statistics queries: machines, events, yield, Pareto, reject rate.
#include <algorithm>
#include <map>

#include "core/error.h"
#include "store/part_hours.h"
#include "store/sql_filter.h"
#include "store/sql_store.h"

namespace linesight::store {
namespace {

// Sums of the line's verdicts and of good-after-review over the rows of a GROUP BY on a parts
// source (store/part_hours.h). A part is good when its latest review says so, or, unreviewed,
// when the line passed it.
constexpr std::string_view kVerdictSums =
    "sum(p.n), sum(CASE WHEN p.decision = 'pass' THEN p.n ELSE 0 END), "
    "sum(CASE WHEN p.decision = 'reject' THEN p.n ELSE 0 END), "
    "sum(CASE WHEN p.decision = 'hold' THEN p.n ELSE 0 END), "
    "sum(CASE WHEN p.verdict = 'pass' THEN p.n ELSE 0 END)";

// The start of the period of `length` (placeholder) holding p.time_ms, counted from `origin`
// (placeholder): floor, also before the origin (SQL's % keeps the dividend's sign).
std::string PeriodStart(const std::string& origin, const std::string& length) {
  return "(p.time_ms - (((p.time_ms - " + origin + ") % " + length + ") + " + length + ") % " +
         length + ")";
}

// `origin_ms` within its hour: 0 when it starts on the hour (also before 1970).
int64_t Floored(int64_t origin_ms) { return ((origin_ms % kHourMs) + kHourMs) % kHourMs; }

MachineState StoredState(const std::string& name) {
  for (auto s : {MachineState::kRunning, MachineState::kStopped, MachineState::kDieChange})
    if (MachineStateName(s) == name) return s;
  throw Error(ErrorCategory::kIo, "the store holds an unknown machine state '" + name + "'",
              "upgrade linesight to the version that wrote the store");
}

MachineEvent ReadEvent(const SqlRow& r) {
  MachineEvent e;
  e.machine = r.Text(0);
  e.time_ms = r.Int(1);
  e.state = StoredState(r.Text(2));
  e.planned = r.Int(3) != 0;
  e.reason = r.Text(4);
  e.die = r.Text(5);
  e.detail = r.Text(6);
  return e;
}

constexpr std::string_view kEventColumns = "machine, time_ms, state, planned, reason, die, detail";

void CheckPositive(int64_t v, std::string_view what) {
  if (v <= 0)
    throw Error(ErrorCategory::kInput,
                std::string(what) + " must be positive, not " + std::to_string(v),
                "give a length in milliseconds, e.g. 3600000 for an hour");
}

// The latest event of each machine in `out`, which sets its state.
void ApplyLatestEvents(SqlConnection& c, std::vector<MachineStatus>& out) {
  const std::string sql = "SELECT " + std::string(kEventColumns) +
                          " FROM events WHERE machine = $1 ORDER BY time_ms DESC, id DESC LIMIT 1";
  for (MachineStatus& m : out) {
    const SqlValue params[] = {std::string_view(m.machine)};
    c.Query(sql, params, [&](const SqlRow& r) {
      const MachineEvent e = ReadEvent(r);
      m.state = e.state;
      m.state_since_ms = e.time_ms;
      m.reason = e.reason;
      m.planned = e.planned;
      if (e.time_ms >= m.last_part_ms || m.die.empty()) m.die = e.die;
    });
  }
}

}  // namespace

std::vector<MachineStatus> SqlStore::Machines(int64_t since_ms) {
  std::vector<MachineStatus> out;
  auto c = Connection();
  SqlTransaction tx(*c, TxKind::kRead);
  c->Query("SELECT machine, station, die, last_part_ms FROM machines ORDER BY machine", {},
           [&](const SqlRow& r) {
             MachineStatus& m = out.emplace_back();
             m.machine = r.Text(0);
             m.station = r.Text(1);
             m.die = r.Text(2);
             const int64_t last = r.Int(3);  // int64 min: no part yet
             m.last_part_ms = last == std::numeric_limits<int64_t>::min() ? 0 : last;
           });
  ApplyLatestEvents(*c, out);
  std::map<std::string, MachineStatus*> by_id;
  for (MachineStatus& m : out) by_id[m.machine] = &m;
  PartFilter since;
  since.from_ms = since_ms;
  SqlQuery q{"SELECT p.machine || '', " + std::string(kVerdictSums) + " FROM ", {}};
  AppendPartsSource(q, since, true, false);
  q.sql += " GROUP BY 1";  // || '': see Yield()
  c->Query(q.sql, q.params, [&](const SqlRow& r) {
    auto it = by_id.find(r.Text(0));
    if (it == by_id.end()) return;
    it->second->parts = r.Int(1);
    it->second->passes = r.Int(2);
    it->second->rejects = r.Int(3);
    it->second->holds = r.Int(4);
  });
  tx.Commit();
  return out;
}

std::vector<MachineEvent> SqlStore::Events(std::string_view machine, int64_t from_ms,
                                           int64_t to_ms) {
  SqlQuery q{"SELECT " + std::string(kEventColumns) + " FROM events WHERE time_ms >= ", {}};
  q.sql += q.Param(from_ms) + " AND time_ms < " + q.Param(to_ms);
  if (!machine.empty()) q.sql += " AND machine = " + q.Param(machine);
  q.sql += " ORDER BY time_ms, id";
  std::vector<MachineEvent> out;
  auto c = Connection();
  c->Query(q.sql, q.params, [&](const SqlRow& r) { out.push_back(ReadEvent(r)); });
  return out;
}

std::optional<MachineEvent> SqlStore::EventBefore(std::string_view machine, int64_t time_ms) {
  const SqlValue params[] = {machine, time_ms};
  std::optional<MachineEvent> out;
  auto c = Connection();
  c->Query("SELECT " + std::string(kEventColumns) +
               " FROM events WHERE machine = $1 AND time_ms < $2 ORDER BY time_ms DESC, id DESC "
               "LIMIT 1",
           params, [&](const SqlRow& r) { out = ReadEvent(r); });
  return out;
}

std::vector<std::pair<int64_t, MachineEvent>> SqlStore::EventsAfter(int64_t id, int limit) {
  SqlQuery q{"SELECT " + std::string(kEventColumns) + ", id FROM events WHERE id > ", {}};
  q.sql += q.Param(id) + " ORDER BY id LIMIT " + q.Param(std::clamp<int64_t>(limit, 1, kMaxRows));
  std::vector<std::pair<int64_t, MachineEvent>> out;
  auto c = Connection();
  c->Query(q.sql, q.params, [&](const SqlRow& r) { out.emplace_back(r.Int(7), ReadEvent(r)); });
  return out;
}

int64_t SqlStore::LastEventId() {
  int64_t id = 0;
  auto c = Connection();
  c->Query("SELECT coalesce(max(id), 0) FROM events", {}, [&](const SqlRow& r) { id = r.Int(0); });
  return id;
}

std::vector<YieldRow> SqlStore::Yield(const PartFilter& filter, GroupBy by,
                                      const ShiftCalendar& shifts) {
  SqlQuery q;
  std::string key;
  // `|| ''` keeps SQLite from walking the (machine|die, time_ms) index to get groups in order,
  // which reads every part of the store even for a one-shift range; both engines then take the
  // filter's index (bench/queries.sh measured 350 ms for one shift of 2 M parts without it).
  switch (by) {
    case GroupBy::kMachine:
      key = "p.machine || ''";
      break;
    case GroupBy::kDie:
      key = "p.die || ''";
      break;
    case GroupBy::kStation:
      key = "p.station || ''";
      break;
    case GroupBy::kShift:
      CheckPositive(shifts.length_ms, "the shift length");
      if (!shifts.zone.empty()) return ZonedShiftYield(filter, shifts);
      key = PeriodStart(q.Param(shifts.origin_ms), q.Param(shifts.length_ms));
      break;
  }
  // Shifts that start on the hour hold whole hours, so the hourly rollup can answer them.
  const bool whole_hours =
      by != GroupBy::kShift || (Floored(shifts.origin_ms) == 0 && shifts.length_ms % kHourMs == 0);
  q.sql = "SELECT " + key + ", " + std::string(kVerdictSums) + " FROM ";
  AppendPartsSource(q, filter, whole_hours, false);
  q.sql += " GROUP BY 1 ORDER BY 1";
  std::vector<YieldRow> out;
  auto c = Connection();
  c->Query(q.sql, q.params, [&](const SqlRow& r) {
    YieldRow& y = out.emplace_back();
    y.key = by == GroupBy::kShift ? std::to_string(r.Int(0)) : r.Text(0);
    y.parts = r.Int(1);
    y.passes = r.Int(2);
    y.rejects = r.Int(3);
    y.holds = r.Int(4);
    y.good = r.Int(5);
    if (y.parts > 0) {
      y.first_pass_yield = static_cast<double>(y.passes) / static_cast<double>(y.parts);
      y.yield = static_cast<double>(y.good) / static_cast<double>(y.parts);
    }
  });
  return out;
}

// Shifts on a local clock change length when the clock does, so SQL cannot floor to them: the
// parts are counted in periods that no shift boundary cuts (hours from the hourly rollup when
// the shifts start on the hour and the zone is whole hours off UTC over the period, else
// minutes), and the periods summed into their shifts here.
std::vector<YieldRow> SqlStore::ZonedShiftYield(const PartFilter& filter,
                                                const ShiftCalendar& shifts) {
  constexpr int64_t kYear2200Ms = 7'258'118'400'000;
  const auto whole_hours_off = [&](int64_t t) {
    return shifts.UtcOffsetMs(std::clamp<int64_t>(t, 0, kYear2200Ms)) % kHourMs == 0;
  };
  const bool hourly = Floored(shifts.origin_ms) == 0 && shifts.length_ms % kHourMs == 0 &&
                      whole_hours_off(filter.from_ms) && whole_hours_off(filter.to_ms);
  ShiftCalendar periods;
  periods.origin_ms = 0;
  periods.length_ms = hourly ? kHourMs : 60'000;
  std::map<int64_t, YieldRow> by_shift;
  for (const YieldRow& p : Yield(filter, GroupBy::kShift, periods)) {
    const int64_t start = shifts.ShiftStart(std::stoll(p.key));
    YieldRow& y = by_shift[start];
    y.key = std::to_string(start);
    y.parts += p.parts;
    y.passes += p.passes;
    y.rejects += p.rejects;
    y.holds += p.holds;
    y.good += p.good;
  }
  std::vector<YieldRow> out;
  for (auto& [start, y] : by_shift) {
    if (y.parts > 0) {
      y.first_pass_yield = static_cast<double>(y.passes) / static_cast<double>(y.parts);
      y.yield = static_cast<double>(y.good) / static_cast<double>(y.parts);
    }
    out.push_back(std::move(y));
  }
  return out;
}

std::vector<ParetoRow> SqlStore::DefectPareto(const PartFilter& filter) {
  // Bad parts: the latest review says so, or, unreviewed, the line rejected them.
  SqlQuery q{
      "SELECT CASE WHEN p.defect_type = '' THEN 'unclassified' ELSE p.defect_type END, "
      "sum(p.n) FROM ",
      {}};
  AppendPartsSource(q, filter, true, true);
  q.sql += " GROUP BY 1 ORDER BY 2 DESC, 1";
  std::vector<ParetoRow> out;
  auto c = Connection();
  c->Query(q.sql, q.params, [&](const SqlRow& r) { out.push_back({r.Text(0), r.Int(1)}); });
  return out;
}

std::vector<RateBucket> SqlStore::RejectRate(const PartFilter& filter, int64_t bucket_ms) {
  CheckPositive(bucket_ms, "the bucket length");
  SqlQuery q;
  const std::string start = PeriodStart(q.Param(int64_t{0}), q.Param(bucket_ms));
  q.sql = "SELECT " + start +
          ", sum(p.n), sum(CASE WHEN p.decision = 'reject' THEN p.n ELSE 0 END), "
          "sum(CASE WHEN p.decision = 'hold' THEN p.n ELSE 0 END) FROM ";
  AppendPartsSource(q, filter, bucket_ms % kHourMs == 0, false);
  q.sql += " GROUP BY 1 ORDER BY 1";
  std::vector<RateBucket> out;
  auto c = Connection();
  c->Query(q.sql, q.params, [&](const SqlRow& r) {
    out.push_back({r.Int(0), r.Int(1), r.Int(2), r.Int(3)});
  });
  return out;
}

std::vector<ProcessPoint> SqlStore::ProcessSeries(const PartFilter& filter,
                                                  std::string_view variable, int limit) {
  // The column name is spliced into the SQL, so only a known variable's own name gets there.
  const ProcessVariable* column = nullptr;
  std::string known;
  for (const ProcessVariable& v : ProcessVariables()) {
    if (v.name == variable) column = &v;
    known += (known.empty() ? "" : ", ") + std::string(v.name);
  }
  if (!column)
    throw Error(ErrorCategory::kInput, "unknown process variable '" + std::string(variable) + "'",
                "use one of " + known);
  SqlQuery q;
  q.sql = "SELECT p.time_ms, p.part_id, p.die, p." + std::string(column->name) + " FROM parts p";
  AppendWhere(q, filter);
  q.sql += " ORDER BY p.time_ms DESC, p.part_id DESC LIMIT " +
           q.Param(int64_t{std::clamp(limit, 1, kMaxSeriesPoints)});
  std::vector<ProcessPoint> out;
  auto c = Connection();
  c->Query(q.sql, q.params, [&](const SqlRow& r) {
    out.push_back({r.Int(0), r.Text(1), r.Text(2), r.Double(3)});
  });
  std::reverse(out.begin(), out.end());
  return out;
}

}  // namespace linesight::store
