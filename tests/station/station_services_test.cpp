// A running station's MQTT feed and /healthz + /metrics, checked from outside as a plant would:
// a real mosquitto broker and real HTTP GETs on 127.0.0.1, the PLC over Modbus TCP.
#include "station/station_services.h"

#include <arpa/inet.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cctype>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>

#include "inspect/trainer.h"
#include "io/mqtt_test_broker.h"
#include "io/plc_client.h"
#include "sim/part_renderer.h"
#include "station/sim_camera.h"
#include "station/station.h"
#include "station/station_fixture.h"
#include "testing/ingest_receiver.h"
#include "testing/test_util.h"

namespace linesight::station {
namespace {

namespace fs = std::filesystem;
using testing::MqttMessage;
using testing::MqttTestBroker;
using testing::MqttTestSubscriber;
using testing::TempDir;

// A station with the simulated camera and its line loop running; the PLC connected.
class Rig {
 public:
  Rig(const fs::path& folder, StationConfig config) {
    config.station = "S1";
    config.machine = "M1";
    config.plc.port = 0;
    config.camera.kind = CameraKind::kSimulator;
    config.camera.timeout_ms = 300;
    if (config.views.empty()) config.views = {ViewConfig{"top", ModelFile()}};
    config.outbox.path = folder / "outbox.db";
    config.outbox.sync_full = false;
    camera = new SimCamera("cam");
    station = std::make_unique<Station>(config, std::unique_ptr<io::FrameSource>(camera));
    loop = std::thread([this] { station->Run(stop); });
    plc = std::make_unique<io::PlcClient>("127.0.0.1", station->plc_port());
  }
  ~Rig() {
    plc.reset();
    stop = true;
    loop.join();
  }
  // Triggers part `id` with a good image and returns what the PLC reads (nullopt: no result).
  std::optional<io::PlcResultRead> Shoot(uint32_t id) {
    camera->Present(id, "top", Good(9000 + id));
    plc->Trigger(id, id, 2);
    auto r = plc->WaitResult(std::chrono::milliseconds(5000));
    plc->Acknowledge();
    return r;
  }
  httplib::Result Get(const std::string& path) {
    httplib::Client client("127.0.0.1", station->http_port());
    return client.Get(path.c_str());
  }

