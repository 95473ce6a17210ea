// Tests of the factory server over real HTTP on 127.0.0.1: ingest, reads, sign-in, roles, CSRF,
// reviews and audit, the live stream, images and the dashboard's files, and bad input.
#include <atomic>
#include <thread>

#include "core/sha256.h"
#include "server/bootstrap.h"
#include "server/server_fixture.h"
#include "store/sqlite_db.h"

namespace linesight::testing {
namespace {

using nlohmann::json;

class ServerTest : public ServerFixture {};
INSTANTIATE_TEST_SUITE_P(Engines, ServerTest, ::testing::Values("sqlite", "postgresql"),
                         [](const auto& info) { return info.param; });

TEST_P(ServerTest, IngestIsIdempotentAndNeedsAStationToken) {
  const auto batch = Batch(
      {ServerTestPart("M1", 1, Decision::kPass, kT0),
       ServerTestPart("M1", 2, Decision::kReject, kT0 + 1000, 2.0f)},
      {MachineEvent{"M1", kT0 - 10, MachineState::kRunning, true, "shift_start", "M1-D01", ""}});
  auto r = Ingest(batch, "wrong-token");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 401);
  r = Ingest(batch);
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(json::parse(r->body)["parts_new"], 2);
  EXPECT_EQ(json::parse(r->body)["events_new"], 1);
  r = Ingest(batch);  // the same batch again: stored once
  ASSERT_TRUE(r);
  EXPECT_EQ(json::parse(r->body)["parts_new"], 0);
  EXPECT_EQ(json::parse(r->body)["parts_duplicate"], 2);
  EXPECT_EQ(json::parse(r->body)["events_duplicate"], 1);
  EXPECT_EQ(store_->Counts().parts, 2);
}

TEST_P(ServerTest, BadBatchesStoreNothingAndSayWhy) {
  auto good = ToJson(ServerTestPart("M1", 1, Decision::kPass, kT0));
  auto bad = good;
  bad["part_id"] = "M1-000000002";
  bad["shot"].erase("machine");
  auto r = Ingest(json{{"parts", {good, bad}}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400);
  EXPECT_NE(json::parse(r->body)["message"].get<std::string>().find("parts[1]"), std::string::npos)
      << r->body;
  EXPECT_EQ(store_->Counts().parts, 0);
  // Not JSON, not an object, an unknown member, another station's part.
  for (const std::string body : {"{not json", "[1,2]", R"({"parts": [], "extra": 1})"}) {
    r = Client().Post("/api/v1/parts", {{"Authorization", "Bearer " + station_token_}}, body,
                      "application/json");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 400) << body;
    EXPECT_TRUE(json::parse(r->body).contains("error"));
  }
  auto foreign = ServerTestPart("M1", 3, Decision::kPass, kT0);
  foreign.station = "S9";
  r = Ingest(Batch({foreign}));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400);
  // A part id no URL can name; a pass with no view.
  auto traversal = ServerTestPart("M1", 4, Decision::kPass, kT0);
  traversal.part_id = "../../etc/passwd";
  auto blind = ServerTestPart("M1", 5, Decision::kPass, kT0);
  blind.views.clear();
  for (const auto& part : {traversal, blind}) {
    r = Ingest(Batch({part}));
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 400) << r->body;
    EXPECT_NE(r->body.find("parts[0]"), std::string::npos) << r->body;
  }
  EXPECT_EQ(store_->Counts().parts, 0);
}

// A station's token vouches for its parts (parts[i].station) and, since events name only their
// machine, for the machines its parts come from: another station's machine is refused with 400.
TEST_P(ServerTest, EventsOfAnotherStationsMachineAreRefused) {
  ASSERT_EQ(Ingest(Batch({ServerTestPart("M1", 1, Decision::kPass, kT0)}))->status, 200);
  const std::string s9 = server::IssueStationToken(*store_, "S9", "test");
  const MachineEvent stop{"M1", kT0 + 10, MachineState::kStopped, false, "fault", "M1-D01", ""};
  auto r = Ingest(Batch({}, {stop}), s9);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400) << r->body;
  const std::string message = json::parse(r->body)["message"];
  EXPECT_NE(message.find("events[0] (machine M1) comes from station S9, but machine M1's parts "
                         "come from station S1"),
            std::string::npos)
      << message;
  EXPECT_NE(message.find("its own machine"), std::string::npos) << message;
  EXPECT_EQ(store_->Counts().events, 0);
  r = Ingest(Batch({}, {stop}));  // M1's own station
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(json::parse(r->body)["events_new"], 1);
}

