#include "server/alert_watch.h"

#include <iostream>

#include "core/clock.h"
#include "server/server_context.h"

namespace linesight::server {

void PublishAlert(LiveFeed& feed, AlertDelivery* delivery, std::string_view event,
                  const store::Alert& alert) {
  feed.Publish("alert", AlertMessage(event, alert));
  if (delivery) delivery->Send(event, alert);
}

AlertWatch::AlertWatch(store::Store& store, LiveFeed& feed, AlertDelivery* delivery,
                       const AlertOptions& options)
    : store_(store), feed_(feed), delivery_(delivery), options_(options), die_watch_(options.die) {
  if (!options_.clock) options_.clock = UtcNowMs;
  thread_ = std::thread([this] { Run(); });
}

AlertWatch::~AlertWatch() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

AlertWatchStats AlertWatch::stats() const {
  std::lock_guard lock(mu_);
  return stats_;
}

void AlertWatch::Run() {
  std::unique_lock lock(mu_);
  while (!stopping_) {
    lock.unlock();
    EvaluateOnce();
    lock.lock();
    wake_.wait_for(lock, std::chrono::seconds(std::max(1, options_.interval_s)),
                   [this] { return stopping_; });
  }
}

void AlertWatch::EvaluateOnce() {
  std::string error;
  try {
    const int64_t now = options_.clock();  // may read the store (the demo's cell clock)
    // Committed only once every candidate is raised: a failed evaluation scans the same shots
    // again at the next one.
    JudgedUpTo judged = judged_;
    std::vector<AlertCandidate> found = RejectRateAlerts(store_, now);
    for (auto& c : ProcessAlerts(store_, now, options_.sources, &judged))
      found.push_back(std::move(c));
    for (auto& c : DieLifeAlerts(store_, now, options_.sources)) found.push_back(std::move(c));
    for (auto& c : ClockAlerts(store_, options_.clock)) found.push_back(std::move(c));
    for (auto& c : die_watch_.Evaluate(store_)) found.push_back(std::move(c));
    for (const auto& c : found) Raise(c, now);
    judged_ = std::move(judged);
    // Alerts of past hours are never raised again: forget them after a day.
    std::erase_if(last_streamed_ms_, [&](const auto& kv) { return now - kv.second > 86'400'000; });
  } catch (const std::exception& e) {
    error = e.what();
  }
  std::lock_guard lock(mu_);
  ++stats_.evaluations;
  if (!error.empty() && stats_.last_error.empty())
    std::cerr << "alert watch: evaluation failed, retrying: " << error << "\n";
  stats_.last_error = error;
}

// A person's ack of the same evidence ends the matter: the condition is only raised again when
// newer evidence (a later hour, a later shot) shows it. Evidence is compared with evidence, both
// dated on the parts' clock, so a station whose clock runs ahead of the server's does not bring
// acknowledged alerts back.
bool AlertWatch::AlreadyAcknowledged(const AlertCandidate& c) {
  store::AlertQuery q;
  q.open_only = false;
  q.key = c.key;
  q.limit = 1;
  const auto newest = store_.Alerts(q);
  return !newest.empty() && newest[0].acked && newest[0].input.evidence_ms >= c.evidence_ms;
}

void AlertWatch::Raise(const AlertCandidate& c, int64_t now_ms) {
  if (AlreadyAcknowledged(c)) return;
  const store::RaisedAlert r = store_.RaiseAlert(c, now_ms);
  {
    std::lock_guard lock(mu_);
    ++(r.fresh ? stats_.raised : stats_.repeated);
  }
  const int64_t every_ms = int64_t{options_.repeat_every_s} * 1000;
  // The plant's webhook and MQTT: the store keeps when each alert last went out to them, so a
  // restarted server, or a second one on the same store, does not send it again early.
  const auto claimed = store_.ClaimAlertNotice(r.id, now_ms, every_ms);
  if (claimed && delivery_) delivery_->Send(claimed->first ? "raised" : "repeated", claimed->alert);
  // This server's own live stream (its browsers): new alerts at once, repeats at most every
  // interval, whichever server claimed them.
  const bool first = r.fresh || (claimed && claimed->first);
  const auto sent = last_streamed_ms_.find(r.id);
  if (!first && sent != last_streamed_ms_.end() && now_ms - sent->second < every_ms) return;
  const auto alert = claimed ? std::optional(claimed->alert) : store_.GetAlert(r.id);
  if (!alert) return;
  last_streamed_ms_[r.id] = now_ms;
  feed_.Publish("alert", AlertMessage(first ? "raised" : "repeated", *alert));
}

}  // namespace linesight::server
