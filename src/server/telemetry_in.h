// server/telemetry_in.h: the server's MQTT telemetry input: subscribes to the machines'
// per-shot process values (docs/mqtt.md, "Telemetry in"), checks each message and stores the
// shots in batches, joined to their parts by the store. Bad messages are refused, counted and
// described, never stored half-way.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>

#include "io/mqtt_subscriber.h"
#include "process/telemetry.h"
#include "store/store.h"

namespace linesight::server {

struct TelemetryStats {
  int64_t received = 0, stored = 0, duplicates = 0, parts_filled = 0;
  int64_t conflicts = 0;     // shots a day or more from the stored shot or part of their number
  int64_t refused = 0;       // messages that could not be read (last_refusal says why)
  int64_t implausible = 0;   // values out of their sensor's range, kept as not measured
  int64_t ignored_keys = 0;  // unknown process keys, not stored
  int64_t dropped = 0;       // shots lost because the store was down and the queue full
  int64_t queued = 0;        // waiting for the store now
  bool connected = false, subscribed = false;
  std::string last_refusal;  // "<topic>: <why>"
  std::string store_error;   // the store's last failure, "" once a batch is stored again
};

class TelemetryIn {
 public:
  // Subscribes to `mqtt.topic` (default linesight/v1/+/+/+/telemetry) and stores what arrives.
  // Throws Error{kInput} for bad options.
  TelemetryIn(store::Store& store, io::MqttSubscribeOptions mqtt);
  ~TelemetryIn();  // stores what is queued (if the store answers), then stops
  TelemetryIn(const TelemetryIn&) = delete;
  TelemetryIn& operator=(const TelemetryIn&) = delete;

  TelemetryStats stats() const;

 private:
  void OnMessage(const std::string& topic, const std::string& payload);
  // Log lines for what `t` carried that was not stored (an unknown key the first time it is
  // seen, the first few implausible values); "" when none is due. Called under mu_.
  std::string NotesOnce(const process::Telemetry& t);
  void StoreLoop();
  bool Flush(std::unique_lock<std::mutex>& lock);
  void StoreBeforeStop(std::unique_lock<std::mutex>& lock);

  store::Store& store_;
  mutable std::mutex mu_;
  std::condition_variable wake_;
  std::deque<Shot> queue_;
  TelemetryStats stats_;
  std::set<std::string> logged_keys_;  // unknown process keys already named in the log
  int64_t logged_implausible_ = 0;
  bool stopping_ = false;
  std::thread storer_;
  std::unique_ptr<io::MqttSubscriber> mqtt_;  // last: its callbacks use the members above
};

}  // namespace linesight::server