TEST_P(ServerTest, OversizedBodiesAreRefused) {
  std::string huge(17u << 20, ' ');
  auto r = Client().Post("/api/v1/parts", {{"Authorization", "Bearer " + station_token_}}, huge,
                         "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 413);
  // A batch of 12 KB sent as a form (curl -d without a Content-Type): the answer names the type.
  r = Client().Post("/api/v1/parts", {{"Authorization", "Bearer " + station_token_}},
                    std::string(12 << 10, ' '), "application/x-www-form-urlencoded");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 413);
  EXPECT_NE(r->body.find("curl --json"), std::string::npos) << r->body;
  json many{{"parts", json::array()}};
  for (int i = 1; i <= 1001; ++i)
    many["parts"].push_back(ToJson(ServerTestPart("M1", i, Decision::kPass, kT0 + i)));
  r = Ingest(many);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400);
  EXPECT_EQ(store_->Counts().parts, 0);
}

TEST_P(ServerTest, ReadsNeedASessionAndFilterAndPage) {
  std::vector<PartRecord> parts;
  for (int i = 1; i <= 30; ++i)
    parts.push_back(ServerTestPart(i % 2 ? "M1" : "M2", i,
                                   i % 5 == 0 ? Decision::kReject : Decision::kPass, kT0 + i * 1000,
                                   i % 5 == 0 ? 3.0f : 0.2f));
  ASSERT_EQ(Ingest(Batch(parts))->status, 200);
  EXPECT_EQ(Client().Get("/api/v1/parts")->status, 401);
  auto r = Client().Get("/api/v1/parts?decision=reject", operator_.Headers());
  ASSERT_EQ(r->status, 200) << r->body;
  auto j = json::parse(r->body);
  EXPECT_EQ(j["total"], 6);
  EXPECT_EQ(j["parts"].size(), 6u);
  EXPECT_EQ(j["parts"][0]["part_id"], "M2-000000030");  // newest first
  EXPECT_EQ(j["parts"][0]["defect_type"], "crack");
  // Paging: 30 parts in pages of 7, no duplicates and no gaps.
  std::set<std::string> seen;
  std::string query = "/api/v1/parts?limit=7";
  for (int page = 0; page < 10; ++page) {
    r = Client().Get(query, operator_.Headers());
    ASSERT_EQ(r->status, 200);
    j = json::parse(r->body);
    for (const auto& p : j["parts"]) EXPECT_TRUE(seen.insert(p["part_id"]).second);
    if (j["next"].is_null()) break;
    query = "/api/v1/parts?limit=7&before_time_ms=" +
            std::to_string(j["next"]["before_time_ms"].get<int64_t>()) +
            "&before_part_id=" + j["next"]["before_part_id"].get<std::string>();
  }
  EXPECT_EQ(seen.size(), 30u);
  r = Client().Get("/api/v1/parts?machine=M1&decision=maybe", operator_.Headers());
  EXPECT_EQ(r->status, 400);
  r = Client().Get("/api/v1/parts?limit=0", operator_.Headers());
  EXPECT_EQ(r->status, 400);
  r = Client().Get("/api/v1/parts/M1-000000005", operator_.Headers());
  ASSERT_EQ(r->status, 200);
  j = json::parse(r->body);
  EXPECT_EQ(j["record"]["shot"]["process"]["melt_temp_c"], 680.0);
  EXPECT_EQ(Client().Get("/api/v1/parts/M9-1", operator_.Headers())->status, 404);
}

