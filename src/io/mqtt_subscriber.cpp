#include "io/mqtt_subscriber.h"

#include <mosquitto.h>

#include <algorithm>
#include <chrono>
#include <utility>

#include "core/error.h"
#include "io/mqtt_loop.h"
#include "io/mqtt_publisher.h"

namespace linesight::io {
MqttSubscriber::MqttSubscriber(const MqttSubscribeOptions& options, Handler handler)
    : options_(options), handler_(std::move(handler)) {
  InitMqttLibrary();
  if (options_.host.empty())
    throw Error(ErrorCategory::kInput, "MQTT host is empty", "give the broker's address");
  if (options_.topic.empty())
    throw Error(ErrorCategory::kInput, "MQTT topic filter is empty",
                "give one, e.g. linesight/v1/+/+/+/telemetry");
  if (options_.qos < 0 || options_.qos > 2)
    throw Error(ErrorCategory::kInput, "MQTT qos " + std::to_string(options_.qos),
                "use qos 0, 1 or 2");
  const bool clean = options_.client_id.empty();
  mosq_ = mosquitto_new(clean ? nullptr : options_.client_id.c_str(), clean, this);
  if (!mosq_)
    throw Error(ErrorCategory::kInput, "MQTT: cannot create a client", "check the client id");
  mosquitto_connect_callback_set(mosq_, &MqttSubscriber::OnConnect);
  mosquitto_disconnect_callback_set(mosq_, &MqttSubscriber::OnDisconnect);
  mosquitto_subscribe_callback_set(mosq_, &MqttSubscriber::OnSubscribe);
  mosquitto_message_callback_set(mosq_, &MqttSubscriber::OnMessage);
  MqttLoopOptions loop{options_.host, options_.port, options_.keepalive_s, options_.reconnect_max_s,
                       nullptr};
  // Said once, until the first connection; a broker lost later is OnDisconnect's to tell.
  loop.first_connect_failed = [this, said = false](int rc) mutable {
    if (std::exchange(said, true)) return;
    Say("MQTT: cannot reach the broker " + Broker() + " (" + mosquitto_strerror(rc) +
        "); retrying until it answers: check that it runs and the address is right");
  };
  loop_ = std::make_unique<MqttLoop>(mosq_, std::move(loop));
  loop_->Start();
}

MqttSubscriber::~MqttSubscriber() {
  loop_->Disconnect();
  loop_->Stop();
  mosquitto_destroy(mosq_);
}

std::string MqttSubscriber::Broker() const {
  return options_.host + ":" + std::to_string(options_.port);
}

void MqttSubscriber::Say(const std::string& line) const {
  if (options_.log) options_.log(line);
}

void MqttSubscriber::OnConnect(mosquitto* m, void* self, int rc) {
  auto* s = static_cast<MqttSubscriber*>(self);
  if (rc != 0) {  // refused by the broker: the network thread retries
    if (!s->refused_.exchange(true))
      s->Say("MQTT: the broker " + s->Broker() + " refused the connection (" +
             mosquitto_connack_string(rc) + "); retrying: check its access settings");
    return;
  }
  s->refused_ = false;
  s->connected_ = true;
  s->loop_->Connected();
  s->Say("MQTT: connected to " + s->Broker() + ", subscribing to " + s->options_.topic);
  // Subscribing on every connection: a clean session forgets subscriptions.
  mosquitto_subscribe(m, nullptr, s->options_.topic.c_str(), s->options_.qos);
}

void MqttSubscriber::OnDisconnect(mosquitto*, void* self, int rc) {
  auto* s = static_cast<MqttSubscriber*>(self);
  const bool was = s->connected_.exchange(false);
  s->subscribed_ = false;
  if (was && rc != 0)
    s->Say("MQTT: lost the broker " + s->Broker() + " (" + mosquitto_strerror(rc) +
           "); reconnecting");
}

void MqttSubscriber::OnSubscribe(mosquitto*, void* self, int, int count, const int* granted) {
  auto* s = static_cast<MqttSubscriber*>(self);
  // 0x80 (128) is the broker's refusal of a filter (a malformed topic, or not allowed).
  s->subscribed_ = count > 0 && granted[0] != 0x80;
  if (!s->subscribed_)
    s->Say("MQTT: the broker " + s->Broker() + " refused the subscription to " + s->options_.topic +
           ": check the topic filter and the broker's ACL");
}

void MqttSubscriber::OnMessage(mosquitto*, void* self, const mosquitto_message* msg) {
  auto* s = static_cast<MqttSubscriber*>(self);
  ++s->received_;
  const std::string payload(static_cast<const char*>(msg->payload),
                            static_cast<size_t>(std::max(0, msg->payloadlen)));
  s->handler_(msg->topic ? msg->topic : "", payload);
}

}  // namespace linesight::io
