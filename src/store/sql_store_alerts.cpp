// The SqlStore's alerts: raised and de-duplicated on their key while open, listed, and
// acknowledged together with their audit entry; and each die's shot count, which die-life alerts
// read.
#include <algorithm>

#include "core/error.h"
#include "store/sql_store.h"

namespace linesight::store {
namespace {

constexpr std::string_view kAlertColumns =
    "id, key, kind, severity, machine, die, title, detail, first_ms, last_ms, count, acked_by, "
    "acked_ms, ack_note, evidence_ms, occurrences";

Alert ReadAlert(const SqlRow& r) {
  Alert a;
  a.id = r.Int(0);
  a.input.key = r.Text(1);
  a.input.kind = r.Text(2);
  const std::string severity = r.Text(3);
  const auto parsed = ParseSeverity(severity);
  if (!parsed)
    throw Error(ErrorCategory::kIo,
                "alert " + std::to_string(a.id) + " has an unknown severity '" + severity + "'",
                "upgrade linesight to the version that wrote the store");
  a.input.severity = *parsed;
  a.input.machine = r.Text(4);
  a.input.die = r.Text(5);
  a.input.title = r.Text(6);
  a.input.detail = r.Text(7);
  a.first_ms = r.Int(8);
  a.last_ms = r.Int(9);
  a.count = r.Int(10);
  a.acked = !r.IsNull(12);
  if (a.acked) {
    a.acked_by = r.Text(11);
    a.acked_ms = r.Int(12);
    a.ack_note = r.Text(13);
  }
  a.input.evidence_ms = r.Int(14);
  a.occurrences = r.Int(15);
  return a;
}

// "col = the raised value if its evidence is at least as new as the stored one's, else the
// stored value": a slower server's older look does not overwrite newer evidence.
std::string NewerEvidence(const std::string& col) {
  return col + " = CASE WHEN excluded.evidence_ms >= alerts.evidence_ms THEN excluded." + col +
         " ELSE alerts." + col + " END";
}

}  // namespace

RaisedAlert SqlStore::RaiseAlert(const AlertInput& in, int64_t now_ms) {
  if (in.key.empty())
    throw Error(ErrorCategory::kInput, "an alert needs a key",
                "give the key that identifies the condition, e.g. process:M3:melt_temp_c");
  const SqlValue params[] = {std::string_view(in.key),
                             std::string_view(in.kind),
                             SeverityName(in.severity),
                             std::string_view(in.machine),
                             std::string_view(in.die),
                             std::string_view(in.title),
                             std::string_view(in.detail),
                             now_ms,
                             in.evidence_ms};
  RaisedAlert out;
  auto c = Connection();
  // One statement, so that servers racing on one key meet at the partial unique index: the
  // loser's insert becomes the update. A fresh row is the only one with count 1.
  c->Query(
      "INSERT INTO alerts (key, kind, severity, machine, die, title, detail, first_ms, last_ms, "
      "count, evidence_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8, 1, $9) "
      "ON CONFLICT (key) WHERE acked_ms IS NULL DO UPDATE SET count = alerts.count + 1, "
      "occurrences = alerts.occurrences + CASE WHEN excluded.evidence_ms > alerts.evidence_ms "
      "THEN 1 ELSE 0 END, last_ms = excluded.last_ms, " +
          NewerEvidence("title") + ", " + NewerEvidence("severity") + ", " +
          NewerEvidence("detail") + ", " + NewerEvidence("evidence_ms") + " RETURNING id, count",
      params, [&](const SqlRow& r) {
        out.id = r.Int(0);
        out.count = r.Int(1);
      });
  out.fresh = out.count == 1;
  return out;
}

// kMaxRows + 1: a page of kMaxRows asks for one more to know whether another page follows.
std::vector<Alert> SqlStore::Alerts(const AlertQuery& q) {
  std::vector<SqlValue> params = {int64_t{std::clamp(q.limit, 1, kMaxRows + 1)}};
  std::string where = " WHERE 1 = 1";
  if (q.open_only) where += " AND acked_ms IS NULL";
  if (!q.machine.empty()) {
    params.push_back(std::string_view(q.machine));
    where += " AND machine = $" + std::to_string(params.size());
  }
  if (!q.key.empty()) {
    params.push_back(std::string_view(q.key));
    where += " AND key = $" + std::to_string(params.size());
  }
  if (q.before_id > 0) {
    params.push_back(q.before_id);
    where += " AND id < $" + std::to_string(params.size());
  }
  std::vector<Alert> out;
  auto c = Connection();
  c->Query("SELECT " + std::string(kAlertColumns) + " FROM alerts" + where +
               " ORDER BY id DESC LIMIT $1",
           params, [&](const SqlRow& r) { out.push_back(ReadAlert(r)); });
  return out;
}

std::optional<Alert> SqlStore::GetAlert(int64_t id) {
  std::optional<Alert> out;
  const SqlValue params[] = {id};
  auto c = Connection();
  c->Query("SELECT " + std::string(kAlertColumns) + " FROM alerts WHERE id = $1", params,
           [&](const SqlRow& r) { out = ReadAlert(r); });
  return out;
}

int64_t SqlStore::CountOpenAlerts() {
  int64_t n = 0;
  auto c = Connection();
  c->Query("SELECT count(*) FROM alerts WHERE acked_ms IS NULL", {},
           [&](const SqlRow& r) { n = r.Int(0); });
  return n;
}

int64_t SqlStore::CountAllAlerts() {
  int64_t n = 0;
  auto c = Connection();
  c->Query("SELECT count(*) FROM alerts", {}, [&](const SqlRow& r) { n = r.Int(0); });
  return n;
}

std::optional<ClaimedNotice> SqlStore::ClaimAlertNotice(int64_t id, int64_t now_ms,
                                                        int64_t every_ms) {
  // The first notice and the repeats are claimed apart, so that "raised" goes out first and
  // once even when another server's repeat is due at the same moment. RETURNING gives the row
  // as claimed: nothing can fail between the claim and the alert to send.
  const std::string update =
      "UPDATE alerts SET notified_ms = $2 WHERE id = $1 AND acked_ms IS NULL AND ";
  const std::string returning = " RETURNING " + std::string(kAlertColumns);
  std::optional<ClaimedNotice> out;
  auto c = Connection();
  const SqlValue first[] = {id, now_ms};
  c->Query(update + "notified_ms IS NULL" + returning, first, [&](const SqlRow& r) {
    out = ClaimedNotice{true, ReadAlert(r)};
  });
  if (out) return out;
  const SqlValue repeat[] = {id, now_ms, now_ms - std::max<int64_t>(0, every_ms)};
  c->Query(update + "notified_ms <= $3" + returning, repeat, [&](const SqlRow& r) {
    out = ClaimedNotice{false, ReadAlert(r)};
  });
  return out;
}

AckResult SqlStore::AckAlert(int64_t id, std::string_view user, std::string_view note,
                             int64_t now_ms, const AuditEntry& audit) {
  auto c = Connection();
  SqlTransaction tx(*c, TxKind::kWrite);
  bool known = false;
  const SqlValue key[] = {id};
  c->Query("SELECT id FROM alerts WHERE id = $1", key, [&](const SqlRow&) { known = true; });
  if (!known) return AckResult::kUnknown;
  // The condition on acked_ms makes a second, concurrent ack change nothing.
  const SqlValue params[] = {id, user, now_ms, note};
  const int64_t changed = c->Exec(
      "UPDATE alerts SET acked_by = $2, acked_ms = $3, ack_note = $4 "
      "WHERE id = $1 AND acked_ms IS NULL",
      params);
  if (changed == 0) return AckResult::kAlreadyAcked;
  InsertAudit(*c, audit);
  tx.Commit();
  return AckResult::kAcked;
}

std::vector<DieShots> SqlStore::DieShotCounts(int64_t since_ms) {
  std::vector<DieShots> out;
  const SqlValue params[] = {since_ms};
  auto c = Connection();
  c->Query(
      "SELECT die, machine, max(die_shot), max(time_ms) FROM parts WHERE time_ms >= $1 "
      "GROUP BY die, machine ORDER BY die, machine",
      params, [&](const SqlRow& r) {
        out.push_back({r.Text(0), r.Text(1), r.Int(2), r.Int(3)});
      });
  return out;
}

}  // namespace linesight::store
