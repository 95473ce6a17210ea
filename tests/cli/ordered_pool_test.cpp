#include "cli/ordered_pool.h"

#include <atomic>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace linesight::cli {
namespace {

TEST(OrderedPoolTest, EmitsEveryItemInOrderWithinTheWindow) {
  for (int threads : {1, 2, 3, 8})
    for (int n : {0, 1, 5, 100}) {
      OrderedPoolOptions o;
      o.threads = threads;
      o.window = 2 * threads;
      std::vector<int> results(static_cast<size_t>(o.window), -1), emitted;
      std::atomic<int> in_flight{0}, max_in_flight{0};
      auto work = [&](int i, int w) {
        EXPECT_GE(w, 0);
        EXPECT_LT(w, threads);
        const int f = ++in_flight;
        int m = max_in_flight.load();
        while (f > m && !max_in_flight.compare_exchange_weak(m, f)) {
        }
        if (i % 7 == 0) std::this_thread::yield();  // finish out of order now and then
        results[static_cast<size_t>(i % o.window)] = i * i;
        --in_flight;
      };
      auto emit = [&](int i) {
        EXPECT_EQ(results[static_cast<size_t>(i % o.window)], i * i) << i;
        emitted.push_back(i);
      };
      EXPECT_EQ(RunInOrder(n, o, work, emit, [] { return false; }), n);
      ASSERT_EQ(emitted.size(), static_cast<size_t>(n)) << threads;
      for (int i = 0; i < n; ++i) EXPECT_EQ(emitted[static_cast<size_t>(i)], i);
      EXPECT_LE(max_in_flight.load(), threads);
    }
}

TEST(OrderedPoolTest, StopEndsAfterTheItemsStartedAndEmitsThemInOrder) {
  for (int threads : {1, 4}) {
    OrderedPoolOptions o;
    o.threads = threads;
    o.window = 8;
    std::vector<int> emitted;
    const int done = RunInOrder(
        1000, o, [](int, int) {}, [&](int i) { emitted.push_back(i); },
        [&] { return emitted.size() >= 20; });
    EXPECT_EQ(done, static_cast<int>(emitted.size()));
    EXPECT_GE(done, 20);
    EXPECT_LE(done, 20 + o.window) << "no more than the window runs past the stop";
    for (int i = 0; i < done; ++i) EXPECT_EQ(emitted[static_cast<size_t>(i)], i);
  }
}

TEST(OrderedPoolTest, AnExceptionInWorkIsRethrownAfterTheWorkersEnd) {
  for (int threads : {1, 3}) {
    OrderedPoolOptions o;
    o.threads = threads;
    o.window = 6;
    EXPECT_THROW(RunInOrder(
                     100, o,
                     [](int i, int) {
                       if (i == 17) throw std::runtime_error("boom");
                     },
                     [](int) {}, [] { return false; }),
                 std::runtime_error);
  }
}

}  // namespace
}  // namespace linesight::cli
