// The alert routes (docs/api.md, "Alerts"): the list for every signed-in role, and the
// acknowledgement, stored with its audit entry in one transaction and then sent out like the
// alert was (live stream, MQTT, webhook).
#include <charconv>

#include "core/clock.h"
#include "core/json_text.h"
#include "server/alert_watch.h"
#include "server/api_json.h"
#include "server/server_context.h"

namespace linesight::server {
namespace {

constexpr size_t kMaxNoteChars = 500;

size_t Utf8Chars(const std::string& s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

bool OpenOnly(const io::HttpRequest& req) {
  const std::string state = req.Param("state");
  if (state.empty() || state == "open") return true;
  if (state == "all") return false;
  throw BadRequest("state: use open (the default) or all");
}

io::HttpResponse ListAlerts(ServerContext& ctx, const io::HttpRequest& req) {
  store::AlertQuery q;
  q.open_only = OpenOnly(req);
  q.machine = req.Param("machine");
  if (q.machine.size() > 100) throw BadRequest("machine: longer than 100 characters");
  const int limit = static_cast<int>(IntParam(req, "limit", 100, 1, 1000));
  q.limit = limit + 1;  // one more: is there a next page at all?
  q.before_id = IntParam(req, "before", 0, 0, INT64_MAX);
  auto alerts = ctx.store.Alerts(q);
  nlohmann::json next = nullptr;
  if (alerts.size() > static_cast<size_t>(limit)) {
    alerts.resize(static_cast<size_t>(limit));
    next = alerts.back().id;
  }
  nlohmann::json list = nlohmann::json::array();
  for (const auto& a : alerts) list.push_back(ToJson(a));
  nlohmann::json answer = {
      {"alerts", std::move(list)}, {"open", ctx.store.CountOpenAlerts()}, {"next_before", next}};
  if (!q.open_only) answer["total"] = ctx.store.CountAllAlerts();  // acknowledged ones too
  return JsonAnswer(answer);
}

io::HttpResponse AckAlert(ServerContext& ctx, const Caller& caller, const io::HttpRequest& req) {
  const std::string& text = req.matches.at(0);
  int64_t id = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
  if (ec != std::errc() || end != text.data() + text.size() || id <= 0)
    return io::JsonError(404, "not_found", "no alert " + text.substr(0, 40));
  const nlohmann::json body = BodyObject(req);
  const std::string note = StringMember(body, "note", false, 4 * kMaxNoteChars);
  if (Utf8Chars(note) > kMaxNoteChars) throw BadRequest("note: longer than 500 characters");
  const int64_t now = UtcNowMs();
  // The acknowledgement is dated on the alert watch's clock, the one its first and last raise are
  // dated on (a simulated cell's, in the demo), so the three read in order. What it covers is the
  // alert's evidence (AlertWatch::AlreadyAcknowledged), not this time.
  const int64_t acked_ms = ctx.options.alerts.clock ? ctx.options.alerts.clock() : now;
  const nlohmann::json detail{{"note", note}};
  const store::AckResult result =
      ctx.store.AckAlert(id, caller.user, note, acked_ms,
                         {0, now, caller.user, "alert.ack", std::to_string(id), JsonText(detail)});
  if (result == store::AckResult::kUnknown)
    return io::JsonError(404, "not_found", "no alert " + std::to_string(id));
  const auto alert = ctx.store.GetAlert(id);
  if (result == store::AckResult::kAlreadyAcked)
    return io::JsonError(409, "conflict",
                         "alert " + std::to_string(id) + " was already acknowledged" +
                             (alert ? " by " + alert->acked_by : std::string()));
  if (!alert) return io::JsonError(404, "not_found", "no alert " + std::to_string(id));
  PublishAlert(ctx.feed, ctx.alert_delivery, "acked", *alert);
  return JsonAnswer({{"alert", ToJson(*alert)}});
}

}  // namespace

void AddAlertRoutes(ServerContext& ctx, std::vector<io::HttpRoute>& routes) {
  routes.push_back({"GET", "/api/v1/alerts",
                    ForPerson(ctx, store::Role::kOperator, [&ctx](auto&, const io::HttpRequest& r) {
                      return ListAlerts(ctx, r);
                    })});
  routes.push_back(
      {"POST", "/api/v1/alerts/([^/]+)/ack",
       ForPerson(ctx, store::Role::kOperator, [&ctx](const Caller& c, const io::HttpRequest& r) {
         return AckAlert(ctx, c, r);
       })});
}

}  // namespace linesight::server