  SimCamera* camera;
  std::unique_ptr<Station> station;
  std::atomic<bool> stop{false};
  std::thread loop;
  std::unique_ptr<io::PlcClient> plc;
};

StationConfig WithHttp() {
  StationConfig c;
  c.http.enabled = true;
  c.http.port = 0;
  return c;
}

// True if `name` is a metric name, optionally followed by one {label="value",...} block.
bool IsSampleName(const std::string& name) {
  const size_t brace = name.find('{');
  const std::string base = name.substr(0, brace);
  if (base.empty() || std::isdigit(static_cast<unsigned char>(base[0]))) return false;
  for (char c : base)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != ':') return false;
  if (brace == std::string::npos) return true;
  return name.back() == '}' && name.find('}') == name.size() - 1 &&
         name.find("=\"") != std::string::npos;
}

// name{labels} -> value, for every sample line; fails the test on a line that does not parse.
// (Hand-written: std::regex trips GCC 12's -Wmaybe-uninitialized under the sanitizers.)
std::map<std::string, double> Samples(const std::string& text) {
  std::map<std::string, double> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    const size_t space = line.rfind(' ');
    size_t used = 0;
    double value = 0;
    const std::string name = space == std::string::npos ? "" : line.substr(0, space);
    try {
      value = std::stod(line.substr(space + 1), &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (!IsSampleName(name) || used != line.size() - space - 1) {
      ADD_FAILURE() << "not a sample line: " << line;
      continue;
    }
    out[name] = value;
  }
  return out;
}

TEST(StationServices, HealthzAndMetricsMoveWithParts) {
  TempDir dir;
  Rig rig(dir.path(), WithHttp());
  ASSERT_GT(rig.station->http_port(), 0);
  auto health = rig.Get("/healthz");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);
  const auto h = nlohmann::json::parse(health->body);
  EXPECT_EQ(h["ok"], true);
  EXPECT_EQ(h["state"], "running");
  EXPECT_TRUE(h["models"]["top"].is_string());
  EXPECT_TRUE(h["last_part_age_s"].is_null());
  EXPECT_TRUE(h["plc_connected"].is_boolean());  // the PLC's accept may still be on its way

  auto before = Samples(rig.Get("/metrics")->body);
  EXPECT_EQ(before["linesight_latency_seconds_count"], 0);
  ASSERT_TRUE(rig.Shoot(1));
  rig.camera->SetLost(true);
  ASSERT_TRUE(rig.Shoot(2));  // held: camera
  const auto metrics = rig.Get("/metrics");
  ASSERT_TRUE(metrics);
  EXPECT_EQ(metrics->status, 200);
  EXPECT_TRUE(testing::Contains(metrics->get_header_value("Content-Type"), "version=0.0.4"));
  auto after = Samples(metrics->body);
  EXPECT_EQ(after["linesight_parts_total{decision=\"pass\"}"] +
                after["linesight_parts_total{decision=\"reject\"}"],
            1);
  EXPECT_EQ(after["linesight_parts_total{decision=\"hold\"}"], 1);
  EXPECT_EQ(after["linesight_holds_total{reason=\"camera\"}"], 1);
  EXPECT_EQ(after["linesight_latency_seconds_count"], 2);
  EXPECT_EQ(after["linesight_latency_seconds_bucket{le=\"+Inf\"}"], 2);
  EXPECT_GT(after["linesight_latency_seconds_sum"], 0);
  EXPECT_EQ(after["linesight_plc_connected"], 1);
  EXPECT_EQ(after["linesight_model_loaded{view=\"top\"}"], 1);
  EXPECT_EQ(after.count("linesight_outbox_pending_parts"), 1u);
  EXPECT_EQ(after["linesight_outbox_errors_total"], 0);
  const auto h2 = nlohmann::json::parse(rig.Get("/healthz")->body);
  EXPECT_TRUE(h2["last_part_age_s"].is_number());
  EXPECT_EQ(h2["camera"], "failing");
}

// Idle connections (a browser's preconnects, a port scanner) each hold a handler thread until
// they time out: with 2 threads and 10 s, four of them kept /healthz silent for 20 s and the
// monitoring called the station down. Six idle sockets leave the health check answered at once.
TEST(StationServices, HealthzAnswersWhileIdleConnectionsAreOpen) {
  TempDir dir;
  Rig rig(dir.path(), WithHttp());
  std::vector<int> idle;
  for (int i = 0; i < 6; ++i) {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<uint16_t>(rig.station->http_port()));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    idle.push_back(fd);
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(200));  // accepted, held by handlers
  httplib::Client client("127.0.0.1", rig.station->http_port());
  client.set_read_timeout(5, 0);  // before the change: no answer for ~20 s
  const auto health = client.Get("/healthz");
  ASSERT_TRUE(health) << httplib::to_string(health.error());
  EXPECT_EQ(health->status, 200);
  for (int fd : idle) ::close(fd);
}

TEST(StationServices, NoModelIsFaultAnd503) {
  TempDir dir;
  StationConfig c = WithHttp();
  c.views = {ViewConfig{"top", dir / "missing.lsm"}};
  Rig rig(dir.path(), c);
  const auto health = rig.Get("/healthz");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 503);
  const auto h = nlohmann::json::parse(health->body);
  EXPECT_EQ(h["ok"], false);
  EXPECT_EQ(h["state"], "fault");
  EXPECT_TRUE(h["models"]["top"].is_null());
  EXPECT_EQ(Samples(rig.Get("/metrics")->body)["linesight_model_loaded{view=\"top\"}"], 0);
}

TEST(StationServices, NoServicesUnlessConfigured) {
  TempDir dir;
  Rig rig(dir.path(), StationConfig{});
  EXPECT_EQ(rig.station->http_port(), 0);
  EXPECT_EQ(rig.station->mqtt_topic_prefix(), "");
}

