// Shots from telemetry on both engines: idempotent, and joined to their parts whichever comes
// first (store_fixture.h).
#include <cmath>

#include "store/store_fixture.h"

namespace linesight::store::testing {
namespace {

using linesight::testing::Caught;

Shot TelemetryShot(const std::string& machine, int64_t shot, double melt, double die) {
  // The die store_fixture.h's Part() gives the same shot.
  Shot s{machine, machine + "-D" + std::to_string(1 + shot % 2), shot, shot, kT0 + shot * 1000, {}};
  s.process.melt_temp_c = melt;
  s.process.die_temp_c = die;
  return s;
}

// A part the station sent with no process value measured.
PartRecord Unmeasured(const std::string& machine, int64_t shot, int64_t time_ms) {
  PartRecord p = Part(machine, shot, Decision::kPass, time_ms);
  p.shot.process = {};
  return p;
}

TEST_P(StoreTest, TelemetryFillsWhatPartsLackWhicheverArrivesFirst) {
  // Part 1 arrives first with no die temperature; part 2 arrives after its telemetry.
  PartRecord first = Part("M5", 1, Decision::kPass, kT0 + 1000);
  first.shot.process.die_temp_c = kNotMeasured;
  Ingest({first});
  const std::vector<Shot> shots = {TelemetryShot("M5", 1, 999, 231),
                                   TelemetryShot("M5", 2, 684, 228)};
  ShotCounts n = store_->IngestShots(shots);
  EXPECT_EQ(n.shots_new, 2);
  EXPECT_EQ(n.parts_filled, 1);
  PartRecord second = Part("M5", 2, Decision::kReject, kT0 + 2000);
  second.shot.process = {};  // nothing measured at the station
  Ingest({second});

  const auto a = store_->GetPart(PartId("M5", 1));
  EXPECT_EQ(a->record.shot.process.die_temp_c, 231);   // filled in
  EXPECT_EQ(a->record.shot.process.melt_temp_c, 671);  // the station's own value stays
  const auto b = store_->GetPart(PartId("M5", 2));
  EXPECT_EQ(b->record.shot.process.melt_temp_c, 684);
  EXPECT_EQ(b->record.shot.process.die_temp_c, 228);
  EXPECT_TRUE(std::isnan(b->record.shot.process.vacuum_mbar));
  const auto series =
      store_->ProcessSeries(With<PartFilter>([](auto& f) { f.machine = "M5"; }), "die_temp_c", 10);
  ASSERT_EQ(series.size(), 2u);
  EXPECT_EQ(series[0].value, 231);
  EXPECT_EQ(series[1].value, 228);

  n = store_->IngestShots(shots);  // the broker delivered them again
  EXPECT_EQ(n.shots_new, 0);
  EXPECT_EQ(n.shots_duplicate, 2);
  EXPECT_EQ(n.parts_filled, 0);
}

// A shot counter that restarted (a new controller, a replaced machine) gives numbers the store
// already holds, a day or more away: the new telemetry is not taken for the old shot (a
// conflict, named), no part takes another day's values of its number, nor a part sent again
// (the stored row's own time decides). A gateway's own die names
// ("D02" for "M5-D02") and a clock a few hours off still join.
TEST_P(StoreTest, ARestartedShotCounterIsAConflictAndJoinsNothing) {
  const auto melt = [this](const std::string& machine, int64_t shot) {
    return store_->GetPart(PartId(machine, shot))->record.shot.process.melt_temp_c;
  };
  ASSERT_EQ(store_->IngestShots(std::vector<Shot>{TelemetryShot("M5", 5, 800, 231)}).shots_new, 1);
  Shot later = TelemetryShot("M5", 5, 690, 220);
  later.time_ms += 3 * 24 * 3600 * 1000LL;
  Shot same = TelemetryShot("M5", 5, 800, 231);  // delivered twice: no conflict
  same.die = "D2";
  ShotCounts n = store_->IngestShots(std::vector<Shot>{later, same});
  EXPECT_EQ(n.shots_duplicate, 2);
  ASSERT_EQ(n.conflicts.size(), 1u);
  EXPECT_NE(n.conflicts[0].find("M5 shot 5 (die 'M5-D2') is 72 h away from the shot stored"),
            std::string::npos)
      << n.conflicts[0];

  // A part of shot 5 made three days later with nothing measured takes nothing from the old shot,
  // and the answer says so.
  IngestCounts in = store_->Ingest(std::vector<PartRecord>{Unmeasured("M5", 5, later.time_ms)}, {});
  EXPECT_TRUE(std::isnan(melt("M5", 5)));
  ASSERT_EQ(in.not_joined.size(), 1u);
  EXPECT_NE(in.not_joined[0].find("part M5-000000005 (die 'M5-D2') is 72 h away from the "
                                  "telemetry shot of that number (die 'M5-D2')"),
            std::string::npos)
      << in.not_joined[0];

  // Telemetry three days away from a stored part that lacks values fills nothing, and says so.
  const PartRecord part7 = Unmeasured("M6", 7, kT0 + 7000);
  Ingest({part7});
  Shot far = TelemetryShot("M6", 7, 700, 230);
  far.time_ms += 3 * 24 * 3600 * 1000LL;
  n = store_->IngestShots(std::vector<Shot>{far});
  EXPECT_EQ(n.parts_filled, 0);
  ASSERT_EQ(n.conflicts.size(), 1u);
  EXPECT_NE(n.conflicts[0].find("away from the part of that number"), std::string::npos);
  EXPECT_TRUE(std::isnan(melt("M6", 7)));
  // The same part sent again fills nothing either: the stored part's own time decides.
  in = store_->Ingest(std::vector<PartRecord>{part7}, {});
  EXPECT_TRUE(std::isnan(melt("M6", 7)));
  EXPECT_EQ(in.not_joined.size(), 1u);

  // Another die name and a clock 9 h off (local time sent as UTC) join.
  in = store_->Ingest(std::vector<PartRecord>{Unmeasured("M6", 8, kT0 + 8000)}, {});
  EXPECT_TRUE(in.not_joined.empty()) << "no telemetry of shot 8 yet";
  Shot near = TelemetryShot("M6", 8, 705, 230);
  near.die = "D1";
  near.time_ms += 9 * 3600 * 1000LL;
  n = store_->IngestShots(std::vector<Shot>{near});
  EXPECT_EQ(n.parts_filled, 1);
  EXPECT_TRUE(n.conflicts.empty());
  EXPECT_EQ(melt("M6", 8), 705);
}

TEST_P(StoreTest, AnInvalidShotStoresNone) {
  const std::vector<Shot> shots = {TelemetryShot("M5", 1, 680, 230),
                                   TelemetryShot("M5", 0, 680, 230)};
  EXPECT_EQ(Caught([&] { store_->IngestShots(shots); }).category(), ErrorCategory::kInput);
  EXPECT_EQ(store_->IngestShots(std::vector<Shot>{shots[0]}).shots_new, 1);  // not stored before
}

}  // namespace
}  // namespace linesight::store::testing