// The review queue: unreviewed rejects and holds, and passes scored above 0.8 x their threshold,
// newest first, however many clear passes came after them.
TEST_P(ServerTest, TheReviewQueueFindsBorderlinePassesBehindManyClearOnes) {
  std::vector<PartRecord> parts;
  for (int i = 1; i <= 40; ++i) {
    const bool reject = i <= 2, borderline = i > 2 && i <= 12;
    parts.push_back(ServerTestPart("M1", i, reject ? Decision::kReject : Decision::kPass,
                                   kT0 + i * 1000,
                                   reject       ? 3.0f
                                   : borderline ? 0.9f
                                                : 0.1f));
  }
  ASSERT_EQ(Ingest(Batch(parts))->status, 200);
  const json review{{"verdict", "pass"}, {"defect_type", ""}, {"note", "fine"}};
  ASSERT_EQ(Client()
                .Post("/api/v1/parts/M1-000000012/reviews", operator_.Headers(true), review.dump(),
                      "application/json")
                ->status,
            201);
  auto r = Client().Get("/api/v1/review_queue?limit=5", operator_.Headers());
  ASSERT_EQ(r->status, 200) << r->body;
  const json queue = json::parse(r->body);
  std::vector<std::string> ids;
  for (const auto& p : queue["parts"]) ids.push_back(p["part_id"]);
  EXPECT_EQ(ids, (std::vector<std::string>{"M1-000000011", "M1-000000010", "M1-000000009",
                                           "M1-000000008", "M1-000000007"}))
      << r->body;
  r = Client().Get("/api/v1/review_queue?limit=100", operator_.Headers());
  EXPECT_EQ(json::parse(r->body)["parts"].size(), 11u);  // 9 borderline (one reviewed), 2 rejects
}

TEST_P(ServerTest, StatsAndMachines) {
  std::vector<PartRecord> parts;
  for (int i = 1; i <= 20; ++i)
    parts.push_back(ServerTestPart("M3", i, i <= 4 ? Decision::kReject : Decision::kPass,
                                   kT0 + i * 1000, i <= 4 ? 2.0f : 0.1f));
  MachineEvent stop{"M3", kT0 + 30000, MachineState::kStopped, false, "die_failure", "M3-D01", ""};
  ASSERT_EQ(Ingest(Batch(parts, {stop}))->status, 200);
  auto j =
      json::parse(Client().Get("/api/v1/stats/yield?group_by=machine", operator_.Headers())->body);
  ASSERT_EQ(j["rows"].size(), 1u);
  EXPECT_EQ(j["rows"][0]["key"], "M3");
  EXPECT_DOUBLE_EQ(j["rows"][0]["first_pass_yield"].get<double>(), 16.0 / 20.0);
  j = json::parse(Client().Get("/api/v1/stats/pareto", operator_.Headers())->body);
  ASSERT_EQ(j["rows"].size(), 1u);
  EXPECT_EQ(j["rows"][0]["defect_type"], "crack");
  EXPECT_EQ(j["rows"][0]["parts"], 4);
  j = json::parse(
      Client().Get("/api/v1/stats/reject_rate?bucket_ms=60000", operator_.Headers())->body);
  int64_t total = 0;
  for (const auto& b : j["buckets"]) total += b["parts"].get<int64_t>();
  EXPECT_EQ(total, 20);
  EXPECT_EQ(Client().Get("/api/v1/stats/yield?group_by=colour", operator_.Headers())->status, 400);
  j = json::parse(Client().Get("/api/v1/machines?since_ms=0", operator_.Headers())->body);
  ASSERT_EQ(j["machines"].size(), 1u);
  EXPECT_EQ(j["machines"][0]["state"], "stopped");
  EXPECT_EQ(j["machines"][0]["reason"], "die_failure");
  EXPECT_EQ(j["machines"][0]["parts"], 20);
}

TEST_P(ServerTest, FailedSignInsAreLimitedPerUserAcrossServers) {
  // Two servers on one store, as behind a load balancer: the limit counts on both.
  server::ServerOptions o;
  o.port = 0;
  o.image_dir = (dir_->path() / "images").string();
  o.threads = 4;
  o.login_failures_allowed = 3;
  server::FactoryServer a(*store_, o), b(*store_, o);
  auto login = [](const server::FactoryServer& s, const std::string& user,
                  const std::string& password) {
    httplib::Client c("127.0.0.1", s.port());
    return c.Post("/api/v1/login", json{{"user", user}, {"password", password}}.dump(),
                  "application/json");
  };
  EXPECT_EQ(login(a, "ana", "guess-1")->status, 401);
  EXPECT_EQ(login(b, "ana", "guess-2")->status, 401);
  EXPECT_EQ(login(a, "ana", "guess-3")->status, 401);
  auto r = login(b, "ana", "ana-password");  // even the right password waits now
  EXPECT_EQ(r->status, 429);
  EXPECT_EQ(json::parse(r->body)["error"], "too_many_attempts");
  EXPECT_EQ(r->get_header_value("Retry-After"), "900");
  EXPECT_EQ(login(a, "admin", "admin-password")->status, 200);  // other users are not locked out
  const auto audit = store_->AuditLog(50, 0);
  int failed = 0, refused = 0;
  for (const auto& e : audit) {
    failed += e.action == "login.failed" && e.target == "ana";
    refused += e.action == "login.refused" && e.target == "ana";
  }
  EXPECT_EQ(failed, 3);
  EXPECT_EQ(refused, 1);
  EXPECT_EQ(store_->CountAudit("login.failed", "ana", 0), 3);
  EXPECT_EQ(store_->CountAudit("login.failed", "ana", 4'000'000'000'000), 0);  // only since
}

