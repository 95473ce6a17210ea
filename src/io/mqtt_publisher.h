// io/mqtt_publisher.h: a fire-and-forget MQTT publisher (libmosquitto, its own network thread,
// io/mqtt_loop.h, automatic reconnect). Publish() never blocks: messages wait in a bounded queue,
// the oldest dropped and counted when it is full. Thread-safe.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

struct mosquitto;

namespace linesight::io {

class MqttLoop;

// mosquitto_lib_init, once per process, for every client linesight makes (publisher or subscriber).
void InitMqttLibrary();

struct MqttOptions {
  std::string host = "127.0.0.1";
  int port = 1883;
  std::string client_id;     // "" = a random id from the broker
  int qos = 1;               // 0, 1 or 2, for every message
  int keepalive_s = 10;      // the broker sends the last will this long after a silent loss
  int queue_max = 1000;      // messages waiting while the broker is away; oldest dropped
  std::string will_topic;    // "" = no last will
  std::string will_payload;  // sent retained by the broker if the client dies
  int reconnect_max_s = 5;   // reconnect backoff doubles from 1 s up to this
};

class MqttPublisher {
 public:
  struct Counters {
    uint64_t queued = 0;    // messages accepted by Publish
    uint64_t sent = 0;      // handed to the network thread while connected
    uint64_t dropped = 0;   // oldest messages dropped because the queue was full
    uint64_t connects = 0;  // successful connections, first one included
    bool connected = false;
  };

  // Starts connecting in the background; a broker that is down is not an error (it is retried).
  // Throws Error{kInput} for options libmosquitto refuses (bad qos, empty host).
  explicit MqttPublisher(const MqttOptions& options);
  // Sends what the queue still holds if connected (at most ~1 s), then disconnects cleanly: the
  // broker does not send the last will.
  ~MqttPublisher();
  MqttPublisher(const MqttPublisher&) = delete;
  MqttPublisher& operator=(const MqttPublisher&) = delete;

  // Queues one message; never blocks on the network.
  void Publish(const std::string& topic, std::string payload, bool retain = false);
  // Sets the retained message of `topic`: published now and again after every reconnect.
  void SetRetained(const std::string& topic, std::string payload);

  Counters counters() const;
  bool connected() const { return connected_.load(); }

 private:
  struct Message {
    std::string topic, payload;
    bool retain = false;
  };
  static void OnConnect(mosquitto* m, void* self, int rc);
  static void OnDisconnect(mosquitto* m, void* self, int rc);
  static void OnPublish(mosquitto* m, void* self, int mid);
  void Enqueue(Message m);
  void SendLoop();

  MqttOptions options_;
  mosquitto* mosq_ = nullptr;
  std::atomic<bool> connected_{false};
  mutable std::mutex mu_;
  std::condition_variable wake_;
  std::deque<Message> queue_;
  std::map<std::string, std::string> retained_;
  bool stopping_ = false;
  bool resend_retained_ = false;
  // Messages handed to libmosquitto, and those it reported sent (QoS 0) or acknowledged.
  int64_t handed_ = 0, done_ = 0;
  Counters counters_;
  std::unique_ptr<MqttLoop> loop_;  // set before any callback can run
  std::thread sender_;
};

}  // namespace linesight::io
