// The stations' ingest routes: kept images by content address, then batches of parts and machine
// events, stored once each whatever how often a batch is sent.
#include <chrono>
#include <iostream>
#include <regex>

#include "core/error.h"
#include "core/sha256.h"
#include "server/api_json.h"
#include "server/ingest_batch.h"
#include "server/server_context.h"

namespace linesight::server {
namespace {

const std::regex kImageName("[0-9a-f]{64}\\.(png|jpg)");

// A part that finds the telemetry shot of its number a day or more away is not joined to it (a
// restarted counter, a clock far off): counted, and the first few logged, as telemetry's own.
void LogNotJoined(ServerContext& ctx, const std::vector<std::string>& not_joined) {
  for (const std::string& what : not_joined) {
    const int64_t k = ++ctx.metrics.not_joined_in;
    if (k <= 5 || k % 1000 == 0)
      std::cerr << "ingest: not joined to telemetry (" << k << " so far): " << what
                << ": the machine's shot counter restarted or a clock is far off; the part keeps "
                   "only its own process values\n";
  }
}

// Runs a write of a station's records of `kind`, noting in ctx.writes whether the store took it
// (a request refused as bad, Error{kInput} or {kData}, says nothing of the store).
template <typename F>
auto Written(ServerContext& ctx, WriteHealth::Kind kind, F&& write) {
  try {
    auto result = write();
    ctx.writes.Succeeded(kind);
    return result;
  } catch (const Error& e) {
    if (e.category() != ErrorCategory::kInput && e.category() != ErrorCategory::kData)
      ctx.writes.Failed(kind, e.what(), UtcNowMs());
    throw;
  }
}

io::HttpResponse PostParts(ServerContext& ctx, const std::string& station,
                           const io::HttpRequest& req) {
  const auto start = std::chrono::steady_clock::now();
  ++ctx.metrics.ingest_requests;
  const IngestBatch batch = ParseIngestBatch(req.body, station);
  const auto& parts = batch.parts;
  const auto& events = batch.events;
  // An empty batch writes nothing, so it says nothing of the store either.
  const store::IngestCounts c = parts.empty() && events.empty()
                                    ? store::IngestCounts{}
                                    : Written(ctx, WriteHealth::kParts, [&] {
                                        return ctx.store.Ingest(parts, events, station);
                                      });
  ctx.metrics.parts_in += static_cast<int64_t>(parts.size());
  ctx.metrics.parts_new += c.parts_new;
  ctx.metrics.events_in += static_cast<int64_t>(events.size());
  ctx.metrics.implausible_in += static_cast<int64_t>(batch.implausible.size());
  LogNotJoined(ctx, c.not_joined);
  ctx.metrics.ingest_micros += std::chrono::duration_cast<std::chrono::microseconds>(
                                   std::chrono::steady_clock::now() - start)
                                   .count();
  nlohmann::json answer = {{"parts_new", c.parts_new},
                           {"parts_duplicate", c.parts_duplicate},
                           {"events_new", c.events_new},
                           {"events_duplicate", c.events_duplicate}};
  // Named back to the sender: a sensor reading out of range is stored as not measured.
  if (!batch.implausible.empty()) answer["implausible"] = batch.implausible;
  if (!c.not_joined.empty()) answer["not_joined"] = c.not_joined;
  return JsonAnswer(answer);
}

io::HttpResponse PutImage(ServerContext& ctx, const io::HttpRequest& req) {
  const std::string& name = req.matches.at(0);
  if (!std::regex_match(name, kImageName))
    throw BadRequest("image name must be <sha256 hex>.png or .jpg");
  const std::span<const uint8_t> bytes(reinterpret_cast<const uint8_t*>(req.body.data()),
                                       req.body.size());
  if (bytes.empty()) throw BadRequest("empty image");
  if (Sha256Hex(bytes) != name.substr(0, 64))
    throw BadRequest("the body's SHA-256 differs from the name: the image was damaged in transit");
  // Served back as image/png or image/jpeg to browsers: the bytes must be what the name says.
  static constexpr std::string_view kPng("\x89PNG\r\n\x1a\n", 8), kJpeg("\xff\xd8\xff", 3);
  const std::string_view head(req.body.data(), std::min<size_t>(req.body.size(), 8));
  if (!head.starts_with(name.ends_with(".png") ? kPng : kJpeg))
    throw BadRequest("the body is not a " + std::string(name.ends_with(".png") ? "PNG" : "JPEG") +
                     " image (its first bytes say otherwise): send the image file itself");
  std::lock_guard lock(ctx.images_mu);
  if (ctx.images.Has(name)) return JsonAnswer({{"image", name}, {"stored", false}}, 200);
  Written(ctx, WriteHealth::kImages, [&] {
    ctx.images.Write(name, bytes);
    return true;
  });
  ++ctx.metrics.images_in;
  ctx.metrics.image_bytes_in += static_cast<int64_t>(bytes.size());
  if (ctx.retention) ctx.retention->Wrote(static_cast<int64_t>(bytes.size()));
  return JsonAnswer({{"image", name}, {"stored", true}}, 201);
}

}  // namespace

void AddIngestRoutes(ServerContext& ctx, std::vector<io::HttpRoute>& routes) {
  routes.push_back({"POST", "/api/v1/parts",
                    ForStation(ctx, [&ctx](const std::string& station, const io::HttpRequest& r) {
                      return PostParts(ctx, station, r);
                    })});
  routes.push_back({"PUT", "/api/v1/images/([^/]+)",
                    ForStation(ctx, [&ctx](const std::string&, const io::HttpRequest& r) {
                      return PutImage(ctx, r);
                    })});
}

}  // namespace linesight::server
