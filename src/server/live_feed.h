// server/live_feed.h: live updates for browsers (Server-Sent Events). One thread polls the
// store for parts and machine events stored since it last looked, by any server process, and
// fans them out to every open stream; so servers behind a load balancer need no shared state.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include <nlohmann/json.hpp>

#include "io/http_server.h"
#include "store/store.h"

namespace linesight::server {

class LiveFeed {
 public:
  // Starts polling `store` every `poll`; streams re-check their session every `recheck`. The
  // store must outlive the feed.
  LiveFeed(store::Store& store, std::chrono::milliseconds poll, std::chrono::milliseconds recheck);
  ~LiveFeed();
  LiveFeed(const LiveFeed&) = delete;
  LiveFeed& operator=(const LiveFeed&) = delete;

  // Streams SSE text through `write` until it returns false (client gone) or Stop(). With
  // `last_seq` > 0 (the browser's Last-Event-ID) it first sends the parts after that seq still
  // in memory (the last 2000 updates); otherwise only what is new. `allowed` is asked before
  // sending, at most every `recheck`: once it says no (the session ended), the stream ends.
  void Serve(int64_t last_seq, const io::HttpWrite& write, const std::function<bool()>& allowed);
  // Sends one event of its own name (e.g. "alert") to every open stream, beside the parts.
  void Publish(std::string_view event, const nlohmann::json& data);
  // Ends every stream and the polling thread; called before the HTTP server stops.
  void Stop();

  int clients() const { return clients_.load(); }
  // Time the last poll failed ("" when the store answered), for /healthz.
  std::string last_error() const;

 private:
  struct Item {
    int64_t order;  // position in this feed
    int64_t seq;    // the part's seq (events: the last part seq when seen)
    std::string text;
  };
  void Run(std::chrono::milliseconds poll);
  void PollOnce();
  void Push(int64_t seq, std::string text);

  store::Store& store_;
  const std::chrono::milliseconds recheck_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Item> items_;
  int64_t next_order_ = 1;
  int64_t last_seq_ = 0;
  int64_t last_event_id_ = 0;
  std::string last_error_;
  bool stopping_ = false;
  std::atomic<int> clients_{0};
  std::thread thread_;
};

}  // namespace linesight::server
