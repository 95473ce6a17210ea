#include "server/live_feed.h"

#include <iostream>
#include <limits>

#include "server/api_json.h"

namespace linesight::server {
namespace {

constexpr size_t kKeep = 2000;
constexpr auto kKeepAlive = std::chrono::seconds(15);

std::string SseText(std::string_view event, int64_t id, const nlohmann::json& data) {
  return "id: " + std::to_string(id) + "\nevent: " + std::string(event) +
         "\ndata: " + data.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n\n";
}

}  // namespace

LiveFeed::LiveFeed(store::Store& store, std::chrono::milliseconds poll) : store_(store) {
  last_seq_ = store_.LastSeq();
  event_time_ms_ = std::chrono::duration_cast<std::chrono::milliseconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  thread_ = std::thread([this, poll] { Run(poll); });
}

LiveFeed::~LiveFeed() { Stop(); }

void LiveFeed::Stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

std::string LiveFeed::last_error() const {
  std::lock_guard lock(mu_);
  return last_error_;
}

void LiveFeed::Run(std::chrono::milliseconds poll) {
  std::unique_lock lock(mu_);
  while (!stopping_) {
    lock.unlock();
    PollOnce();
    lock.lock();
    cv_.wait_for(lock, poll, [this] { return stopping_; });
  }
}

void LiveFeed::PollOnce() {
  try {
    for (;;) {
      const auto parts = store_.PartsAfter(last_seq_, 500);
      for (const auto& p : parts) Push(p.seq, SseText("part", p.seq, ToJson(p)));
      if (parts.size() < 500) break;
    }
    // Events by time: ones at the newest time seen may still arrive, so that time is re-read
    // and what was already sent at it skipped.
    const auto events = store_.Events("", event_time_ms_, std::numeric_limits<int64_t>::max());
    for (const auto& e : events) {
      const auto key = std::make_tuple(e.machine, e.time_ms, static_cast<int>(e.state));
      if (e.time_ms == event_time_ms_ && events_seen_.count(key)) continue;
      if (e.time_ms > event_time_ms_) {
        event_time_ms_ = e.time_ms;
        events_seen_.clear();
      }
      events_seen_.insert(key);
      Push(last_seq_, SseText("machine", last_seq_, linesight::ToJson(e)));
    }
    std::lock_guard lock(mu_);
    last_error_.clear();
  } catch (const std::exception& e) {
    std::lock_guard lock(mu_);
    if (last_error_.empty()) std::cerr << "live feed: store not readable: " << e.what() << "\n";
    last_error_ = e.what();
  }
}

void LiveFeed::Push(int64_t seq, std::string text) {
  {
    std::lock_guard lock(mu_);
    if (seq > last_seq_) last_seq_ = seq;
    items_.push_back({next_order_++, seq, std::move(text)});
    while (items_.size() > kKeep) items_.pop_front();
  }
  cv_.notify_all();
}

void LiveFeed::Serve(int64_t last_seq, const io::HttpWrite& write) {
  ++clients_;
  struct Leave {
    std::atomic<int>& n;
    ~Leave() { --n; }
  } leave{clients_};
  if (!write("retry: 2000\n\n")) return;
  int64_t position = 0;  // the last order sent
  std::unique_lock lock(mu_);
  position = next_order_ - 1;
  if (last_seq > 0)
    for (const auto& item : items_)
      if (item.seq > last_seq) {
        position = item.order - 1;
        break;
      }
  while (!stopping_) {
    const bool fresh = cv_.wait_for(lock, kKeepAlive, [&] {
      return stopping_ || (!items_.empty() && items_.back().order > position);
    });
    if (stopping_) return;
    std::string out;
    if (!fresh) out = ": keep-alive\n\n";
    for (const auto& item : items_)
      if (item.order > position) out += item.text;
    if (!items_.empty()) position = std::max(position, items_.back().order);
    lock.unlock();
    if (!write(out)) return;
    lock.lock();
  }
}

}  // namespace linesight::server
