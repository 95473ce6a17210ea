#include "store/sqlite_db.h"

#include <sqlite3.h>

#include <limits>

#include "core/error.h"

namespace linesight::store {
namespace {

// Cause and fix for a failed SQLite call, by primary result code.
std::pair<std::string, std::string> Explain(int rc, const std::string& path) {
  switch (rc & 0xff) {
    case SQLITE_FULL:
      return {"the disk holding " + path + " is full",
              "free space on that disk (a station's outbox: or raise its size limit); nothing of "
              "the failed write was kept, and it can be made again once there is room"};
    case SQLITE_READONLY:
      return {path + " is read-only", "make the file and its folder writable by linesight"};
    case SQLITE_IOERR:
      return {"an I/O error on " + path, "check the disk (dmesg, SMART) and free space"};
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return {path + " is corrupt or not a linesight database",
              "a station's outbox: restart linesight, it moves the file aside and starts a fresh "
              "one; the server's store: restore it from a backup"};
    case SQLITE_CANTOPEN:
      return {"cannot open " + path, "check that the folder exists and is writable"};
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return {path + " is locked by another process",
              "run one station per outbox file, or wait for the other process to finish"};
    case SQLITE_PERM:
    case SQLITE_AUTH:
      return {"no permission to access " + path, "give linesight's user access to the file"};
    default:
      return {"SQLite failed on " + path, "report this with the message above"};
  }
}

}  // namespace

Statement::~Statement() { sqlite3_finalize(stmt_); }

Statement& Statement::Bind(int index, int64_t value) {
  const int rc = sqlite3_bind_int64(stmt_, index, value);
  if (rc != SQLITE_OK) db_.Fail(rc, "binding a value");
  return *this;
}

Statement& Statement::Bind(int index, std::string_view text) {
  const int rc =
      sqlite3_bind_text64(stmt_, index, text.data(), text.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
  if (rc != SQLITE_OK) db_.Fail(rc, "binding a value");
  return *this;
}

Statement& Statement::Bind(int index, double value) {
  const int rc = sqlite3_bind_double(stmt_, index, value);
  if (rc != SQLITE_OK) db_.Fail(rc, "binding a value");
  return *this;
}

Statement& Statement::BindNull(int index) {
  const int rc = sqlite3_bind_null(stmt_, index);
  if (rc != SQLITE_OK) db_.Fail(rc, "binding a value");
  return *this;
}

bool Statement::Step() {
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  db_.Fail(rc, sqlite3_sql(stmt_));
}

void Statement::Run() {
  while (Step()) {
  }
}

void Statement::Reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

int64_t Statement::Int(int column) const { return sqlite3_column_int64(stmt_, column); }

std::string Statement::Text(int column) const {
  const auto* text = sqlite3_column_text(stmt_, column);
  if (!text) return {};
  return std::string(reinterpret_cast<const char*>(text),
                     static_cast<size_t>(sqlite3_column_bytes(stmt_, column)));
}

double Statement::Double(int column) const {
  if (IsNull(column)) return std::numeric_limits<double>::quiet_NaN();
  return sqlite3_column_double(stmt_, column);
}

bool Statement::IsNull(int column) const {
  return sqlite3_column_type(stmt_, column) == SQLITE_NULL;
}

SqliteDb::SqliteDb(const std::string& path) : path_(path) {
  // One connection, serialised by its owner: SQLite's own mutexes would only add cost.
  const int rc =
      sqlite3_open_v2(path.c_str(), &db_,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    const auto [cause, fix] = Explain(rc, path_);
    const std::string detail = db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
    sqlite3_close(db_);
    db_ = nullptr;
    throw Error(ErrorCategory::kIo, cause + " (opening it: " + detail + ")", fix);
  }
  sqlite3_extended_result_codes(db_, 1);
}

SqliteDb::~SqliteDb() { sqlite3_close(db_); }

void SqliteDb::Exec(std::string_view sql) {
  const std::string text(sql);
  const int rc = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) Fail(rc, text);
}

Statement SqliteDb::Prepare(std::string_view sql) {
  sqlite3_stmt* stmt = nullptr;
  const int rc = sqlite3_prepare_v2(db_, sql.data(), static_cast<int>(sql.size()), &stmt, nullptr);
  if (rc != SQLITE_OK) {
    sqlite3_finalize(stmt);
    Fail(rc, sql);
  }
  return Statement(stmt, *this);
}

int64_t SqliteDb::QueryInt(std::string_view sql) {
  Statement s = Prepare(sql);
  return s.Step() ? s.Int(0) : 0;
}

std::string SqliteDb::CheckHealth() {
  sqlite3_stmt* stmt = nullptr;
  int rc = sqlite3_prepare_v2(db_, "PRAGMA quick_check(5)", -1, &stmt, nullptr);
  std::string problems;
  while (rc == SQLITE_OK && (rc = sqlite3_step(stmt)) == SQLITE_ROW) {
    const auto* row = sqlite3_column_text(stmt, 0);
    const std::string line = row ? reinterpret_cast<const char*>(row) : "";
    if (line != "ok") problems += (problems.empty() ? "" : "; ") + line;
  }
  sqlite3_finalize(stmt);
  if (rc == SQLITE_DONE || rc == SQLITE_ROW) return problems;
  const int primary = rc & 0xff;
  if (primary == SQLITE_NOTADB || primary == SQLITE_CORRUPT) return sqlite3_errstr(rc);
  Fail(rc, "checking the file (PRAGMA quick_check)");
}

int64_t SqliteDb::LastInsertRowId() const { return sqlite3_last_insert_rowid(db_); }

int64_t SqliteDb::Changes() const { return sqlite3_changes64(db_); }

void SqliteDb::Fail(int rc, std::string_view doing) const {
  const auto [cause, fix] = Explain(rc, path_);
  throw Error(ErrorCategory::kIo,
              cause + " (" + sqlite3_errmsg(db_) + ", while running: " + std::string(doing) + ")",
              fix);
}

Transaction::Transaction(SqliteDb& db) : db_(db) { db_.Exec("BEGIN IMMEDIATE"); }

Transaction::~Transaction() {
  if (!open_) return;
  try {
    db_.Exec("ROLLBACK");
  } catch (const Error&) {
    // SQLite may already have rolled back on its own (e.g. after SQLITE_FULL); nothing is stored.
  }
}

void Transaction::Commit() {
  db_.Exec("COMMIT");
  open_ = false;
}

}  // namespace linesight::store
