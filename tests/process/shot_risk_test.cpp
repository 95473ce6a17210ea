// Tests process/shot_risk.h: a risk model file as the server writes it, judged on single shots as
// a station sees them, and the station's own count of shots since a restart.
#include "process/shot_risk.h"

#include <cmath>
#include <fstream>
#include <random>

#include <gtest/gtest.h>

#include "core/error.h"
#include "process/line_shots.h"
#include "testing/test_util.h"

namespace linesight::process {
namespace {

// A line whose shots are scrap when the melt runs hot (over 700 degC) or after a restart.
std::string HotMeltModelFile(const std::filesystem::path& dir) {
  std::mt19937 rng(3);
  std::uniform_real_distribution<double> u(0, 1);
  std::vector<LineShot> shots;
  for (int i = 0; i < 3000; ++i) {
    LineShot s;
    s.time_ms = 1'796'000'000'000 + int64_t{i} * 90'000;
    s.machine = "M1";
    s.die = "M1-D01";
    s.die_shot = i + 1;
    s.process.melt_temp_c = 660 + 60 * u(rng);
    s.process.cycle_s = 90;
    s.decision =
        u(rng) < (s.process.melt_temp_c > 700 ? 0.6 : 0.02) ? Decision::kReject : Decision::kPass;
    shots.push_back(s);
  }
  RiskModelOptions o;
  o.rounds = 60;
  o.threads = 1;
  o.shot_flags = false;
  o.die_one_hot = false;
  const std::string path = (dir / "risk.json").string();
  std::ofstream(path) << RiskModel::Fit(LineShotTable(shots, {}), o).SaveJson();
  return path;
}

Shot ShotAt(double melt) {
  Shot s;
  s.machine = "M1";
  s.die = "M1-D07";  // a die the model never saw: it has no die column
  s.die_shot = 500;
  s.process.melt_temp_c = melt;
  s.process.cycle_s = 90;
  return s;
}

TEST(ShotRisk, AHotShotIsRiskierThanANormalOne) {
  testing::TempDir dir;
  const ShotRisk risk = ShotRisk::Load(HotMeltModelFile(dir.path()));
  const double hot = risk.Risk(ShotAt(715), 50), normal = risk.Risk(ShotAt(670), 50);
  EXPECT_GT(hot, 0.3);
  EXPECT_LT(normal, 0.1);
  EXPECT_TRUE(risk.id().starts_with("risk.json@")) << risk.id();
  EXPECT_EQ(risk.id().size(), std::string("risk.json@").size() + 12);
  // Nothing measured: no risk rather than the model's base rate.
  EXPECT_TRUE(std::isnan(risk.Risk(Shot{}, 50)));
}

TEST(ShotRisk, AMissingOrBrokenFileIsAModelErrorNamingIt) {
  testing::TempDir dir;
  const auto missing = dir.path() / "none.json";
  const auto broken = dir.path() / "broken.json";
  const auto foreign = dir.path() / "foreign.json";
  std::ofstream(broken) << "{\"format\": \"linesight-risk-model\", \"version\": 1, \"tab";
  std::ofstream(foreign) << "{\"format\": \"something else\", \"version\": 1}";
  for (const auto& path : {missing, broken, foreign}) {
    try {
      ShotRisk::Load(path);
      ADD_FAILURE() << "loaded " << path;
    } catch (const Error& e) {
      EXPECT_EQ(e.category(), ErrorCategory::kModel);
      EXPECT_NE(std::string(e.what()).find(path.string()), std::string::npos) << e.what();
    }
  }
}

TEST(RestartCounter, CountsFromTheFirstShotAfterAStop) {
  RestartCounter c;
  // A station started while its machine runs: how long it has run is unknown.
  for (int i = 0; i < 6; ++i) EXPECT_TRUE(std::isnan(c.Next(90 + i % 3)));
  EXPECT_EQ(c.Next(1200), 1);  // 20 minutes since the last shot: a stop
  EXPECT_EQ(c.Next(95), 2);
  EXPECT_EQ(c.Next(std::nan("")), 3);  // not measured: counts on
  EXPECT_EQ(c.Next(200), 4);           // a slow cycle is no stop
  EXPECT_EQ(c.Next(600), 1);           // the stop's own gap did not raise the median
}

}  // namespace
}  // namespace linesight::process
