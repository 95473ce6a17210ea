// cli/ordered_pool.h: runs numbered items on a bounded pool of threads and hands the results
// back in input order, so that a command's output reads the same whatever the thread count.
#pragma once

#include <functional>

namespace linesight::cli {

struct OrderedPoolOptions {
  int threads = 1;  // worker threads; 1 runs everything on the calling thread
  int window = 1;   // at most this many items started ahead of the last one emitted (>= threads)
};

// Calls work(i, worker) for i = 0 .. n-1, worker in [0, threads) (each worker's calls are
// sequential, so per-worker buffers need no lock), and emit(i) on the calling thread in order
// 0, 1, 2, ... once item i is done. A result can live in slot i % window until emit(i) returns.
// stop() is called on the calling thread between items; once it returns true no item starts,
// and the items already started are finished and emitted. Returns the number of items emitted.
// An exception from work or emit stops the pool and is rethrown once the workers have ended.
int RunInOrder(int n, const OrderedPoolOptions& options,
               const std::function<void(int item, int worker)>& work,
               const std::function<void(int item)>& emit, const std::function<bool()>& stop);

}  // namespace linesight::cli
