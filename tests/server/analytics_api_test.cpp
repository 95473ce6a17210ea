// The analytics routes on a real server over both engines: an individuals chart of a process
// variable and a p chart of the reject rate with the run rules' alarms, and OEE per machine.
#include <cmath>
#include <fstream>

#include "process/shot_risk.h"
#include "server/server_fixture.h"

namespace linesight::testing {
namespace {

using json = nlohmann::json;

class AnalyticsApiTest : public ServerFixture {};
INSTANTIATE_TEST_SUITE_P(Engines, AnalyticsApiTest, ::testing::Values("sqlite", "postgresql"),
                         [](const auto& info) { return info.param; });

json Get(const httplib::Client& c, const std::string& path, const Browser& who, int want = 200) {
  auto r = const_cast<httplib::Client&>(c).Get(path, who.Headers());
  EXPECT_TRUE(r);
  if (!r) return {};
  EXPECT_EQ(r->status, want) << path << ": " << r->body;
  return json::parse(r->body);
}

TEST_P(AnalyticsApiTest, ProcessChartFlagsAMeltStepAndSaysWhenNoLimitsCanBeDrawn) {
  std::vector<PartRecord> parts;
  for (int i = 1; i <= 60; ++i) {
    PartRecord p = ServerTestPart("M3", i, Decision::kPass, kT0 + i * 1000);
    // A stable melt (670 +- 3 degC, no runs) for 40 shots, then a burner fault: 30 degC low.
    p.shot.process.melt_temp_c = (i <= 40 ? 670.0 + (i % 2 ? 2.0 : -2.0) + (i % 3) : 640.0);
    if (i == 7) p.shot.process.melt_temp_c = kNotMeasured;
    parts.push_back(p);
  }
  ASSERT_EQ(Ingest(Batch(parts))->status, 200);
  const auto c = Client();
  json j = Get(c, "/api/v1/spc/process?machine=M3&variable=melt_temp_c&baseline=40", operator_);
  EXPECT_EQ(j["unit"], "degC");
  ASSERT_EQ(j["points"].size(), 60u);
  EXPECT_TRUE(j["points"][6]["value"].is_null());  // not measured is null, never 0
  EXPECT_TRUE(j["points"][7]["mr"].is_null());     // no range across the gap
  EXPECT_NEAR(j["limits"]["centre"].get<double>(), 671, 1.0);
  EXPECT_EQ(j["limits"]["not_measured"], 1);
  EXPECT_LT(j["limits"]["lcl"].get<double>(), 665);
  ASSERT_FALSE(j["alarms"].empty());
  EXPECT_EQ(j["alarms"][0]["rule"], "WE1");
  EXPECT_EQ(j["alarms"][0]["part_id"], PartId("M3", 41));  // the first cold shot, no earlier
  j = Get(c, "/api/v1/spc/process?machine=M3&variable=melt_temp_c&baseline=40&rules=nelson",
          operator_);
  // The alternating baseline sits inside one sigma, so Nelson's rule 7 (stratification) rightly
  // fires too; rule 1 must still name the first cold shot.
  const auto n1 = std::find_if(j["alarms"].begin(), j["alarms"].end(),
                               [](const json& a) { return a["rule"] == "N1"; });
  ASSERT_NE(n1, j["alarms"].end()) << j["alarms"].dump();
  EXPECT_EQ((*n1)["part_id"], PartId("M3", 41));
  j = Get(c, "/api/v1/spc/process?machine=M3&variable=vacuum_mbar", operator_);
  EXPECT_TRUE(j["limits"].is_null());  // never measured: no chart, and the reason in words
  EXPECT_FALSE(j["no_limits_because"].get<std::string>().empty());
  Get(c, "/api/v1/spc/process?machine=M3&variable=colour", operator_, 400);
  Get(c, "/api/v1/spc/process?machine=M3&variable=melt_temp_c&rules=mine", operator_, 400);
  Get(c, "/api/v1/spc/process?machine=M3&variable=melt_temp_c&points=1", operator_, 400);
  EXPECT_EQ(Client().Get("/api/v1/spc/process?variable=melt_temp_c")->status, 401);
}

TEST_P(AnalyticsApiTest, RejectRateChartFlagsABadHour) {
  std::vector<PartRecord> parts;
  // Ten one-minute buckets of six parts: one reject in each of the first eight, six in the last
  // two.
  for (int i = 0; i < 60; ++i) {
    const bool bad = i >= 48 || i % 6 == 0;
    parts.push_back(ServerTestPart("M2", i + 1, bad ? Decision::kReject : Decision::kPass,
                                   kT0 - kT0 % 60000 + i * 10000, bad ? 2.0f : 0.1f));
  }
  ASSERT_EQ(Ingest(Batch(parts))->status, 200);
  const auto c = Client();
  json j =
      Get(c, "/api/v1/spc/reject_rate?machine=M2&bucket_ms=60000&chart=p&baseline=8", operator_);
  ASSERT_EQ(j["points"].size(), 10u);
  EXPECT_NEAR(j["p_bar"].get<double>(), 1.0 / 6.0, 1e-9);
  EXPECT_FALSE(j["points"][7]["beyond_limits"].get<bool>());
  EXPECT_TRUE(j["points"][8]["beyond_limits"].get<bool>());
  ASSERT_FALSE(j["alarms"].empty());
  EXPECT_EQ(j["alarms"][0]["rule"], "WE1");
  EXPECT_EQ(j["alarms"][0]["index"], 8);
  // Laney's sigma_z is 0 when every baseline bucket has the same rate: said, not drawn.
  j = Get(c, "/api/v1/spc/reject_rate?machine=M2&bucket_ms=60000&baseline=8", operator_);
  EXPECT_EQ(j["chart"], "laney");
  EXPECT_TRUE(j["points"].empty());
  EXPECT_NE(j["no_limits_because"].get<std::string>().find("sigma_z"), std::string::npos);
  Get(c, "/api/v1/spc/reject_rate?chart=np", operator_, 400);
}

TEST_P(AnalyticsApiTest, OeeOfAMachineFromItsEventsAndParts) {
  constexpr int64_t kMin = 60'000;
  std::vector<PartRecord> parts;
  for (int i = 0; i < 30; ++i)  // 30 parts in the hour, 3 rejected
    parts.push_back(ServerTestPart("M4", i + 1, i % 10 == 0 ? Decision::kReject : Decision::kPass,
                                   kT0 + 90'000 * i, i % 10 == 0 ? 2.0f : 0.1f));
  const std::vector<MachineEvent> events = {
      {"M4", kT0 - kMin, MachineState::kStopped, false, "machine_fault", "M4-D01", ""},
      {"M4", kT0 + 6 * kMin, MachineState::kRunning, true, "restart", "M4-D01", ""},
      {"M4", kT0 + 30 * kMin, MachineState::kStopped, true, "break", "M4-D01", ""},
      {"M4", kT0 + 42 * kMin, MachineState::kRunning, true, "restart", "M4-D01", ""}};
  ASSERT_EQ(Ingest(Batch(parts, events))->status, 200);
  const auto c = Client();
  const std::string period =
      "from_ms=" + std::to_string(kT0) + "&to_ms=" + std::to_string(kT0 + 60 * kMin);
  json j = Get(c, "/api/v1/oee?" + period + "&planned_cycle_s=90", operator_);
  ASSERT_EQ(j["machines"].size(), 1u);
  const json& m = j["machines"][0];
  EXPECT_EQ(m["machine"], "M4");
  EXPECT_EQ(m["planned_downtime_ms"], 12 * kMin);
  EXPECT_EQ(m["unplanned_downtime_ms"], 6 * kMin);  // the fault began before the hour
  EXPECT_NEAR(m["availability"].get<double>(), 42.0 / 48.0, 1e-9);
  EXPECT_NEAR(m["effectiveness"].get<double>(), 90.0 * 30 / (42 * 60), 1e-9);
  EXPECT_NEAR(m["quality"].get<double>(), 27.0 / 30.0, 1e-9);
  EXPECT_EQ(m["failures"], 0);
  EXPECT_TRUE(m["mtbf_s"].is_null() && m["mttr_s"].is_null()) << "no failure began in the hour";
  EXPECT_EQ(m["carried_in_repair_ms"], 6 * kMin);
  EXPECT_EQ(m["downtime"][0]["reason"], "break");
  // An hour before any part: nothing made, so no quality ratio and no OEE (never a red 0).
  j = Get(c,
          "/api/v1/oee?from_ms=" + std::to_string(kT0 - 3 * 60 * kMin) +
              "&to_ms=" + std::to_string(kT0 - 2 * 60 * kMin),
          operator_);
  EXPECT_TRUE(j["machines"][0]["quality"].is_null()) << j.dump();
  EXPECT_TRUE(j["machines"][0]["oee"].is_null());
  for (const char* cycle : {"-3", "90abc", "0x10", "1e-300"})
    Get(c, "/api/v1/oee?" + period + "&planned_cycle_s=" + cycle, operator_, 400);
  j = Get(c, "/api/v1/oee?from_ms=10&to_ms=5", operator_, 400);
  EXPECT_NE(j["message"].get<std::string>().find("forwards"), std::string::npos) << j.dump();
  Get(c, "/api/v1/oee?from_ms=" + std::to_string(kT0 + 36500LL * 24 * 60 * kMin), operator_, 400);
}

// The demo's cell runs hundreds of times faster than the wall clock, so its server takes the
// cell's clock (ServerOptions::clock): this shift, the dashboard's now and OEE's period end there,
// not at the wall clock's now (which cut a demo's charts to the first hour of its shift).
TEST_P(AnalyticsApiTest, OnTheCellsClockTheShiftAndOeeEndAtItsNow) {
  const int64_t shift = store::ShiftCalendar{}.ShiftStart(kT0);
  std::vector<PartRecord> parts;
  for (int i = 0; i < 40; ++i)  // one part a minute from the shift's start
    parts.push_back(ServerTestPart("M4", i + 1, Decision::kPass, shift + 60'000 * i));
  ASSERT_EQ(Ingest(Batch(parts))->status, 200);
  server_.reset();
  server::ServerOptions o;
  o.port = 0;
  o.image_dir = (dir_->path() / "images").string();
  o.clock = [&] { return shift + 60'000 * 29 + 1; };  // the cell's 30th part was its newest
  server_ = std::make_unique<server::FactoryServer>(*store_, o);
  const Browser who = LogIn("ana", "ana-password");
  const auto c = Client();
  const json m = Get(c, "/api/v1/machines", who);
  EXPECT_EQ(m["now_ms"], shift + 60'000 * 29 + 1);
  EXPECT_EQ(m["since_ms"], shift);
  const json oee = Get(c, "/api/v1/oee", who);
  EXPECT_EQ(oee["from_ms"], shift);
  EXPECT_EQ(oee["to_ms"], shift + 60'000 * 29 + 2) << "[from, to) holds a part made at now";
  ASSERT_EQ(oee["machines"].size(), 1u);
  EXPECT_EQ(oee["machines"][0]["produced"], 30);
}

// A machine's own planned cycle judges its effectiveness; a request's planned_cycle_s is for all.
TEST_P(AnalyticsApiTest, EachMachineIsJudgedAgainstItsOwnPlannedCycle) {
  std::vector<PartRecord> parts;
  for (const std::string m : {"M4", "M5"})
    for (int i = 0; i < 20; ++i)
      parts.push_back(ServerTestPart(m, i + 1, Decision::kPass, kT0 + 60'000 * i));
  ASSERT_EQ(Ingest(Batch(parts))->status, 200);
  server_.reset();
  server::ServerOptions o;
  o.port = 0;
  o.image_dir = (dir_->path() / "images").string();
  o.planned_cycle_s_of = {{"M4", 60}};
  server_ = std::make_unique<server::FactoryServer>(*store_, o);
  const Browser who = LogIn("ana", "ana-password");
  const auto c = Client();
  const std::string period =
      "from_ms=" + std::to_string(kT0) + "&to_ms=" + std::to_string(kT0 + 20 * 60'000);
  json j = Get(c, "/api/v1/oee?" + period, who);
  ASSERT_EQ(j["machines"].size(), 2u);
  for (const json& m : j["machines"]) {
    const double pru = m["machine"] == "M4" ? 60 : 90;
    EXPECT_EQ(m["planned_cycle_s"], pru);
    EXPECT_NEAR(m["effectiveness"].get<double>(), pru * 20 / (20 * 60), 1e-9) << m.dump();
  }
  j = Get(c, "/api/v1/oee?" + period + "&planned_cycle_s=30", who);
  for (const json& m : j["machines"]) EXPECT_EQ(m["planned_cycle_s"], 30);
}

// `n` shots of M4, melt spread over 650..699 degC: every shot at 695 or hotter is rejected, and
// one in 50 of the others (the usual background of rejects).
std::vector<PartRecord> HotMeltShots(int n) {
  std::vector<PartRecord> parts;
  for (int i = 1; i <= n; ++i) {
    const double melt = 650 + (i * 37) % 50;
    const bool bad = melt >= 695 || i % 50 == 0;
    PartRecord p = ServerTestPart("M4", i, bad ? Decision::kReject : Decision::kPass,
                                  kT0 + i * 60000, bad ? 2.0f : 0.1f);
    p.shot.process.melt_temp_c = melt;
    p.shot.process.die_temp_c = 200 + (i * 13) % 40;  // unrelated to the rejects
    parts.push_back(p);
  }
  return parts;
}

TEST_P(AnalyticsApiTest, CausesNameTheHotMeltBehindTheRejects) {
  ASSERT_EQ(Ingest(Batch(HotMeltShots(400)))->status, 200);
  const auto c = Client();
  json j = Get(c, "/api/v1/causes?machine=M4", operator_);
  EXPECT_EQ(j["shots"], 400);
  ASSERT_EQ(j["groups"].size(), 1u) << j.dump();
  const json& g = j["groups"][0];
  EXPECT_EQ(g["group"], "machine M4");
  EXPECT_EQ(g["rejects"], 40 + 8);
  ASSERT_FALSE(g["causes"].empty()) << g.dump();
  const json& top = g["causes"][0];
  EXPECT_EQ(top["variable"], "melt_temp_c");
  EXPECT_TRUE(top["supported"].get<bool>());
  EXPECT_NE(top["condition"].get<std::string>().find("≥"), std::string::npos) << top.dump();
  EXPECT_GT(top["relative_risk"].get<double>(), 5);
  for (const json& cause : g["causes"])
    if (cause["variable"] == "die_temp_c") {
      EXPECT_FALSE(cause["supported"].get<bool>());
    }
  j = Get(c, "/api/v1/causes?machine=M4&shots=100&by=die", operator_);
  EXPECT_EQ(j["shots"], 100);
  EXPECT_EQ(j["groups"][0]["group"], "die M4-D01") << j.dump();
  j = Get(c, "/api/v1/causes?machine=M9", operator_);
  EXPECT_EQ(j["shots"], 0);
  EXPECT_TRUE(j["first_ms"].is_null());
  Get(c, "/api/v1/causes?by=shift", operator_, 400);
  Get(c, "/api/v1/causes?shots=0", operator_, 400);
  EXPECT_EQ(Client().Get("/api/v1/causes")->status, 401);
}

TEST_P(AnalyticsApiTest, RiskOfTheNewestShotsRisesWithTheMeltAndSaysWhy) {
  auto c = Client();
  ASSERT_EQ(Ingest(Batch(HotMeltShots(100)))->status, 200);
  json j = Get(c, "/api/v1/risk?machine=M4&judge=200", operator_);
  EXPECT_TRUE(j["points"].empty());
  EXPECT_NE(j["no_model_because"].get<std::string>().find("only 100 shots"), std::string::npos);
  std::vector<PartRecord> more = HotMeltShots(600);
  more.erase(more.begin(), more.begin() + 100);
  ASSERT_EQ(Ingest(Batch(more))->status, 200);
  j = Get(c, "/api/v1/risk?machine=M4&judge=200", operator_);
  EXPECT_EQ(j["shots"], 600);
  EXPECT_EQ(j["fit_shots"], 400);
  ASSERT_EQ(j["points"].size(), 200u) << j.dump().substr(0, 500);
  EXPECT_EQ(j["points"][0]["part_id"], PartId("M4", 401)) << "the newest 200, oldest first";
  EXPECT_EQ(j["points"][199]["part_id"], PartId("M4", 600));
  EXPECT_GT(j["auroc"].get<double>(), 0.9) << "the risk ranks the line's own verdicts";
  EXPECT_EQ(j["drivers"][0]["variable"], "melt_temp_c");
  double hot = 0, cool = 1;
  for (const json& p : j["points"]) {
    const double melt = 650 + (std::stoi(p["part_id"].get<std::string>().substr(3)) * 37) % 50;
    if (melt >= 695) {
      hot = std::max(hot, p["risk"].get<double>());
      EXPECT_EQ(p["why"][0]["variable"], "melt_temp_c") << p.dump();
    }
    if (melt < 690) cool = std::min(cool, p["risk"].get<double>());
  }
  EXPECT_GT(hot, 0.5);
  EXPECT_LT(cool, 0.2);
  Get(c, "/api/v1/risk?judge=5", operator_, 400);
  EXPECT_EQ(Client().Get("/api/v1/risk")->status, 401);
}

TEST_P(AnalyticsApiTest, ARiskModelForTheStationsIsFittedOnTheLinesShotsAndLoadsThere) {
  auto c = Client();
  std::vector<PartRecord> passes = HotMeltShots(100);
  for (auto& p : passes) p = ServerTestPart("M4", p.shot.shot, Decision::kPass, p.shot.time_ms);
  ASSERT_EQ(Ingest(Batch(passes))->status, 200);
  const json none = Get(c, "/api/v1/risk/model?machine=M4", operator_, 409);
  EXPECT_NE(none["message"].get<std::string>().find("100 stored shots"), std::string::npos)
      << none.dump();
  std::vector<PartRecord> more = HotMeltShots(600);
  more.erase(more.begin(), more.begin() + 100);
  ASSERT_EQ(Ingest(Batch(more))->status, 200);
  const json model = Get(c, "/api/v1/risk/model?machine=M4", operator_);
  EXPECT_EQ(model["format"], "linesight-risk-model");
  EXPECT_EQ(model["fitted_on"]["shots"], 600);
  EXPECT_GT(model["fitted_on"]["rejects"].get<int>(), 50);
  EXPECT_EQ(model["dies"], json::array()) << "no die columns: a station's new die has none";
  // The file a station's risk_model loads: a hot shot is risky there, a cool one is not.
  TempDir dir;
  const auto path = dir.path() / "risk.json";
  std::ofstream(path) << model.dump();
  const process::ShotRisk risk = process::ShotRisk::Load(path);
  Shot shot;
  shot.machine = "M4";
  shot.die = "M4-D09";
  shot.process.melt_temp_c = 697;
  const double hot = risk.Risk(shot, std::nan(""));
  shot.process.melt_temp_c = 660;
  EXPECT_GT(hot, 0.5);
  EXPECT_LT(risk.Risk(shot, std::nan("")), 0.2);
  Get(c, "/api/v1/risk/model?shots=5", operator_, 400);
  EXPECT_EQ(Client().Get("/api/v1/risk/model")->status, 401);
}

}  // namespace
}  // namespace linesight::testing
