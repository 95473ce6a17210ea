#include "station/worker_pool.h"

namespace linesight::station {

WorkerPool::WorkerPool(int workers) {
  for (int i = 0; i < std::max(1, workers); ++i) threads_.emplace_back([this] { Work(); });
}

WorkerPool::~WorkerPool() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  for (auto& t : threads_) t.join();
}

void WorkerPool::RunAll(std::vector<Task>& batch) {
  std::unique_lock lock(mu_);
  for (auto& task : batch) queue_.push_back(&task);
  wake_.notify_all();
  done_.wait(lock, [&] { return queue_.empty() && running_ == 0; });
}

void WorkerPool::Work() {
  Workspace ws;
  Verdict verdict;
  std::unique_lock lock(mu_);
  for (;;) {
    wake_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
    if (queue_.empty()) return;  // stopping, nothing left
    Task* task = queue_.front();
    queue_.pop_front();
    ++running_;
    lock.unlock();
    (*task)(ws, verdict);
    lock.lock();
    --running_;
    if (queue_.empty() && running_ == 0) done_.notify_all();
  }
}

}  // namespace linesight::station