// Guesses sent at once are counted as if one after another: no more than the limit get a try.
TEST_P(ServerTest, ParallelGuessesDoNotPassTheSignInLimit) {
  server::ServerOptions o;
  o.port = 0;
  o.image_dir = (dir_->path() / "images").string();
  o.threads = 8;
  o.login_failures_allowed = 3;  // few Argon2 checks: the test stays quick on a loaded machine
  server::FactoryServer s(*store_, o);
  std::atomic<int> unauthorized{0}, refused{0};
  std::vector<std::thread> guessers;
  for (int i = 0; i < 10; ++i)
    guessers.emplace_back([&, i] {
      httplib::Client c("127.0.0.1", s.port());
      c.set_read_timeout(300, 0);
      const auto r = c.Post(
          "/api/v1/login", json{{"user", "ana"}, {"password", "guess-" + std::to_string(i)}}.dump(),
          "application/json");
      if (r && r->status == 401) ++unauthorized;
      if (r && r->status == 429) ++refused;
    });
  for (auto& t : guessers) t.join();
  EXPECT_EQ(unauthorized.load(), 3);
  EXPECT_EQ(refused.load(), 7);
}

// A sign-in must be JSON: a form another site posts (text/plain or urlencoded) would sign the
// browser in as the attacker (login CSRF).
TEST_P(ServerTest, ASignInThatIsNotJsonIsRefused) {
  const std::string body = json{{"user", "ana"}, {"password", "ana-password"}}.dump();
  for (const char* type : {"text/plain", "application/x-www-form-urlencoded"}) {
    const auto r = Client().Post("/api/v1/login", body, type);
    EXPECT_EQ(r->status, 415) << type;
    EXPECT_TRUE(r->get_header_value("Set-Cookie").empty());
  }
  EXPECT_EQ(Client().Post("/api/v1/login", body, "Application/JSON; charset=utf-8")->status, 200);
}

// A new password (or role) and disabling a user end every session they had.
TEST_P(ServerTest, ANewPasswordOrDisablingAUserEndsTheirSessions) {
  const Browser before = LogIn("ana", "ana-password");
  server::SetUser(*store_, "ana", store::Role::kOperator, "ana-new-password", "test");
  EXPECT_EQ(Client().Get("/api/v1/me", before.Headers())->status, 401);
  const Browser after = LogIn("ana", "ana-new-password");
  EXPECT_EQ(Client().Get("/api/v1/me", after.Headers())->status, 200);
  auto r =
      Client().Post("/api/v1/users/ana/disable", operator_.Headers(true), "", "application/json");
  EXPECT_EQ(r->status, 401);  // operator_ was ana's session too, ended by the new password
  r = Client().Post("/api/v1/users/admin/disable", admin_.Headers(true), "", "application/json");
  EXPECT_EQ(r->status, 409);  // not oneself
  r = Client().Post("/api/v1/users/nobody/disable", admin_.Headers(true), "", "application/json");
  EXPECT_EQ(r->status, 404);
  r = Client().Post("/api/v1/users/ana/disable", admin_.Headers(true), "", "application/json");
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(Client().Get("/api/v1/me", after.Headers())->status, 401);
  EXPECT_EQ(
      Client()
          .Post("/api/v1/login", json{{"user", "ana"}, {"password", "ana-new-password"}}.dump(),
                "application/json")
          ->status,
      401);
  EXPECT_EQ(store_->CountAudit("user.disable", "ana", 0), 1);
}

