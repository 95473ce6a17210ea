// server/server_context.h: what every API route shares (store, auth, images, live feed, metrics)
// and the wrappers that check who is asking and turn errors into the API's JSON errors.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/clock.h"
#include "io/http_server.h"
#include "server/auth.h"
#include "server/factory_server.h"
#include "server/live_feed.h"
#include "store/image_folder.h"
#include "store/store.h"

namespace linesight::server {

// Counters for /metrics, updated by the routes.
struct ServerMetrics {
  std::atomic<int64_t> ingest_requests{0}, ingest_errors{0}, parts_in{0}, parts_new{0};
  std::atomic<int64_t> events_in{0}, images_in{0}, image_bytes_in{0};
  std::atomic<int64_t> implausible_in{0};  // process values out of range, stored as not measured
  std::atomic<int64_t> not_joined_in{0};   // parts too far from the telemetry shot of their number
  std::atomic<int64_t> ingest_micros{0};   // summed ingest handling time
  std::atomic<int64_t> requests{0}, errors_4xx{0}, errors_5xx{0};
};

// Whether the latest write of stations' parts, or of their images, failed (a full disk, a
// database that refuses or does not answer): /healthz is degraded while either did, though reads
// still work. Server-wide: every station writes to the same store and image folder.
class WriteHealth {
 public:
  enum Kind { kParts, kImages };
  void Failed(Kind kind, const std::string& cause, int64_t now_ms);
  void Succeeded(Kind kind);
  // The cause of the failing writes and since when (the first failure after a success), or
  // nullopt if the latest write of each kind succeeded.
  std::optional<std::pair<std::string, int64_t>> failing() const;

 private:
  struct State {
    std::string cause;
    int64_t since_ms = -1;  // -1: the latest write succeeded
  };
  mutable std::mutex mu_;
  State states_[2];
};

struct ServerContext {
  ServerContext(store::Store& s, const ServerOptions& o);

  store::Store& store;
  ServerOptions options;
  Auth auth;
  store::ImageFolder images;
  std::mutex images_mu;  // ImageFolder is not thread-safe
  LiveFeed feed;
  ServerMetrics metrics;
  WriteHealth writes;
  RetentionSweeper* retention = nullptr;    // null when retention is off
  const TelemetryIn* telemetry = nullptr;   // null without MQTT telemetry
  AlertDelivery* alert_delivery = nullptr;  // null without --alert-mqtt or --alert-webhook
  const AlertWatch* alert_watch = nullptr;  // null when the alert watch is off

  std::atomic<int> streams{0};  // live streams open (each holds an HTTP thread)

  // Now on the parts' clock (ServerOptions::clock), UTC ms.
  int64_t Now() const { return options.clock ? options.clock() : UtcNowMs(); }
};

// What a client is told of a failure of the server or its store: that it failed and where the
// cause is. The cause itself (a database address, an SQL statement, a file path) is logged, not
// sent to whoever asked: /healthz and /login answer anyone.
std::string ServerFault(const std::string& cause);

using PersonHandler = std::function<io::HttpResponse(const Caller&, const io::HttpRequest&)>;
using StationHandler =
    std::function<io::HttpResponse(const std::string& station, const io::HttpRequest&)>;

// A route for people: 401 without a live session, 403 if the role is below `needed` or, for a
// write (any method but GET), the CSRF token is wrong. Errors become JSON answers (Guarded).
io::HttpHandler ForPerson(ServerContext& ctx, store::Role needed, PersonHandler handler);
// A route for stations: 401 without a known bearer token.
io::HttpHandler ForStation(ServerContext& ctx, StationHandler handler);
// Runs `handler`, answering BadRequest and Error{kInput} with 400, Error{kIo} with 503 (store
// unreachable: retry), anything else with 500; counts the answer in the metrics.
io::HttpResponse Guarded(ServerContext& ctx, const std::function<io::HttpResponse()>& handler);

// The route tables, one per file.
void AddIngestRoutes(ServerContext& ctx, std::vector<io::HttpRoute>& routes);
void AddReadRoutes(ServerContext& ctx, std::vector<io::HttpRoute>& routes);
void AddStatsRoutes(ServerContext& ctx, std::vector<io::HttpRoute>& routes);
void AddSpcRoutes(ServerContext& ctx, std::vector<io::HttpRoute>& routes);
void AddProcessRoutes(ServerContext& ctx, std::vector<io::HttpRoute>& routes);
void AddOeeRoutes(ServerContext& ctx, std::vector<io::HttpRoute>& routes);
void AddPeopleRoutes(ServerContext& ctx, std::vector<io::HttpRoute>& routes);
void AddAlertRoutes(ServerContext& ctx, std::vector<io::HttpRoute>& routes);
void AddOpsRoutes(ServerContext& ctx, std::vector<io::HttpRoute>& routes);
void AddWebRoutes(ServerContext& ctx, std::vector<io::HttpRoute>& routes);

}  // namespace linesight::server
