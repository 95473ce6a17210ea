#include "io/mqtt_loop.h"

#include <mosquitto.h>

#include <algorithm>
#include <chrono>

namespace linesight::io {
namespace {
// How long one mosquitto_loop call may wait for traffic: the longest Stop() waits.
constexpr int kLoopWaitMs = 100;
}  // namespace

MqttLoop::MqttLoop(mosquitto* mosq, MqttLoopOptions options)
    : mosq_(mosq), options_(std::move(options)) {
  // Packets queued by other threads (publish, subscribe) wake this loop, which writes them.
  mosquitto_threaded_set(mosq_, true);
}

MqttLoop::~MqttLoop() { Stop(); }

void MqttLoop::Start() {
  if (!thread_.joinable()) thread_ = std::thread([this] { Run(); });
}

void MqttLoop::Connected() {
  connected_once_ = true;
  attempt_connected_ = true;
}

bool MqttLoop::Disconnect() {
  {
    std::lock_guard lock(mu_);  // not between the waiting thread's check and its wait
    disconnecting_ = true;
  }
  wake_.notify_all();
  return mosquitto_disconnect(mosq_) == MOSQ_ERR_SUCCESS;
}

void MqttLoop::Stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void MqttLoop::Run() {
  int delay_s = 1;
  while (!Ending()) {
    attempt_connected_ = false;
    // Host, port and keepalive again each time: the same as mosquitto_reconnect_async, and an
    // attempt whose socket could not even be opened leaves nothing half set.
    int rc =
        mosquitto_connect_async(mosq_, options_.host.c_str(), options_.port, options_.keepalive_s);
    // After a DISCONNECT the loop runs on until it is written and the socket closes.
    while (rc == MOSQ_ERR_SUCCESS && !stopping_.load()) rc = mosquitto_loop(mosq_, kLoopWaitMs, 1);
    if (Ending()) break;
    if (attempt_connected_.load()) {
      delay_s = 1;
    } else if (!connected_once_.load() && options_.first_connect_failed) {
      options_.first_connect_failed(rc);
    }
    std::unique_lock lock(mu_);
    wake_.wait_for(lock, std::chrono::seconds(delay_s), [this] { return Ending(); });
    delay_s = std::min(delay_s * 2, std::max(1, options_.reconnect_max_s));
  }
}

}  // namespace linesight::io
