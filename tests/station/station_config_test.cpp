// The station file is read strictly: every mistake names the key, the cause and the fix.
#include "station/station_config.h"

#include <filesystem>

#include <gtest/gtest.h>

#include "testing/test_util.h"

namespace linesight::station {
namespace {

using testing::Caught;
using testing::Contains;

constexpr const char* kGood = R"(
station: S3
machine: M3
plc: {host: 127.0.0.1, port: 1502}
camera: {source: folder, folder: incoming, timeout_ms: 1500}
views:
  - {name: top, model: models/top.lsm}
  - {name: side, model: /abs/side.lsm}
deadline_ms: 400
hold_streak: 8
workers: 2
outbox: {path: data/outbox.db, image_cap_mb: 100, keep_pass_images: 0.05}
)";

TEST(StationConfigTest, ReadsEveryKeyAndResolvesRelativePaths) {
  const StationConfig c = ParseStationConfig(kGood, "station.yaml", "/etc/ls");
  EXPECT_EQ(c.station, "S3");
  EXPECT_EQ(c.machine, "M3");
  EXPECT_EQ(c.plc.port, 1502);
  EXPECT_EQ(c.camera.kind, CameraKind::kFolder);
  EXPECT_EQ(c.camera.folder, "/etc/ls/incoming");
  EXPECT_EQ(c.camera.timeout_ms, 1500);
  EXPECT_EQ(c.camera.max_early_ms, 1000);
  EXPECT_EQ(ParseStationConfig(
                "station: S1\nmachine: M1\ncamera: {source: folder, folder: in, max_early_ms: 0}\n"
                "views: [{model: m.lsm}]\n",
                "station.yaml", "/etc/ls")
                .camera.max_early_ms,
            0);
  ASSERT_EQ(c.views.size(), 2u);
  EXPECT_EQ(c.views[0].model, "/etc/ls/models/top.lsm");
  EXPECT_EQ(c.views[1].model, "/abs/side.lsm");
  EXPECT_EQ(c.deadline_ms, 400);
  EXPECT_EQ(c.hold_streak, 8);
  EXPECT_EQ(StationConfig().hold_streak, 5);
  EXPECT_EQ(c.outbox.path, "/etc/ls/data/outbox.db");
  EXPECT_DOUBLE_EQ(c.outbox.keep_pass_images, 0.05);
  EXPECT_EQ(c.outbox.keep_sent_days, 30);
  EXPECT_EQ(ParseStationConfig(
                "station: S1\nmachine: M1\ncamera: {source: simulator}\nviews: [{model: m.lsm}]\n"
                "outbox: {keep_sent_days: 365}\n",
                "station.yaml", "/etc/ls")
                .outbox.keep_sent_days,
            365);
}

void ExpectError(const std::string& text, std::initializer_list<const char*> parts) {
  const Error e = Caught([&] { ParseStationConfig(text, "station.yaml", "/etc/ls"); });
  for (const char* p : parts) EXPECT_TRUE(Contains(e.what(), p)) << e.what();
}

TEST(StationConfigTest, MistakesNameTheKeyAndTheFix) {
  const std::string base =
      "station: S1\nmachine: M1\ncamera: {source: simulator}\nviews: [{model: m.lsm}]\n";
  ExpectError(base + "deadline: 5\n", {"deadline", "unknown key", "deadline_ms"});
  ExpectError(base + "deadline_ms: fast\n", {"deadline_ms", "expected a number"});
  ExpectError(base + "deadline_ms: 0\n", {"deadline_ms", "out of range"});
  ExpectError(base + "hold_streak: -1\n", {"hold_streak", "out of range"});
  ExpectError(base + "workers: 1.5\n", {"workers", "whole number"});
  ExpectError(base + "plc: {port: 70000}\n", {"plc.port", "out of range"});
  ExpectError(
      "station: S1\nmachine: M1\ncamera: {source: folder, folder: in, max_early_ms: -1}\nviews: "
      "[{model: m.lsm}]\n",
      {"camera.max_early_ms", "out of range"});
  ExpectError(base + "outbox: {keep_pass_images: 2}\n", {"keep_pass_images", "out of range"});
  ExpectError(base + "outbox: {keep_sent_days: 0}\n",
              {"outbox.keep_sent_days", "out of range", "between 1 and 3650"});
  ExpectError(base + "outbox: {keep_sent_days: 3651}\n", {"outbox.keep_sent_days", "out of range"});
  ExpectError(base + "outbox: {keep_sent_days: 7.5}\n", {"outbox.keep_sent_days", "whole number"});
  ExpectError(base + "outbox: {keep_sent_days: forever}\n",
              {"outbox.keep_sent_days", "expected a number"});
  ExpectError(base + "deadline_ms: 5\ndeadline_ms: 6\n", {"given twice"});
  ExpectError("station: S1\nmachine: M1\ncamera: {source: simulator}\n", {"views", "missing"});
  ExpectError("station: S1\nmachine: M1\nviews: [{model: m.lsm}]\n", {"camera", "missing"});
  ExpectError("station: S1\nmachine: M1\ncamera: {source: webcam}\nviews: [{model: m.lsm}]\n",
              {"webcam", "folder"});
  ExpectError("station: S1\nmachine: M1\ncamera: {source: folder}\nviews: [{model: m.lsm}]\n",
              {"camera.folder"});
  // A setting of another source would change nothing: refused, naming the source it is for.
  ExpectError(
      "station: S1\nmachine: M1\ncamera: {source: folder, folder: in, pixel_format: Mono12}\n"
      "views: [{model: m.lsm}]\n",
      {"camera.pixel_format", "source aravis, not of folder", "Remove it"});
  ExpectError(
      "station: S1\nmachine: M1\ncamera: {source: aravis, device: x, move_to: done}\n"
      "views: [{model: m.lsm}]\n",
      {"camera.move_to", "source folder"});
  ExpectError(
      "station: S1\nmachine: M1\ncamera: {source: simulator, device: x}\nviews: "
      "[{model: m.lsm}]\n",
      {"camera.device", "source aravis, not of simulator"});
  ExpectError(
      "station: S1\nmachine: M1\ncamera: {source: aravis, device: x, pixel_format: RGB8}\nviews: "
      "[{model: m}]\n",
      {"RGB8", "Mono8"});
  ExpectError("station: S1\nmachine: M1\ncamera: {source: simulator}\nviews: [{name: top}]\n",
              {"views[0].model"});
  ExpectError(
      "station: S1\nmachine: M1\ncamera: {source: simulator}\nviews: [{model: a}, {model: b}]\n",
      {"given twice"});
  ExpectError("station: S1\nmachine: M1\ncamera: [\n", {"not valid YAML", "line"});
  // A folder where a file belongs is named as that (it read "cannot open database file").
  const std::string folder = std::filesystem::temp_directory_path().string();
  ExpectError(base + "outbox: {path: " + folder + "}\n",
              {"outbox.path", "is a folder", "outbox.db"});
  ExpectError(
      "station: S1\nmachine: M1\ncamera: {source: simulator}\nviews: [{model: " + folder + "}]\n",
      {"views[0].model", "is a folder"});
  // No default ids: a station that called itself M1 filed its parts under the real M1's ids.
  ExpectError("machine: M3\ncamera: {source: simulator}\nviews: [{model: m.lsm}]\n",
              {"station", "missing", "station: S3"});
  ExpectError("station: S3\ncamera: {source: simulator}\nviews: [{model: m.lsm}]\n",
              {"machine", "missing", "<machine>-<shot>"});
  ExpectError("", {"empty"});
}

TEST(StationConfigTest, RecurringMarksAreWatchedUnlessTurnedOff) {
  const StationConfig defaults = ParseStationConfig(kGood, "station.yaml", "/etc/ls");
  EXPECT_TRUE(defaults.recurring_mark.enabled);
  EXPECT_TRUE(defaults.recurring_mark.die_memory);
  EXPECT_EQ(defaults.recurring_mark.min_parts, 4);
  const StationConfig c = ParseStationConfig(
      std::string(kGood) +
          "recurring_mark: {enabled: false, die_memory: false, window_parts: 20, min_parts: 6, "
          "radius: 0.05, clear_after: 30, memory_clear_after: 150, warmup_shots: 3, "
          "memory_short_parts: 50, memory_long_parts: 800, memory_min_parts: 120, "
          "faint_share: 0.7}\n",
      "station.yaml", "/etc/ls");
  EXPECT_FALSE(c.recurring_mark.enabled);
  EXPECT_FALSE(c.recurring_mark.die_memory);
  EXPECT_EQ(c.recurring_mark.window_parts, 20);
  EXPECT_EQ(c.recurring_mark.min_parts, 6);
  EXPECT_DOUBLE_EQ(c.recurring_mark.radius, 0.05);
  EXPECT_EQ(c.recurring_mark.clear_after, 30);
  EXPECT_EQ(c.recurring_mark.memory_clear_after, 150);
  EXPECT_EQ(c.recurring_mark.warmup_shots, 3);
  EXPECT_DOUBLE_EQ(c.recurring_mark.faint_share, 0.7);
  EXPECT_DOUBLE_EQ(defaults.recurring_mark.faint_share, 0.8);
  EXPECT_DOUBLE_EQ(c.recurring_mark.memory.short_parts, 50);
  EXPECT_DOUBLE_EQ(c.recurring_mark.memory.long_parts, 800);
  EXPECT_EQ(c.recurring_mark.memory.min_parts, 120);
  EXPECT_EQ(defaults.recurring_mark.memory.min_parts, DieMemoryOptions().min_parts);
  const std::string base =
      "station: S1\nmachine: M1\ncamera: {source: simulator}\nviews: [{model: m.lsm}]\n";
  ExpectError(base + "recurring_mark: {parts: 3}\n", {"recurring_mark", "unknown key"});
  ExpectError(base + "recurring_mark: {window_parts: 5, min_parts: 6}\n",
              {"recurring_mark.min_parts", "window_parts"});
  ExpectError(base + "recurring_mark: {radius: 2}\n", {"recurring_mark.radius", "out of range"});
  ExpectError(base + "recurring_mark: {enabled: maybe}\n", {"recurring_mark.enabled"});
  ExpectError(base + "recurring_mark: {die_memory: 2}\n", {"recurring_mark.die_memory"});
  ExpectError(base + "recurring_mark: {memory_clear_after: 0}\n",
              {"recurring_mark.memory_clear_after", "out of range"});
  ExpectError(base + "recurring_mark: {memory_short_parts: 2}\n",
              {"recurring_mark.memory_short_parts", "out of range"});
  ExpectError(base + "recurring_mark: {memory_short_parts: 300, memory_long_parts: 500}\n",
              {"recurring_mark.memory_long_parts", "twice memory_short_parts"});
  ExpectError(base + "recurring_mark: {memory_min_parts: 100}\n",
              {"recurring_mark.memory_min_parts", "at least memory_short_parts"});
  ExpectError(base + "recurring_mark: {memory_long_parts: 1.5}\n",
              {"recurring_mark.memory_long_parts"});
  ExpectError(base + "recurring_mark: {faint_share: 0.3}\n",
              {"recurring_mark.faint_share", "below 0.5", "between 0.5 and 1"});
  ExpectError(base + "recurring_mark: {faint_share: 1.5}\n",
              {"recurring_mark.faint_share", "out of range"});
  EXPECT_DOUBLE_EQ(
      ParseStationConfig(base + "recurring_mark: {faint_share: 0}\n", "station.yaml", "/etc/ls")
          .recurring_mark.faint_share,
      0);
}

TEST(StationConfigTest, MqttAndHttpAreOffUnlessConfigured) {
  const StationConfig off = ParseStationConfig(kGood, "station.yaml", "/etc/ls");
  EXPECT_FALSE(off.mqtt.enabled);
  EXPECT_FALSE(off.http.enabled);
  const StationConfig on = ParseStationConfig(
      std::string(kGood) +
          "mqtt: {host: 10.0.0.5, port: 1884, site: plant1, line: cell1, qos: 0, client_id: x,"
          " status_every_s: 5, queue_max: 50}\nhttp: {host: 0.0.0.0, port: 0}\n",
      "station.yaml", "/etc/ls");
  EXPECT_TRUE(on.mqtt.enabled);
  EXPECT_EQ(on.mqtt.host, "10.0.0.5");
  EXPECT_EQ(on.mqtt.port, 1884);
  EXPECT_EQ(on.mqtt.site, "plant1");
  EXPECT_EQ(on.mqtt.line, "cell1");
  EXPECT_EQ(on.mqtt.qos, 0);
  EXPECT_EQ(on.mqtt.client_id, "x");
  EXPECT_EQ(on.mqtt.status_every_s, 5);
  EXPECT_EQ(on.mqtt.queue_max, 50);
  EXPECT_TRUE(on.http.enabled);
  EXPECT_EQ(on.http.host, "0.0.0.0");
  EXPECT_EQ(on.http.port, 0);
  const StationConfig defaults =
      ParseStationConfig(std::string(kGood) + "mqtt: {}\nhttp: {}\n", "station.yaml", "/etc/ls");
  EXPECT_TRUE(defaults.mqtt.enabled);
  EXPECT_EQ(defaults.mqtt.port, 1883);
  EXPECT_EQ(defaults.mqtt.qos, 1);
  EXPECT_EQ(defaults.http.port, 9464);
}

TEST(StationConfigTest, MqttAndHttpMistakesNameTheKey) {
  const std::string base =
      "station: S1\nmachine: M1\ncamera: {source: simulator}\nviews: [{model: m.lsm}]\n";
  ExpectError(base + "mqtt: {broker: x}\n", {"broker", "unknown key"});
  ExpectError(base + "mqtt: {qos: 3}\n", {"mqtt.qos", "out of range"});
  ExpectError(base + "mqtt: {port: 0}\n", {"mqtt.port", "out of range"});
  ExpectError(base + "mqtt: {site: a/b}\n", {"mqtt.site", "topic level"});
  ExpectError(base + "mqtt: {line: '#'}\n", {"mqtt.line", "topic level"});
  ExpectError(base + "mqtt: {status_every_s: 0}\n", {"mqtt.status_every_s", "out of range"});
  ExpectError(base + "mqtt: {queue_max: 0}\n", {"mqtt.queue_max", "out of range"});
  ExpectError(base + "http: {port: 70000}\n", {"http.port", "out of range"});
  ExpectError(base + "http: {path: /x}\n", {"path", "unknown key"});
}

TEST(StationConfigTest, UplinkIsReadWithItsTokenOutsideTheFile) {
  EXPECT_FALSE(ParseStationConfig(kGood, "station.yaml", "/etc/ls").uplink.enabled);
  const StationConfig c = ParseStationConfig(
      std::string(kGood) +
          "uplink: {url: 'http://10.0.0.5:8080', token_file: S3.token, batch_parts: 200,"
          " max_batch_mb: 4, timeout_s: 10, backoff_max_s: 30, ca_file: ca.pem}\n",
      "station.yaml", "/etc/ls");
  EXPECT_TRUE(c.uplink.enabled);
  EXPECT_EQ(c.uplink.url, "http://10.0.0.5:8080");
  EXPECT_EQ(c.uplink.token_file, "/etc/ls/S3.token");
  EXPECT_EQ(c.uplink.ca_file, "/etc/ls/ca.pem");
  EXPECT_EQ(c.uplink.batch_parts, 200);
  EXPECT_DOUBLE_EQ(c.uplink.max_batch_mb, 4);
  EXPECT_DOUBLE_EQ(c.uplink.timeout_s, 10);
  EXPECT_DOUBLE_EQ(c.uplink.backoff_max_s, 30);

  const std::string base =
      "station: S1\nmachine: M1\ncamera: {source: simulator}\nviews: [{model: m.lsm}]\n";
  ExpectError(base + "uplink: {url: 'http://x:1', token: abc}\n",
              {"uplink.token", "not written in the station file", "token_file"});
  ExpectError(base + "uplink: {token_file: t}\n", {"uplink.url", "missing"});
  ExpectError(base + "uplink: {url: 'ftp://x'}\n", {"uplink.url", "http://"});
  ExpectError(base + "uplink: {url: 'http://x:1', batch_parts: 1001}\n",
              {"uplink.batch_parts", "out of range"});
  ExpectError(base + "uplink: {url: 'http://x:1', max_batch_mb: 17}\n",
              {"uplink.max_batch_mb", "out of range"});
  ExpectError(base + "uplink: {url: 'http://x:1', retries: 3}\n", {"retries", "unknown key"});
}

TEST(StationConfigTest, UplinkTokenComesFromItsFileOrTheEnvironment) {
  testing::TempDir dir;
  UplinkConfig u;
  u.token_file = dir / "S3.token";
  testing::WriteFile(u.token_file, "  s3-token-123 \n");
  EXPECT_EQ(UplinkToken(u), "s3-token-123");
  testing::WriteFile(u.token_file, "\n");
  EXPECT_TRUE(Contains(Caught([&] { UplinkToken(u); }).what(), "is empty"));
  u.token_file = dir / "none.token";
  EXPECT_TRUE(Contains(Caught([&] { UplinkToken(u); }).what(), "none.token"));
  u.token_file.clear();
  ::setenv("LINESIGHT_UPLINK_TOKEN", "from-env", 1);
  EXPECT_EQ(UplinkToken(u), "from-env");
  ::unsetenv("LINESIGHT_UPLINK_TOKEN");
  EXPECT_TRUE(Contains(Caught([&] { UplinkToken(u); }).what(), "LINESIGHT_UPLINK_TOKEN"));
  ::setenv("LINESIGHT_UPLINK_TOKEN", "two words", 1);
  EXPECT_TRUE(Contains(Caught([&] { UplinkToken(u); }).what(), "printable ASCII"));
  ::unsetenv("LINESIGHT_UPLINK_TOKEN");
  u.token = "set-by-the-demo";
  EXPECT_EQ(UplinkToken(u), "set-by-the-demo");
}

}  // namespace
}  // namespace linesight::station
