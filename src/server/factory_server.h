// server/factory_server.h: the factory server: every station's parts and machine events in,
// the HTTP API of docs/api.md, live updates and the web dashboard out. Holds no state of its own
// beyond caches, so several servers can share one PostgreSQL store.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>

#include "io/mqtt_subscriber.h"
#include "server/alert_watch.h"
#include "server/image_retention.h"
#include "store/store.h"

namespace linesight::io {
class HttpServer;
}

namespace linesight::server {

class Auth;
class TelemetryIn;
class LiveFeed;
struct ServerContext;

struct ServerOptions {
  std::string host = "127.0.0.1";  // bind address; 0.0.0.0 only when told
  int port = 8080;                 // 0 = any free port
  std::string image_dir;           // kept images (content-addressed); required
  std::string web_dir;             // the built dashboard (web/dist); "" = API only
  int threads = 32;                // HTTP threads; each open live stream holds one
  int session_hours = 12;
  std::string tls_cert, tls_key;   // PEM files: serve HTTPS (and mark cookies Secure)
  int live_poll_ms = 250;          // how often the live feed reads the store
  int stream_recheck_ms = 10'000;  // how often a live stream checks its session is still live
  // Sign-in limiter: after this many failed sign-ins of one user name within the window, further
  // attempts are refused (429) until the oldest leaves the window. Counted in the store's audit
  // log, so every server process behind a load balancer sees the same count.
  int login_failures_allowed = 10;
  int login_window_minutes = 15;
  // Image retention (image_retention.h), swept at start and then every interval; 0 = never.
  RetentionOptions retention;
  // OEE's planned run time per part (ISO 22400-2 PRU) when a request gives none: master data of
  // the part on this cell's machines.
  double planned_cycle_s = 90;
  // A machine's own planned cycle, s, where it differs from planned_cycle_s (machines of one
  // plant run different parts at different rates; OEE's effectiveness is judged against each).
  std::map<std::string, double> planned_cycle_s_of;
  // MQTT telemetry in (telemetry_in.h), from the broker of `mqtt`.
  bool telemetry = false;
  io::MqttSubscribeOptions mqtt;
  int retention_interval_s = 600;
  store::ShiftCalendar shifts;
  // "Now" for the parts' own times: which shift is on, where OEE's period ends, the dashboard's
  // now (`now_ms` in GET /api/v1/machines). Unset = the wall clock; the demo sets its cell's
  // clock, whose shift runs hundreds of times faster than the wall clock's.
  std::function<int64_t()> clock;
  // Alerts (alert_watch.h): the watch runs when alerts.interval_s > 0; acks and alerts go to
  // MQTT and the webhook when alerts.delivery names them.
  AlertOptions alerts;
};

class FactoryServer {
 public:
  // Starts serving at once. `store` must outlive the server. Throws Error{kIo} if it cannot bind
  // or create the image folder.
  FactoryServer(store::Store& store, const ServerOptions& options);
  // Ends live streams, then stops the HTTP server.
  ~FactoryServer();
  FactoryServer(const FactoryServer&) = delete;
  FactoryServer& operator=(const FactoryServer&) = delete;

  int port() const;
  // "http://host:port".
  std::string url() const;
  // The alert watch's counters; all zero when it does not run.
  AlertWatchStats alert_stats() const;

 private:
  std::unique_ptr<ServerContext> context_;
  std::unique_ptr<io::HttpServer> http_;
  std::unique_ptr<RetentionSweeper> retention_;
  std::unique_ptr<TelemetryIn> telemetry_;
  std::unique_ptr<AlertDelivery> alert_delivery_;
  std::unique_ptr<AlertWatch> alert_watch_;
};

}  // namespace linesight::server
