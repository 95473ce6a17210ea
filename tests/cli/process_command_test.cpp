// Integration tests of `linesight process risk|causes` on the real binary, with a CSV and a
// column mapping written here (no shared data needed).
#include <random>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "testing/test_util.h"

namespace linesight {
namespace {

using testing::RunLinesight;
using testing::ShellQuote;

const char* kMapping = R"(time: {column: when, format: iso}
die: {column: die}
label: {column: bad}
features: [pressure, {column: temp, faults: [1449]}]
)";

// 4000 shots a minute apart; scrap is likely when pressure < 310. The temperature runs 60 degrees
// hot for 30 shots from shot 3000 (an excursion that does no harm).
std::string Csv() {
  std::mt19937 rng(11);
  std::uniform_real_distribution<double> u(0, 1);
  std::string s = "when,die,bad,pressure,temp\n";
  for (int i = 0; i < 4000; ++i) {
    const double p = 300 + 40 * u(rng);
    const int bad = u(rng) < (p < 310 ? 0.5 : 0.02);
    char line[128];
    std::snprintf(
        line, sizeof line, "2024-01-%02d %02d:%02d:00,%s,%d,%.1f,%d\n", 1 + i / 1440, (i / 60) % 24,
        i % 60, i % 2 ? "D1" : "D2", bad, p,
        i % 50 ? static_cast<int>(200 + 20 * u(rng) + (i >= 3000 && i < 3030 ? 60 : 0)) : 1449);
    s += line;
  }
  return s;
}

class ProcessCommand : public ::testing::Test {
 protected:
  void SetUp() override {
    testing::WriteFile(dir_ / "shots.csv", Csv());
    testing::WriteFile(dir_ / "map.yaml", kMapping);
  }
  std::string Args() const {
    return " --csv " + ShellQuote(dir_ / "shots.csv") + " --mapping " +
           ShellQuote(dir_ / "map.yaml");
  }
  testing::TempDir dir_;
};

TEST_F(ProcessCommand, CausesNamesTheDrivingVariable) {
  const auto r = RunLinesight("process causes --by all --json" + Args());
  ASSERT_EQ(r.exit_code, 0) << testing::DescribeRun(r);
  const auto j = nlohmann::json::parse(r.out);
  ASSERT_EQ(j["groups"].size(), 1u);
  EXPECT_EQ(j["groups"][0]["causes"][0]["variable"], "pressure");
  EXPECT_TRUE(j["groups"][0]["causes"][0]["supported"].get<bool>());
  EXPECT_EQ(j["import"]["imported"], 4000) << "what was read is in the JSON too";
  EXPECT_EQ(j["import"]["skipped"], 0);
  EXPECT_NE(r.err.find("temp: "), std::string::npos) << r.err;  // faults reported
  const auto text = RunLinesight("process causes" + Args());
  EXPECT_NE(text.out.find("× more likely when pressure ≤"), std::string::npos) << text.out;
}

TEST_F(ProcessCommand, RiskJudgesLaterShots) {
  const auto r = RunLinesight("process risk --json --split-at 2024-01-03" + Args());
  ASSERT_EQ(r.exit_code, 0) << testing::DescribeRun(r);
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_GT(j["auroc_normal"].get<double>(), 0.8);
  EXPECT_EQ(j["fit"]["shots"].get<int>() + j["judged"]["shots"].get<int>(), 4000);
  EXPECT_EQ(j["import"]["rows"], 4000);
}

TEST_F(ProcessCommand, AlarmsReplayTheWatchsRuleOverTheHistory) {
  const auto r = RunLinesight("process alarms --json" + Args());
  ASSERT_EQ(r.exit_code, 0) << testing::DescribeRun(r);
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["production_shots"], 4000);
  ASSERT_TRUE(j["import"]["columns"].is_array()) << j.dump();
  int faults = 0;
  for (const auto& c : j["import"]["columns"]) faults += c["fault"].get<int>();
  EXPECT_GE(faults, 1) << "the sensor fault at shot 3000 is counted in the JSON";
  EXPECT_EQ(j["series_judged"], 2);  // pressure and temp of the one machine the mapping names
  ASSERT_EQ(j["alarms"], 1) << j.dump();
  const auto& e = j["episodes"][0];
  EXPECT_EQ(e["variable"], "temp");
  EXPECT_EQ(e["side"], "above");
  // Shot 3000 is a sensor fault (1449): the 4th measured shot beyond is 3004.
  EXPECT_EQ(e["start"], "2024-01-03 02:04:00 UTC");
  const auto text = RunLinesight("process alarms --by die" + Args());
  ASSERT_EQ(text.exit_code, 0) << testing::DescribeRun(text);
  EXPECT_NE(text.out.find("die D1  temp above"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("die D2  temp above"), std::string::npos) << text.out;
}

TEST_F(ProcessCommand, BadInputIsAClearError) {
  testing::WriteFile(dir_ / "other.yaml", "time: when\nfeatures: [speed]\n");
  auto r = RunLinesight("process causes --csv " + ShellQuote(dir_ / "shots.csv") + " --mapping " +
                        ShellQuote(dir_ / "other.yaml"));
  EXPECT_EQ(r.exit_code, 1) << testing::DescribeRun(r);
  EXPECT_NE(r.err.find("'speed' is not in the CSV header"), std::string::npos) << r.err;
  testing::WriteFile(dir_ / "cp949.csv",
                     "when,die,bad,pressure,temp\n2024-01-01 00:00:00,\xB0\xA1,0,1,2\n");
  r = RunLinesight("process risk --csv " + ShellQuote(dir_ / "cp949.csv") + " --mapping " +
                   ShellQuote(dir_ / "map.yaml"));
  EXPECT_EQ(r.exit_code, 1) << testing::DescribeRun(r);
  EXPECT_NE(r.err.find("iconv"), std::string::npos) << r.err;
  r = RunLinesight("process risk --split-at soon" + Args());
  EXPECT_EQ(r.exit_code, 2) << testing::DescribeRun(r);
  EXPECT_EQ(r.err.find("internal error"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace linesight
