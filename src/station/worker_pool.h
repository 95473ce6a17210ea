// station/worker_pool.h: a fixed pool of inspection threads, each owning one Workspace and one
// Verdict that it reuses part after part, so inspecting allocates nothing per frame once warm.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "inspect/inspector.h"

namespace linesight::station {

class WorkerPool {
 public:
  // A task runs on one worker with that worker's scratch.
  using Task = std::function<void(Workspace&, Verdict&)>;

  explicit WorkerPool(int workers);
  ~WorkerPool();  // finishes queued tasks, then joins

  // Runs every task of `batch` on the pool and returns when all are done.
  void RunAll(std::vector<Task>& batch);

 private:
  void Work();

  std::mutex mu_;
  std::condition_variable wake_, done_;
  std::deque<Task*> queue_;
  int running_ = 0;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace linesight::station
