#include "store/sqlite_store.h"

#include <cmath>
#include <filesystem>
#include <unordered_map>

#include "core/error.h"
#include "store/sql_store.h"
#include "store/sqlite_db.h"

namespace linesight::store {
namespace {

namespace fs = std::filesystem;

// Readers run beside the writer in WAL mode; more connections than server threads buy nothing.
constexpr int kConnections = 4;

// "$1" placeholders (shared with PostgreSQL) as SQLite's numbered "?1".
std::string SqliteText(std::string_view sql) {
  std::string s(sql);
  for (char& ch : s)
    if (ch == '$') ch = '?';
  return s;
}

class SqliteRow final : public SqlRow {
 public:
  explicit SqliteRow(const Statement& s) : s_(s) {}
  bool IsNull(int column) const override { return s_.IsNull(column); }
  int64_t Int(int column) const override { return s_.Int(column); }
  double Double(int column) const override { return s_.Double(column); }
  std::string Text(int column) const override { return s_.Text(column); }

 private:
  const Statement& s_;
};

// Resets a cached statement when a call ends, also by an exception, so that it holds no lock.
struct Finish {
  Statement& s;
  ~Finish() { s.Reset(); }
};

class SqliteConnection final : public SqlConnection {
 public:
  explicit SqliteConnection(const std::string& path) : db_(path) {
    db_.Exec("PRAGMA busy_timeout = 10000");
    Statement wal = db_.Prepare("PRAGMA journal_mode = WAL");
    if (!wal.Step() || wal.Text(0) != "wal")
      throw Error(ErrorCategory::kIo, "cannot switch " + path + " to write-ahead logging",
                  "put the store on a local file system that supports shared memory (not NFS)");
    // FULL: a batch acknowledged to a station survives a power cut (one fsync per batch).
    db_.Exec("PRAGMA synchronous = FULL");
  }

  int64_t Exec(std::string_view sql, std::span<const SqlValue> params) override {
    Statement& s = Bound(sql, params);
    const Finish finish{s};
    s.Run();
    return db_.Changes();
  }

  void Query(std::string_view sql, std::span<const SqlValue> params,
             const std::function<void(const SqlRow&)>& row) override {
    Statement& s = Bound(sql, params);
    const Finish finish{s};
    const SqliteRow r(s);
    while (s.Step()) row(r);
  }

  void ExecScript(std::string_view sql) override { db_.Exec(sql); }
  void Begin(TxKind kind) override {
    db_.Exec(kind == TxKind::kRead ? "BEGIN" : "BEGIN IMMEDIATE");
  }
  void Commit() override { db_.Exec("COMMIT"); }
  void Rollback() noexcept override {
    try {
      db_.Exec("ROLLBACK");
    } catch (const Error&) {
      // SQLite may have rolled back on its own (e.g. after SQLITE_FULL); nothing is stored.
    }
  }
  bool healthy() const override { return true; }

 private:
  // The cached statement for `sql`, reset and bound to `params`.
  Statement& Bound(std::string_view sql, std::span<const SqlValue> params) {
    auto it = cache_.find(std::string(sql));
    if (it == cache_.end())
      // new, not make_unique: a Statement cannot move; this builds it in place from Prepare().
      it =
          cache_
              .emplace(sql, std::unique_ptr<Statement>(new Statement(db_.Prepare(SqliteText(sql)))))
              .first;
    Statement& s = *it->second;
    s.Reset();
    for (size_t i = 0; i < params.size(); ++i) Bind(s, static_cast<int>(i + 1), params[i]);
    return s;
  }

  static void Bind(Statement& s, int i, const SqlValue& v) {
    if (const auto* n = std::get_if<int64_t>(&v)) {
      s.Bind(i, *n);
    } else if (const auto* d = std::get_if<double>(&v)) {
      if (std::isnan(*d))
        s.BindNull(i);
      else
        s.Bind(i, *d);
    } else if (const auto* t = std::get_if<std::string_view>(&v)) {
      s.Bind(i, *t);
    } else {
      s.BindNull(i);
    }
  }

  SqliteDb db_;
  std::unordered_map<std::string, std::unique_ptr<Statement>> cache_;
};

int64_t FileBytes(const std::string& path) {
  std::error_code ec;
  const auto n = fs::file_size(path, ec);
  return ec ? 0 : static_cast<int64_t>(n);
}

class SqliteStore final : public SqlStore {
 public:
  explicit SqliteStore(const std::string& path)
      : SqlStore(
            SqlEngine::kSqlite, path, [path] { return std::make_unique<SqliteConnection>(path); },
            kConnections),
        path_(path) {}

  std::string_view engine() const override { return "sqlite"; }

  void Backup(const std::string& path) override {
    if (fs::exists(path))
      throw Error(ErrorCategory::kInput, "the backup file " + path + " already exists",
                  "remove it or name a new file");
    const SqlValue params[] = {std::string_view(path)};
    auto c = Connection();
    c->Exec("VACUUM INTO $1", params);  // a consistent, compact copy; writers keep going
  }

 protected:
  int64_t DatabaseBytes(SqlConnection&) override {
    return FileBytes(path_) + FileBytes(path_ + "-wal");
  }

 private:
  std::string path_;
};

}  // namespace

std::unique_ptr<Store> OpenSqliteStore(const std::string& path) {
  const fs::path parent = fs::path(path).parent_path();
  std::error_code ec;
  if (!parent.empty()) fs::create_directories(parent, ec);
  return std::make_unique<SqliteStore>(path);
}

}  // namespace linesight::store
