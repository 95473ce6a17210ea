#include "io/mqtt_publisher.h"

#include <mosquitto.h>

#include <algorithm>
#include <chrono>
#include <mutex>

#include "core/error.h"
#include "io/mqtt_loop.h"

namespace linesight::io {
namespace {

[[noreturn]] void Refused(const std::string& what, int rc, const std::string& fix) {
  throw Error(ErrorCategory::kInput, "MQTT: " + what + ": " + mosquitto_strerror(rc), fix);
}

}  // namespace

void InitMqttLibrary() {
  static std::once_flag once;
  std::call_once(once, [] { mosquitto_lib_init(); });
}

MqttPublisher::MqttPublisher(const MqttOptions& options) : options_(options) {
  InitMqttLibrary();
  if (options_.qos < 0 || options_.qos > 2)
    throw Error(ErrorCategory::kInput, "MQTT qos " + std::to_string(options_.qos),
                "Use qos 0, 1 or 2");
  if (options_.host.empty())
    throw Error(ErrorCategory::kInput, "MQTT host is empty", "Give the broker's address");
  mosq_ =
      mosquitto_new(options_.client_id.empty() ? nullptr : options_.client_id.c_str(), true, this);
  if (!mosq_) Refused("cannot create a client", MOSQ_ERR_NOMEM, "Check the client id");
  mosquitto_connect_callback_set(mosq_, &MqttPublisher::OnConnect);
  mosquitto_disconnect_callback_set(mosq_, &MqttPublisher::OnDisconnect);
  mosquitto_publish_callback_set(mosq_, &MqttPublisher::OnPublish);
  if (!options_.will_topic.empty()) {
    const int rc = mosquitto_will_set(mosq_, options_.will_topic.c_str(),
                                      static_cast<int>(options_.will_payload.size()),
                                      options_.will_payload.data(), options_.qos, true);
    if (rc != MOSQ_ERR_SUCCESS) {
      mosquitto_destroy(mosq_);
      Refused("last will topic '" + options_.will_topic + "'", rc, "Use a topic without + or #");
    }
  }
  loop_ = std::make_unique<MqttLoop>(
      mosq_, MqttLoopOptions{options_.host, options_.port, options_.keepalive_s,
                             options_.reconnect_max_s, nullptr});
  loop_->Start();
  sender_ = std::thread([this] { SendLoop(); });
}

MqttPublisher::~MqttPublisher() {
  // What is queued, the final status among it, goes out for at most about a second: handed to
  // libmosquitto and sent (acknowledged for QoS 1 and 2) before the DISCONNECT. A DISCONNECT
  // the broker did not get makes it publish the last will in place of that final status.
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(1);
  {
    std::unique_lock lock(mu_);
    wake_.wait_until(lock, until,
                     [this] { return (queue_.empty() && done_ >= handed_) || !connected_.load(); });
    stopping_ = true;
  }
  wake_.notify_all();
  sender_.join();
  if (loop_->Disconnect()) {
    std::unique_lock lock(mu_);
    wake_.wait_for(lock, std::chrono::seconds(1), [this] { return !connected_.load(); });
  }
  loop_->Stop();
  mosquitto_destroy(mosq_);
}

void MqttPublisher::Publish(const std::string& topic, std::string payload, bool retain) {
  Enqueue(Message{topic, std::move(payload), retain});
}

void MqttPublisher::SetRetained(const std::string& topic, std::string payload) {
  {
    std::lock_guard lock(mu_);
    retained_[topic] = payload;
    // Not connected: the next connection sends every retained message anyway.
    if (!connected_.load()) return;
  }
  Enqueue(Message{topic, std::move(payload), true});
}

void MqttPublisher::Enqueue(Message m) {
  {
    std::lock_guard lock(mu_);
    if (queue_.size() >= static_cast<size_t>(options_.queue_max)) {
      queue_.pop_front();
      ++counters_.dropped;
    }
    queue_.push_back(std::move(m));
    ++counters_.queued;
  }
  wake_.notify_all();
}

MqttPublisher::Counters MqttPublisher::counters() const {
  std::lock_guard lock(mu_);
  Counters c = counters_;
  c.connected = connected_.load();
  return c;
}

void MqttPublisher::OnConnect(mosquitto*, void* self, int rc) {
  auto* p = static_cast<MqttPublisher*>(self);
  if (rc != 0) return;  // refused by the broker: the network thread retries
  {
    std::lock_guard lock(p->mu_);
    ++p->counters_.connects;
    p->resend_retained_ = true;
    p->connected_ = true;
  }
  p->loop_->Connected();
  p->wake_.notify_all();
}

void MqttPublisher::OnDisconnect(mosquitto*, void* self, int) {
  auto* p = static_cast<MqttPublisher*>(self);
  {
    std::lock_guard lock(p->mu_);
    p->connected_ = false;
    p->done_ = p->handed_;  // QoS 0 in flight is lost; libmosquitto resends QoS 1 and 2 later
  }
  p->wake_.notify_all();
}

void MqttPublisher::OnPublish(mosquitto*, void* self, int) {
  auto* p = static_cast<MqttPublisher*>(self);
  {
    std::lock_guard lock(p->mu_);
    ++p->done_;
  }
  p->wake_.notify_all();
}

// Hands queued messages to libmosquitto only while connected, so the bounded queue (not
// libmosquitto's unbounded one) is what holds messages while the broker is away.
void MqttPublisher::SendLoop() {
  std::unique_lock lock(mu_);
  while (!stopping_) {
    wake_.wait(lock, [this] {
      return stopping_ || (connected_.load() && (resend_retained_ || !queue_.empty()));
    });
    if (stopping_) break;
    if (resend_retained_) {
      resend_retained_ = false;
      for (const auto& [topic, payload] : retained_)
        queue_.push_front(Message{topic, payload, true});
      if (queue_.empty()) continue;
    }
    Message m = std::move(queue_.front());
    queue_.pop_front();
    lock.unlock();
    const int rc =
        mosquitto_publish(mosq_, nullptr, m.topic.c_str(), static_cast<int>(m.payload.size()),
                          m.payload.data(), options_.qos, m.retain);
    lock.lock();
    if (rc == MOSQ_ERR_SUCCESS) {
      ++handed_;  // its OnPublish may have come first: done_ then leads for a moment
      ++counters_.sent;
    } else if (rc == MOSQ_ERR_NO_CONN || rc == MOSQ_ERR_CONN_LOST) {
      queue_.push_front(std::move(m));  // sent again after the reconnect
      connected_ = false;
    }  // other errors (a topic the broker cannot take) drop the message: retrying cannot help
    wake_.notify_all();
  }
}

}  // namespace linesight::io
