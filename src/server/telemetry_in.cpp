#include "server/telemetry_in.h"

#include <chrono>
#include <iostream>

#include "core/clock.h"
#include "core/error.h"
#include "process/telemetry.h"
#include "server/server_context.h"

namespace linesight::server {
namespace {

constexpr size_t kShotsPerTransaction = 500;  // shots per store transaction
constexpr size_t kQueueMax = 200000;  // shots held while the store is away (~hours of a cell)
constexpr auto kFlushEvery = std::chrono::milliseconds(200);
constexpr auto kRetryEvery = std::chrono::seconds(2);
constexpr auto kStopGrace = std::chrono::seconds(5);  // a stop tries the store this long more
constexpr auto kStopRetryEvery = std::chrono::milliseconds(500);
constexpr int64_t kLoggedRefusals = 5;  // the first few refusals are logged, then every 1000th
constexpr size_t kLoggedKeysMax = 50;   // distinct unknown keys named in the log

// A key as the log may show it: control characters (a line break would forge a log line) as
// '?', and at most 64 characters.
std::string Printable(std::string_view key) {
  std::string out(key.substr(0, 64));
  for (char& c : out)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F) c = '?';
  return key.size() > 64 ? out + "..." : out;
}

}  // namespace

TelemetryIn::TelemetryIn(store::Store& store, io::MqttSubscribeOptions mqtt) : store_(store) {
  if (mqtt.topic.empty()) mqtt.topic = "linesight/v1/+/+/+/telemetry";
  if (!mqtt.log)
    mqtt.log = [](const std::string& line) { std::cerr << "telemetry: " << line << "\n"; };
  storer_ = std::thread([this] { StoreLoop(); });
  try {
    mqtt_ = std::make_unique<io::MqttSubscriber>(
        mqtt, [this](const std::string& t, const std::string& p) { OnMessage(t, p); });
  } catch (...) {
    {
      std::lock_guard lock(mu_);
      stopping_ = true;
    }
    wake_.notify_all();
    storer_.join();
    throw;
  }
}

TelemetryIn::~TelemetryIn() {
  mqtt_.reset();  // no more messages
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  storer_.join();
}

void TelemetryIn::OnMessage(const std::string& topic, const std::string& payload) {
  process::Telemetry t;
  std::string refusal;
  try {
    t = process::ParseTelemetry(topic, payload, UtcNowMs());
  } catch (const Error& e) {
    refusal = topic + ": " + e.what();
  }
  int64_t refused = 0;
  std::string notes;  // what a publisher should hear of once: misspelt keys, sensor faults
  {
    std::lock_guard lock(mu_);
    ++stats_.received;
    if (!refusal.empty()) {
      refused = ++stats_.refused;
      stats_.last_refusal = refusal;
    } else {
      stats_.implausible += static_cast<int64_t>(t.implausible.size());
      stats_.ignored_keys += static_cast<int64_t>(t.ignored.size());
      notes = NotesOnce(t);
      // Full only when the store has been away for hours: the newest are dropped, so the
      // batch being stored (the oldest) stays where Flush() expects it.
      if (queue_.size() >= kQueueMax)
        ++stats_.dropped;
      else
        queue_.push_back(std::move(t.shot));
    }
  }
  if (!notes.empty()) std::cerr << notes;
  if (refused > 0 && (refused <= kLoggedRefusals || refused % 1000 == 0))
    std::cerr << "telemetry: refused a message (" << refused << " so far): " << refusal << "\n";
  if (refusal.empty()) wake_.notify_all();
}

