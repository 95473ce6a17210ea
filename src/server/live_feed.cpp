#include "server/live_feed.h"

#include <iostream>

#include "core/json_text.h"
#include "server/api_json.h"

namespace linesight::server {
namespace {

constexpr size_t kKeep = 2000;
constexpr auto kKeepAlive = std::chrono::seconds(15);

std::string SseText(std::string_view event, int64_t id, const nlohmann::json& data) {
  return "id: " + std::to_string(id) + "\nevent: " + std::string(event) +
         "\ndata: " + JsonText(data) + "\n\n";
}

}  // namespace

LiveFeed::LiveFeed(store::Store& store, std::chrono::milliseconds poll,
                   std::chrono::milliseconds recheck)
    : store_(store), recheck_(recheck) {
  last_seq_ = store_.LastSeq();
  last_event_id_ = store_.LastEventId();
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
    for (;;) {
      const auto events = store_.EventsAfter(last_event_id_, 500);
      for (const auto& [id, e] : events) {
        last_event_id_ = id;
        Push(last_seq_, SseText("machine", last_seq_, linesight::ToJson(e)));
      }
      if (events.size() < 500) break;
    }
    std::lock_guard lock(mu_);
    last_error_.clear();
  } catch (const std::exception& e) {
    std::lock_guard lock(mu_);
    if (last_error_.empty()) std::cerr << "live feed: store not readable: " << e.what() << "\n";
    last_error_ = e.what();
  }
}

void LiveFeed::Publish(std::string_view event, const nlohmann::json& data) {
  int64_t seq = 0;
  {
    std::lock_guard lock(mu_);
    seq = last_seq_;
  }
  Push(seq, SseText(event, seq, data));
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

void LiveFeed::Serve(int64_t last_seq, const io::HttpWrite& write,
                     const std::function<bool()>& allowed) {
  ++clients_;
  struct Leave {
    std::atomic<int>& n;
    ~Leave() { --n; }
  } leave{clients_};
  if (!write("retry: 2000\n\n")) return;
  auto checked = std::chrono::steady_clock::now();
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
    if (std::chrono::steady_clock::now() - checked >= recheck_) {
      if (!allowed()) return;  // the browser reconnects, gets 401 and signs in again
      checked = std::chrono::steady_clock::now();
    }
    if (!write(out)) return;
    lock.lock();
  }
}

}  // namespace linesight::server
