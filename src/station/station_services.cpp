#include "station/station_services.h"

#include "core/json_text.h"

namespace linesight::station {
namespace {

io::MqttOptions MqttOptionsOf(const StationConfig& c, const std::string& prefix) {
  io::MqttOptions o;
  o.host = c.mqtt.host;
  o.port = c.mqtt.port;
  o.client_id = c.mqtt.client_id.empty() ? c.station : c.mqtt.client_id;
  o.qos = c.mqtt.qos;
  o.queue_max = c.mqtt.queue_max;
  o.will_topic = prefix + "status";
  o.will_payload = nlohmann::json{{"state", "offline"}, {"station", c.station}}.dump();
  return o;
}

io::HttpResponse Health(const StationSnapshot& s) {
  return io::HttpResponse{s.fault ? 503 : 200, "application/json", JsonText(HealthJson(s)) + "\n"};
}

}  // namespace

namespace {
constexpr int kHttpThreads = 8;
}  // namespace

StationServices::StationServices(const StationConfig& config,
                                 std::function<StationSnapshot()> snapshot)
    : snapshot_(std::move(snapshot)) {
  if (config.http.enabled) {
    io::HttpServerOptions o;
    o.host = config.http.host;
    o.port = config.http.port;
    // Each open connection holds a handler thread until it sends or times out: a browser's idle
    // preconnects (or a scanner) on 2 threads with 10 s silenced /healthz, and the monitoring
    // then called a running station down. Health and metrics requests arrive whole at once.
    o.threads = kHttpThreads;
    o.read_timeout_s = 2;
    http_ = std::make_unique<io::HttpServer>(
        o, io::HttpRoutes{{"/healthz", [this] { return Health(snapshot_()); }},
                          {"/metrics", [this] {
                             return io::HttpResponse{200,
                                                     "text/plain; version=0.0.4; charset=utf-8",
                                                     MetricsText(snapshot_())};
                           }}});
  }
  if (config.mqtt.enabled) {
    prefix_ =
        "linesight/v1/" + config.mqtt.site + "/" + config.mqtt.line + "/" + config.machine + "/";
    mqtt_ = std::make_unique<io::MqttPublisher>(MqttOptionsOf(config, prefix_));
    mqtt_->SetRetained(prefix_ + "status", JsonText(StatusJson(snapshot_())));
    status_ = std::thread([this, every = config.mqtt.status_every_s] { StatusLoop(every); });
  }
}

StationServices::~StationServices() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (status_.joinable()) status_.join();
  http_.reset();
  if (mqtt_) {
    nlohmann::json offline = StatusJson(snapshot_());
    offline["state"] = "offline";
    mqtt_->SetRetained(prefix_ + "status", JsonText(offline));
    mqtt_.reset();  // sends what is queued (at most ~1 s), then disconnects
  }
}

void StationServices::OnPart(const PartRecord& part) {
  if (mqtt_) mqtt_->Publish(prefix_ + "part", JsonText(ToJson(part)));
}

void StationServices::StatusLoop(int every_s) {
  std::unique_lock lock(mu_);
  while (!wake_.wait_for(lock, std::chrono::seconds(every_s), [this] { return stopping_; })) {
    lock.unlock();
    mqtt_->SetRetained(prefix_ + "status", JsonText(StatusJson(snapshot_())));
    lock.lock();
  }
}

}  // namespace linesight::station
