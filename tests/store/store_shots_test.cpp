// Shots from telemetry on both engines: idempotent, and joined to their parts whichever comes
// first (store_fixture.h).
#include <cmath>

#include "store/store_fixture.h"

namespace linesight::store::testing {
namespace {

using linesight::testing::Caught;

Shot TelemetryShot(const std::string& machine, int64_t shot, double melt, double die) {
  Shot s{machine, machine + "-D1", shot, shot, kT0 + shot * 1000, {}};
  s.process.melt_temp_c = melt;
  s.process.die_temp_c = die;
  return s;
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

TEST_P(StoreTest, AnInvalidShotStoresNone) {
  const std::vector<Shot> shots = {TelemetryShot("M5", 1, 680, 230),
                                   TelemetryShot("M5", 0, 680, 230)};
  EXPECT_EQ(Caught([&] { store_->IngestShots(shots); }).category(), ErrorCategory::kInput);
  EXPECT_EQ(store_->IngestShots(std::vector<Shot>{shots[0]}).shots_new, 1);  // not stored before
}

}  // namespace
}  // namespace linesight::store::testing
