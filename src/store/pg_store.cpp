#include "store/pg_store.h"

#include <libpq-fe.h>

#include <poll.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <unordered_map>

#include "core/error.h"
#include "store/sql_store.h"

namespace linesight::store {
namespace {

constexpr int kConnections = 4;
// pg_advisory_xact_lock keys ("ls" + a number): one ingest at a time across server processes,
// so `seq` grows in commit order; one migration at a time.
constexpr std::string_view kIngestLock = "SELECT pg_advisory_xact_lock(7395001)";
constexpr std::string_view kMigrateLock = "SELECT pg_advisory_xact_lock(7395002)";

using Result = std::unique_ptr<PGresult, decltype(&PQclear)>;

class PgRow final : public SqlRow {
 public:
  PgRow(const PGresult* r, int row) : r_(r), row_(row) {}
  bool IsNull(int c) const override { return PQgetisnull(r_, row_, c) != 0; }
  int64_t Int(int c) const override { return std::strtoll(PQgetvalue(r_, row_, c), nullptr, 10); }
  double Double(int c) const override {
    if (IsNull(c)) return std::numeric_limits<double>::quiet_NaN();
    return std::strtod(PQgetvalue(r_, row_, c), nullptr);
  }
  std::string Text(int c) const override {
    return std::string(PQgetvalue(r_, row_, c), static_cast<size_t>(PQgetlength(r_, row_, c)));
  }

 private:
  const PGresult* r_;
  int row_;
};

// Parameters as libpq's text values; NULL (and NaN) as a null pointer.
class PgParams {
 public:
  explicit PgParams(std::span<const SqlValue> params) {
    text_.reserve(params.size());
    for (const SqlValue& v : params) text_.push_back(Format(v));
    for (size_t i = 0; i < params.size(); ++i)
      values_.push_back(IsNull(params[i]) ? nullptr : text_[i].c_str());
  }
  int size() const { return static_cast<int>(values_.size()); }
  const char* const* values() const { return values_.data(); }

 private:
  static bool IsNull(const SqlValue& v) {
    if (const auto* d = std::get_if<double>(&v)) return std::isnan(*d);
    return std::holds_alternative<std::nullptr_t>(v);
  }
  static std::string Format(const SqlValue& v) {
    if (const auto* t = std::get_if<std::string_view>(&v)) return std::string(*t);
    char buf[40];
    std::to_chars_result r{buf, {}};
    if (const auto* n = std::get_if<int64_t>(&v)) r = std::to_chars(buf, buf + sizeof buf, *n);
    if (const auto* d = std::get_if<double>(&v)) r = std::to_chars(buf, buf + sizeof buf, *d);
    return std::string(buf, r.ptr);
  }
  std::vector<std::string> text_;
  std::vector<const char*> values_;
};

class PgConnection final : public SqlConnection {
 public:
  PgConnection(const std::string& uri, std::string where, const PgOptions& options)
      : where_(std::move(where)), answer_timeout_(options.answer_timeout_ms) {
    // Defaults first: a value in the URI overrides them. Keepalives and a TCP user timeout let a
    // call on a connection whose network went away (a partition, a pulled cable) fail within
    // about a minute, as a 503, instead of holding its HTTP thread until the kernel gives up
    // after ~15 minutes.
    const char* keys[] = {
        "connect_timeout",  "keepalives",       "keepalives_idle", "keepalives_interval",
        "keepalives_count", "tcp_user_timeout", "dbname",          nullptr};
    const char* values[] = {"10", "1", "30", "10", "3", "60000", uri.c_str(), nullptr};
    conn_ = PQconnectdbParams(keys, values, 1);
    if (PQstatus(conn_) != CONNECTION_OK) {
      const std::string why = conn_ ? PQerrorMessage(conn_) : "out of memory";
      PQfinish(conn_);
      throw Error(ErrorCategory::kIo,
                  "cannot connect to PostgreSQL at " + where_ + ": " + Trim(why),
                  "check that the server runs and that the URI's user, host, port and database "
                  "are right; retry");
    }
    PQsetNoticeProcessor(
        conn_, [](void*, const char*) {}, nullptr);  // no NOTICEs on stderr
    // The database cancels a statement itself a little before the client gives up on it: one
    // stuck behind a lock then ends there too, releasing what it holds, and the connection stays
    // usable. The client's deadline remains for a database that does not run at all.
    try {
      ExecScript("SET statement_timeout = " +
                 std::to_string(std::max<int64_t>(1, answer_timeout_.count() * 9 / 10)));
    } catch (...) {
      PQfinish(conn_);
      throw;
    }
  }
  ~PgConnection() override { PQfinish(conn_); }

