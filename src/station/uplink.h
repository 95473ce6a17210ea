// station/uplink.h: drains the station's outbox to the factory server's ingest API (docs/api.md,
// "Ingest (stations)") on a thread of its own: each batch's images by PUT, then the batch by
// POST, and only a 2xx answer marks it sent. Unsent records stay in the outbox, so a stopped
// uplink, a killed station or a server down for a day loses nothing (docs/station.md, "Uplink").
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "core/clock.h"
#include "core/part_record.h"
#include "io/http_client.h"
#include "store/outbox.h"

namespace linesight::station {

struct UplinkOptions {
  std::string url;    // the factory server, http://host:port (https://… with a certificate)
  std::string token;  // the station's ingest token (Authorization: Bearer)
  // Reads the token again (its file, after an admin made a new one) when the server answers 401;
  // an exception or "" keeps the old one. Unset: the token never changes.
  std::function<std::string()> reload_token;
  std::string ca_file;                // https: CA certificates to trust, "" = system's
  size_t batch_parts = 500;           // parts (and events) per POST; the server takes ≤ 1000
  size_t max_batch_bytes = 8u << 20;  // JSON body cap per POST; the server takes ≤ 16 MiB
  double backoff_min_s = 0.5;         // first wait after a failure; doubles per failure
  double backoff_max_s = 60;          // longest wait; each wait is jittered to 50..100 %
  double connect_timeout_s = 5;       // TCP connect to the server
  double timeout_s = 30;              // a server silent this long in a request fails it
  double poll_s = 1;                  // idle: look at the outbox this often besides Notify()
  // Retention (docs/outbox.md, "Record retention"): records delivered more than keep_sent_ms ago
  // leave the outbox, prune_rows per transaction, in a round at most every prune_every_s (and at
  // once again while a round leaves some due).
  int64_t keep_sent_ms = 30 * kDayMs;
  double prune_every_s = 60;
  // Per Outbox::PruneSent call, which holds the outbox's lock: 100 parts, each with a kept
  // image (the worst case), take about a tenth of 500's 50 ms (OutboxBench), inside the line's
  // 50 ms budget for a part; most parts keep no image and go several times faster.
  int prune_rows = 100;
};

// What the uplink has done since it started, and its state now.
struct UplinkStats {
  uint64_t parts_sent = 0, events_sent = 0, images_sent = 0;
  uint64_t images_missing = 0;  // named by a part but gone from disk: the server will lack them
  uint64_t batches = 0;         // POSTs the server acknowledged
  uint64_t retries = 0;         // failed attempts that were retried after a backoff
  uint64_t parts_parked = 0, events_parked = 0;  // refused by the server for good (4xx)
  uint64_t records_pruned = 0;  // delivered records deleted from the outbox (keep_sent_ms)
  int64_t pending_parts = 0, pending_events = 0;  // in the outbox, not yet sent
  int64_t parked_parts = 0, parked_events = 0;    // in the outbox, parked (all time)
  bool connected = false;  // the last request got a 2xx answer (or a record refusal); false
                           // before the first request, which waits for something to send
  int last_status = 0;     // HTTP status of the last answer, 0 = none / transport failure
  std::string last_error;  // "" after a success; else why the last attempt failed
  double backoff_s = 0;    // the wait before the next attempt, 0 when not failing
};

struct UplinkHooks {
  // One line per notable event (down, up again, parked record, missing image). Default: stderr.
  std::function<void(const std::string&)> log;
  // After each acknowledged batch, on the uplink's thread.
  std::function<void(const UplinkStats&)> on_batch;
};

class Uplink {
 public:
  // Starts the uplink's thread, which drains `outbox` at once and then whenever Notify() is
  // called or poll_s passes. Throws Error{kInput} for a bad URL or an empty token, before any
  // thread starts. `outbox` must outlive the Uplink.
  Uplink(store::Outbox& outbox, const UplinkOptions& options, UplinkHooks hooks = {});
  // Stop().
  ~Uplink();
  Uplink(const Uplink&) = delete;
  Uplink& operator=(const Uplink&) = delete;

  // New work is in the outbox (after each stored part or event): ends an idle wait, not a
  // backoff. Never blocks for long; thread-safe.
  void Notify();
  // Ends the thread promptly: interrupts an idle wait or a backoff and cancels a request under
  // way. What was not acknowledged stays unsent in the outbox. Idempotent; thread-safe.
  void Stop();

  // A copy of the counters and state. Thread-safe.
  UplinkStats stats() const;

 private:
  // kHeld: the server refused records the uplink would not park (too many refusals in a row with
  // nothing accepted: a wrong server); the rest of the batch was still tried.
  enum class Outcome { kDone, kRetry, kHeld };
  struct Record;  // one part or event in a batch

  void Run();
  // Sends one batch from the outbox: kDone if the outbox was empty or the batch was dealt with.
  Outcome DrainOnce(bool& sent_any);
  Outcome SendImages(const std::vector<Record>& records);
  // POSTs `records`; on a 400/409/413/422, bisects to park the records the server refuses.
  Outcome SendBatch(std::vector<Record> records);
  Outcome Bisect(std::vector<Record> records);
  // Parks `r` in the outbox; a refusal that could be the server's fault counts toward the limit
  // of parks without a success.
  void Park(const Record& r, const std::string& why, bool counts_toward_limit);
  void Failed(const std::string& why, int status);
  void ReloadToken();
  void Succeeded(int status);
  void Answered(int status);
  void RefreshBacklog();
  // One round of retention: a few PruneSent batches. True if records are still due.
  bool PruneOnce();
  void Log(const std::string& line);
  // Waits `seconds` or until Stop() (and Notify() when `wake_on_notify`).
  void Wait(double seconds, bool wake_on_notify);
  bool stopping() const;

  store::Outbox& outbox_;
  UplinkOptions options_;
  UplinkHooks hooks_;
  io::HttpClient client_;
  std::mt19937 rng_{std::random_device{}()};
  int failures_ = 0;                   // consecutive, for the backoff; uplink thread only
  int consecutive_parks_ = 0;          // records parked since the last accepted batch; ditto
  bool logged_down_ = false;           // uplink thread only: one line per outage
  std::set<std::string> images_done_;  // uplink thread only: images sent, refused or missing

  std::mutex stop_mu_;  // one Stop() at a time
  mutable std::mutex mu_;
  std::condition_variable wake_;
  bool stopping_ = false;  // under mu_
  bool notified_ = false;  // under mu_
  bool running_ = false;   // under mu_: the thread has not ended yet
  UplinkStats stats_;      // under mu_
  std::thread thread_;
};

}  // namespace linesight::station