TEST_P(ServerTest, LoginRolesCsrfReviewsAndAudit) {
  ASSERT_EQ(Ingest(Batch({ServerTestPart("M1", 7, Decision::kReject, kT0, 2.0f)}))->status, 200);
  auto r = Client().Post("/api/v1/login", json{{"user", "ana"}, {"password", "nope"}}.dump(),
                         "application/json");
  EXPECT_EQ(r->status, 401);
  r = Client().Post("/api/v1/login", json{{"user", "admin"}, {"password", "admin-password"}}.dump(),
                    "application/json");
  const std::string cookie = r->get_header_value("Set-Cookie");
  EXPECT_NE(cookie.find("HttpOnly"), std::string::npos);
  EXPECT_NE(cookie.find("SameSite=Strict"), std::string::npos);
  const json review{{"verdict", "pass"},
                    {"defect_type", ""},
                    {"note", "<script>alert(1)</script> '; DROP TABLE parts; --"}};
  // Without the CSRF token: refused, nothing stored.
  r = Client().Post("/api/v1/parts/M1-000000007/reviews", operator_.Headers(false), review.dump(),
                    "application/json");
  EXPECT_EQ(r->status, 403);
  r = Client().Post("/api/v1/parts/M1-000000007/reviews", operator_.Headers(true), review.dump(),
                    "application/json");
  ASSERT_EQ(r->status, 201) << r->body;
  auto j = json::parse(Client().Get("/api/v1/parts/M1-000000007", operator_.Headers())->body);
  ASSERT_EQ(j["reviews"].size(), 1u);
  EXPECT_EQ(j["reviews"][0]["note"], review["note"]);  // stored verbatim, never interpreted
  EXPECT_EQ(j["reviews"][0]["user"], "ana");
  EXPECT_EQ(j["part"]["review"]["verdict"], "pass");
  // Yield counts the overruled reject as good; first-pass yield does not.
  j = json::parse(Client().Get("/api/v1/stats/yield", operator_.Headers())->body);
  EXPECT_EQ(j["rows"][0]["good"], 1);
  EXPECT_EQ(j["rows"][0]["passes"], 0);
  // The audit log: operators may not read it, admins may; it names the review.
  EXPECT_EQ(Client().Get("/api/v1/audit", operator_.Headers())->status, 403);
  j = json::parse(Client().Get("/api/v1/audit", admin_.Headers())->body);
  bool found = false;
  for (const auto& e : j["entries"])
    found |= e["action"] == "review" && e["target"] == "M1-000000007" && e["user"] == "ana";
  EXPECT_TRUE(found) << j.dump();
  // Unknown part, bad verdict.
  r = Client().Post("/api/v1/parts/M1-999/reviews", operator_.Headers(true), review.dump(),
                    "application/json");
  EXPECT_EQ(r->status, 404);
  r = Client().Post("/api/v1/parts/M1-000000007/reviews", operator_.Headers(true),
                    json{{"verdict", 3}}.dump(), "application/json");
  EXPECT_EQ(r->status, 400);
}

TEST_P(ServerTest, OnlyAdminsManageUsersAndTokens) {
  const json user{{"name", "li"}, {"role", "quality_engineer"}, {"password", "li-password-1"}};
  auto r = Client().Post("/api/v1/users", operator_.Headers(true), user.dump(), "application/json");
  EXPECT_EQ(r->status, 403);
  r = Client().Post("/api/v1/users", admin_.Headers(true), user.dump(), "application/json");
  ASSERT_EQ(r->status, 201) << r->body;
  r = Client().Post("/api/v1/users", admin_.Headers(true), user.dump(), "application/json");
  EXPECT_EQ(r->status, 409);
  const Browser li = LogIn("li", "li-password-1");
  EXPECT_EQ(Client().Get("/api/v1/audit", li.Headers())->status, 200);
  r = Client().Post("/api/v1/stations/S2/token", admin_.Headers(true), "", "application/json");
  ASSERT_EQ(r->status, 201);
  const std::string token = json::parse(r->body)["token"];
  auto part = ServerTestPart("M2", 1, Decision::kPass, kT0);
  part.station = "S2";
  EXPECT_EQ(Ingest(Batch({part}), token)->status, 200);
  // Logging out ends the session.
  r = Client().Post("/api/v1/logout", li.Headers(true), "", "application/json");
  EXPECT_EQ(r->status, 204);
  EXPECT_EQ(Client().Get("/api/v1/me", li.Headers())->status, 401);
}

