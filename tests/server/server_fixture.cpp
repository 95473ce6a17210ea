#include "server/server_fixture.h"

#include <atomic>
#include <chrono>
#include <thread>

#include "server/bootstrap.h"
#include "testing/postgres_server.h"

namespace linesight::testing {

PartRecord ServerTestPart(const std::string& machine, int64_t shot, Decision d, int64_t time_ms,
                          float score) {
  PartRecord p;
  p.shot.machine = machine;
  p.shot.die = machine + "-D01";
  p.shot.shot = shot;
  p.shot.die_shot = shot;
  p.shot.time_ms = time_ms;
  p.shot.process.melt_temp_c = 680;
  p.part_id = PartId(machine, shot);
  p.station = "S1";
  ViewResult v;
  v.decision = d;
  v.reason = d == Decision::kHold ? HoldReason::kDeadline : HoldReason::kNone;
  v.score = score;
  v.threshold = 1.0f;
  v.model_id = "model-1";
  if (d == Decision::kReject) {
    Finding f;
    f.box = {10, 20, 5, 6};
    f.area_px = 30;
    f.peak = score;
    f.severity = score;
    f.type = "crack";
    v.findings.push_back(f);
  }
  p.views.push_back(v);
  p.trigger_time_ms = time_ms + 5;
  p.latency_ms = 20;
  CombineViews(p);
  return p;
}

bool Eventually(const std::function<bool()>& done) {
  for (int i = 0; i < 1500 && !done(); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  return done();
}

double MetricValue(const server::FactoryServer& s, const std::string& name) {
  httplib::Client c("127.0.0.1", s.port());
  const auto r = c.Get("/metrics");
  if (!r) return -1;
  const size_t at = r->body.find("\n" + name + " ");
  if (at == std::string::npos) return -1;
  return std::stod(r->body.substr(at + name.size() + 2));
}

httplib::Headers Browser::Headers(bool write) const {
  httplib::Headers h{{"Cookie", cookie}};
  if (write) h.emplace("X-CSRF-Token", csrf);
  return h;
}

std::string ServerFixture::StoreLocation() {
  if (GetParam() == "sqlite") return (dir_->path() / "server.db").string();
  static PostgresServer* pg = [] {
    auto* server = new PostgresServer;  // lives until the process ends, stopped by atexit
    server->Start();
    std::atexit([] { delete pg; });
    return server;
  }();
  static std::atomic<int> n{0};
  return pg->NewDatabase("server_test_" + std::to_string(++n));
}

void ServerFixture::SetUp() {
  dir_ = std::make_unique<TempDir>();
  store_ = store::OpenStore(StoreLocation());
  server::SetUser(*store_, "admin", store::Role::kAdmin, "admin-password", "test");
  server::SetUser(*store_, "ana", store::Role::kOperator, "ana-password", "test");
  station_token_ = server::IssueStationToken(*store_, "S1", "test");
  server::ServerOptions o;
  o.port = 0;
  o.image_dir = (dir_->path() / "images").string();
  o.threads = 8;
  o.live_poll_ms = 50;
  o.stream_recheck_ms = 0;  // every write: a logged-out stream ends at once
  server_ = std::make_unique<server::FactoryServer>(*store_, o);
  admin_ = LogIn("admin", "admin-password");
  operator_ = LogIn("ana", "ana-password");
}

void ServerFixture::TearDown() {
  server_.reset();
  store_.reset();
  dir_.reset();
}

httplib::Client ServerFixture::Client() const {
  httplib::Client c("127.0.0.1", server_->port());
  c.set_read_timeout(10, 0);
  return c;
}

Browser ServerFixture::LogIn(const std::string& user, const std::string& password) {
  auto r =
      Client().Post("/api/v1/login", nlohmann::json{{"user", user}, {"password", password}}.dump(),
                    "application/json");
  EXPECT_TRUE(r);
  if (!r || r->status != 200) {
    ADD_FAILURE() << "login as " << user << " failed";
    return {};
  }
  Browser b;
  const std::string set_cookie = r->get_header_value("Set-Cookie");
  b.cookie = set_cookie.substr(0, set_cookie.find(';'));
  b.csrf = nlohmann::json::parse(r->body).at("csrf").get<std::string>();
  return b;
}

httplib::Result ServerFixture::Ingest(const nlohmann::json& batch, const std::string& token) {
  httplib::Headers h{{"Authorization", "Bearer " + (token.empty() ? station_token_ : token)}};
  return Client().Post("/api/v1/parts", h, batch.dump(), "application/json");
}

nlohmann::json ServerFixture::Batch(const std::vector<PartRecord>& parts,
                                    const std::vector<MachineEvent>& events) {
  nlohmann::json b{{"parts", nlohmann::json::array()}, {"events", nlohmann::json::array()}};
  for (const auto& p : parts) b["parts"].push_back(ToJson(p));
  for (const auto& e : events) b["events"].push_back(ToJson(e));
  return b;
}

}  // namespace linesight::testing
