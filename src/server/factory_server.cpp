#include "server/factory_server.h"

#include <chrono>
#include <iostream>
#include <mutex>

#include "core/clock.h"
#include "core/error.h"
#include "server/api_json.h"
#include "server/server_context.h"
#include "server/telemetry_in.h"

namespace linesight::server {
namespace {
constexpr size_t kPersonBodyLimit = 64 << 10;
}  // namespace

ServerContext::ServerContext(store::Store& s, const ServerOptions& o)
    : store(s),
      options(o),
      auth(s, AuthOptions{o.session_hours, !o.tls_cert.empty()}),
      images(o.image_dir, true),
      feed(s, std::chrono::milliseconds(o.live_poll_ms),
           std::chrono::milliseconds(o.stream_recheck_ms)) {}

std::string ServerFault(const std::string& cause) {
  // One line per new cause, not one per request while the database is away.
  static std::mutex mu;
  static std::string last;
  {
    std::lock_guard lock(mu);
    if (cause != last) {
      last = cause;
      std::cerr << "linesight server: " << cause << "\n";
    }
  }
  return "the server or its store failed; retry later. Its log says why (linesight server's "
         "standard error)";
}

void WriteHealth::Failed(Kind kind, const std::string& cause, int64_t now_ms) {
  std::lock_guard lock(mu_);
  State& s = states_[kind];
  if (s.since_ms < 0) s.since_ms = now_ms;
  s.cause = cause;
}

void WriteHealth::Succeeded(Kind kind) {
  std::lock_guard lock(mu_);
  states_[kind] = {};
}

std::optional<std::pair<std::string, int64_t>> WriteHealth::failing() const {
  std::lock_guard lock(mu_);
  const State* first = nullptr;  // the kind failing longest
  for (const State& s : states_)
    if (s.since_ms >= 0 && (!first || s.since_ms < first->since_ms)) first = &s;
  if (!first) return std::nullopt;
  return std::pair{first->cause, first->since_ms};
}

io::HttpResponse Guarded(ServerContext& ctx, const std::function<io::HttpResponse()>& handler) {
  ++ctx.metrics.requests;
  io::HttpResponse r;
  try {
    r = handler();
  } catch (const BadRequest& e) {
    r = io::JsonError(400, "bad_request", e.what());
  } catch (const store::PartConflict& e) {
    r = io::JsonError(409, "conflict", e.what());
  } catch (const Error& e) {
    if (e.category() == ErrorCategory::kInput || e.category() == ErrorCategory::kData)
      r = io::JsonError(400, "bad_request", e.what());
    else if (e.category() == ErrorCategory::kIo)
      r = io::JsonError(503, "unavailable", ServerFault(e.what()));
    else
      r = io::JsonError(500, "internal", ServerFault(e.what()));
  } catch (const std::exception& e) {
    r = io::JsonError(500, "internal", ServerFault(e.what()));
  }
  if (r.status >= 500) ++ctx.metrics.errors_5xx;
  if (r.status >= 400 && r.status < 500) ++ctx.metrics.errors_4xx;
  return r;
}

io::HttpHandler ForPerson(ServerContext& ctx, store::Role needed, PersonHandler handler) {
  return [&ctx, needed, handler = std::move(handler)](const io::HttpRequest& req) {
    return Guarded(ctx, [&] {
      const auto caller = ctx.auth.Person(req, UtcNowMs());
      if (!caller) return io::JsonError(401, "unauthorized", "log in first (POST /api/v1/login)");
      if (!Auth::Allows(caller->role, needed))
        return io::JsonError(403, "forbidden",
                             "the role " + std::string(store::RoleName(caller->role)) +
                                 " may not do this; it needs " +
                                 std::string(store::RoleName(needed)));
      if (req.body.size() > kPersonBodyLimit)
        return io::JsonError(413, "too_large", "request body over 64 KiB");
      if (req.method != "GET" && !Auth::CsrfOk(req, *caller))
        return io::JsonError(403, "forbidden",
                             "missing or wrong X-CSRF-Token header (from the login answer or "
                             "GET /api/v1/me)");
      return handler(*caller, req);
    });
  };
}

io::HttpHandler ForStation(ServerContext& ctx, StationHandler handler) {
  return [&ctx, handler = std::move(handler)](const io::HttpRequest& req) {
    return Guarded(ctx, [&] {
      const auto station = ctx.auth.Station(req);
      if (!station)
        return io::JsonError(401, "unauthorized",
                             "missing or unknown station token (Authorization: Bearer <token>; "
                             "an admin makes one with linesight server token)");
      return handler(*station, req);
    });
  };
}

FactoryServer::FactoryServer(store::Store& store, const ServerOptions& options)
    : context_(std::make_unique<ServerContext>(store, options)) {
  // Before the HTTP server: a bad webhook URL then fails the start with nothing to unwind.
  const AlertDeliveryOptions& delivery = options.alerts.delivery;
  if (!delivery.mqtt_host.empty() || !delivery.webhook_url.empty()) {
    alert_delivery_ = std::make_unique<AlertDelivery>(delivery);
    context_->alert_delivery = alert_delivery_.get();
  }
  std::vector<io::HttpRoute> routes;
  AddIngestRoutes(*context_, routes);
  AddReadRoutes(*context_, routes);
  AddStatsRoutes(*context_, routes);
  AddSpcRoutes(*context_, routes);
  AddProcessRoutes(*context_, routes);
  AddOeeRoutes(*context_, routes);
  AddPeopleRoutes(*context_, routes);
  AddAlertRoutes(*context_, routes);
  AddOpsRoutes(*context_, routes);
  AddWebRoutes(*context_, routes);
  io::HttpServerOptions http;
  http.host = options.host;
  http.port = options.port;
  http.threads = options.threads;
  http.max_body_bytes = 16u << 20;
  http.tls_cert = options.tls_cert;
  http.tls_key = options.tls_key;
  http_ = std::make_unique<io::HttpServer>(http, std::move(routes));
  if (options.retention_interval_s > 0) {
    retention_ =
        std::make_unique<RetentionSweeper>(store, options.image_dir, options.retention,
                                           std::chrono::seconds(options.retention_interval_s));
    context_->retention = retention_.get();
  }
  if (options.telemetry) {
    telemetry_ = std::make_unique<TelemetryIn>(store, options.mqtt);
    context_->telemetry = telemetry_.get();
  }
  if (options.alerts.interval_s > 0) {
    alert_watch_ =
        std::make_unique<AlertWatch>(store, context_->feed, alert_delivery_.get(), options.alerts);
    context_->alert_watch = alert_watch_.get();
  }
}

FactoryServer::~FactoryServer() {
  context_->alert_watch = nullptr;
  alert_watch_.reset();
  context_->telemetry = nullptr;
  telemetry_.reset();
  context_->retention = nullptr;
  retention_.reset();
  context_->feed.Stop();  // streams hold HTTP threads: end them before the server joins those
  http_.reset();
  context_->alert_delivery = nullptr;  // after the routes that send acks have stopped
  alert_delivery_.reset();
}

int FactoryServer::port() const { return http_->port(); }

std::string FactoryServer::url() const {
  return (context_->options.tls_cert.empty() ? "http://" : "https://") + http_->host() + ":" +
         std::to_string(http_->port());
}

AlertWatchStats FactoryServer::alert_stats() const {
  return alert_watch_ ? alert_watch_->stats() : AlertWatchStats{};
}

}  // namespace linesight::server
