// store/sql_connection.h: what the server store needs from a database connection, so that one
// implementation of the queries (sql_store.h) runs on SQLite and PostgreSQL alike. SQL text uses
// $1, $2, ... for parameters in both engines (the SQLite connection rewrites them to ?1, ?2).
// A connection is used by one thread at a time (the pool in sql_store.h lends it out).
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <variant>

namespace linesight::store {

// A parameter value. NaN doubles are bound as NULL. Strings are borrowed for the call only.
using SqlValue = std::variant<std::nullptr_t, int64_t, double, std::string_view>;

// One result row, valid only inside the callback that receives it. Column indexes start at 0.
class SqlRow {
 public:
  virtual ~SqlRow() = default;
  virtual bool IsNull(int column) const = 0;
  virtual int64_t Int(int column) const = 0;
  virtual double Double(int column) const = 0;  // NULL reads as NaN
  virtual std::string Text(int column) const = 0;
};

// Which write a transaction does; PostgreSQL serialises ingests across processes.
enum class TxKind : uint8_t { kRead, kWrite, kIngest, kMigrate };

class SqlConnection {
 public:
  virtual ~SqlConnection() = default;
  // Runs one statement; returns the rows it changed. Throws Error{kIo} naming the cause.
  virtual int64_t Exec(std::string_view sql, std::span<const SqlValue> params) = 0;
  // Runs one query and calls `row` for each result row.
  virtual void Query(std::string_view sql, std::span<const SqlValue> params,
                     const std::function<void(const SqlRow&)>& row) = 0;
  // Runs several statements without parameters (schema migrations).
  virtual void ExecScript(std::string_view sql) = 0;
  // Starts a transaction of `kind` (SQLite: BEGIN IMMEDIATE for writes; PostgreSQL: BEGIN, plus
  // an advisory lock for ingests and migrations).
  virtual void Begin(TxKind kind) = 0;
  virtual void Commit() = 0;
  // Never throws: a connection that cannot roll back is marked broken.
  virtual void Rollback() noexcept = 0;
  // False once the connection is lost (the pool then drops it and opens a new one).
  virtual bool healthy() const = 0;
};

// Begin() on construction; Rollback() on destruction unless Commit() ran.
class SqlTransaction {
 public:
  SqlTransaction(SqlConnection& c, TxKind kind) : c_(c) { c_.Begin(kind); }
  ~SqlTransaction() {
    if (open_) c_.Rollback();
  }
  SqlTransaction(const SqlTransaction&) = delete;
  SqlTransaction& operator=(const SqlTransaction&) = delete;
  void Commit() {
    c_.Commit();
    open_ = false;
  }

 private:
  SqlConnection& c_;
  bool open_ = true;
};

}  // namespace linesight::store
