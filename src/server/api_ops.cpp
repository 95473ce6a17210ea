// Operations routes: the live stream (Server-Sent Events), /healthz and Prometheus /metrics.
#include <algorithm>
#include <memory>
#include <sstream>

#include "server/api_json.h"
#include "server/server_context.h"
#include "server/telemetry_in.h"

namespace linesight::server {
namespace {

// HTTP threads live streams may not take, of `threads`: the stations' ingest and the API need
// them (a quarter, at least 2: 8 of the default 32).
int ThreadsKeptFromStreams(int threads) { return std::max(2, threads / 4); }

io::HttpResponse Stream(ServerContext& ctx, const Caller& caller, const io::HttpRequest& req) {
  int64_t last = 0;
  const std::string id = req.Header("Last-Event-ID");
  if (!id.empty()) {
    try {
      last = std::stoll(id);
    } catch (const std::exception&) {
      last = 0;  // a garbled id only costs the replay
    }
  }
  // Each stream holds an HTTP thread for as long as it is open: past this many, ingest from the
  // stations and every API call would wait for a thread (the server looked hung at 32 streams).
  const int kept = ThreadsKeptFromStreams(ctx.options.threads);
  const int most = std::max(1, ctx.options.threads - kept);
  if (ctx.streams.fetch_add(1) >= most) {
    ctx.streams.fetch_sub(1);
    io::HttpResponse busy = io::JsonError(
        503, "too_many_streams",
        std::to_string(most) + " live streams are open, the most this server keeps while leaving " +
            std::to_string(kept) + " of its " + std::to_string(ctx.options.threads) +
            " threads for the stations and the API: close a dashboard, or start the server with "
            "more --threads");
    busy.headers.emplace_back("Retry-After", "30");
    return busy;
  }
  io::HttpResponse r{200, "text/event-stream", ""};
  r.headers.emplace_back("Cache-Control", "no-cache");
  r.headers.emplace_back("X-Accel-Buffering", "no");  // proxies must not hold events back
  // Counted down when the last copy of the stream is gone, whether or not it ever ran (a client
  // may leave before the first byte).
  const std::shared_ptr<void> open(nullptr, [&ctx](void*) { ctx.streams.fetch_sub(1); });
  r.stream = [&ctx, last, open, caller](const io::HttpWrite& write) {
    ctx.feed.Serve(last, write, [&] {
      try {
        return ctx.auth.StillLive(caller, UtcNowMs());
      } catch (const std::exception&) {
        return false;  // the store cannot say: the browser reconnects and asks again
      }
    });
  };
  return r;
}

io::HttpResponse Health(ServerContext& ctx) {
  try {
    const int schema = ctx.store.schema_version();
    const std::string feed = ctx.feed.last_error();
    const auto writes = ctx.writes.failing();
    const bool ok = feed.empty() && !writes;
    nlohmann::json j{
        {"status", ok ? "ok" : "degraded"}, {"store", ctx.store.engine()}, {"schema", schema}};
    if (!feed.empty()) j["live_feed_error"] = ServerFault(feed);
    if (writes) {
      j["write_error"] = ServerFault(writes->first);
      j["writes_failing_since_ms"] = writes->second;
    }
    return JsonAnswer(j, ok ? 200 : 503);
  } catch (const std::exception& e) {
    return JsonAnswer({{"status", "down"}, {"error", ServerFault(e.what())}}, 503);
  }
}

void Metric(std::ostringstream& o, const char* name, const char* type, const char* help,
            double value) {
  o << "# HELP " << name << ' ' << help << "\n# TYPE " << name << ' ' << type << '\n'
    << name << ' ' << value << '\n';
}

void AlertMetrics(const ServerContext& ctx, std::ostringstream& o) {
  if (ctx.alert_watch) {
    const AlertWatchStats w = ctx.alert_watch->stats();
    Metric(o, "linesight_alerts_raised_total", "counter", "new alerts raised by this server",
           static_cast<double>(w.raised));
    Metric(o, "linesight_alert_evaluations_total", "counter", "alert watch evaluations",
           static_cast<double>(w.evaluations));
  }
  if (!ctx.alert_delivery) return;
  const AlertDeliveryStats d = ctx.alert_delivery->stats();
  o << "# HELP linesight_alert_deliveries_failed_total alert messages given up on\n"
    << "# TYPE linesight_alert_deliveries_failed_total counter\n";
  if (ctx.alert_delivery->mqtt())
    o << "linesight_alert_deliveries_failed_total{target=\"mqtt\"} " << d.mqtt_failed << '\n';
  if (ctx.alert_delivery->webhook()) {
    o << "linesight_alert_deliveries_failed_total{target=\"webhook\"} " << d.webhook_failed << '\n';
    Metric(o, "linesight_alert_webhook_sent_total", "counter", "alert messages the webhook took",
           static_cast<double>(d.webhook_sent));
    Metric(o, "linesight_alert_webhook_retries_total", "counter", "webhook attempts retried",
           static_cast<double>(d.webhook_retries));
  }
}

io::HttpResponse Metrics(ServerContext& ctx) {
  const ServerMetrics& m = ctx.metrics;
  std::ostringstream o;
  Metric(o, "linesight_server_requests_total", "counter", "API requests answered", m.requests);
  Metric(o, "linesight_server_errors_4xx_total", "counter", "answers 400-499", m.errors_4xx);
  Metric(o, "linesight_server_errors_5xx_total", "counter", "answers 500-599", m.errors_5xx);
  Metric(o, "linesight_ingest_requests_total", "counter", "ingest batches", m.ingest_requests);
  Metric(o, "linesight_ingest_parts_total", "counter", "parts received", m.parts_in);
  Metric(o, "linesight_ingest_parts_new_total", "counter", "parts stored (not duplicates)",
         m.parts_new);
  Metric(o, "linesight_ingest_implausible_total", "counter",
         "parts' process values out of their sensor's range, stored as not measured",
         m.implausible_in);
  Metric(o, "linesight_ingest_not_joined_total", "counter",
         "parts a day or more from the telemetry shot of their number (not joined; logged)",
         m.not_joined_in);
  Metric(o, "linesight_ingest_events_total", "counter", "machine events received", m.events_in);
  Metric(o, "linesight_ingest_images_total", "counter", "images stored", m.images_in);
  Metric(o, "linesight_ingest_image_bytes_total", "counter", "image bytes stored",
         m.image_bytes_in);
  Metric(o, "linesight_ingest_seconds_total", "counter", "time spent handling ingest batches",
         static_cast<double>(m.ingest_micros.load()) / 1e6);
  Metric(o, "linesight_live_clients", "gauge", "open live streams", ctx.feed.clients());
  if (ctx.telemetry) {
    const TelemetryStats t = ctx.telemetry->stats();
    Metric(o, "linesight_telemetry_received_total", "counter", "telemetry messages received",
           static_cast<double>(t.received));
    Metric(o, "linesight_telemetry_shots_total", "counter", "shots stored from telemetry",
           static_cast<double>(t.stored));
    Metric(o, "linesight_telemetry_duplicates_total", "counter", "shots received again",
           static_cast<double>(t.duplicates));
    Metric(o, "linesight_telemetry_conflicts_total", "counter",
           "shots over a day from the stored shot or part of their number (not joined; logged)",
           static_cast<double>(t.conflicts));
    Metric(o, "linesight_telemetry_refused_total", "counter", "messages refused (see the log)",
           static_cast<double>(t.refused));
    Metric(o, "linesight_telemetry_implausible_total", "counter",
           "values out of their sensor's range, stored as not measured",
           static_cast<double>(t.implausible));
    Metric(o, "linesight_telemetry_ignored_keys_total", "counter",
           "process keys linesight does not know, not stored (the log names each once)",
           static_cast<double>(t.ignored_keys));
    Metric(o, "linesight_telemetry_dropped_total", "counter",
           "shots lost while the store was away too long", static_cast<double>(t.dropped));
    Metric(o, "linesight_telemetry_queued", "gauge", "shots waiting for the store",
           static_cast<double>(t.queued));
    Metric(o, "linesight_telemetry_connected", "gauge", "1 if subscribed at the broker",
           t.subscribed ? 1 : 0);
  }
  AlertMetrics(ctx, o);
  if (ctx.retention) {
    const RetentionReport r = ctx.retention->last();
    Metric(o, "linesight_images_files", "gauge", "kept images on disk (last retention sweep)",
           static_cast<double>(r.files));
    Metric(o, "linesight_images_bytes", "gauge", "bytes of kept images (last retention sweep)",
           static_cast<double>(r.bytes));
    Metric(o, "linesight_images_over_cap", "gauge",
           "1 if only images that must stay are left and they exceed the cap", r.over_cap);
  }
  try {
    const store::StoreCounts c = ctx.store.Counts();
    Metric(o, "linesight_store_parts", "gauge", "parts stored", static_cast<double>(c.parts));
    Metric(o, "linesight_store_events", "gauge", "machine events stored",
           static_cast<double>(c.events));
    Metric(o, "linesight_store_bytes", "gauge", "store size on disk", static_cast<double>(c.bytes));
    Metric(o, "linesight_alerts_open", "gauge", "alerts not yet acknowledged",
           static_cast<double>(ctx.store.CountOpenAlerts()));
    Metric(o, "linesight_store_up", "gauge", "1 if the store answered", 1);
  } catch (const std::exception&) {
    Metric(o, "linesight_store_up", "gauge", "1 if the store answered", 0);
  }
  return io::HttpResponse{200, "text/plain; version=0.0.4; charset=utf-8", o.str()};
}

}  // namespace

void AddOpsRoutes(ServerContext& ctx, std::vector<io::HttpRoute>& routes) {
  routes.push_back(
      {"GET", "/api/v1/stream",
       ForPerson(ctx, store::Role::kOperator,
                 [&ctx](const Caller& c, const io::HttpRequest& r) { return Stream(ctx, c, r); })});
  routes.push_back({"GET", "/healthz", [&ctx](const io::HttpRequest&) { return Health(ctx); }});
  routes.push_back({"GET", "/metrics", [&ctx](const io::HttpRequest&) { return Metrics(ctx); }});
}

}  // namespace linesight::server