// The station file's uplink: each judged part reaches the factory server (here the test ingest
// receiver) without anyone calling the uplink, and /metrics and /healthz show it.
TEST(StationServices, UplinkSendsEachStoredPartToTheServer) {
  TempDir dir;
  testing::IngestReceiver receiver("S1-secret");
  StationConfig c = WithHttp();
  c.uplink.enabled = true;
  c.uplink.url = receiver.url();
  c.uplink.token_file = dir / "S1.token";
  testing::WriteFile(c.uplink.token_file, "S1-secret\n");
  Rig rig(dir.path(), c);
  ASSERT_NE(rig.station->uplink(), nullptr);
  for (uint32_t id = 1; id <= 3; ++id) ASSERT_TRUE(rig.Shoot(id));
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (receiver.part_ids().size() < 3 && std::chrono::steady_clock::now() < until)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  ASSERT_EQ(receiver.part_ids().size(), 3u);
  // The receiver holds a part before the uplink has read the answer and counted it sent.
  const auto settled = [&] {
    const auto st = rig.station->uplink()->stats();
    return st.parts_sent >= 3 && st.pending_parts == 0;
  };
  while (!settled() && std::chrono::steady_clock::now() < until)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  auto m = Samples(rig.Get("/metrics")->body);
  EXPECT_EQ(m["linesight_uplink_sent_total{kind=\"parts\"}"], 3);
  EXPECT_EQ(m["linesight_uplink_connected"], 1);
  EXPECT_EQ(m["linesight_uplink_pending{kind=\"parts\"}"], 0);
  EXPECT_EQ(m["linesight_uplink_retries_total"], 0);
  EXPECT_EQ(m["linesight_outbox_pruned_total"], 0);  // delivered just now: kept 30 days
  const auto h = nlohmann::json::parse(rig.Get("/healthz")->body);
  EXPECT_EQ(h["uplink"]["connected"], true);
  EXPECT_EQ(h["uplink"]["last_error"], "");
  EXPECT_TRUE(testing::Contains(rig.station->StatusLine(), "uplink up: 3 sent, 0 pending"))
      << rig.station->StatusLine();
}

TEST(StationServices, UplinkWithoutATokenStopsTheStationAtStart) {
  TempDir dir;
  StationConfig c;
  c.uplink.enabled = true;
  c.uplink.url = "http://127.0.0.1:9";
  c.uplink.token_file = dir / "missing.token";
  const Error e = testing::Caught([&] { Rig rig(dir.path(), c); });
  EXPECT_TRUE(testing::Contains(e.what(), "missing.token")) << e.what();
}

#define SKIP_WITHOUT_MOSQUITTO()                                                        \
  if (testing::MosquittoBinary().empty())                                               \
  GTEST_SKIP() << "the mosquitto broker is not installed (apt-get install mosquitto); " \
                  "the MQTT tests need a real broker"

StationConfig WithMqtt(int port) {
  StationConfig c;
  c.mqtt.enabled = true;
  c.mqtt.port = port;
  c.mqtt.site = "plant1";
  c.mqtt.line = "cell1";
  c.mqtt.client_id = "S1-" + std::to_string(getpid()) + "-" + std::to_string(port);
  return c;
}

