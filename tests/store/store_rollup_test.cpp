// The hourly rollup (store/part_hours.h) on both engines: every statistic over any filter and
// time range equals the same statistic counted part by part from FindParts, after reviews, and
// after a store written before the rollup is upgraded.
#include <limits>
#include <map>
#include <random>
#include <tuple>

#include "store/part_hours.h"
#include "store/server_schema.h"
#include "store/store_fixture.h"

namespace linesight::store::testing {
namespace {

constexpr int64_t kHour = 3'600'000;

// 600 parts of 3 machines over ~50 hours at random times, 3 dies, all three decisions.
std::vector<PartRecord> Spread(std::mt19937& rng) {
  std::vector<PartRecord> parts;
  std::uniform_int_distribution<int64_t> when(0, 50 * kHour), pick(0, 99);
  for (int64_t shot = 1; shot <= 200; ++shot)
    for (const std::string m : {"M1", "M2", "M3"}) {
      const int64_t roll = pick(rng);
      const Decision d = roll < 15   ? Decision::kReject
                         : roll < 20 ? Decision::kHold
                                     : Decision::kPass;
      PartRecord p = Part(m, shot, d, kT0 + when(rng));
      p.shot.die = m + "-D" + std::to_string(1 + pick(rng) % 3);
      parts.push_back(p);
    }
  return parts;
}

// Reviews of random parts, some reviewed twice: good, bad with and without a label.
void ReviewSome(Store& s, const std::vector<PartRecord>& parts, std::mt19937& rng) {
  std::uniform_int_distribution<size_t> which(0, parts.size() - 1);
  for (int i = 0; i < 120; ++i) {
    const int kind = i % 3;
    const Review r =
        MakeReview(parts[which(rng)].part_id, kind == 0 ? Decision::kPass : Decision::kReject,
                   kind == 2 ? kTypes[i % 3] : "", kT0 + i);
    s.AddReview(r, AuditFor(r));
  }
}

// The parts `f` covers as the store lists them (read from parts, never from the rollup).
std::vector<PartSummary> Listed(Store& s, const PartFilter& f) {
  PartPage page;
  page.limit = 1000;
  return s.FindParts(f, page);
}

bool Good(const PartSummary& p) {
  return p.review ? p.review->verdict == Decision::kPass : p.decision == Decision::kPass;
}

bool Bad(const PartSummary& p) {
  return p.review ? p.review->verdict == Decision::kReject : p.decision == Decision::kReject;
}

using Counts = std::tuple<int64_t, int64_t, int64_t, int64_t, int64_t>;  // parts..good

std::map<std::string, Counts> ExpectedYield(const std::vector<PartSummary>& parts, GroupBy by,
                                            const ShiftCalendar& shifts) {
  std::map<std::string, Counts> out;
  for (const PartSummary& p : parts) {
    const std::string key = by == GroupBy::kMachine ? p.machine
                            : by == GroupBy::kDie   ? p.die
                            : by == GroupBy::kStation
                                ? p.station
                                : std::to_string(shifts.ShiftStart(p.time_ms));
    auto& [n, pass, reject, hold, good] = out[key];
    ++n;
    pass += p.decision == Decision::kPass;
    reject += p.decision == Decision::kReject;
    hold += p.decision == Decision::kHold;
    good += Good(p);
  }
  return out;
}

std::map<std::string, Counts> StoredYield(Store& s, const PartFilter& f, GroupBy by,
                                          const ShiftCalendar& shifts) {
  std::map<std::string, Counts> out;
  for (const YieldRow& y : s.Yield(f, by, shifts))
    out[y.key] = {y.parts, y.passes, y.rejects, y.holds, y.good};
  return out;
}

std::map<std::string, int64_t> ExpectedPareto(const std::vector<PartSummary>& parts) {
  std::map<std::string, int64_t> out;
  for (const PartSummary& p : parts)
    if (Bad(p)) ++out[p.defect_type.empty() ? "unclassified" : p.defect_type];
  return out;
}

std::map<std::string, int64_t> StoredPareto(Store& s, const PartFilter& f) {
  std::map<std::string, int64_t> out;
  for (const ParetoRow& r : s.DefectPareto(f)) out[r.defect_type] = r.parts;
  return out;
}

using Rate = std::tuple<int64_t, int64_t, int64_t>;

std::map<int64_t, Rate> ExpectedRate(const std::vector<PartSummary>& parts, int64_t bucket) {
  std::map<int64_t, Rate> out;
  for (const PartSummary& p : parts) {
    auto& [n, rejects, holds] = out[p.time_ms - (p.time_ms % bucket)];
    ++n;
    rejects += p.decision == Decision::kReject;
    holds += p.decision == Decision::kHold;
  }
  return out;
}

std::map<int64_t, Rate> StoredRate(Store& s, const PartFilter& f, int64_t bucket) {
  std::map<int64_t, Rate> out;
  for (const RateBucket& b : s.RejectRate(f, bucket))
    out[b.start_ms] = {b.parts, b.rejects, b.holds};
  return out;
}

// Filters over whole and partial hours, open and closed ranges, and each kind of condition.
std::vector<PartFilter> Filters(std::mt19937& rng) {
  std::vector<PartFilter> out(1);  // everything
  std::uniform_int_distribution<int64_t> at(-2 * kHour, 52 * kHour), span(0, 30 * kHour);
  for (int i = 0; i < 24; ++i) {
    PartFilter f;
    const int64_t from = kT0 + at(rng);
    if (i % 4 != 0) f.from_ms = i % 5 == 0 ? from - from % kHour : from;
    if (i % 4 != 1) f.to_ms = from + (i % 7 == 0 ? kHour - 1 : span(rng));
    if (i % 3 == 0) f.machine = "M" + std::to_string(1 + i % 3);
    if (i % 5 == 1) f.die = "M2-D2";
    if (i % 6 == 2) f.decision = Decision::kReject;
    if (i % 8 == 3) f.defect_type = "crack";
    if (i % 9 == 4) f.unreviewed_only = true;
    if (i % 10 == 5) f.reviewed_only = true;
    if (i % 11 == 6) f.min_score = 0.35;
    if (i % 12 == 7) f.station = "S3";
    out.push_back(f);
  }
  PartFilter on_hours;  // both ends on the hour: no partial hour to read from parts
  on_hours.from_ms = kT0 - kT0 % kHour + 3 * kHour;
  on_hours.to_ms = on_hours.from_ms + 20 * kHour;
  out.push_back(on_hours);
  PartFilter near_ends;  // an hour's start near int64's ends would overflow
  near_ends.from_ms = std::numeric_limits<int64_t>::min() + 1;
  near_ends.to_ms = std::numeric_limits<int64_t>::max() - 1;
  out.push_back(near_ends);
  return out;
}

// Machines(since): each machine's line verdicts since a time, from the rollup and parts.
void ExpectMachineCountsMatchTheParts(Store& s, int64_t since) {
  PartFilter f;
  f.from_ms = since;
  std::map<std::string, std::tuple<int64_t, int64_t, int64_t, int64_t>> want, got;
  for (const PartSummary& p : Listed(s, f)) {
    auto& [n, pass, reject, hold] = want[p.machine];
    ++n;
    pass += p.decision == Decision::kPass;
    reject += p.decision == Decision::kReject;
    hold += p.decision == Decision::kHold;
  }
  for (const MachineStatus& m : s.Machines(since))
    if (m.parts > 0) got[m.machine] = {m.parts, m.passes, m.rejects, m.holds};
  EXPECT_EQ(got, want) << "since " << since;
}

void ExpectStatisticsMatchTheParts(Store& s, std::mt19937& rng) {
  // On the hour (the rollup answers), and not: an origin at :30, 90-minute shifts; on a local
  // clock whole hours off UTC (hours summed into shifts) and one 5:30 h off (minutes summed).
  const std::vector<ShiftCalendar> calendars = {{},
                                                {0, 12 * kHour, ""},
                                                {-kHour, 8 * kHour, ""},
                                                {30 * 60'000, 8 * kHour, ""},
                                                {0, 90 * 60'000, ""},
                                                {6 * kHour, 8 * kHour, "Europe/Berlin"},
                                                {6 * kHour, 12 * kHour, "Asia/Kolkata"}};
  for (const PartFilter& f : Filters(rng)) {
    const auto parts = Listed(s, f);
    const std::string what = "from " + std::to_string(f.from_ms) + " to " +
                             std::to_string(f.to_ms) + " machine '" + f.machine + "'";
    for (GroupBy by : {GroupBy::kMachine, GroupBy::kDie, GroupBy::kStation})
      EXPECT_EQ(StoredYield(s, f, by, {}), ExpectedYield(parts, by, {})) << what;
    for (const ShiftCalendar& c : calendars)
      EXPECT_EQ(StoredYield(s, f, GroupBy::kShift, c), ExpectedYield(parts, GroupBy::kShift, c))
          << what << ", shifts from " << c.origin_ms << " " << c.zone;
    EXPECT_EQ(StoredPareto(s, f), ExpectedPareto(parts)) << what;
    for (int64_t bucket : {kHour, int64_t{10 * 60'000}, 24 * kHour})
      EXPECT_EQ(StoredRate(s, f, bucket), ExpectedRate(parts, bucket)) << what;
    EXPECT_EQ(s.CountParts(f), std::ssize(parts)) << what;
    EXPECT_EQ(s.CountPartsUpTo(f, 7), std::min<int64_t>(7, std::ssize(parts))) << what;
  }
  for (int64_t since : {kT0 - kHour, kT0 + 7 * kHour + 1234, kT0 + 20 * kHour})
    ExpectMachineCountsMatchTheParts(s, since);
}

TEST_P(StoreTest, StatisticsFromTheHourlyRollupEqualThoseCountedPartByPart) {
  std::mt19937 rng(7);
  const auto parts = Spread(rng);
  for (size_t at = 0; at < parts.size(); at += 97)  // batches that split hours
    Ingest({parts.begin() + at, parts.begin() + std::min(parts.size(), at + 97)});
  Ingest({parts.begin(), parts.begin() + 50});  // sent twice: counted once
  ExpectStatisticsMatchTheParts(*store_, rng);
  ReviewSome(*store_, parts, rng);
  ExpectStatisticsMatchTheParts(*store_, rng);
}

TEST_P(StoreTest, AStoreFromBeforeTheRollupIsUpgradedWithItsPartsAndReviews) {
  std::mt19937 rng(11);
  const auto parts = Spread(rng);
  Ingest(parts);
  ReviewSome(*store_, parts, rng);
  RawSql("DROP TABLE part_hours");  // as written by a version of schema 6
  RawSql("ALTER TABLE alerts DROP COLUMN occurrences");
  RawSql("DELETE FROM schema_version WHERE version >= 7");
  store_.reset();
  store_ = OpenStore(location_);
  EXPECT_EQ(store_->schema_version(), kServerSchemaVersion);
  ExpectStatisticsMatchTheParts(*store_, rng);
}

// A review that changes nothing the rollup keeps, and reviews that move a part back, leave no
// group of zero parts behind.
TEST_P(StoreTest, ReviewsThatMoveAPartBackLeaveNoEmptyGroup) {
  Ingest({Part("M1", 7, Decision::kReject, kT0)});  // crack
  for (const auto& [verdict, type] : std::vector<std::pair<Decision, std::string>>{
           {Decision::kPass, ""}, {Decision::kReject, "porosity"}, {Decision::kReject, ""}}) {
    const Review r = MakeReview("M1-000000007", verdict, type);
    store_->AddReview(r, AuditFor(r));
  }
  const auto pareto = store_->DefectPareto({});
  ASSERT_EQ(pareto.size(), 1u);
  EXPECT_EQ(pareto[0].defect_type, "crack");  // an unlabelled bad review keeps the line's type
  EXPECT_EQ(pareto[0].parts, 1);
  EXPECT_EQ(store_->Yield({}, GroupBy::kMachine, {}).at(0).parts, 1);
  EXPECT_EQ(store_->Yield({}, GroupBy::kMachine, {}).at(0).good, 0);
}

TEST_P(StoreTest, AShotTimeOutsideTheYears1To9999IsRefusedAndNothingStored) {
  for (int64_t t : {std::numeric_limits<int64_t>::min(), int64_t{-62'135'596'800'001},
                    int64_t{253'402'300'800'000}, std::numeric_limits<int64_t>::max()}) {
    PartRecord odd = Part("M1", 2, Decision::kPass, kT0);
    odd.shot.time_ms = t;  // not through Part(), which would date its trigger past int64's end
    const auto e = linesight::testing::Caught([&] {
      Ingest({Part("M1", 1, Decision::kPass, kT0), odd});
    });
    EXPECT_EQ(e.category(), ErrorCategory::kInput);
    EXPECT_NE(std::string(e.what()).find("shot.time_ms"), std::string::npos) << e.what();
  }
  EXPECT_EQ(store_->CountParts({}), 0);
  Ingest({Part("M1", 3, Decision::kPass, -62'135'596'800'000)});  // 1 January of the year 1
  EXPECT_EQ(store_->Yield({}, GroupBy::kMachine, {}).at(0).parts, 1);
}

TEST(PartHours, HourStartIsTheFloorAlsoBefore1970) {
  EXPECT_EQ(HourStart(kT0), kT0 - kT0 % kHour);
  EXPECT_EQ(HourStart(kHour), kHour);
  EXPECT_EQ(HourStart(-1), -kHour);
  EXPECT_EQ(HourStart(-kHour), -kHour);
}

}  // namespace
}  // namespace linesight::store::testing