std::string TelemetryIn::NotesOnce(const process::Telemetry& t) {
  const std::string shot = t.shot.machine + " shot " + std::to_string(t.shot.shot);
  std::string notes;
  for (const std::string& key : t.ignored) {
    if (logged_keys_.size() >= kLoggedKeysMax || !logged_keys_.insert(key).second) continue;
    std::string known;
    for (const ProcessVariable& v : ProcessVariables())
      known += (known.empty() ? "" : ", ") + std::string(v.name);
    notes += "telemetry: " + shot + ": process key '" + Printable(key) +
             "' is not one linesight knows and is not stored (this is said once per key; "
             "linesight_telemetry_ignored_keys_total counts them). Known keys: " +
             known + "\n";
  }
  for (const std::string& value : t.implausible)
    if (++logged_implausible_ <= kLoggedRefusals)
      notes += "telemetry: " + shot + ": " + value +
               " is outside the sensor's plausible range and is stored as not measured "
               "(docs/mqtt.md lists the ranges; linesight_telemetry_implausible_total counts "
               "them)\n";
  return notes;
}

// Stores up to kShotsPerTransaction queued shots; false if the store failed (they stay queued).
bool TelemetryIn::Flush(std::unique_lock<std::mutex>& lock) {
  const size_t n = std::min(kShotsPerTransaction, queue_.size());
  std::vector<Shot> batch(queue_.begin(), queue_.begin() + static_cast<std::ptrdiff_t>(n));
  lock.unlock();
  store::ShotCounts counts;
  std::string error;
  try {
    counts = store_.IngestShots(batch);
  } catch (const std::exception& e) {
    error = e.what();
  }
  lock.lock();
  if (!error.empty()) {
    if (stats_.store_error.empty())
      std::cerr << "telemetry: the store refused shots (kept, retried): " << error << "\n";
    stats_.store_error = error;
    return false;
  }
  // Only this thread takes from the front, so the batch is still there.
  queue_.erase(queue_.begin(), queue_.begin() + static_cast<std::ptrdiff_t>(n));
  stats_.stored += counts.shots_new;
  stats_.duplicates += counts.shots_duplicate;
  for (const std::string& conflict : counts.conflicts) {
    const int64_t k = ++stats_.conflicts;
    if (k <= kLoggedRefusals || k % 1000 == 0)
      std::cerr << "telemetry: not joined (" << k << " so far): " << conflict
                << ": the machine's shot counter restarted, a clock is far off, or two machines "
                   "share a name. What is stored is kept; a machine's shot counter must never "
                   "restart (docs/mqtt.md)\n";
  }
  stats_.parts_filled += counts.parts_filled;
  if (!stats_.store_error.empty())
    std::cerr << "telemetry: the store takes shots again (" << queue_.size() << " still queued)\n";
  stats_.store_error.clear();
  return true;
}

void TelemetryIn::StoreLoop() {
  std::unique_lock lock(mu_);
  while (true) {
    wake_.wait_for(lock, kFlushEvery,
                   [this] { return stopping_ || queue_.size() >= kShotsPerTransaction; });
    while (!queue_.empty())
      if (!Flush(lock)) break;
    if (stopping_) return StoreBeforeStop(lock);
    if (!stats_.store_error.empty())
      wake_.wait_for(lock, kRetryEvery, [this] { return stopping_; });
  }
}

// A stop while the store is down: the broker has acknowledged the queued shots and will not
// send them again, so they are tried for a few seconds more, and what is still queued is said.
void TelemetryIn::StoreBeforeStop(std::unique_lock<std::mutex>& lock) {
  const auto until = std::chrono::steady_clock::now() + kStopGrace;
  while (!queue_.empty() && std::chrono::steady_clock::now() < until) {
    if (Flush(lock)) continue;
    lock.unlock();
    std::this_thread::sleep_for(kStopRetryEvery);
    lock.lock();
  }
  if (!queue_.empty())
    std::cerr << "telemetry: " << queue_.size()
              << " shots received and not stored are lost at this stop (the store is down: "
              << stats_.store_error
              << "); publish them again, or run the server with --mqtt-client-id so that the "
                 "broker keeps what arrives while it is down\n";
}

TelemetryStats TelemetryIn::stats() const {
  std::lock_guard lock(mu_);
  TelemetryStats s = stats_;
  s.queued = static_cast<int64_t>(queue_.size());
  s.connected = mqtt_ && mqtt_->connected();
  s.subscribed = mqtt_ && mqtt_->subscribed();
  return s;
}

}  // namespace linesight::server
