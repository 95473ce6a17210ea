// MQTT telemetry into the factory server, against a real mosquitto on 127.0.0.1, published with
// the standard mosquitto_pub: shots stored once, joined to their parts, bad messages refused and
// counted, and the subscription back after the broker restarts.
#include <cstdlib>
#include <thread>

#include "io/mqtt_test_broker.h"
#include "server/server_fixture.h"
#include "store/sqlite_db.h"

namespace linesight::testing {
namespace {

using json = nlohmann::json;

class TelemetryInTest : public ServerFixture {};
INSTANTIATE_TEST_SUITE_P(Engines, TelemetryInTest, ::testing::Values("sqlite", "postgresql"),
                         [](const auto& info) { return info.param; });

void Publish(int port, const std::string& machine, const std::string& payload) {
  const std::string cmd = "mosquitto_pub -h 127.0.0.1 -p " + std::to_string(port) +
                          " -q 1 -t linesight/v1/plant1/cell1/" + machine + "/telemetry -m '" +
                          payload + "'";
  ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
}

std::string ShotJson(int64_t shot, const std::string& melt) {
  return R"({"shot": )" + std::to_string(shot) + R"(, "time_ms": )" +
         std::to_string(kT0 + shot * 90'000) + R"(, "die": "M7-D01", "die_shot": )" +
         std::to_string(shot) + R"(, "process": {"melt_temp_c": )" + melt +
         R"(, "die_temp_c": 226.5}})";
}

server::ServerOptions TelemetryOptions(const TempDir& dir, int broker_port) {
  server::ServerOptions o;
  o.port = 0;
  o.image_dir = (dir.path() / "telemetry-images").string();
  o.threads = 2;
  o.telemetry = true;
  o.mqtt.port = broker_port;
  return o;
}

TEST_P(TelemetryInTest, ShotsAreStoredOnceJoinedToPartsAndBadOnesCounted) {
  if (MosquittoBinary().empty()) GTEST_SKIP() << "mosquitto is not installed";
  MqttTestBroker broker;
  const server::ServerOptions o = TelemetryOptions(*dir_, broker.port());
  server::FactoryServer s(*store_, o);
  ASSERT_TRUE(Eventually([&] { return MetricValue(s, "linesight_telemetry_connected") == 1; }));

  Publish(broker.port(), "M7", ShotJson(1, "683.5"));
  Publish(broker.port(), "M7", ShotJson(1, "683.5"));  // delivered twice
  Publish(broker.port(), "M7", ShotJson(2, "0"));      // a dead thermocouple
  Publish(broker.port(), "M7", R"({"shot": 3, "machine": "M8", "die": "x", "time_ms": 1})");
  ASSERT_TRUE(Eventually([&] {
    return MetricValue(s, "linesight_telemetry_shots_total") == 2 &&
           MetricValue(s, "linesight_telemetry_duplicates_total") == 1;
  })) << MetricValue(s, "linesight_telemetry_received_total");
  EXPECT_EQ(MetricValue(s, "linesight_telemetry_refused_total"), 1);
  EXPECT_EQ(MetricValue(s, "linesight_telemetry_implausible_total"), 1);

  // The station's part of shot 1 came without process values: it shows telemetry's.
  PartRecord part = ServerTestPart("M7", 1, Decision::kPass, kT0 + 90'000);
  part.shot.process = {};
  ASSERT_EQ(Ingest(Batch({part}))->status, 200);
  const auto r = Client().Get("/api/v1/parts/" + PartId("M7", 1), operator_.Headers());
  ASSERT_EQ(r->status, 200);
  const json process = json::parse(r->body)["record"]["shot"]["process"];
  EXPECT_EQ(process["melt_temp_c"], 683.5);
  EXPECT_EQ(process["die_temp_c"], 226.5);

  // The broker restarts: the server subscribes again by itself.
  broker.Kill();
  ASSERT_TRUE(Eventually([&] { return MetricValue(s, "linesight_telemetry_connected") == 0; }));
  broker.Start();
  ASSERT_TRUE(Eventually([&] { return MetricValue(s, "linesight_telemetry_connected") == 1; }));
  Publish(broker.port(), "M7", ShotJson(4, "690"));
  ASSERT_TRUE(Eventually([&] { return MetricValue(s, "linesight_telemetry_shots_total") == 3; }));
}

// The broker acknowledged the shots, so a server stopping while its store refuses them tries
// them a few seconds more and stores them if the store comes back; otherwise its log says how
// many are lost and what to do.
TEST_P(TelemetryInTest, AStopWhileTheStoreFailsTriesAgainAndSaysWhatIsLost) {
  if (MosquittoBinary().empty()) GTEST_SKIP() << "mosquitto is not installed";
  if (GetParam() != "sqlite") GTEST_SKIP() << "the store is made to fail through its SQLite file";
  MqttTestBroker broker;
  const server::ServerOptions o = TelemetryOptions(*dir_, broker.port());
  const auto raw = [&](const char* sql) {
    store::SqliteDb db((dir_->path() / "server.db").string());
    db.Exec("PRAGMA busy_timeout = 5000");
    db.Exec(sql);
  };
  const auto run = [&](int64_t first, bool store_comes_back) {
    auto s = std::make_unique<server::FactoryServer>(*store_, o);
    ASSERT_TRUE(Eventually([&] { return MetricValue(*s, "linesight_telemetry_connected") == 1; }));
    raw("ALTER TABLE shots RENAME TO shots_away");  // every IngestShots fails now
    for (int64_t shot = first; shot < first + 3; ++shot)
      Publish(broker.port(), "M7", ShotJson(shot, "683.5"));
    ASSERT_TRUE(Eventually([&] { return MetricValue(*s, "linesight_telemetry_queued") == 3; }));
    std::thread back;
    if (store_comes_back)
      back = std::thread([&] {
        std::this_thread::sleep_for(std::chrono::seconds(1));
        raw("ALTER TABLE shots_away RENAME TO shots");
      });
    ::testing::internal::CaptureStderr();
    s.reset();  // the stop
    const std::string log = ::testing::internal::GetCapturedStderr();
    if (back.joinable()) back.join();
    if (!store_comes_back) raw("ALTER TABLE shots_away RENAME TO shots");
    std::vector<Shot> again;
    for (int64_t shot = first; shot < first + 3; ++shot) {
      Shot x;
      x.machine = "M7";
      x.shot = shot;
      x.time_ms = kT0 + shot * 90'000;
      again.push_back(x);
    }
    const store::ShotCounts n = store_->IngestShots(again);
    EXPECT_EQ(n.shots_duplicate, store_comes_back ? 3 : 0) << log;
    EXPECT_EQ(log.find("3 shots received and not stored are lost") != std::string::npos,
              !store_comes_back)
        << log;
  };
  run(1, true);
  run(11, false);
}

}  // namespace
}  // namespace linesight::testing
