// Prints how many parts per second the outbox stores on this disk, and how long a retention batch
// holds its lock (never asserted: figures, not tests). Disabled by default; run them with
//   build/release/tests/store_tests --gtest_also_run_disabled_tests --gtest_filter='OutboxBench.*'
// Measured: Put with synchronous FULL and NORMAL, Put with a 60 kB image, PutMany in batches;
// PruneSent of 100 and 500 sent parts with an image each (the worst case for a batch).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <functional>

#include <gtest/gtest.h>

#include "core/clock.h"
#include "store/outbox.h"
#include "store/sample_parts.h"
#include "testing/test_util.h"

namespace linesight::store {
namespace {

using linesight::testing::TempDir;
using testing::ImageBytes;
using testing::SamplePart;

// Runs `put(first_shot, n)` on a fresh outbox 3 times after a warm-up; prints parts/s.
void Measure(const char* what, OutboxSync sync, int n,
             const std::function<void(Outbox&, int64_t, int)>& put) {
  std::vector<double> rates;
  for (int run = 0; run < 4; ++run) {
    TempDir dir;
    OutboxOptions o;
    o.path = (dir / "outbox.db").string();
    o.sync = sync;
    Outbox box(o);
    put(box, 1'000'000, 20);  // warm-up: file created, pages allocated
    const auto start = std::chrono::steady_clock::now();
    put(box, 1, n);
    const double s =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (run > 0) rates.push_back(n / s);
  }
  double sum = 0;
  for (double r : rates) sum += r;
  std::printf("%-34s parts/s min %8.0f  max %8.0f  avg %8.0f\n", what,
              *std::min_element(rates.begin(), rates.end()),
              *std::max_element(rates.begin(), rates.end()), sum / rates.size());
}

void PutEach(Outbox& box, int64_t first, int n) {
  for (int i = 0; i < n; ++i) box.Put(SamplePart(first + i));
}

void PutEachWithImage(Outbox& box, int64_t first, int n) {
  for (int i = 0; i < n; ++i) {
    const auto bytes = ImageBytes(static_cast<uint32_t>(first + i), 60'000);
    box.Put(SamplePart(first + i, Decision::kReject), {{"top", ImageBlob{bytes, "png"}}});
  }
}

std::function<void(Outbox&, int64_t, int)> PutInBatches(int batch) {
  return [batch](Outbox& box, int64_t first, int n) {
    std::vector<PartRecord> parts;
    for (int i = 0; i < n; ++i) {
      parts.push_back(SamplePart(first + i));
      if (static_cast<int>(parts.size()) == batch || i == n - 1) {
        box.PutMany(parts);
        parts.clear();
      }
    }
  };
}

TEST(OutboxBench, DISABLED_PrintsPutRates) {
  Measure("Put, synchronous FULL", OutboxSync::kFull, 300, PutEach);
  Measure("Put, synchronous NORMAL", OutboxSync::kNormal, 3000, PutEach);
  Measure("Put + 60 kB image, FULL", OutboxSync::kFull, 200, PutEachWithImage);
  Measure("Put + 60 kB image, NORMAL", OutboxSync::kNormal, 1000, PutEachWithImage);
  Measure("PutMany batch 10, FULL", OutboxSync::kFull, 3000, PutInBatches(10));
  Measure("PutMany batch 100, FULL", OutboxSync::kFull, 10000, PutInBatches(100));
}

// The outbox's lock is held for one PruneSent call; the line's Put waits that long at most.
TEST(OutboxBench, DISABLED_PrintsPruneBatchTimes) {
  for (const int rows : {100, 500}) {
    std::vector<double> ms;
    for (int run = 0; run < 3; ++run) {
      TempDir dir;
      OutboxOptions o;
      o.path = (dir / "outbox.db").string();
      Outbox box(o);
      std::vector<std::string> ids;
      for (int i = 0; i < rows; ++i) {
        const auto bytes = ImageBytes(static_cast<uint32_t>(i), 20'000);
        box.Put(SamplePart(i + 1, Decision::kReject), {{"top", ImageBlob{bytes, "png"}}});
        ids.push_back(SamplePart(i + 1).part_id);
      }
      box.MarkPartsSent(ids);
      const auto start = std::chrono::steady_clock::now();
      const int64_t pruned = box.PruneSent(UtcNowMs() + 2 * kDayMs, kDayMs, rows);
      ms.push_back(
          std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
              .count());
      EXPECT_EQ(pruned, rows);
    }
    std::printf("PruneSent, %4d parts with an image: ms min %6.1f  max %6.1f\n", rows,
                *std::min_element(ms.begin(), ms.end()), *std::max_element(ms.begin(), ms.end()));
  }
}

}  // namespace
}  // namespace linesight::store
