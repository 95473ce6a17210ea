// The server store's machine and statistics queries, on both engines (store_fixture.h).
#include <cmath>
#include <map>

#include "store/store_fixture.h"

namespace linesight::store::testing {
namespace {

using linesight::testing::Caught;

TEST_P(StoreTest, MachinesShowTheLatestEventAndCountsSince) {
  Ingest(Dataset(14), {Event("M1", kT0 - 10, MachineState::kStopped),
                       Event("M1", kT0 + 100'000, MachineState::kDieChange, "die_change"),
                       Event("M9", kT0, MachineState::kStopped)});
  const int64_t since = kT0 + 3 * 60'000;  // shots 6..14 of each machine
  const auto machines = store_->Machines(since);
  ASSERT_EQ(machines.size(), 4u);
  const MachineStatus& m1 = machines[0];
  EXPECT_EQ(m1.machine, "M1");
  EXPECT_EQ(m1.state, MachineState::kDieChange);
  EXPECT_EQ(m1.state_since_ms, kT0 + 100'000);
  EXPECT_EQ(m1.reason, "die_change");
  EXPECT_TRUE(m1.planned);
  EXPECT_EQ(m1.station, "S1");
  EXPECT_EQ(m1.last_part_ms, kT0 + 7 * 60'000);
  EXPECT_EQ(m1.parts, 9);
  EXPECT_EQ(m1.rejects, 2);  // shots 7, 14
  EXPECT_EQ(m1.holds, 1);    // shot 11
  EXPECT_EQ(m1.passes, 6);
  const MachineStatus& m2 = machines[1];
  EXPECT_EQ(m2.state, MachineState::kRunning);  // no event yet
  EXPECT_EQ(m2.state_since_ms, 0);
  EXPECT_EQ(m2.parts, 9);
  const MachineStatus& m9 = machines[3];
  EXPECT_EQ(m9.machine, "M9");  // events only
  EXPECT_EQ(m9.state, MachineState::kStopped);
  EXPECT_FALSE(m9.planned);
  EXPECT_EQ(m9.die, "M9-D1");
  EXPECT_EQ(m9.parts, 0);
  EXPECT_EQ(m9.last_part_ms, 0);
}

TEST_P(StoreTest, EventsByMachineAndTimeOldestFirst) {
  Ingest({}, {Event("M2", kT0 + 5, MachineState::kRunning, "shift_start"),
              Event("M1", kT0 + 3, MachineState::kStopped),
              Event("M1", kT0 + 1, MachineState::kRunning, "shift_start"),
              Event("M1", kT0 + 9, MachineState::kRunning, "break")});
  const auto m1 = store_->Events("M1", kT0, kT0 + 9);
  ASSERT_EQ(m1.size(), 2u);
  EXPECT_EQ(m1[0].time_ms, kT0 + 1);
  EXPECT_EQ(m1[0].reason, "shift_start");
  EXPECT_EQ(m1[1].state, MachineState::kStopped);
  EXPECT_FALSE(m1[1].planned);
  EXPECT_EQ(m1[1].detail, "test");
  const auto all = store_->Events("", kT0, kT0 + 10);
  ASSERT_EQ(all.size(), 4u);
  EXPECT_EQ(all[2].machine, "M2");
  EXPECT_TRUE(store_->Events("M3", 0, kT0 * 2).empty());
}

TEST_P(StoreTest, YieldByGroupCountsReviewsButFirstPassYieldDoesNot) {
  Ingest(Dataset(14));  // per machine: 11 passes, 2 rejects (7, 14), 1 hold (11)
  auto rows = store_->Yield({}, GroupBy::kMachine, {});
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0].key, "M1");
  EXPECT_EQ(rows[0].parts, 14);
  EXPECT_EQ(rows[0].passes, 11);
  EXPECT_EQ(rows[0].rejects, 2);
  EXPECT_EQ(rows[0].holds, 1);
  EXPECT_EQ(rows[0].good, 11);
  EXPECT_DOUBLE_EQ(rows[0].first_pass_yield, 11.0 / 14);
  // A reject and the hold judged good, a pass judged bad, then a second review overruling it.
  for (const auto& [id, verdict] :
       std::vector<std::pair<std::string, Decision>>{{"M1-000000007", Decision::kPass},
                                                     {"M1-000000011", Decision::kPass},
                                                     {"M1-000000001", Decision::kReject},
                                                     {"M1-000000002", Decision::kReject},
                                                     {"M1-000000002", Decision::kPass}}) {
    const Review r = MakeReview(id, verdict, verdict == Decision::kReject ? "crack" : "");
    store_->AddReview(r, AuditFor(r));
  }
  rows = store_->Yield({}, GroupBy::kMachine, {});
  EXPECT_EQ(rows[0].passes, 11);
  EXPECT_EQ(rows[0].good, 12);  // 11 + 7 + 11 - 1 (shot 2 is good again)
  EXPECT_DOUBLE_EQ(rows[0].first_pass_yield, 11.0 / 14);
  EXPECT_DOUBLE_EQ(rows[0].yield, 12.0 / 14);
  EXPECT_EQ(rows[1].good, 11);

  const auto dies =
      store_->Yield(With<PartFilter>([&](auto& x) { x.machine = "M2"; }), GroupBy::kDie, {});
  ASSERT_EQ(dies.size(), 2u);
  EXPECT_EQ(dies[0].key, "M2-D1");  // even shots
  EXPECT_EQ(dies[0].parts, 7);
  EXPECT_EQ(dies[0].rejects, 1);  // 14
  const auto stations = store_->Yield(
      With<PartFilter>([&](auto& x) { x.decision = Decision::kReject; }), GroupBy::kStation, {});
  ASSERT_EQ(stations.size(), 3u);
  EXPECT_EQ(stations[2].key, "S3");
  EXPECT_EQ(stations[2].parts, 2);
  EXPECT_EQ(stations[0].good, 1);  // M1-7 reviewed good
}

TEST_P(StoreTest, YieldByShiftKeysEachShiftByItsStart) {
  const ShiftCalendar shifts{
      .origin_ms = 0, .length_ms = 5 * 60'000, .zone = {}};  // 5-minute shifts
  Ingest(Dataset(20));                                       // shot s at kT0 + (s / 2) min
  const auto rows =
      store_->Yield(With<PartFilter>([&](auto& x) { x.machine = "M1"; }), GroupBy::kShift, shifts);
  int64_t total = 0;
  for (const auto& r : rows) {
    EXPECT_EQ(std::stoll(r.key), shifts.ShiftStart(std::stoll(r.key)));
    total += r.parts;
  }
  EXPECT_EQ(total, 20);
  std::map<int64_t, int64_t> want;
  for (int64_t s = 1; s <= 20; ++s) ++want[shifts.ShiftStart(kT0 + (s / 2) * 60'000)];
  ASSERT_EQ(rows.size(), want.size());
  for (const auto& r : rows) EXPECT_EQ(r.parts, want[std::stoll(r.key)]) << r.key;
  // Before the calendar's origin too (floor, not truncation).
  const ShiftCalendar late{.origin_ms = kT0 + 7 * 60'000, .length_ms = 60 * 60'000, .zone = {}};
  const auto before =
      store_->Yield(With<PartFilter>([&](auto& x) { x.machine = "M1"; }), GroupBy::kShift, late);
  ASSERT_EQ(before.size(), 2u);
  EXPECT_EQ(before[0].key, std::to_string(kT0 - 53 * 60'000));
  EXPECT_EQ(before[0].parts, 13);  // shots 1..13 are before kT0 + 7 min
  EXPECT_EQ(Caught([&] {
              store_->Yield({}, GroupBy::kShift,
                            With<ShiftCalendar>([&](auto& x) { x.length_ms = 0; }));
            }).category(),
            ErrorCategory::kInput);
}

TEST_P(StoreTest, YieldByShiftOnALocalClockFollowsItsSummerTime) {
  // A part an hour from 19:00 to 06:00 UTC over the night the clocks go back in Berlin: the
  // night shift (22:00 CEST to 06:00 CET, 20:00 to 05:00 UTC) holds 9 of them.
  constexpr int64_t kHour = 3'600'000;
  const ShiftCalendar berlin{
      .origin_ms = 6 * kHour, .length_ms = 8 * kHour, .zone = "Europe/Berlin"};
  const int64_t night = 1'792'872'000'000;  // 2026-10-24 20:00 UTC = 22:00 CEST
  std::vector<PartRecord> parts;
  for (int64_t h = -1; h <= 10; ++h)
    parts.push_back(Part("M1", h + 2, Decision::kPass, night + h * kHour));
  Ingest(parts);
  const auto rows = store_->Yield({}, GroupBy::kShift, berlin);
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0].key, std::to_string(night - 8 * kHour));  // 14:00 CEST
  EXPECT_EQ(rows[0].parts, 1);
  EXPECT_EQ(rows[1].key, std::to_string(night));
  EXPECT_EQ(rows[1].parts, 9) << "20:00 to 04:00 UTC: nine hours";
  EXPECT_EQ(rows[2].key, std::to_string(night + 9 * kHour));  // 06:00 CET
  EXPECT_EQ(rows[2].parts, 2);
}

TEST_P(StoreTest, APartRejectedForItsDiesRecurringMarkAloneIsADieMark) {
  // Its own inspection passed it (no finding); the station rejected it for the mark its die
  // leaves on every part (docs/station.md, "Recurring marks").
  PartRecord marked = Part("M1", 5, Decision::kPass, kT0);
  marked.views[0].decision = Decision::kReject;
  marked.views[0].recurring_mark = RecurringMarkSeen{0.45, 0.13, 0.05, 4, 12};
  CombineViews(marked);
  Ingest({marked, Part("M1", 7, Decision::kReject, kT0 + 60'000)});
  EXPECT_EQ(store_->GetPart("M1-000000005")->summary.defect_type, "die_mark");
  const auto rows = store_->DefectPareto({});
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].parts + rows[1].parts, 2);
  const auto back = store_->GetPart("M1-000000005");
  ASSERT_TRUE(back->record.views[0].recurring_mark.has_value());
  EXPECT_EQ(back->record.views[0].recurring_mark->window, 12);
}

TEST_P(StoreTest, DefectParetoCountsBadPartsByType) {
  Ingest(Dataset(28));  // rejects at 7, 14, 21, 28 per machine: types by shot % 3
  // 7 -> crack, 14 -> cold_shut, 21 -> porosity, 28 -> crack
  auto rows = store_->DefectPareto({});
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0].defect_type, "crack");
  EXPECT_EQ(rows[0].parts, 6);
  EXPECT_EQ(rows[1].parts, 3);
  // A reject reviewed good leaves; a pass reviewed bad joins (labelled or not).
  const Review good = MakeReview("M1-000000007", Decision::kPass, "");
  const Review bad = MakeReview("M1-000000001", Decision::kReject, "");
  const Review relabel = MakeReview("M2-000000014", Decision::kReject, "crack");
  for (const Review& r : {good, bad, relabel}) store_->AddReview(r, AuditFor(r));
  rows = store_->DefectPareto({});
  ASSERT_EQ(rows.size(), 4u);
  EXPECT_EQ(rows[0].defect_type, "crack");
  EXPECT_EQ(rows[0].parts, 6);  // - M1-7 + M2-14
  EXPECT_EQ(rows[1].defect_type, "porosity");
  EXPECT_EQ(rows[2].defect_type, "cold_shut");
  EXPECT_EQ(rows[2].parts, 2);
  EXPECT_EQ(rows[3].defect_type, "unclassified");
  EXPECT_EQ(rows[3].parts, 1);
  EXPECT_EQ(
      store_->FindParts(With<PartFilter>([&](auto& x) { x.defect_type = "crack"; }), {}).size(),
      7u);
  EXPECT_EQ(store_->DefectPareto(With<PartFilter>([&](auto& x) { x.machine = "M3"; })).at(0).parts,
            2);
}

TEST_P(StoreTest, RejectRateBucketsByTime) {
  Ingest(Dataset(28));
  const int64_t day = 86'400'000, ten = 10 * 60'000;
  const auto buckets =
      store_->RejectRate(With<PartFilter>([&](auto& x) { x.machine = "M2"; }), ten);
  int64_t parts = 0, rejects = 0, holds = 0;
  for (size_t i = 0; i < buckets.size(); ++i) {
    EXPECT_EQ(buckets[i].start_ms % ten, 0);
    if (i > 0) {
      EXPECT_GT(buckets[i].start_ms, buckets[i - 1].start_ms);
    }
    parts += buckets[i].parts;
    rejects += buckets[i].rejects;
    holds += buckets[i].holds;
  }
  EXPECT_EQ(parts, 28);
  EXPECT_EQ(rejects, 4);
  EXPECT_EQ(holds, 2);  // 11, 22
  std::map<int64_t, int64_t> want;
  for (int64_t s = 1; s <= 28; ++s) ++want[(kT0 + (s / 2) * 60'000) / ten * ten];
  ASSERT_EQ(buckets.size(), want.size());
  EXPECT_EQ(buckets[0].parts, want.begin()->second);
  EXPECT_EQ(store_->RejectRate({}, day).size(), 1u);
  EXPECT_EQ(Caught([&] { store_->RejectRate({}, 0); }).category(), ErrorCategory::kInput);
}

TEST_P(StoreTest, ProcessSeriesGivesTheLatestShotsOldestFirst) {
  auto parts = Dataset(28);
  parts[3].shot.process.melt_temp_c = kNotMeasured;  // M1 shot 4
  Ingest(parts);
  const auto m1 = With<PartFilter>([&](auto& x) { x.machine = "M1"; });
  const auto all = store_->ProcessSeries(m1, "melt_temp_c", 1000);
  ASSERT_EQ(all.size(), 28u);
  for (size_t i = 1; i < all.size(); ++i) EXPECT_LE(all[i - 1].time_ms, all[i].time_ms);
  EXPECT_EQ(all[0].part_id, PartId("M1", 1));
  EXPECT_EQ(all[0].value, 671);
  EXPECT_EQ(all[0].die, "M1-D2");
  EXPECT_TRUE(std::isnan(all[3].value));  // not measured stays NaN, never 0
  const auto last5 = store_->ProcessSeries(m1, "melt_temp_c", 5);
  ASSERT_EQ(last5.size(), 5u);
  EXPECT_EQ(last5.back().part_id, all.back().part_id);
  EXPECT_EQ(last5.front().part_id, all[23].part_id);
  EXPECT_TRUE(std::isnan(store_->ProcessSeries(m1, "vacuum_mbar", 3).at(0).value));
  const Error e = Caught([&] { store_->ProcessSeries(m1, "melt_temp_c; DROP TABLE parts", 3); });
  EXPECT_EQ(e.category(), ErrorCategory::kInput);
  EXPECT_NE(std::string(e.what()).find("die_temp_c"), std::string::npos) << e.what();
  EXPECT_EQ(store_->CountParts({}), 84);
}

}  // namespace
}  // namespace linesight::store::testing
