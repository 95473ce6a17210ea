// io/mqtt_test_broker.h: for tests, a real mosquitto broker on 127.0.0.1 at a free port (started,
// killed and restarted on the same port by the test), and a libmosquitto subscriber that
// collects what it receives.
#pragma once

#include <fcntl.h>
#include <mosquitto.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "testing/test_util.h"

namespace linesight::testing {

// The mosquitto binary, or "" when it is not installed.
inline std::string MosquittoBinary() {
  for (const char* p : {"/usr/sbin/mosquitto", "/usr/bin/mosquitto", "/usr/local/sbin/mosquitto"})
    if (std::filesystem::exists(p)) return p;
  return "";
}

inline bool PortOpen(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(static_cast<uint16_t>(port));
  const bool open = connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  close(fd);
  return open;
}

class MqttTestBroker {
 public:
  MqttTestBroker() : port_(FreeLoopbackPort()) {
    WriteFile(dir_ / "mosquitto.conf", "listener " + std::to_string(port_) +
                                           " 127.0.0.1\nallow_anonymous true\npersistence false\n");
    Start();
  }
  ~MqttTestBroker() { Kill(); }

  // Starts the broker (again) on the same port and waits until it accepts connections.
  void Start() {
    const std::string bin = MosquittoBinary(), conf = (dir_ / "mosquitto.conf").string(),
                      log = (dir_ / "log").string();
    pid_ = fork();
    if (pid_ == 0) {
      const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
      dup2(fd, 1);
      dup2(fd, 2);
      execl(bin.c_str(), bin.c_str(), "-c", conf.c_str(), static_cast<char*>(nullptr));
      _exit(127);
    }
    for (int i = 0; i < 500 && !PortOpen(port_); ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    ASSERT_TRUE(PortOpen(port_)) << "mosquitto did not start on port " << port_;
  }
  // Kills the broker at once (no goodbye to its clients) and waits for it to end.
  void Kill() {
    if (pid_ <= 0) return;
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }
  int port() const { return port_; }

 private:
  TempDir dir_;
  int port_;
  pid_t pid_ = -1;
};

// Kills and reaps a forked child when the test leaves its scope, also through a failed ASSERT.
class KilledAtExit {
 public:
  explicit KilledAtExit(pid_t pid) : pid_(pid) {}
  ~KilledAtExit() { Kill(); }
  KilledAtExit(const KilledAtExit&) = delete;
  KilledAtExit& operator=(const KilledAtExit&) = delete;
  void Kill() {
    if (pid_ <= 0) return;
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }

 private:
  pid_t pid_;
};

struct MqttMessage {
  std::string topic, payload;
  bool retain = false;
};

// Subscribes to `pattern` on the broker at `port` and keeps every message it receives.
class MqttTestSubscriber {
 public:
  MqttTestSubscriber(int port, const std::string& pattern) : pattern_(pattern) {
    mosquitto_lib_init();
    mosq_ = mosquitto_new(nullptr, true, this);
    mosquitto_connect_callback_set(mosq_, [](mosquitto* m, void* self, int rc) {
      if (rc == 0)
        mosquitto_subscribe(m, nullptr, static_cast<MqttTestSubscriber*>(self)->pattern_.c_str(),
                            1);
    });
    mosquitto_subscribe_callback_set(mosq_, [](mosquitto*, void* self, int, int, const int*) {
      auto* s = static_cast<MqttTestSubscriber*>(self);
      std::lock_guard lock(s->mu_);
      s->subscribed_ = true;
      s->cv_.notify_all();
    });
    mosquitto_message_callback_set(mosq_, [](mosquitto*, void* self, const mosquitto_message* m) {
      auto* s = static_cast<MqttTestSubscriber*>(self);
      std::lock_guard lock(s->mu_);
      s->messages_.push_back(
          {m->topic, std::string(static_cast<const char*>(m->payload), m->payloadlen), m->retain});
      s->cv_.notify_all();
    });
    mosquitto_connect(mosq_, "127.0.0.1", port, 10);
    mosquitto_loop_start(mosq_);
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, std::chrono::seconds(5), [this] { return subscribed_; });
  }
  ~MqttTestSubscriber() {
    mosquitto_disconnect(mosq_);
    mosquitto_loop_stop(mosq_, false);
    mosquitto_destroy(mosq_);
  }

  // Waits up to `timeout` for a message on `topic` that `accept` takes; returns it, or an empty
  // message (topic "") if none came.
  MqttMessage WaitFor(const std::string& topic, std::function<bool(const MqttMessage&)> accept = {},
                      std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
    std::unique_lock lock(mu_);
    MqttMessage found;
    cv_.wait_for(lock, timeout, [&] {
      for (const auto& m : messages_)
        if (m.topic == topic && (!accept || accept(m))) {
          found = m;
          return true;
        }
      return false;
    });
    return found;
  }
  std::vector<MqttMessage> messages() const {
    std::lock_guard lock(mu_);
    return messages_;
  }

 private:
  std::string pattern_;
  mosquitto* mosq_ = nullptr;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool subscribed_ = false;
  std::vector<MqttMessage> messages_;
};

}  // namespace linesight::testing
