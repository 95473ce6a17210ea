// Reading the machines' per-shot telemetry: good messages, sensor faults kept as not measured,
// and every kind of bad message refused with the field named.
#include "process/telemetry.h"

#include <cmath>
#include <limits>

#include <gtest/gtest.h>

#include "core/error.h"
#include "testing/test_util.h"

namespace linesight::process {
namespace {

using linesight::testing::Caught;
constexpr int64_t kNow = 1'796'000'000'000;
const std::string kTopic = "linesight/v1/plant1/cell1/M3/telemetry";

std::string Refusal(const std::string& topic, const std::string& payload) {
  const Error e = Caught([&] { (void)ParseTelemetry(topic, payload, kNow); });
  EXPECT_EQ(e.category(), ErrorCategory::kInput);
  return e.what();
}

TEST(TelemetryTest, ReadsAShotWithItsProcessValues) {
  const Telemetry t = ParseTelemetry(kTopic, R"({"shot": 1234, "time_ms": 1795999999000,
      "die": "M3-D02", "die_shot": 77, "process": {"melt_temp_c": 681.5, "die_temp_c": null,
      "cycle_s": 92}})",
                                     kNow);
  EXPECT_EQ(t.shot.machine, "M3");
  EXPECT_EQ(t.shot.shot, 1234);
  EXPECT_EQ(t.shot.time_ms, 1795999999000);
  EXPECT_EQ(t.shot.die, "M3-D02");
  EXPECT_EQ(t.shot.die_shot, 77);
  EXPECT_EQ(t.shot.process.melt_temp_c, 681.5);
  EXPECT_TRUE(std::isnan(t.shot.process.die_temp_c));   // null: not measured
  EXPECT_TRUE(std::isnan(t.shot.process.vacuum_mbar));  // absent: not measured
  EXPECT_EQ(t.shot.process.cycle_s, 92);
  EXPECT_TRUE(t.implausible.empty());
}

TEST(TelemetryTest, SensorFaultsAreNotMeasuredAndNamedUnknownKeysIgnored) {
  const Telemetry t = ParseTelemetry(kTopic, R"({"shot": 5, "time_ms": 1795999999000,
      "die": "M3-D02", "process": {"melt_temp_c": 0, "die_temp_c": 1449,
      "fast_shot_mps": 65534, "spray_s": 3.1, "coolant_c": 21}})",
                                     kNow);
  EXPECT_TRUE(std::isnan(t.shot.process.melt_temp_c));
  EXPECT_TRUE(std::isnan(t.shot.process.die_temp_c));
  EXPECT_TRUE(std::isnan(t.shot.process.fast_shot_mps));
  EXPECT_EQ(t.shot.process.spray_s, 3.1);
  std::vector<std::string> implausible = t.implausible;
  std::sort(implausible.begin(), implausible.end());
  EXPECT_EQ(implausible,
            (std::vector<std::string>{"die_temp_c=1449", "fast_shot_mps=65534", "melt_temp_c=0"}));
  ASSERT_EQ(t.ignored.size(), 1u);
  EXPECT_EQ(t.ignored[0], "coolant_c");
}

// The same rule for a part's process values that arrive with its record (server ingest): a dead
// thermocouple's 0, a counter's 65535 and numbers no float holds become not measured.
TEST(TelemetryTest, ClearImplausibleKeepsPlausibleValuesAndNamesTheRest) {
  ProcessValues p;
  p.melt_temp_c = 65535;
  p.die_temp_c = 0;
  p.fast_shot_mps = 3.1;
  p.cycle_s = std::numeric_limits<double>::infinity();
  const std::vector<std::string> cleared = ClearImplausible(p);
  EXPECT_EQ(cleared,
            (std::vector<std::string>{"melt_temp_c=65535", "die_temp_c=0", "cycle_s=inf"}));
  EXPECT_TRUE(std::isnan(p.melt_temp_c));
  EXPECT_TRUE(std::isnan(p.die_temp_c));
  EXPECT_TRUE(std::isnan(p.cycle_s));
  EXPECT_EQ(p.fast_shot_mps, 3.1);
  EXPECT_TRUE(std::isnan(p.spray_s)) << "not measured stays so, unnamed";
}

TEST(TelemetryTest, BadMessagesAreRefusedNamingTheField) {
  const std::string ok = R"("time_ms": 1795999999000, "die": "M3-D02")";
  EXPECT_NE(Refusal("linesight/v1/plant1/M3/telemetry", "{}").find("not linesight/v1"),
            std::string::npos);
  EXPECT_NE(Refusal(kTopic, "{not json").find("not JSON"), std::string::npos);
  EXPECT_NE(Refusal(kTopic, "[1, 2]").find("not a JSON object"), std::string::npos);
  EXPECT_NE(Refusal(kTopic, "{" + ok + "}").find("'shot' is missing"), std::string::npos);
  EXPECT_NE(Refusal(kTopic, R"({"shot": "12", )" + ok + "}").find("not an integer"),
            std::string::npos);
  EXPECT_NE(Refusal(kTopic, R"({"shot": 0, )" + ok + "}").find("not positive"), std::string::npos);
  EXPECT_NE(Refusal(kTopic, R"({"shot": 1, "machine": "M4", )" + ok + "}").find("differs"),
            std::string::npos);
  EXPECT_NE(Refusal(kTopic, R"({"shot": 1, "die": "D", "time_ms": 1796003600000})")
                .find("ahead of this server's clock"),
            std::string::npos);
  EXPECT_NE(Refusal(kTopic, R"({"shot": 1, "die": "D", "time_ms": 12})").find("before 2000"),
            std::string::npos);
  EXPECT_NE(Refusal(kTopic, R"({"shot": 1, "time_ms": 1795999999000})").find("'die'"),
            std::string::npos);
  EXPECT_NE(Refusal(kTopic, R"({"shot": 1, )" + ok + R"(, "process": {"melt_temp_c": "NaN"}})")
                .find("not a number"),
            std::string::npos);
  EXPECT_NE(Refusal(kTopic, R"({"shot": 1, )" + ok + R"(, "process": [1]})").find("not an object"),
            std::string::npos);
  // A field twice (which one the machine meant is unknown), at the top or inside process.
  EXPECT_NE(
      Refusal(kTopic, R"({"shot": 125, "shot": 999, )" + ok + "}").find("'shot' appears twice"),
      std::string::npos);
  EXPECT_NE(
      Refusal(kTopic, R"({"shot": 1, )" + ok + R"(, "process": {"spray_s": 3, "spray_s": 4}})")
          .find("'spray_s' appears twice"),
      std::string::npos);
  EXPECT_NE(Refusal(kTopic, R"({"shot": 1, "time_ms": 1795999999000, "die": "D\u0000"})")
                .find("control character"),
            std::string::npos);
  // The same key in two different objects is no repeat.
  EXPECT_NO_THROW(
      (void)ParseTelemetry(kTopic, R"({"shot": 1, )" + ok + R"(, "x": {"shot": 2}})", kNow));
}

TEST(TelemetryTest, EveryProcessVariableHasAPlausibleRange) {
  for (const ProcessVariable& v : ProcessVariables()) {
    bool found = false;
    for (const PlausibleRange& r : PlausibleRanges()) found = found || r.variable == v.name;
    EXPECT_TRUE(found) << v.name;
  }
}

}  // namespace
}  // namespace linesight::process