TEST_P(ServerTest, ImagesAreContentAddressedAndChecked) {
  const std::string png = std::string("\x89PNG\r\n\x1a\n", 8) + "fake image bytes";
  const std::string name =
      Sha256Hex({reinterpret_cast<const uint8_t*>(png.data()), png.size()}) + ".png";
  httplib::Headers station{{"Authorization", "Bearer " + station_token_}};
  auto r = Client().Put("/api/v1/images/" + name, station, png, "image/png");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 201) << r->body;
  EXPECT_EQ(Client().Put("/api/v1/images/" + name, station, png, "image/png")->status, 200);
  const std::string wrong(64, 'a');
  EXPECT_EQ(Client().Put("/api/v1/images/" + wrong + ".png", station, png, "image/png")->status,
            400);
  // A name that decodes to a path: refused before any file is touched (no route, or not a hash).
  const int tricky =
      Client().Put("/api/v1/images/..%2f..%2fetc%2fpasswd", station, png, "image/png")->status;
  EXPECT_TRUE(tricky == 400 || tricky == 404) << tricky;
  EXPECT_EQ(Client().Get("/api/v1/images/" + name)->status, 401);
  r = Client().Get("/api/v1/images/" + name, operator_.Headers());
  ASSERT_EQ(r->status, 200);
  EXPECT_EQ(r->body, png);
  EXPECT_EQ(Client().Get("/api/v1/images/../../etc/passwd", operator_.Headers())->status, 404);
  EXPECT_EQ(r->get_header_value("X-Content-Type-Options"), "nosniff");
  // Bytes that are not what the name says (a page to be served as an image) are refused.
  const std::string html = "<html><script>alert(1)</script></html>";
  const std::string as_png =
      Sha256Hex({reinterpret_cast<const uint8_t*>(html.data()), html.size()}) + ".png";
  r = Client().Put("/api/v1/images/" + as_png, station, html, "image/png");
  EXPECT_EQ(r->status, 400);
  EXPECT_NE(r->body.find("not a PNG"), std::string::npos) << r->body;
  // API answers are not kept by browsers or proxies (they hold the CSRF token, plant data).
  r = Client().Get("/api/v1/me", operator_.Headers());
  EXPECT_EQ(r->get_header_value("Cache-Control"), "no-store");
  EXPECT_EQ(r->get_header_value("X-Content-Type-Options"), "nosniff");
}

