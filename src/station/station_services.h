// station/station_services.h: what a station serves besides the PLC — the MQTT live feed (each
// part's record, a retained status, a last will) and /healthz + /metrics over HTTP. Each runs on
// its own threads; the line thread only hands over a record (OnPart), which never blocks.
#pragma once

#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "core/part_record.h"
#include "io/http_server.h"
#include "io/mqtt_publisher.h"
#include "station/station_config.h"
#include "station/station_metrics.h"

namespace linesight::station {

class StationServices {
 public:
  // Starts what `config` enables (mqtt.enabled, http.enabled). `snapshot` is called from the
  // services' threads and must be thread-safe. Throws Error{kIo} if the HTTP port cannot be
  // bound; a broker that is down is not an error (it is retried).
  StationServices(const StationConfig& config, std::function<StationSnapshot()> snapshot);
  // Publishes a final retained status {"state":"offline"} and stops both services.
  ~StationServices();
  StationServices(const StationServices&) = delete;
  StationServices& operator=(const StationServices&) = delete;

  // After the part is in the outbox: queues its record for MQTT. Never blocks.
  void OnPart(const PartRecord& part);

  // "" when MQTT is off; else e.g. "linesight/v1/plant1/cell1/M3/".
  const std::string& topic_prefix() const { return prefix_; }
  // The HTTP port (the bound one when configured as 0); 0 when HTTP is off.
  int http_port() const { return http_ ? http_->port() : 0; }
  // Null when MQTT is off.
  const io::MqttPublisher* mqtt() const { return mqtt_.get(); }

 private:
  void StatusLoop(int every_s);

  std::function<StationSnapshot()> snapshot_;
  std::string prefix_;
  std::unique_ptr<io::MqttPublisher> mqtt_;
  std::unique_ptr<io::HttpServer> http_;
  std::mutex mu_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread status_;
};

}  // namespace linesight::station
