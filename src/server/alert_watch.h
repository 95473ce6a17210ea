// server/alert_watch.h: the alert watch: a thread that looks for alert conditions
// (alert_sources.h) every few seconds, raises them in the store (de-duplicated there) and sends
// new alerts, and repeats at most every few minutes, to AlertDelivery (the store keeps when each
// last went out, so one server sends each) and to this server's live stream. A store error is
// logged and retried at the next evaluation.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>

#include "server/alert_delivery.h"
#include "server/alert_sources.h"
#include "server/die_watch.h"
#include "server/live_feed.h"
#include "store/store.h"

namespace linesight::server {

struct AlertOptions {
  int interval_s = 0;  // evaluate this often; 0 = no alert watch
  AlertSourceOptions sources;
  DieWatchOptions die;  // die health: crack and flash-growth warnings
  AlertDeliveryOptions delivery;
  // A repeat of an open alert goes out at most this often (new alerts and acks at once).
  int repeat_every_s = 600;
  std::function<int64_t()> clock;  // wall clock in UTC ms; unset = the system's (tests set it)
};

struct AlertWatchStats {
  int64_t evaluations = 0, raised = 0, repeated = 0;
  std::string last_error;  // the last evaluation's failure, "" once one succeeds
};

class AlertWatch {
 public:
  // Starts evaluating at once, then every options.interval_s. `store`, `feed` and `delivery`
  // (null: live stream only) must outlive the watch.
  AlertWatch(store::Store& store, LiveFeed& feed, AlertDelivery* delivery,
             const AlertOptions& options);
  ~AlertWatch();
  AlertWatch(const AlertWatch&) = delete;
  AlertWatch& operator=(const AlertWatch&) = delete;

  AlertWatchStats stats() const;

 private:
  void Run();
  void EvaluateOnce();
  void Raise(const AlertCandidate& candidate, int64_t now_ms);
  bool AlreadyAcknowledged(const AlertCandidate& candidate);

  store::Store& store_;
  LiveFeed& feed_;
  AlertDelivery* delivery_;
  AlertOptions options_;
  std::map<int64_t, int64_t> last_streamed_ms_;  // by alert id; only the watch thread uses it
  JudgedUpTo judged_;   // newest production shot judged per machine; only the watch thread
  DieWatch die_watch_;  // only the watch thread
  mutable std::mutex mu_;
  std::condition_variable wake_;
  AlertWatchStats stats_;
  bool stopping_ = false;
  std::thread thread_;
};

// Sends an alert event to the live stream and, if any, the delivery targets.
void PublishAlert(LiveFeed& feed, AlertDelivery* delivery, std::string_view event,
                  const store::Alert& alert);

}  // namespace linesight::server
