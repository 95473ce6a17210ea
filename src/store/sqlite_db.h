// store/sqlite_db.h: a small RAII wrapper over one sqlite3 connection and its statements, turning
// SQLite's result codes into linesight::Error{kIo} that name the cause and the fix.
// Not thread-safe: the owner serialises every call on one connection.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

struct sqlite3;
struct sqlite3_stmt;

namespace linesight::store {

// One prepared statement. Bind indexes start at 1, column indexes at 0, as in SQLite.
class Statement {
 public:
  Statement(sqlite3_stmt* stmt, const class SqliteDb& db) : stmt_(stmt), db_(db) {}
  ~Statement();
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  Statement& Bind(int index, int64_t value);
  Statement& Bind(int index, std::string_view text);
  Statement& Bind(int index, double value);
  Statement& BindNull(int index);
  // Runs one step. Returns true if a row is ready to read, false when done.
  // Throws Error{kIo} naming the cause (disk full, read-only, I/O error, corrupt file).
  bool Step();
  // Runs the statement to the end (for writes).
  void Run();
  // Rewinds the statement so it can run again with new bindings.
  void Reset();
  int64_t Int(int column) const;
  std::string Text(int column) const;
  double Double(int column) const;
  bool IsNull(int column) const;

 private:
  sqlite3_stmt* stmt_;
  const SqliteDb& db_;
};

// One open connection to a database file.
class SqliteDb {
 public:
  // Opens (or creates) the file at `path`. Throws Error{kIo} if it cannot be opened.
  explicit SqliteDb(const std::string& path);
  ~SqliteDb();
  SqliteDb(const SqliteDb&) = delete;
  SqliteDb& operator=(const SqliteDb&) = delete;

  // Runs one or more statements that return no rows we need. Throws Error{kIo}.
  void Exec(std::string_view sql);
  // Compiles `sql`. Throws Error{kIo} (a malformed file shows up here as well).
  Statement Prepare(std::string_view sql);
  // The single integer a query such as "PRAGMA user_version" returns.
  int64_t QueryInt(std::string_view sql);
  // Runs PRAGMA quick_check. Returns "" for a healthy database, else what is wrong with the file
  // (not a database, corrupt pages). Throws Error{kIo} for failures that say nothing about the
  // file's contents (locked, no permission, I/O error).
  std::string CheckHealth();
  int64_t LastInsertRowId() const;
  // Rows changed by the last INSERT, UPDATE or DELETE.
  int64_t Changes() const;

  const std::string& path() const { return path_; }
  // Throws the Error for result code `rc` while `doing` something; the message names the file.
  [[noreturn]] void Fail(int rc, std::string_view doing) const;

 private:
  std::string path_;
  sqlite3* db_ = nullptr;
};

// BEGIN IMMEDIATE on construction; rolls back on destruction unless Commit() ran. Holding it
// means nobody else writes the file until it ends.
class Transaction {
 public:
  explicit Transaction(SqliteDb& db);
  ~Transaction();
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  // Commits (and, with synchronous=FULL, syncs). Throws Error{kIo}; the transaction is then
  // rolled back and nothing of it is stored.
  void Commit();

 private:
  SqliteDb& db_;
  bool open_ = true;
};

}  // namespace linesight::store
