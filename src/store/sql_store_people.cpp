// The SqlStore's writes by people and their look-ups: reviews, users, sessions, station tokens,
// the audit log; and the store's counts.
#include <map>

#include "core/error.h"
#include "store/part_columns.h"
#include "store/part_hours.h"
#include "store/sql_store.h"

namespace linesight::store {

int64_t InsertAudit(SqlConnection& c, const AuditEntry& a) {
  const SqlValue params[] = {a.time_ms, std::string_view(a.user), std::string_view(a.action),
                             std::string_view(a.target), std::string_view(a.detail)};
  int64_t id = 0;
  c.Query(
      "INSERT INTO audit (time_ms, user_name, action, target, detail) "
      "VALUES ($1, $2, $3, $4, $5) RETURNING id",
      params, [&](const SqlRow& r) { id = r.Int(0); });
  return id;
}

namespace {

int64_t InsertReview(SqlConnection& c, const Review& v) {
  const SqlValue params[] = {
      std::string_view(v.part_id), std::string_view(v.user),        v.time_ms,
      DecisionName(v.verdict),     std::string_view(v.defect_type), std::string_view(v.note)};
  int64_t id = 0;
  c.Query(
      "INSERT INTO reviews (part_id, user_name, time_ms, verdict, defect_type, note) "
      "VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
      params, [&](const SqlRow& r) { id = r.Int(0); });
  return id;
}

User ReadUser(const SqlRow& r) {
  User u;
  u.name = r.Text(0);
  const std::string role = r.Text(1);
  const auto parsed = ParseRole(role);
  if (!parsed)
    throw Error(ErrorCategory::kIo, "user " + u.name + " has an unknown role '" + role + "'",
                "upgrade linesight to the version that wrote the store");
  u.role = *parsed;
  u.password_hash = r.Text(2);
  u.created_ms = r.Int(3);
  u.disabled = r.Int(4) != 0;
  return u;
}

constexpr std::string_view kUserColumns = "name, role, password_hash, created_ms, disabled";

}  // namespace

int64_t SqlStore::AddReview(const Review& review, const AuditEntry& audit) {
  if (review.verdict == Decision::kHold)
    throw Error(ErrorCategory::kInput, "a review's verdict must be pass or reject, not hold",
                "send \"pass\" (the part is good) or \"reject\" (it is bad)");
  auto c = Connection();
  SqlTransaction tx(*c, TxKind::kWrite);
  const SqlValue part[] = {std::string_view(review.part_id)};
  // Locks the part's row first (SQLite's write transaction holds the whole store), so that two
  // reviews of one part at once move its part_hours count one after the other.
  c->Exec("UPDATE parts SET review_id = review_id WHERE part_id = $1", part);
  std::optional<std::string> line_type;
  PartHourKey was;
  c->Query(
      "SELECT defect_type_line, time_ms, machine, die, station, decision, "
      "coalesce(review_verdict, decision), CASE WHEN review_id IS NULL THEN 0 ELSE 1 END, "
      "defect_type FROM parts WHERE part_id = $1",
      part, [&](const SqlRow& r) {
        line_type = r.Text(0);
        was = {HourStart(r.Int(1)), r.Text(2), r.Text(3), r.Text(4),
               r.Text(5),           r.Text(6), r.Text(8), r.Int(7)};
      });
  if (!line_type)
    throw Error(ErrorCategory::kInput, "no part '" + review.part_id + "' to review",
                "review a part the store holds (see GET /api/v1/parts)");
  const int64_t id = InsertReview(*c, review);
  const std::string type = PartDefectType(*line_type, review.verdict, review.defect_type);
  const SqlValue update[] = {id, DecisionName(review.verdict), std::string_view(type),
                             std::string_view(review.part_id)};
  c->Exec(
      "UPDATE parts SET review_id = $1, review_verdict = $2, defect_type = $3 "
      "WHERE part_id = $4",
      update);
  PartHourKey now = was;
  now.verdict = DecisionName(review.verdict);
  now.defect_type = type;
  now.reviewed = 1;
  std::map<PartHourKey, int64_t> moved{{was, -1}};
  ++moved[now];  // back to 0 when the review changes nothing the rollup keeps
  CountPartHours(*c, moved);
  InsertAudit(*c, audit);
  tx.Commit();
  return id;
}

void SqlStore::PutUser(const User& u) {
  const SqlValue params[] = {std::string_view(u.name), RoleName(u.role),
                             std::string_view(u.password_hash), u.created_ms,
                             int64_t{u.disabled ? 1 : 0}};
  auto c = Connection();
  SqlTransaction tx(*c, TxKind::kWrite);
  c->Exec(
      "INSERT INTO users (name, role, password_hash, created_ms, disabled) "
      "VALUES ($1, $2, $3, $4, $5) ON CONFLICT (name) DO UPDATE SET role = excluded.role, "
      "password_hash = excluded.password_hash, created_ms = excluded.created_ms, "
      "disabled = excluded.disabled",
      params);
  // A new password, role or a disabled account: whoever is signed in as the user is no longer.
  c->Exec("DELETE FROM sessions WHERE user_name = $1", std::span(params, 1));
  tx.Commit();
}

std::optional<User> SqlStore::GetUser(std::string_view name) {
  std::optional<User> u;
  const SqlValue params[] = {name};
  auto c = Connection();
  c->Query("SELECT " + std::string(kUserColumns) + " FROM users WHERE name = $1", params,
           [&](const SqlRow& r) { u = ReadUser(r); });
  return u;
}

std::vector<User> SqlStore::Users() {
  std::vector<User> out;
  auto c = Connection();
  c->Query("SELECT " + std::string(kUserColumns) + " FROM users ORDER BY name", {},
           [&](const SqlRow& r) { out.push_back(ReadUser(r)); });
  return out;
}

void SqlStore::PutSession(const Session& s) {
  const SqlValue params[] = {std::string_view(s.token_hash), std::string_view(s.user),
                             std::string_view(s.csrf), s.created_ms, s.expires_ms};
  const SqlValue now[] = {s.created_ms};
  auto c = Connection();
  SqlTransaction tx(*c, TxKind::kWrite);
  c->Exec("DELETE FROM sessions WHERE expires_ms <= $1", now);  // housekeeping
  c->Exec(
      "INSERT INTO sessions (token_hash, user_name, csrf, created_ms, expires_ms) "
      "VALUES ($1, $2, $3, $4, $5) ON CONFLICT (token_hash) DO UPDATE SET "
      "user_name = excluded.user_name, csrf = excluded.csrf, "
      "created_ms = excluded.created_ms, expires_ms = excluded.expires_ms",
      params);
  tx.Commit();
}

std::optional<Session> SqlStore::GetSession(std::string_view token_hash, int64_t now_ms) {
  std::optional<Session> s;
  const SqlValue params[] = {token_hash, now_ms};
  auto c = Connection();
  c->Query(
      "SELECT token_hash, user_name, csrf, created_ms, expires_ms FROM sessions "
      "WHERE token_hash = $1 AND expires_ms > $2",
      params, [&](const SqlRow& r) {
        s = Session{r.Text(0), r.Text(1), r.Text(2), r.Int(3), r.Int(4)};
      });
  return s;
}

void SqlStore::DeleteSession(std::string_view token_hash) {
  const SqlValue params[] = {token_hash};
  auto c = Connection();
  c->Exec("DELETE FROM sessions WHERE token_hash = $1", params);
}

void SqlStore::PutStationToken(std::string_view token_hash, std::string_view station) {
  const SqlValue params[] = {token_hash, station};
  auto c = Connection();
  SqlTransaction tx(*c, TxKind::kWrite);
  // A station has one token: a new one revokes the old.
  c->Exec("DELETE FROM station_tokens WHERE station = $2 AND token_hash <> $1", params);
  c->Exec(
      "INSERT INTO station_tokens (token_hash, station) VALUES ($1, $2) "
      "ON CONFLICT (token_hash) DO UPDATE SET station = excluded.station",
      params);
  tx.Commit();
}

std::optional<std::string> SqlStore::StationForToken(std::string_view token_hash) {
  std::optional<std::string> station;
  const SqlValue params[] = {token_hash};
  auto c = Connection();
  c->Query("SELECT station FROM station_tokens WHERE token_hash = $1", params,
           [&](const SqlRow& r) { station = r.Text(0); });
  return station;
}

int64_t SqlStore::Audit(const AuditEntry& entry) {
  auto c = Connection();
  return InsertAudit(*c, entry);
}

std::vector<AuditEntry> SqlStore::AuditLog(int limit, int64_t before_id) {
  std::vector<SqlValue> params = {int64_t{std::clamp(limit, 1, kMaxRows)}};
  std::string sql = "SELECT id, time_ms, user_name, action, target, detail FROM audit";
  if (before_id > 0) {
    params.push_back(before_id);
    sql += " WHERE id < $2";
  }
  sql += " ORDER BY id DESC LIMIT $1";
  std::vector<AuditEntry> out;
  auto c = Connection();
  c->Query(sql, params, [&](const SqlRow& r) {
    out.push_back({r.Int(0), r.Int(1), r.Text(2), r.Text(3), r.Text(4), r.Text(5)});
  });
  return out;
}

int64_t SqlStore::CountAudit(std::string_view action, std::string_view target, int64_t since_ms) {
  const SqlValue params[] = {action, target, since_ms};
  int64_t n = 0;
  auto c = Connection();
  c->Query("SELECT count(*) FROM audit WHERE action = $1 AND target = $2 AND time_ms >= $3", params,
           [&](const SqlRow& r) { n = r.Int(0); });
  return n;
}

StoreCounts SqlStore::Counts() {
  StoreCounts n;
  auto c = Connection();
  c->Query(
      "SELECT (SELECT count(*) FROM parts), (SELECT count(*) FROM events), "
      "(SELECT count(*) FROM reviews), (SELECT count(*) FROM users)",
      {}, [&](const SqlRow& r) {
        n.parts = r.Int(0);
        n.events = r.Int(1);
        n.reviews = r.Int(2);
        n.users = r.Int(3);
      });
  n.bytes = DatabaseBytes(*c);
  return n;
}

}  // namespace linesight::store
