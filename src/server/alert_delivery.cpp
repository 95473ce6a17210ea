#include "server/alert_delivery.h"

#include <algorithm>
#include <cctype>
#include <iostream>

#include "core/error.h"
#include "io/http_client.h"
#include "io/mqtt_publisher.h"
#include "server/api_json.h"

namespace linesight::server {
namespace {

constexpr int kMaxBackoffMs = 60'000;

// Splits "http://host:port/path?q" into the client's base URL and the request's path.
std::pair<std::string, std::string> SplitUrl(const std::string& url) {
  const size_t scheme = url.find("://");
  if (scheme == std::string::npos || url.size() > 2000)
    throw Error(ErrorCategory::kInput, "--alert-webhook: not a URL: " + url.substr(0, 100),
                "give http(s)://host[:port]/path, as the chat app shows it");
  const size_t path = url.find('/', scheme + 3);
  if (path == std::string::npos) return {url, "/"};
  return {url.substr(0, path), url.substr(path)};
}

io::HttpClientOptions ClientOptions(const std::string& base, double timeout_s) {
  io::HttpClientOptions o;
  o.base_url = base;
  o.connect_timeout_s = timeout_s;
  o.timeout_s = timeout_s;
  return o;
}

bool Retryable(int status) { return status == 408 || status == 429 || status >= 500; }

// Text from people and stations (a note, a machine's name) as a chat app must show it: as text.
// Slack reads <...> as links and mentions (<!channel>) and wants &, <, > escaped; Slack, Teams
// and Mattermost notify everyone for @channel, @here, @all, @everyone, and Mattermost shows
// ![..](url) as an image. A zero-width space after "@" and "!" keeps each word readable, inert.
std::string ChatText(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    const char* escaped = c == '&' ? "&amp;" : c == '<' ? "&lt;" : c == '>' ? "&gt;" : nullptr;
    if (escaped)
      out += escaped;
    else
      out += c;
    const char next = i + 1 < text.size() ? text[i + 1] : '\0';
    if ((c == '@' && std::isalpha(static_cast<unsigned char>(next))) || (c == '!' && next == '['))
      out += "\u200b";
  }
  return out;
}

}  // namespace

nlohmann::json AlertMessage(std::string_view event, const store::Alert& alert) {
  return {{"event", event}, {"alert", ToJson(alert)}};
}

std::string AlertChatLine(std::string_view event, const store::Alert& alert) {
  const std::string id = " (alert " + std::to_string(alert.id) + ")";
  if (event == "acked")
    return "[ACK] " + ChatText(alert.acked_by) + " acknowledged: " + ChatText(alert.input.title) +
           id + (alert.ack_note.empty() ? "" : " - \"" + ChatText(alert.ack_note) + "\"");
  std::string level =
      alert.input.severity == store::AlertSeverity::kAlarm ? "[ALARM] " : "[WARNING] ";
  std::string line = level + ChatText(alert.input.title) + id;
  // A reminder of a condition that stands says so; one that came back says how often.
  if (event == "repeated")
    line += alert.occurrences > 1 ? ", seen " + std::to_string(alert.occurrences) + " times"
                                  : ", still open";
  return line;
}

AlertDelivery::AlertDelivery(const AlertDeliveryOptions& options)
    : options_(options), topic_("linesight/v1/" + options.site + "/alerts") {
  if (!options_.webhook_url.empty()) {
    std::tie(webhook_base_, webhook_path_) = SplitUrl(options_.webhook_url);
    io::HttpClient check(ClientOptions(webhook_base_, options_.webhook_timeout_s));  // URL check
    webhook_thread_ = std::thread([this] { WebhookLoop(); });
  }
  if (!options_.mqtt_host.empty()) {
    io::MqttOptions m;
    m.host = options_.mqtt_host;
    m.port = options_.mqtt_port;
    m.qos = 1;
    mqtt_ = std::make_unique<io::MqttPublisher>(m);
  }
}

AlertDelivery::~AlertDelivery() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (webhook_thread_.joinable()) webhook_thread_.join();
  mqtt_.reset();
}

void AlertDelivery::Send(std::string_view event, const store::Alert& alert) {
  nlohmann::json message = AlertMessage(event, alert);
  if (mqtt_) {
    mqtt_->Publish(topic_, JsonText(message), false);
    std::lock_guard lock(mu_);
    ++stats_.mqtt_queued;
  }
  if (options_.webhook_url.empty()) return;
  message["text"] = AlertChatLine(event, alert);
  {
    std::lock_guard lock(mu_);
    webhook_queue_.push_back(JsonText(message));
    while (webhook_queue_.size() > static_cast<size_t>(std::max(1, options_.webhook_queue_max))) {
      webhook_queue_.pop_front();
      ++stats_.webhook_failed;
    }
  }
  wake_.notify_all();
}

AlertDeliveryStats AlertDelivery::stats() const {
  std::lock_guard lock(mu_);
  AlertDeliveryStats s = stats_;
  if (mqtt_) s.mqtt_failed = static_cast<int64_t>(mqtt_->counters().dropped);
  return s;
}

void AlertDelivery::WebhookLoop() {
  std::unique_lock lock(mu_);
  while (!stopping_) {
    wake_.wait(lock, [this] { return stopping_ || !webhook_queue_.empty(); });
    if (stopping_) return;
    const std::string body = std::move(webhook_queue_.front());
    webhook_queue_.pop_front();
    if (PostWithRetries(body, lock))
      ++stats_.webhook_sent;
    else
      ++stats_.webhook_failed;
  }
}

// Called and returns with `lock` held; posts without it. A new client per message: chat
// services close idle connections, and a message every few minutes gains nothing from reuse.
bool AlertDelivery::PostWithRetries(const std::string& body, std::unique_lock<std::mutex>& lock) {
  int backoff = std::max(1, options_.webhook_backoff_ms);
  for (int attempt = 1; !stopping_; ++attempt) {
    lock.unlock();
    std::string error;
    bool retry = true;
    try {
      io::HttpClient client(ClientOptions(webhook_base_, options_.webhook_timeout_s));
      const io::HttpAnswer a = client.Post(webhook_path_, body, "application/json");
      if (a.status >= 200 && a.status < 300) {
        lock.lock();
        stats_.webhook_last_error.clear();
        return true;
      }
      error = "HTTP " + std::to_string(a.status) + ": " + a.body.substr(0, 200);
      retry = Retryable(a.status);
    } catch (const std::exception& e) {
      error = e.what();
    }
    lock.lock();
    if (stats_.webhook_last_error.empty())
      std::cerr << "alert webhook: " << error
                << (retry ? " (tried again with backoff)"
                          : " (not tried again: the webhook refuses this message; check its URL)")
                << "\n";
    stats_.webhook_last_error = error;
    if (retry && attempt >= options_.webhook_attempts)
      std::cerr << "alert webhook: gave up on one message after " << attempt
                << " attempts; the alert stays on the dashboard and in GET /api/v1/alerts\n";
    if (!retry || attempt >= options_.webhook_attempts) return false;
    ++stats_.webhook_retries;
    wake_.wait_for(lock, std::chrono::milliseconds(backoff), [this] { return stopping_; });
    backoff = std::min(backoff * 2, kMaxBackoffMs);
  }
  return false;
}

}  // namespace linesight::server
