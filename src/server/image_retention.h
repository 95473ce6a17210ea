// server/image_retention.h: keeps the server's image folder within its cap: every image a reject,
// hold or reviewed part shows stays; images only good parts show go when old or over the cap,
// oldest first; files no part names (an upload whose batch never came) go after a grace period.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>

#include "store/image_folder.h"
#include "store/store.h"

namespace linesight::server {

struct RetentionOptions {
  int64_t cap_bytes = int64_t{100} << 30;  // the folder's size cap; 0 = no cap
  int keep_pass_days = 0;  // good parts' images go after this many days; 0 = only over the cap
  int64_t orphan_grace_ms = 24 * 3600'000;  // an image no part names goes after this long
  // A folder filling past its cap between sweeps is swept early, at most this often.
  int64_t earliest_resweep_ms = 30'000;
};

struct RetentionReport {
  int64_t files = 0, bytes = 0;  // in the folder after the sweep
  int64_t pass_deleted = 0, orphans_deleted = 0, bytes_freed = 0;
  // Over the cap with only images that must stay: the disk needs room or the cap a raise.
  bool over_cap = false;
};

// One sweep of `folder` against `store` at `now_ms`. Deletes files, then forgets them in the
// store. Safe beside ingest: an image is only deleted once no kept part names it, and orphans
// only after the grace period (a station PUTs images just before the batch naming them).
// Throws Error{kIo} if the store fails (files already deleted stay deleted and forgotten).
RetentionReport SweepImages(store::Store& store, store::ImageFolder& folder,
                            const RetentionOptions& options, int64_t now_ms);

// Sweeps `image_dir` on a thread of its own: at once, then every `interval`. Stops (ending a
// sweep in progress between two store calls at the latest) when destroyed.
class RetentionSweeper {
 public:
  RetentionSweeper(store::Store& store, const std::string& image_dir, RetentionOptions options,
                   std::chrono::seconds interval);
  ~RetentionSweeper();
  RetentionSweeper(const RetentionSweeper&) = delete;
  RetentionSweeper& operator=(const RetentionSweeper&) = delete;

  // The last sweep's report and how many have run (for /metrics and tests).
  RetentionReport last() const;
  int64_t sweeps() const;
  // Wakes the thread for a sweep now (tests, an admin's request).
  void SweepNow();
  // Counts an image of `bytes` just written to the folder. Once the folder may be over its cap
  // since the last sweep, sweeps at once rather than at the next interval (at most every
  // options.earliest_resweep_ms, and not while only images that must stay fill it).
  void Wrote(int64_t bytes);

 private:
  void Run();

  store::Store& store_;
  store::ImageFolder folder_;
  RetentionOptions options_;
  std::chrono::seconds interval_;
  mutable std::mutex mu_;
  std::condition_variable wake_;
  bool stop_ = false, now_ = false;
  int64_t written_ = 0;  // bytes written since the last sweep began
  std::chrono::steady_clock::time_point last_end_{};
  RetentionReport last_;
  int64_t sweeps_ = 0;
  std::string last_error_;
  std::thread thread_;
};

}  // namespace linesight::server