TEST_P(ServerTest, LiveStreamSendsNewParts) {
  std::atomic<bool> got{false};
  std::string received;
  std::thread reader([&] {
    httplib::Client c("127.0.0.1", server_->port());
    c.set_read_timeout(10, 0);
    c.Get("/api/v1/stream", operator_.Headers(), [&](const char* data, size_t n) {
      received.append(data, n);
      if (received.find("M4-000000001") != std::string::npos &&
          received.find("machine_fault") != std::string::npos) {
        got = true;
        return false;  // close the stream
      }
      return true;
    });
  });
  // Give the stream time to open, then store a part; the feed polls every 50 ms.
  for (int i = 0; i < 100 && !got; ++i) {
    if (i == 5) {
      // The event is older than the part: the stream follows arrival, not event time.
      const MachineEvent stop{"M4",     kT0 - 60000, MachineState::kStopped, false, "machine_fault",
                              "M4-D01", ""};
      ASSERT_EQ(Ingest(Batch({ServerTestPart("M4", 1, Decision::kPass, kT0)}, {stop}))->status,
                200);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  reader.join();
  EXPECT_TRUE(got);
  EXPECT_NE(received.find("event: part"), std::string::npos) << received;
  EXPECT_NE(received.find("event: machine"), std::string::npos) << received;
}

// A stream is a session's too: once it logged out, the stream ends before sending anything more.
TEST_P(ServerTest, TheLiveStreamOfASessionThatLoggedOutEnds) {
  const Browser b = LogIn("ana", "ana-password");
  std::atomic<bool> ended{false};
  std::string received;
  std::thread reader([&] {
    httplib::Client c("127.0.0.1", server_->port());
    c.set_read_timeout(30, 0);
    c.Get("/api/v1/stream", b.Headers(), [&](const char* data, size_t n) {
      received.append(data, n);
      return true;
    });
    ended = true;
  });
  // No ASSERT until the reader is joined (it ends at the latest at its read timeout).
  EXPECT_TRUE(Eventually([&] { return MetricValue(*server_, "linesight_live_clients") == 1; }));
  EXPECT_EQ(Client().Post("/api/v1/logout", b.Headers(true), "", "application/json")->status, 204);
  EXPECT_EQ(Ingest(Batch({ServerTestPart("M5", 1, Decision::kPass, kT0)}))->status, 200);
  EXPECT_TRUE(Eventually([&] { return ended.load(); }));
  reader.join();
  EXPECT_EQ(received.find("M5-000000001"), std::string::npos) << received;
  EXPECT_EQ(Client().Get("/api/v1/stream", b.Headers())->status, 401);
}

// Each live stream holds an HTTP thread: past the share of threads streams may take, a stream is
// refused with 503 and everything else still answers (this server: 3 threads, 1 for streams).
TEST_P(ServerTest, LiveStreamsPastTheirShareOfThreadsAreRefusedAndTheApiStillAnswers) {
  server_.reset();
  server::ServerOptions o;
  o.port = 0;
  o.image_dir = (dir_->path() / "images").string();
  o.threads = 3;
  o.live_poll_ms = 50;
  server_ = std::make_unique<server::FactoryServer>(*store_, o);
  std::atomic<bool> opened{false}, stop{false};
  std::thread first([&] {
    httplib::Client c("127.0.0.1", server_->port());
    c.set_read_timeout(10, 0);
    c.Get("/api/v1/stream", operator_.Headers(), [&](const char*, size_t) {
      opened = true;
      return !stop;
    });
  });
  for (int i = 0; i < 100 && !opened; ++i) {  // a part makes the stream say something
    ASSERT_EQ(Ingest(Batch({ServerTestPart("M4", i + 1, Decision::kPass, kT0 + i)}))->status, 200);
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_TRUE(opened);
  auto r = Client().Get("/api/v1/stream", operator_.Headers());
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 503);
  EXPECT_NE(r->body.find("too_many_streams"), std::string::npos) << r->body;
  EXPECT_EQ(r->get_header_value("Retry-After"), "30");
  EXPECT_EQ(Client().Get("/healthz")->status, 200);
  stop = true;
  ASSERT_EQ(Ingest(Batch({ServerTestPart("M4", 500, Decision::kPass, kT0 + 500)}))->status, 200);
  first.join();
  // The closed stream gave its place back.
  EXPECT_TRUE(Eventually([&] {
    std::atomic<bool> again{false};
    httplib::Client c("127.0.0.1", server_->port());
    c.set_read_timeout(2, 0);
    std::thread pulse([&] {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      Ingest(Batch({ServerTestPart("M4", 600, Decision::kPass, kT0 + 600)}));
    });
    auto res = c.Get("/api/v1/stream", operator_.Headers(), [&](const char*, size_t) {
      again = true;
      return false;
    });
    pulse.join();
    return again.load();
  }));
}

// A part whose telemetry shot of the same number lies days away (a restarted shot counter) is
// not joined to it, and the answer, the log and /metrics say so.
TEST_P(ServerTest, APartDaysFromTheTelemetryShotOfItsNumberIsNamedNotJoined) {
  Shot shot;
  shot.machine = "M1";
  shot.shot = 4;
  shot.time_ms = kT0;
  shot.die = "M1-D01";
  shot.process.melt_temp_c = 690;
  ASSERT_EQ(store_->IngestShots(std::vector<Shot>{shot}).shots_new, 1);
  PartRecord later = ServerTestPart("M1", 4, Decision::kPass, kT0 + 5 * 24 * 3600 * 1000LL);
  later.shot.process = {};
  auto r = Ingest(Batch({later}));
  ASSERT_EQ(r->status, 200) << r->body;
  const json answer = json::parse(r->body);
  ASSERT_TRUE(answer.contains("not_joined")) << r->body;
  EXPECT_NE(answer["not_joined"][0].get<std::string>().find("120 h away from the telemetry shot"),
            std::string::npos)
      << r->body;
  EXPECT_TRUE(std::isnan(store_->GetPart(later.part_id)->record.shot.process.melt_temp_c));
  r = Client().Get("/metrics");
  EXPECT_NE(r->body.find("linesight_ingest_not_joined_total 1"), std::string::npos);
  // A part within a day of its shot joins and is not named.
  ASSERT_EQ(store_
                ->IngestShots(std::vector<Shot>{[&] {
                  Shot s = shot;
                  s.shot = 5;
                  return s;
                }()})
                .shots_new,
            1);
  PartRecord near = ServerTestPart("M1", 5, Decision::kPass, kT0 + 3600 * 1000LL);
  near.shot.process = {};
  r = Ingest(Batch({near}));
  EXPECT_FALSE(json::parse(r->body).contains("not_joined")) << r->body;
  EXPECT_EQ(store_->GetPart(near.part_id)->record.shot.process.melt_temp_c, 690);
}

TEST_P(ServerTest, HealthMetricsAndUnknownPaths) {
  auto r = Client().Get("/healthz");
  ASSERT_EQ(r->status, 200);
  EXPECT_EQ(json::parse(r->body)["status"], "ok");
  ASSERT_EQ(Ingest(Batch({ServerTestPart("M1", 1, Decision::kPass, kT0)}))->status, 200);
  r = Client().Get("/metrics");
  ASSERT_EQ(r->status, 200);
  EXPECT_NE(r->body.find("linesight_ingest_parts_new_total 1"), std::string::npos) << r->body;
  EXPECT_EQ(Client().Get("/api/v1/nothing", operator_.Headers())->status, 404);
  EXPECT_EQ(Client().Delete("/api/v1/parts")->status, 405);
  // No dashboard configured: a JSON 404, never a file from elsewhere.
  EXPECT_EQ(Client().Get("/index.html")->status, 404);
  EXPECT_EQ(Client().Get("/../../etc/passwd")->status, 404);
}

TEST_P(ServerTest, HealthIsDegradedWhileStationsWritesFail) {
  if (GetParam() != "sqlite") GTEST_SKIP() << "the failing write is staged with an SQLite trigger";
  // The store refuses every new part as a full disk would; reads still work.
  store::SqliteDb db(StoreLocation());
  db.Exec("PRAGMA busy_timeout = 5000");
  db.Exec(
      "CREATE TRIGGER full BEFORE INSERT ON parts "
      "BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END");
  EXPECT_EQ(Ingest(Batch({ServerTestPart("M1", 1, Decision::kPass, kT0)}))->status, 503);
  auto r = Client().Get("/healthz");
  ASSERT_EQ(r->status, 503) << r->body;
  json h = json::parse(r->body);
  EXPECT_EQ(h["status"], "degraded");
  EXPECT_TRUE(h.contains("write_error")) << r->body;
  EXPECT_GT(h["writes_failing_since_ms"].get<int64_t>(), 0);
  EXPECT_EQ(r->body.find("disk is full"), std::string::npos) << "the cause is logged, not told";
  // The images still go to their folder: that does not make the parts' store well, nor does an
  // empty batch, which writes nothing.
  const std::string png = std::string("\x89PNG\r\n\x1a\n", 8) + "image bytes";
  const std::string name =
      Sha256Hex({reinterpret_cast<const uint8_t*>(png.data()), png.size()}) + ".png";
  httplib::Headers station{{"Authorization", "Bearer " + station_token_}};
  EXPECT_EQ(Client().Put("/api/v1/images/" + name, station, png, "image/png")->status, 201);
  EXPECT_EQ(Ingest(Batch({}))->status, 200);
  EXPECT_EQ(Client().Get("/healthz")->status, 503);
  // A request the server refuses says nothing of the store.
  db.Exec("DROP TRIGGER full");
  EXPECT_EQ(Ingest(json{{"parts", 7}})->status, 400);
  EXPECT_EQ(Client().Get("/healthz")->status, 503);
  // The next write that the store takes ends it.
  ASSERT_EQ(Ingest(Batch({ServerTestPart("M1", 1, Decision::kPass, kT0)}))->status, 200);
  r = Client().Get("/healthz");
  ASSERT_EQ(r->status, 200) << r->body;
  h = json::parse(r->body);
  EXPECT_EQ(h["status"], "ok");
  EXPECT_FALSE(h.contains("write_error"));
}

}  // namespace
}  // namespace linesight::testing
