#include "store/connection_pool.h"

#include <vector>

namespace linesight::store {

ConnectionPool::ConnectionPool(ConnectionFactory open, int size)
    : open_(std::move(open)), size_(size < 1 ? 1 : size) {}

ConnectionPool::Lease ConnectionPool::Acquire() {
  std::unique_lock lock(mutex_);
  returned_.wait(lock, [&] { return !idle_.empty() || open_count_ < size_; });
  if (!idle_.empty()) {
    auto c = std::move(idle_.back());
    idle_.pop_back();
    return Lease(*this, std::move(c));
  }
  ++open_count_;  // reserve the slot, then open without holding the lock
  lock.unlock();
  try {
    return Lease(*this, open_());
  } catch (...) {
    lock.lock();
    --open_count_;
    returned_.notify_one();
    throw;
  }
}

void ConnectionPool::Return(std::unique_ptr<SqlConnection> c) {
  std::vector<std::unique_ptr<SqlConnection>> broken;  // closed outside the lock
  {
    std::lock_guard lock(mutex_);
    if (c && c->healthy()) {
      idle_.push_back(std::move(c));
    } else {
      // A lost connection most often means the database restarted: the idle ones are lost too,
      // and each would fail its next call once. Open fresh ones instead.
      broken.push_back(std::move(c));
      for (auto& idle : idle_) broken.push_back(std::move(idle));
      open_count_ -= static_cast<int>(broken.size());
      idle_.clear();
    }
  }
  returned_.notify_all();
}

}  // namespace linesight::store
