// store/connection_pool.h: lends database connections to server threads, at most `size` open at
// once, opening them on demand; a connection found broken on return is closed, so the next call
// opens a fresh one, and the idle ones are closed with it (how the PostgreSQL store reconnects
// after the database restarts: every call after that opens a working connection).
// Thread-safe.
#pragma once

#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

#include "store/sql_connection.h"

namespace linesight::store {

using ConnectionFactory = std::function<std::unique_ptr<SqlConnection>()>;

class ConnectionPool {
 public:
  // `open` opens one connection (throws Error{kIo} if it cannot). REQUIRES: size >= 1.
  ConnectionPool(ConnectionFactory open, int size);

  // A borrowed connection, returned to the pool when the lease dies.
  class Lease {
   public:
    Lease(ConnectionPool& pool, std::unique_ptr<SqlConnection> c) : pool_(pool), c_(std::move(c)) {}
    ~Lease() { pool_.Return(std::move(c_)); }
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    SqlConnection& operator*() const { return *c_; }
    SqlConnection* operator->() const { return c_.get(); }

   private:
    ConnectionPool& pool_;
    std::unique_ptr<SqlConnection> c_;
  };

  // Waits for an idle connection or opens one. Throws Error{kIo} if opening fails.
  Lease Acquire();

 private:
  void Return(std::unique_ptr<SqlConnection> c);

  ConnectionFactory open_;
  const int size_;
  std::mutex mutex_;
  std::condition_variable returned_;
  std::vector<std::unique_ptr<SqlConnection>> idle_;
  int open_count_ = 0;  // idle + lent out
};

}  // namespace linesight::store