TEST(StationServices, PartsAndStatusReachTheBrokerAndABrokerOutageNeverStopsTheLine) {
  SKIP_WITHOUT_MOSQUITTO();
  MqttTestBroker broker;
  MqttTestSubscriber sub(broker.port(), "linesight/v1/#");
  TempDir dir;
  Rig rig(dir.path(), WithMqtt(broker.port()));
  const std::string prefix = "linesight/v1/plant1/cell1/M1/";
  EXPECT_EQ(rig.station->mqtt_topic_prefix(), prefix);
  const MqttMessage status = sub.WaitFor(prefix + "status");
  ASSERT_FALSE(status.topic.empty()) << "no status message";
  const auto st = nlohmann::json::parse(status.payload);
  EXPECT_EQ(st["state"], "running");
  EXPECT_EQ(st["station"], "S1");
  EXPECT_TRUE(st["models"]["top"].is_string());

  ASSERT_TRUE(rig.Shoot(1));
  const MqttMessage part = sub.WaitFor(prefix + "part");
  ASSERT_FALSE(part.topic.empty()) << "no part message";
  const auto p = nlohmann::json::parse(part.payload);
  EXPECT_EQ(p["part_id"], "M1-000000001");
  EXPECT_EQ(p["station"], "S1");
  EXPECT_TRUE(rig.station->outbox().Contains("M1-000000001")) << "published before stored";
  // Part id 1 again: held, not stored, so not published either (the feed is the records').
  ASSERT_TRUE(rig.Shoot(1));
  ASSERT_TRUE(rig.Shoot(9));
  const auto is9 = [](const MqttMessage& m) {
    return nlohmann::json::parse(m.payload)["part_id"] == "M1-000000009";
  };
  ASSERT_FALSE(sub.WaitFor(prefix + "part", is9).topic.empty()) << "no message of part 9";
  int ones = 0;
  for (const MqttMessage& m : sub.messages())
    ones +=
        m.topic == prefix + "part" && nlohmann::json::parse(m.payload)["part_id"] == "M1-000000001";
  EXPECT_EQ(ones, 1) << "the repeated part id was published";
  EXPECT_EQ(rig.station->counters().duplicate_parts, 1u);

  broker.Kill();
  for (uint32_t id = 2; id <= 4; ++id)
    EXPECT_TRUE(rig.Shoot(id)) << "part " << id << " got no result while the broker was down";
  EXPECT_EQ(rig.station->counters().parts, 6u);

  broker.Start();
  MqttTestSubscriber after(broker.port(), "linesight/v1/#");
  // The broker restarted empty: the station's reconnect brings the retained status back, and
  // the parts judged while it was away follow from the queue.
  EXPECT_FALSE(after.WaitFor(prefix + "status", {}, std::chrono::seconds(10)).topic.empty())
      << "no reconnect";
  ASSERT_TRUE(rig.Shoot(5));
  const auto is5 = [](const MqttMessage& m) {
    return nlohmann::json::parse(m.payload)["part_id"] == "M1-000000005";
  };
  EXPECT_FALSE(after.WaitFor(prefix + "part", is5).topic.empty())
      << "no part published after the reconnect";
}

TEST(StationServices, BrokerSendsOfflineWhenTheStationIsKilled) {
  SKIP_WITHOUT_MOSQUITTO();
  MqttTestBroker broker;
  MqttTestSubscriber sub(broker.port(), "linesight/v1/#");
  TempDir dir;
  const pid_t child = fork();
  if (child == 0) {
    StationConfig c = WithMqtt(broker.port());
    c.station = "S1";
    c.machine = "M1";
    c.plc.port = 0;
    c.camera.kind = CameraKind::kSimulator;
    c.views = {ViewConfig{"top", dir / "missing.lsm"}};  // no training in the child
    c.outbox.path = dir / "outbox.db";
    new Station(c, std::make_unique<SimCamera>("cam"));  // never destroyed: killed
    pause();
    _exit(0);
  }
  testing::KilledAtExit guard(child);
  const std::string topic = "linesight/v1/plant1/cell1/M1/status";
  const MqttMessage up = sub.WaitFor(topic, {}, std::chrono::seconds(10));
  ASSERT_FALSE(up.topic.empty()) << "the station never published its status";
  EXPECT_EQ(nlohmann::json::parse(up.payload)["state"], "fault");  // no model
  guard.Kill();
  const auto offline = [](const MqttMessage& m) {
    return nlohmann::json::parse(m.payload)["state"] == "offline";
  };
  EXPECT_FALSE(sub.WaitFor(topic, offline).topic.empty()) << "no last will after kill -9";
}

}  // namespace
}  // namespace linesight::station
