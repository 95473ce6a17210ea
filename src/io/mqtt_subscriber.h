// io/mqtt_subscriber.h: an MQTT subscriber (libmosquitto, its own network thread,
// io/mqtt_loop.h): connects in
// the background, (re)subscribes on every connection, reconnects by itself, and hands each
// message to a handler. Thread-safe.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

struct mosquitto;
struct mosquitto_message;

namespace linesight::io {

class MqttLoop;

struct MqttSubscribeOptions {
  std::string host = "127.0.0.1";
  int port = 1883;
  std::string topic;  // a filter, e.g. "linesight/v1/+/+/+/telemetry"
  int qos = 1;
  // A fixed id makes a persistent session: the broker keeps the subscription and queues QoS 1
  // messages while this client is away. "" = a random id and a clean session.
  std::string client_id;
  int keepalive_s = 10;
  int reconnect_max_s = 5;
  // Told once per change of the connection (cannot reach the broker, connected, lost it, a
  // refused subscription), never per retry; called on the client's network thread. Unset: silent.
  std::function<void(const std::string&)> log;
};

class MqttSubscriber {
 public:
  // Called on the client's network thread, one message at a time: keep it short.
  using Handler = std::function<void(const std::string& topic, const std::string& payload)>;

  // Starts connecting; a broker that is down is retried, not an error. Throws Error{kInput} if
  // the host or topic is empty or qos is not 0-2.
  MqttSubscriber(const MqttSubscribeOptions& options, Handler handler);
  ~MqttSubscriber();
  MqttSubscriber(const MqttSubscriber&) = delete;
  MqttSubscriber& operator=(const MqttSubscriber&) = delete;

  bool connected() const { return connected_.load(); }
  // True once the broker acknowledged the subscription on the current connection.
  bool subscribed() const { return subscribed_.load(); }
  uint64_t received() const { return received_.load(); }

 private:
  static void OnConnect(mosquitto* m, void* self, int rc);
  static void OnDisconnect(mosquitto* m, void* self, int rc);
  static void OnSubscribe(mosquitto* m, void* self, int mid, int count, const int* granted);
  static void OnMessage(mosquitto* m, void* self, const mosquitto_message* msg);
  std::string Broker() const;
  void Say(const std::string& line) const;

  MqttSubscribeOptions options_;
  Handler handler_;
  mosquitto* mosq_ = nullptr;
  std::atomic<bool> connected_{false}, subscribed_{false};
  std::atomic<bool> refused_{false};  // the last connection attempt was refused (said once)
  std::atomic<uint64_t> received_{0};
  std::unique_ptr<MqttLoop> loop_;  // set before any callback can run
};

}  // namespace linesight::io
