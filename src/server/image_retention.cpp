#include "server/image_retention.h"
#include "core/clock.h"

#include <algorithm>
#include <iostream>
#include <unordered_map>
#include <unordered_set>

namespace linesight::server {
namespace {

constexpr int kBatch = 1000;  // images forgotten per store call

struct Folder {
  std::unordered_map<std::string, int64_t> bytes;  // name -> size
  int64_t total = 0;
};

// Deletes `names` from the folder and the store; returns the bytes freed.
int64_t Delete(store::Store& store, store::ImageFolder& folder, Folder& f,
               const std::vector<std::string>& names) {
  int64_t freed = 0;
  for (const std::string& name : names) {
    folder.Remove(name);
    if (auto it = f.bytes.find(name); it != f.bytes.end()) {
      freed += it->second;
      f.total -= it->second;
      f.bytes.erase(it);
    }
  }
  store.ForgetImages(names);
  return freed;
}

// Deletes the images only good parts shot before `before_ms` show, oldest first, while the
// folder holds more than `down_to` bytes (-1: all of them).
int64_t DeletePassImages(store::Store& store, store::ImageFolder& folder, Folder& f,
                         int64_t before_ms, int64_t down_to, RetentionReport& report) {
  int64_t freed = 0;
  while (f.total > down_to) {
    const std::vector<std::string> names = store.DisposableImages(before_ms, kBatch);
    if (names.empty()) break;
    // Only as many as it takes to get under the cap.
    std::vector<std::string> batch;
    for (int64_t after = f.total; const std::string& n : names) {
      if (after <= down_to) break;
      batch.push_back(n);
      if (auto it = f.bytes.find(n); it != f.bytes.end()) after -= it->second;
    }
    freed += Delete(store, folder, f, batch);
    report.pass_deleted += static_cast<int64_t>(batch.size());
  }
  return freed;
}

}  // namespace

RetentionReport SweepImages(store::Store& store, store::ImageFolder& folder,
                            const RetentionOptions& options, int64_t now_ms) {
  RetentionReport report;
  Folder f;
  std::vector<store::ImageFolder::Entry> entries = folder.List();
  for (const auto& e : entries) {
    f.bytes[e.name] = e.bytes;
    f.total += e.bytes;
  }
  // Orphans first: they are nobody's record.
  const std::vector<std::string> named = store.NamedImages();
  const std::unordered_set<std::string> known(named.begin(), named.end());
  std::vector<std::string> orphans;
  for (const auto& e : entries)
    if (!known.count(e.name) && e.modified_ms < now_ms - options.orphan_grace_ms)
      orphans.push_back(e.name);
  for (size_t at = 0; at < orphans.size(); at += kBatch) {
    const std::vector<std::string> batch(
        orphans.begin() + static_cast<std::ptrdiff_t>(at),
        orphans.begin() + static_cast<std::ptrdiff_t>(std::min(orphans.size(), at + kBatch)));
    report.bytes_freed += Delete(store, folder, f, batch);
    report.orphans_deleted += static_cast<int64_t>(batch.size());
  }
  if (options.keep_pass_days > 0) {
    const int64_t before = now_ms - int64_t{options.keep_pass_days} * 86'400'000;
    report.bytes_freed += DeletePassImages(store, folder, f, before, -1, report);
  }
  if (options.cap_bytes > 0) {
    report.bytes_freed += DeletePassImages(store, folder, f, now_ms + 1, options.cap_bytes, report);
    report.over_cap = f.total > options.cap_bytes;
  }
  report.files = static_cast<int64_t>(f.bytes.size());
  report.bytes = f.total;
  return report;
}

RetentionSweeper::RetentionSweeper(store::Store& store, const std::string& image_dir,
                                   RetentionOptions options, std::chrono::seconds interval)
    : store_(store),
      folder_(image_dir, false),
      options_(options),
      interval_(interval),
      thread_([this] { Run(); }) {}

RetentionSweeper::~RetentionSweeper() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

RetentionReport RetentionSweeper::last() const {
  std::lock_guard lock(mu_);
  return last_;
}

int64_t RetentionSweeper::sweeps() const {
  std::lock_guard lock(mu_);
  return sweeps_;
}

void RetentionSweeper::SweepNow() {
  {
    std::lock_guard lock(mu_);
    now_ = true;
  }
  wake_.notify_all();
}

void RetentionSweeper::Wrote(int64_t bytes) {
  if (options_.cap_bytes <= 0) return;
  {
    std::lock_guard lock(mu_);
    written_ += bytes;
    if (now_ || last_.over_cap || last_.bytes + written_ <= options_.cap_bytes ||
        std::chrono::steady_clock::now() - last_end_ <
            std::chrono::milliseconds(options_.earliest_resweep_ms))
      return;
    now_ = true;
  }
  wake_.notify_all();
}

void RetentionSweeper::Run() {
  for (;;) {
    {
      std::lock_guard lock(mu_);
      written_ = 0;  // what is written from here on may not be in this sweep's count
    }
    RetentionReport report;
    std::string error;
    try {
      report = SweepImages(store_, folder_, options_, UtcNowMs());
    } catch (const std::exception& e) {
      error = e.what();
    }
    std::unique_lock lock(mu_);
    if (!error.empty() && error != last_error_)
      std::cerr << "image retention: sweep failed (retried next interval): " << error << "\n";
    if (report.over_cap && !last_.over_cap)
      std::cerr << "image retention: " << folder_.dir().string() << " holds " << report.bytes
                << " bytes, over its cap of " << options_.cap_bytes
                << ", and every image left belongs to a reject, hold or reviewed part: give the "
                   "disk room or raise --image-cap-gb\n";
    last_error_ = error;
    if (error.empty()) last_ = report;
    ++sweeps_;
    last_end_ = std::chrono::steady_clock::now();
    wake_.wait_for(lock, interval_, [this] { return stop_ || now_; });
    if (stop_) return;
    now_ = false;
  }
}

}  // namespace linesight::server
