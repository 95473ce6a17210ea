// The read routes for people: machines, part search and detail, kept images, the review queue
// and machine events.
#include <fstream>
#include <regex>
#include <sstream>

#include "core/clock.h"
#include "core/error.h"
#include "server/api_json.h"
#include "server/server_context.h"

namespace linesight::server {
namespace {

using store::Role;

io::HttpResponse Machines(ServerContext& ctx, const io::HttpRequest& req) {
  const int64_t now = ctx.Now();
  const int64_t shift = ctx.options.shifts.ShiftStart(now);
  const int64_t since = IntParam(req, "since_ms", shift, INT64_MIN, INT64_MAX);
  nlohmann::json list = nlohmann::json::array();
  for (const auto& m : ctx.store.Machines(since)) list.push_back(ToJson(m));
  return JsonAnswer({{"since_ms", since}, {"now_ms", now}, {"machines", std::move(list)}});
}

nlohmann::json SummaryList(const std::vector<store::PartSummary>& parts) {
  nlohmann::json list = nlohmann::json::array();
  for (const auto& p : parts) list.push_back(ToJson(p));
  return list;
}

io::HttpResponse Parts(ServerContext& ctx, const io::HttpRequest& req) {
  const store::PartFilter filter = FilterOf(req);
  const store::PartPage page = PageOf(req);
  const auto parts = ctx.store.FindParts(filter, page);
  nlohmann::json next = nullptr;
  if (static_cast<int>(parts.size()) == page.limit)
    next = {{"before_time_ms", parts.back().time_ms}, {"before_part_id", parts.back().part_id}};
  // An exact count of millions of parts costs more than the page; past the cap, say "more".
  constexpr int64_t kCountCap = 10000;
  const int64_t total = ctx.store.CountPartsUpTo(filter, kCountCap + 1);
  return JsonAnswer({{"parts", SummaryList(parts)},
                     {"total", std::min(total, kCountCap)},
                     {"total_capped", total > kCountCap},
                     {"next", std::move(next)}});
}

io::HttpResponse Part(ServerContext& ctx, const io::HttpRequest& req) {
  const auto detail = ctx.store.GetPart(req.matches.at(0));
  if (!detail) return io::JsonError(404, "not_found", "no part " + req.matches.at(0));
  nlohmann::json reviews = nlohmann::json::array();
  for (const auto& r : detail->reviews) reviews.push_back(ToJson(r));
  return JsonAnswer({{"part", ToJson(detail->summary)},
                     {"record", linesight::ToJson(detail->record)},
                     {"reviews", std::move(reviews)}});
}

io::HttpResponse Image(ServerContext& ctx, const io::HttpRequest& req) {
  static const std::regex kName("[0-9a-f]{64}\\.(png|jpg)");
  const std::string& name = req.matches.at(0);
  if (!std::regex_match(name, kName))
    return io::JsonError(400, "bad_request", "image name must be <sha256 hex>.png or .jpg");
  std::ifstream in(ctx.images.dir() / name, std::ios::binary);
  if (!in) return io::JsonError(404, "not_found", "no image " + name + " (not kept, or pruned)");
  std::ostringstream bytes;
  bytes << in.rdbuf();
  io::HttpResponse r{200, name.ends_with(".png") ? "image/png" : "image/jpeg", bytes.str()};
  // Content-addressed: the bytes behind a name never change.
  r.headers.emplace_back("Cache-Control", "private, max-age=31536000, immutable");
  return r;
}

io::HttpResponse ReviewQueue(ServerContext& ctx, const io::HttpRequest& req) {
  const int limit = static_cast<int>(IntParam(req, "limit", 100, 1, 1000));
  store::PartFilter filter = FilterOf(req);
  filter.unreviewed_only = true;
  store::PartPage page;
  page.limit = limit;
  std::vector<store::PartSummary> queue;
  // Rejects and holds, then borderline passes (score above 0.8 x threshold, chosen by the store:
  // filtered after a page of passes, older ones would never show), merged newest first.
  for (const Decision d : {Decision::kReject, Decision::kHold}) {
    filter.decision = d;
    for (auto& p : ctx.store.FindParts(filter, page)) queue.push_back(std::move(p));
  }
  filter.decision = Decision::kPass;
  filter.above_threshold_share = 0.8;
  for (auto& p : ctx.store.FindParts(filter, page)) queue.push_back(std::move(p));
  std::sort(queue.begin(), queue.end(), [](const auto& a, const auto& b) {
    return a.time_ms != b.time_ms ? a.time_ms > b.time_ms : a.part_id > b.part_id;
  });
  if (static_cast<int>(queue.size()) > limit) queue.resize(static_cast<size_t>(limit));
  return JsonAnswer({{"parts", SummaryList(queue)}});
}

io::HttpResponse Events(ServerContext& ctx, const io::HttpRequest& req) {
  const int64_t from = IntParam(req, "from_ms", INT64_MIN, INT64_MIN, INT64_MAX);
  const int64_t to = IntParam(req, "to_ms", INT64_MAX, INT64_MIN, INT64_MAX);
  nlohmann::json list = nlohmann::json::array();
  for (const auto& e : ctx.store.Events(req.Param("machine"), from, to))
    list.push_back(linesight::ToJson(e));
  return JsonAnswer({{"events", std::move(list)}});
}

// Binds a read handler taking (ctx, request) into a route for any logged-in person.
io::HttpRoute Read(ServerContext& ctx, const char* pattern,
                   io::HttpResponse (*fn)(ServerContext&, const io::HttpRequest&)) {
  return {"GET", pattern,
          ForPerson(ctx, Role::kOperator,
                    [&ctx, fn](const Caller&, const io::HttpRequest& r) { return fn(ctx, r); })};
}

}  // namespace

void AddReadRoutes(ServerContext& ctx, std::vector<io::HttpRoute>& routes) {
  routes.push_back(Read(ctx, "/api/v1/machines", Machines));
  routes.push_back(Read(ctx, "/api/v1/parts", Parts));
  routes.push_back(Read(ctx, "/api/v1/parts/([^/]+)", Part));
  routes.push_back(Read(ctx, "/api/v1/images/([^/]+)", Image));
  routes.push_back(Read(ctx, "/api/v1/review_queue", ReviewQueue));
  routes.push_back(Read(ctx, "/api/v1/events", Events));
}

}  // namespace linesight::server
