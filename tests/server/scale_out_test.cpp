// Two factory servers sharing one real PostgreSQL store, as behind a load balancer: stations
// uplink to either, a browser on one server sees live the parts that arrived through the other,
// and each part is stored once.
#include <atomic>
#include <thread>

#include "server/bootstrap.h"
#include "server/server_fixture.h"
#include "station/uplink.h"
#include "store/outbox.h"
#include "testing/postgres_server.h"

namespace linesight::testing {
namespace {

using nlohmann::json;

TEST(ScaleOutTest, TwoServersOnOnePostgresShareStoreSessionsAndLiveParts) {
  TempDir dir;
  PostgresServer pg;
  pg.Start();
  const std::string uri = pg.NewDatabase("scale_out");
  std::unique_ptr<store::Store> stores[2] = {store::OpenStore(uri), store::OpenStore(uri)};
  server::SetUser(*stores[0], "ana", store::Role::kOperator, "ana-password", "test");
  const std::string tokens[2] = {server::IssueStationToken(*stores[0], "S1", "test"),
                                 server::IssueStationToken(*stores[1], "S2", "test")};
  std::unique_ptr<server::FactoryServer> servers[2];
  for (int i = 0; i < 2; ++i) {
    server::ServerOptions o;
    o.port = 0;
    o.image_dir = (dir.path() / ("images" + std::to_string(i))).string();
    o.live_poll_ms = 50;
    o.threads = 4;
    servers[i] = std::make_unique<server::FactoryServer>(*stores[i], o);
  }
  // A session made on server 0 works on server 1: sessions live in the store.
  httplib::Client c0("127.0.0.1", servers[0]->port()), c1("127.0.0.1", servers[1]->port());
  auto login = c0.Post("/api/v1/login", json{{"user", "ana"}, {"password", "ana-password"}}.dump(),
                       "application/json");
  ASSERT_EQ(login->status, 200);
  const std::string set_cookie = login->get_header_value("Set-Cookie");
  const httplib::Headers browser{{"Cookie", set_cookie.substr(0, set_cookie.find(';'))}};
  ASSERT_EQ(c1.Get("/api/v1/me", browser)->status, 200);

  // The browser watches server 0's stream.
  std::atomic<int> seen{0};
  std::atomic<bool> done{false};
  std::thread reader([&] {
    httplib::Client c("127.0.0.1", servers[0]->port());
    c.set_read_timeout(20, 0);
    std::string text;
    c.Get("/api/v1/stream", browser, [&](const char* data, size_t n) {
      text.append(data, n);
      size_t count = 0;
      for (size_t p = text.find("event: part"); p != std::string::npos;
           p = text.find("event: part", p + 1))
        ++count;
      seen = static_cast<int>(count);
      return !done;
    });
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));

  // Station i uplinks to server i.
  std::unique_ptr<store::Outbox> outboxes[2];
  std::unique_ptr<station::Uplink> uplinks[2];
  for (int i = 0; i < 2; ++i) {
    store::OutboxOptions oo;
    oo.path = (dir.path() / ("outbox" + std::to_string(i) + ".db")).string();
    oo.sync = store::OutboxSync::kNormal;
    outboxes[i] = std::make_unique<store::Outbox>(oo);
    for (int shot = 1; shot <= 60; ++shot) {
      PartRecord p = ServerTestPart("M" + std::to_string(i + 1), shot, Decision::kPass,
                                    1796000000000 + shot * 1000);
      p.station = "S" + std::to_string(i + 1);
      outboxes[i]->Put(p);
    }
    station::UplinkOptions uo;
    uo.url = "http://127.0.0.1:" + std::to_string(servers[i]->port());
    uo.token = tokens[i];
    uo.batch_parts = 25;
    uplinks[i] = std::make_unique<station::Uplink>(*outboxes[i], uo);
  }
  for (int i = 0; i < 200 && seen < 120; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  done = true;
  // End the stream: the feed's keep-alive or the next part wakes the reader; stopping the
  // servers' feeds ends it at once.
  uplinks[0].reset();
  uplinks[1].reset();
  servers[0].reset();
  reader.join();
  EXPECT_EQ(seen.load(), 120) << "server 0's stream must carry the parts server 1 stored too";
  EXPECT_EQ(stores[1]->Counts().parts, 120);
  auto r = c1.Get("/api/v1/parts?limit=1000", browser);
  ASSERT_EQ(r->status, 200);
  EXPECT_EQ(json::parse(r->body)["total"], 120);
}

}  // namespace
}  // namespace linesight::testing