  int64_t Exec(std::string_view sql, std::span<const SqlValue> params) override {
    const Result r = Run(sql, params);
    return std::strtoll(PQcmdTuples(r.get()), nullptr, 10);
  }

  void Query(std::string_view sql, std::span<const SqlValue> params,
             const std::function<void(const SqlRow&)>& row) override {
    const Result r = Run(sql, params);
    for (int i = 0, n = PQntuples(r.get()); i < n; ++i) row(PgRow(r.get(), i));
  }

  void ExecScript(std::string_view sql) override {
    Await(PQsendQuery(conn_, std::string(sql).c_str()), sql);
  }

  void Begin(TxKind kind) override {
    if (kind == TxKind::kRead) {
      ExecScript("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
      return;
    }
    // A migration may rebuild tables of millions of rows, and a second server waits for it on
    // the lock: neither has the answer timeout.
    migrating_ = kind == TxKind::kMigrate;
    ExecScript("BEGIN");
    if (kind == TxKind::kMigrate) ExecScript("SET LOCAL statement_timeout = 0");
    if (kind == TxKind::kIngest) ExecScript(kIngestLock);
    if (kind == TxKind::kMigrate) ExecScript(kMigrateLock);
  }
  void Commit() override {
    ExecScript("COMMIT");
    migrating_ = false;
  }
  void Rollback() noexcept override {
    migrating_ = false;
    try {
      ExecScript("ROLLBACK");
    } catch (const std::exception&) {
      broken_ = true;
    }
  }
  bool healthy() const override { return !broken_ && PQstatus(conn_) == CONNECTION_OK; }

 private:
  static std::string Trim(std::string s) {
    while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
    return s;
  }

  // Prepares `sql` once per connection, then runs it with `params`.
  Result Run(std::string_view sql, std::span<const SqlValue> params) {
    const std::string& name = Prepared(sql);
    const PgParams p(params);
    return Await(
        PQsendQueryPrepared(conn_, name.c_str(), p.size(), p.values(), nullptr, nullptr, 0), sql);
  }

  const std::string& Prepared(std::string_view sql) {
    auto it = prepared_.find(std::string(sql));
    if (it != prepared_.end()) return it->second;
    std::string name = "ls" + std::to_string(prepared_.size());
    Await(PQsendPrepare(conn_, name.c_str(), std::string(sql).c_str(), 0, nullptr), sql);
    return prepared_.emplace(std::string(sql), std::move(name)).first->second;
  }

  // The answer to what a PQsend* call (`sent`: its return) sent, as PQexec gives it: the first
  // error, else the last result. Waits at most the answer timeout (see PgOptions).
  Result Await(int sent, std::string_view sql) {
    Result answer(nullptr, &PQclear);
    if (!sent) return Check(std::move(answer), sql);
    const auto deadline = std::chrono::steady_clock::now() + answer_timeout_;
    for (;;) {
      while (PQisBusy(conn_)) {
        WaitReadable(deadline, sql);
        if (!PQconsumeInput(conn_)) {
          broken_ = true;
          return Check(Result(nullptr, &PQclear), sql);
        }
      }
      Result r(PQgetResult(conn_), &PQclear);
      if (!r) break;
      if (Copying(r.get())) {
        broken_ = true;  // PQgetResult would return the COPY state for ever: no statement here
        return Check(std::move(r), sql);  // copies, and the connection cannot be used again
      }
      if (!answer || Succeeded(answer.get())) answer = std::move(r);
    }
    return Check(std::move(answer), sql);
  }

  void WaitReadable(std::chrono::steady_clock::time_point deadline, std::string_view sql) {
    pollfd p{PQsocket(conn_), POLLIN, 0};
    for (;;) {
      const auto left =
          std::chrono::ceil<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      const int wait = migrating_ ? -1 : static_cast<int>(std::max<int64_t>(0, left.count()));
      const int n = wait != 0 ? ::poll(&p, 1, wait) : 0;
      if (n > 0) return;
      if (n < 0 && errno == EINTR) continue;
      broken_ = true;  // a statement is still in flight: the connection cannot be used again
      throw Error(ErrorCategory::kIo,
                  "PostgreSQL at " + where_ + " did not answer within " +
                      std::to_string((answer_timeout_.count() + 999) / 1000) +
                      " s (while running: " + std::string(sql.substr(0, 120)) + ")",
                  "check that the database server runs and is not stopped, overloaded or "
                  "waiting on a lock (pg_stat_activity); the next call opens a new connection");
    }
  }

  static bool Copying(const PGresult* r) {
    const auto status = PQresultStatus(r);
    return status == PGRES_COPY_IN || status == PGRES_COPY_OUT || status == PGRES_COPY_BOTH;
  }

  static bool Succeeded(const PGresult* r) {
    const auto status = PQresultStatus(r);
    return status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK;
  }

  Result Check(Result r, std::string_view sql) {
    if (r && Succeeded(r.get())) return r;
    const std::string why = Trim(r ? PQresultErrorMessage(r.get()) : PQerrorMessage(conn_));
    const bool lost = PQstatus(conn_) != CONNECTION_OK;
    if (lost) broken_ = true;
    throw Error(ErrorCategory::kIo,
                "PostgreSQL at " + where_ + " failed: " + why +
                    " (while running: " + std::string(sql.substr(0, 120)) + ")",
                lost ? "the connection was lost; check the server, then retry (the next call "
                       "reconnects)"
                     : "check the server's log; retry");
  }

  std::string where_;
  std::chrono::milliseconds answer_timeout_;
  PGconn* conn_ = nullptr;
  bool broken_ = false;
  bool migrating_ = false;
  std::unordered_map<std::string, std::string> prepared_;
};

class PgStore final : public SqlStore {
 public:
  PgStore(const std::string& uri, const std::string& where, const PgOptions& options)
      : SqlStore(
            SqlEngine::kPostgres, where,
            [uri, where, options] { return std::make_unique<PgConnection>(uri, where, options); },
            kConnections) {}

  std::string_view engine() const override { return "postgresql"; }

  void Backup(const std::string&) override {
    throw Error(ErrorCategory::kInput,
                "the PostgreSQL store " + where() + " is backed up by pg_dump, not by linesight",
                "run pg_dump -Fc -f linesight.dump '<store URI>' (restore with pg_restore)");
  }

 protected:
  int64_t DatabaseBytes(SqlConnection& c) override {
    int64_t bytes = 0;
    c.Query("SELECT pg_database_size(current_database())", {},
            [&](const SqlRow& r) { bytes = r.Int(0); });
    return bytes;
  }
};

}  // namespace

std::string RedactedUri(const std::string& uri) {
  const size_t scheme = uri.find("://");
  const size_t at = uri.find('@');
  if (scheme == std::string::npos || at == std::string::npos || at < scheme) return uri;
  const size_t colon = uri.find(':', scheme + 3);
  if (colon == std::string::npos || colon > at) return uri;
  return uri.substr(0, colon + 1) + "***" + uri.substr(at);
}

std::unique_ptr<Store> OpenPgStore(const std::string& uri, const PgOptions& options) {
  return std::make_unique<PgStore>(uri, RedactedUri(uri), options);
}

}  // namespace linesight::store
