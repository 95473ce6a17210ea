// io/mqtt_loop.h: the network thread of one libmosquitto client, ours instead of libmosquitto's
// (mosquitto_loop_start). It connects, retrying with backoff until the broker answers,
// reconnects after a loss, and ends within about 0.1 s when stopped, whatever the connection is
// doing. libmosquitto's own thread ends only once it sees the client's DISCONNECT, and one that
// comes while it is reconnecting to a broker that is gone can be lost: that thread, and the
// destructor waiting for it, then never end.
#pragma once

#include <atomic>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

struct mosquitto;

namespace linesight::io {

struct MqttLoopOptions {
  std::string host;
  int port = 1883;
  int keepalive_s = 10;
  int reconnect_max_s = 5;  // the wait between attempts doubles from 1 s up to this
  // Called on the loop's thread each time an attempt fails before the first connection (rc: a
  // libmosquitto error code); later losses are the client's disconnect callback's to tell.
  std::function<void(int rc)> first_connect_failed;
};

class MqttLoop {
 public:
  // Makes `mosq` (whose callbacks are set) expect calls from other threads. Start() begins.
  MqttLoop(mosquitto* mosq, MqttLoopOptions options);
  ~MqttLoop();  // Stop()
  MqttLoop(const MqttLoop&) = delete;
  MqttLoop& operator=(const MqttLoop&) = delete;

  // Starts the thread: call once the client's callbacks can run.
  void Start();
  // From the client's connect callback, on success: the next wait starts again from 1 s.
  void Connected();
  // Sends the client's DISCONNECT if it is connected, and reconnects no more. Returns true if a
  // DISCONNECT was queued (the disconnect callback follows once it is sent).
  bool Disconnect();
  // Ends the thread and waits for it (about 0.1 s at most). Idempotent.
  void Stop();

 private:
  void Run();
  bool Ending() const { return stopping_.load() || disconnecting_.load(); }

  mosquitto* mosq_;
  MqttLoopOptions options_;
  std::atomic<bool> stopping_{false}, disconnecting_{false};
  std::atomic<bool> connected_once_{false}, attempt_connected_{false};
  std::mutex mu_;  // for wake_ only
  std::condition_variable wake_;
  std::thread thread_;
};

}  // namespace linesight::io
