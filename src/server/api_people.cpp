// The routes for people: sign-in, reviews of parts, users and station tokens (admin), and the
// audit log; every write is audited in the same transaction or right after it.
#include <algorithm>
#include <cctype>

#include "core/clock.h"
#include "core/error.h"
#include "core/json_text.h"
#include "server/api_json.h"
#include "server/bootstrap.h"
#include "server/server_context.h"

namespace linesight::server {
namespace {

using store::Role;

nlohmann::json Me(const Caller& c) {
  return {{"user", c.user}, {"role", store::RoleName(c.role)}, {"csrf", c.csrf}};
}

// "application/json", with or without parameters (charset), in any case.
bool IsJson(std::string type) {
  std::transform(type.begin(), type.end(), type.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  const auto end = type.find(';');
  type = type.substr(0, end);
  while (!type.empty() && type.back() == ' ') type.pop_back();
  return type == "application/json";
}

io::HttpResponse Login(ServerContext& ctx, const io::HttpRequest& req) {
  if (req.body.size() > 4096) return io::JsonError(413, "too_large", "login body over 4 KiB");
  // A page of another site can post a form (text/plain, urlencoded) here and sign the browser in
  // as the attacker; it cannot send application/json without the server's consent (CORS).
  if (!IsJson(req.Header("Content-Type")))
    return io::JsonError(415, "unsupported_media_type",
                         "send the sign-in as JSON with Content-Type: application/json");
  const nlohmann::json body = BodyObject(req);
  const std::string user = StringMember(body, "user", true, 100);
  const std::string password = StringMember(body, "password", true, 1000);
  const Auth::OneAttempt one_at_a_time(ctx.auth, user);
  const int64_t now = UtcNowMs();
  const int64_t window_ms = int64_t{ctx.options.login_window_minutes} * 60'000;
  // Checked before the password, so guessing gains nothing once the limit is reached.
  if (ctx.store.CountAudit("login.failed", user, now - window_ms) >=
      ctx.options.login_failures_allowed) {
    ctx.store.Audit({0, now, user, "login.refused", user, "{}"});
    io::HttpResponse r =
        io::JsonError(429, "too_many_attempts",
                      "too many failed sign-ins for this user in the last " +
                          std::to_string(ctx.options.login_window_minutes) +
                          " minutes: wait, or ask an admin to check the audit log");
    r.headers.emplace_back("Retry-After", std::to_string(window_ms / 1000));
    return r;
  }
  const auto login = ctx.auth.LogIn(user, password, now);
  if (!login) {
    ctx.store.Audit({0, now, user, "login.failed", user, "{}"});
    return io::JsonError(401, "unauthorized", "wrong user name or password");
  }
  io::HttpResponse r = JsonAnswer(Me(login->caller));
  r.headers.emplace_back("Set-Cookie", login->set_cookie);
  return r;
}

io::HttpResponse Logout(ServerContext& ctx, const io::HttpRequest& req) {
  io::HttpResponse r{204, "application/json", ""};
  r.headers.emplace_back("Set-Cookie", ctx.auth.LogOut(req));
  return r;
}

io::HttpResponse AddReview(ServerContext& ctx, const Caller& caller, const io::HttpRequest& req) {
  const nlohmann::json body = BodyObject(req);
  store::Review review;
  review.part_id = req.matches.at(0);
  review.user = caller.user;
  // On the parts' clock (the wall clock, but a simulated cell's in the demo): a review reads after
  // the part it judges.
  review.time_ms = ctx.Now();
  const auto verdict = ParseDecision(StringMember(body, "verdict", true, 10));
  if (!verdict || *verdict == Decision::kHold)
    throw BadRequest("verdict: use pass (the part is good) or reject (it is bad)");
  review.verdict = *verdict;
  review.defect_type = StringMember(body, "defect_type", false, 60);
  review.note = StringMember(body, "note", false, 2000);
  if (!ctx.store.GetPart(review.part_id))
    return io::JsonError(404, "not_found", "no part " + review.part_id);
  const nlohmann::json detail{{"verdict", DecisionName(review.verdict)},
                              {"defect_type", review.defect_type},
                              {"note", review.note}};
  review.id = ctx.store.AddReview(
      review, {0, review.time_ms, caller.user, "review", review.part_id, JsonText(detail)});
  return JsonAnswer({{"review", ToJson(review)}}, 201);
}

io::HttpResponse CreateUser(ServerContext& ctx, const Caller& caller, const io::HttpRequest& req) {
  const nlohmann::json body = BodyObject(req);
  store::User user;
  user.name = StringMember(body, "name", true, 60);
  if (user.name.empty()) throw BadRequest("name: empty");
  const auto role = store::ParseRole(StringMember(body, "role", true, 30));
  if (!role) throw BadRequest("role: use operator, quality_engineer or admin");
  const std::string password = StringMember(body, "password", true, 1000);
  if (password.size() < 8) throw BadRequest("password: at least 8 characters");
  if (ctx.store.GetUser(user.name))
    return io::JsonError(409, "conflict", "user " + user.name + " exists");
  user.role = *role;
  user.password_hash = HashPassword(password);
  user.created_ms = UtcNowMs();
  ctx.store.PutUser(user);
  ctx.store.Audit({0, user.created_ms, caller.user, "user.create", user.name,
                   nlohmann::json{{"role", store::RoleName(user.role)}}.dump()});
  return JsonAnswer({{"name", user.name}, {"role", store::RoleName(user.role)}}, 201);
}

io::HttpResponse DisableUser(ServerContext& ctx, const Caller& caller, const io::HttpRequest& req) {
  const std::string& name = req.matches.at(0);
  if (name == caller.user)
    return io::JsonError(409, "conflict", "you cannot disable yourself: ask another admin");
  if (!ctx.store.GetUser(name)) return io::JsonError(404, "not_found", "no user " + name);
  server::DisableUser(ctx.store, name, caller.user);
  return JsonAnswer({{"name", name}, {"disabled", true}});
}

io::HttpResponse ListUsers(ServerContext& ctx) {
  nlohmann::json list = nlohmann::json::array();
  for (const auto& u : ctx.store.Users())
    list.push_back({{"name", u.name},
                    {"role", store::RoleName(u.role)},
                    {"disabled", u.disabled},
                    {"created_ms", u.created_ms}});
  return JsonAnswer({{"users", std::move(list)}});
}

io::HttpResponse StationToken(ServerContext& ctx, const Caller& caller,
                              const io::HttpRequest& req) {
  const std::string& station = req.matches.at(0);
  if (station.empty() || station.size() > 60) throw BadRequest("station id: 1-60 characters");
  const std::string token = NewToken();
  ctx.store.PutStationToken(TokenHash(token), station);
  ctx.store.Audit({0, UtcNowMs(), caller.user, "token.create", station, "{}"});
  return JsonAnswer({{"station", station}, {"token", token}}, 201);
}

io::HttpResponse AuditLog(ServerContext& ctx, const io::HttpRequest& req) {
  const int limit = static_cast<int>(IntParam(req, "limit", 100, 1, 1000));
  const int64_t before = IntParam(req, "before_id", 0, 0, INT64_MAX);
  nlohmann::json list = nlohmann::json::array();
  for (const auto& a : ctx.store.AuditLog(limit, before)) list.push_back(ToJson(a));
  return JsonAnswer({{"entries", std::move(list)}});
}

}  // namespace

void AddPeopleRoutes(ServerContext& ctx, std::vector<io::HttpRoute>& routes) {
  routes.push_back({"POST", "/api/v1/login", [&ctx](const io::HttpRequest& r) {
                      return Guarded(ctx, [&] { return Login(ctx, r); });
                    }});
  routes.push_back({"POST", "/api/v1/logout", [&ctx](const io::HttpRequest& r) {
                      return Guarded(ctx, [&] { return Logout(ctx, r); });
                    }});
  routes.push_back(
      {"GET", "/api/v1/me",
       ForPerson(ctx, Role::kOperator, [](const Caller& c, auto&) { return JsonAnswer(Me(c)); })});
  routes.push_back(
      {"POST", "/api/v1/parts/([^/]+)/reviews",
       ForPerson(ctx, Role::kOperator, [&ctx](const Caller& c, const io::HttpRequest& r) {
         return AddReview(ctx, c, r);
       })});
  routes.push_back({"POST", "/api/v1/users",
                    ForPerson(ctx, Role::kAdmin, [&ctx](const Caller& c, const io::HttpRequest& r) {
                      return CreateUser(ctx, c, r);
                    })});
  routes.push_back({"POST", "/api/v1/users/([^/]+)/disable",
                    ForPerson(ctx, Role::kAdmin, [&ctx](const Caller& c, const io::HttpRequest& r) {
                      return DisableUser(ctx, c, r);
                    })});
  routes.push_back({"GET", "/api/v1/users",
                    ForPerson(ctx, Role::kAdmin, [&ctx](auto&, auto&) { return ListUsers(ctx); })});
  routes.push_back({"POST", "/api/v1/stations/([^/]+)/token",
                    ForPerson(ctx, Role::kAdmin, [&ctx](const Caller& c, const io::HttpRequest& r) {
                      return StationToken(ctx, c, r);
                    })});
  routes.push_back({"GET", "/api/v1/audit",
                    ForPerson(ctx, Role::kQualityEngineer, [&ctx](auto&, const io::HttpRequest& r) {
                      return AuditLog(ctx, r);
                    })});
}

}  // namespace linesight::server
