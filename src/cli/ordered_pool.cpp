#include "cli/ordered_pool.h"

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

namespace linesight::cli {

int RunInOrder(int n, const OrderedPoolOptions& options, const std::function<void(int, int)>& work,
               const std::function<void(int)>& emit, const std::function<bool()>& stop) {
  const int threads = std::max(1, std::min(options.threads, n));
  if (threads == 1) {
    int i = 0;
    for (; i < n && !stop(); ++i) {
      work(i, 0);
      emit(i);
    }
    return i;
  }
  const int window = std::max(options.window, threads);
  std::mutex m;
  std::condition_variable started_cv, done_cv;
  std::vector<char> done(static_cast<size_t>(window), 0);
  int next = 0, emitted = 0;
  bool stopping = false;
  std::exception_ptr error;
  auto worker = [&](int w) {
    for (;;) {
      int i;
      {
        std::unique_lock lock(m);
        started_cv.wait(lock, [&] { return stopping || next >= n || next < emitted + window; });
        if (stopping || next >= n) return;
        i = next++;
      }
      try {
        work(i, w);
      } catch (...) {
        std::lock_guard lock(m);
        if (!error) error = std::current_exception();
        stopping = true;
        started_cv.notify_all();
      }
      std::lock_guard lock(m);
      done[static_cast<size_t>(i % window)] = 1;
      done_cv.notify_one();
    }
  };
  std::vector<std::thread> pool;
  for (int w = 0; w < threads; ++w) pool.emplace_back(worker, w);
  {
    std::unique_lock lock(m);
    for (;;) {
      if (!stopping && stop()) {
        stopping = true;
        started_cv.notify_all();
      }
      const size_t slot = static_cast<size_t>(emitted % window);
      // Wake now and then to look at stop() while a slow item is in work.
      done_cv.wait_for(lock, std::chrono::milliseconds(50),
                       [&] { return done[slot] || (emitted == next && (stopping || next >= n)); });
      if (done[slot]) {
        done[slot] = 0;
        if (!error) {
          lock.unlock();
          try {
            emit(emitted);
          } catch (...) {
            lock.lock();
            error = std::current_exception();
            stopping = true;
            started_cv.notify_all();
            lock.unlock();
          }
          lock.lock();
        }
        ++emitted;
        started_cv.notify_all();
        continue;
      }
      if (emitted == next && (stopping || next >= n)) break;
    }
  }
  for (auto& t : pool) t.join();
  if (error) std::rethrow_exception(error);
  return emitted;
}

}  // namespace linesight::cli
