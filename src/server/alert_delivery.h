// server/alert_delivery.h: sends alerts and their acknowledgements out of the server: to an MQTT
// broker (linesight/v1/<site>/alerts, QoS 1, not retained) and to a chat webhook (HTTP POST of
// {"text", "event", "alert"}), each on its own thread, so a slow or absent receiver never holds
// up the caller. Thread-safe.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include <nlohmann/json.hpp>

#include "store/store.h"

namespace linesight::io {
class MqttPublisher;
}

namespace linesight::server {

struct AlertDeliveryOptions {
  std::string site = "plant1";  // the MQTT topic's site level
  std::string mqtt_host;        // "" = no MQTT delivery
  int mqtt_port = 1883;
  std::string webhook_url;  // "" = no webhook; http(s)://host[:port]/path
  double webhook_timeout_s = 5;
  int webhook_attempts = 5;       // tries per message before it counts as failed
  int webhook_backoff_ms = 1000;  // wait before the first retry; doubles, up to 60 s
  int webhook_queue_max = 1000;   // messages waiting; the oldest is dropped (and counted)
};

struct AlertDeliveryStats {
  int64_t webhook_sent = 0, webhook_failed = 0, webhook_retries = 0;
  int64_t mqtt_queued = 0, mqtt_failed = 0;  // mqtt_failed: dropped while the broker was away
  std::string webhook_last_error;
};

// "raised" (a new alert), "repeated" (an open one seen again), "acked".
nlohmann::json AlertMessage(std::string_view event, const store::Alert& alert);
// The one line a chat app shows, e.g. "[ALARM] M3: reject rate 40.0% ... (alert 7)".
std::string AlertChatLine(std::string_view event, const store::Alert& alert);

class AlertDelivery {
 public:
  // Starts what `options` names. Throws Error{kInput} for a bad webhook URL or MQTT options.
  explicit AlertDelivery(const AlertDeliveryOptions& options);
  // Gives the webhook at most its timeout to finish the message under way; drops the rest.
  ~AlertDelivery();
  AlertDelivery(const AlertDelivery&) = delete;
  AlertDelivery& operator=(const AlertDelivery&) = delete;

  // Queues `alert` for every target; never blocks on the network.
  void Send(std::string_view event, const store::Alert& alert);
  AlertDeliveryStats stats() const;
  bool mqtt() const { return mqtt_ != nullptr; }
  bool webhook() const { return !options_.webhook_url.empty(); }

 private:
  void WebhookLoop();
  bool PostWithRetries(const std::string& body, std::unique_lock<std::mutex>& lock);

  AlertDeliveryOptions options_;
  std::string topic_;
  std::string webhook_base_, webhook_path_;
  std::unique_ptr<io::MqttPublisher> mqtt_;
  mutable std::mutex mu_;
  std::condition_variable wake_;
  std::deque<std::string> webhook_queue_;
  AlertDeliveryStats stats_;
  bool stopping_ = false;
  std::thread webhook_thread_;
};

}  // namespace linesight::server
