#include "store/store.h"

#include <signal.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <sstream>
#include <thread>

#include "core/clock.h"
#include "store/pg_store.h"
#include "store/server_schema.h"
#include "store/store_fixture.h"

namespace linesight::store::testing {
namespace {

using linesight::testing::Caught;
using linesight::testing::Contains;

INSTANTIATE_TEST_SUITE_P(Engines, StoreTest, ::testing::Values("sqlite", "postgresql"),
                         [](const auto& info) { return info.param; });

std::vector<std::string> Ids(const std::vector<PartSummary>& parts) {
  std::vector<std::string> ids;
  for (const auto& p : parts) ids.push_back(p.part_id);
  return ids;
}

// The parts of `all` that `keep` accepts, newest first (time desc, part id desc).
template <typename F>
std::vector<std::string> Expected(const std::vector<PartRecord>& all, F keep) {
  std::vector<const PartRecord*> kept;
  for (const auto& p : all)
    if (keep(p)) kept.push_back(&p);
  std::sort(kept.begin(), kept.end(), [](const PartRecord* a, const PartRecord* b) {
    return std::tie(a->shot.time_ms, a->part_id) > std::tie(b->shot.time_ms, b->part_id);
  });
  std::vector<std::string> ids;
  for (const auto* p : kept) ids.push_back(p->part_id);
  return ids;
}

TEST_P(StoreTest, OpensAtThisBuildsSchemaVersion) {
  EXPECT_EQ(store_->engine(), GetParam());
  EXPECT_EQ(store_->schema_version(), kServerSchemaVersion);
}

TEST_P(StoreTest, IngestTwiceStoresEverythingOnce) {
  const auto parts = Dataset(5);
  const std::vector<MachineEvent> events = {Event("M1", kT0, MachineState::kStopped),
                                            Event("M1", kT0 + 1, MachineState::kRunning)};
  const IngestCounts first = store_->Ingest(parts, events);
  EXPECT_EQ(first.parts_new, 15);
  EXPECT_EQ(first.parts_duplicate, 0);
  EXPECT_EQ(first.events_new, 2);
  const IngestCounts second = store_->Ingest(parts, events);
  EXPECT_EQ(second.parts_new, 0);
  EXPECT_EQ(second.parts_duplicate, 15);
  EXPECT_EQ(second.events_new, 0);
  EXPECT_EQ(second.events_duplicate, 2);
  EXPECT_EQ(store_->Counts().parts, 15);
  EXPECT_EQ(store_->Counts().events, 2);
  // A batch mixing new and known parts stores only the new ones.
  auto more = Dataset(6);
  const IngestCounts third = store_->Ingest(more, {});
  EXPECT_EQ(third.parts_new, 3);
  EXPECT_EQ(third.parts_duplicate, 15);
}

// Two stations that name the same machine send the same part ids: the second one's parts are not
// a batch sent again, so storing nothing would lose them silently. The batch is refused (the
// uplink then parks the part, keeping it) and names both stations and the fix.
TEST_P(StoreTest, APartIdStoredFromAnotherStationIsRefusedNamingBoth) {
  Ingest({Part("M1", 1, Decision::kPass, kT0)});  // from S1
  PartRecord twin = Part("M1", 1, Decision::kReject, kT0 + 5);
  twin.station = "S9";
  const Error e = Caught([&] { Ingest({Part("M1", 2, Decision::kPass, kT0 + 9), twin}, {}); });
  EXPECT_EQ(e.category(), ErrorCategory::kInput);
  EXPECT_TRUE(Contains(e.what(),
                       "parts[1] (M1-000000001) is already stored from station S1, "
                       "and station S9 sends it too"))
      << e.what();
  EXPECT_TRUE(Contains(e.what(), "its own machine")) << e.what();
  EXPECT_EQ(store_->Counts().parts, 1) << "nothing of the refused batch";
  const IngestCounts again = store_->Ingest(std::vector{Part("M1", 1, Decision::kPass, kT0)}, {});
  EXPECT_EQ(again.parts_duplicate, 1) << "the same station sending again is fine";
}

// A part id the same station sends for another shot (the machine's counter repeated it, e.g.
// after a reset; the station's outbox no longer refuses it once retention deleted the first) is
// not a batch sent again: storing nothing would lose that part. Refused, naming both shots.
TEST_P(StoreTest, APartIdSentAgainForAnotherShotIsRefused) {
  Ingest({Part("M1", 1, Decision::kPass, kT0)});
  const PartRecord later = Part("M1", 1, Decision::kReject, kT0 + 30 * kDayMs);
  const Error e = Caught([&] { Ingest({later}, {}); });
  EXPECT_EQ(e.category(), ErrorCategory::kInput);
  EXPECT_TRUE(Contains(e.what(), "(M1-000000001) is already stored from station S1 for a shot at"))
      << e.what();
  EXPECT_TRUE(Contains(e.what(), "one shot number to two shots")) << e.what();
  EXPECT_TRUE(Contains(e.what(), "never repeat")) << e.what();
  EXPECT_EQ(store_->Counts().parts, 1);
  EXPECT_EQ(store_->Ingest(std::vector{Part("M1", 1, Decision::kPass, kT0)}, {}).parts_duplicate, 1)
      << "the same record sent again is a duplicate";
}

// Events carry no station, only their machine: a station sending events of a machine whose
// parts come from another station names that machine too. As for a part id stored from another
// station, the batch is refused naming both stations and the fix, and nothing of it is stored.
TEST_P(StoreTest, AnEventOfAMachineAnotherStationServesIsRefusedNamingBoth) {
  Ingest({Part("M1", 1, Decision::kPass, kT0)});  // M1's parts come from S1
  const std::vector<PartRecord> s9_parts = {Part("M9", 1, Decision::kPass, kT0)};
  const std::vector<MachineEvent> events = {Event("M9", kT0, MachineState::kStopped),
                                            Event("M1", kT0 + 1, MachineState::kStopped)};
  const Error e = Caught([&] { store_->Ingest(s9_parts, events, "S9"); });
  EXPECT_EQ(e.category(), ErrorCategory::kInput);
  EXPECT_TRUE(Contains(e.what(),
                       "events[1] (machine M1) comes from station S9, but machine M1's parts "
                       "come from station S1"))
      << e.what();
  EXPECT_TRUE(Contains(e.what(), "its own machine")) << e.what();
  EXPECT_EQ(store_->Counts().parts, 1) << "nothing of the refused batch";
  EXPECT_EQ(store_->Counts().events, 0);
  // M1's own station, a machine no part named yet, and trusted imports are fine.
  EXPECT_EQ(store_->Ingest({}, {&events[1], 1}, "S1").events_new, 1);
  const std::vector<MachineEvent> m7 = {Event("M7", kT0, MachineState::kStopped)};
  EXPECT_EQ(store_->Ingest({}, m7, "S9").events_new, 1);
  const std::vector<MachineEvent> imported = {Event("M1", kT0 + 2, MachineState::kRunning)};
  EXPECT_EQ(store_->Ingest({}, imported).events_new, 1);
  // A machine moved to another station: once its newer part from there is stored (this batch's
  // included), its events from there are taken.
  PartRecord moved = Part("M1", 2, Decision::kPass, kT0 + 60'000);
  moved.station = "S9";
  const std::vector<MachineEvent> later = {Event("M1", kT0 + 60'001, MachineState::kStopped)};
  EXPECT_EQ(store_->Ingest({&moved, 1}, later, "S9").events_new, 1);
}

TEST_P(StoreTest, ABatchWithOneInvalidPartStoresNothing) {
  auto parts = Dataset(3);
  parts[4].shot.machine = "";
  const Error e = Caught([&] { Ingest(parts, {Event("M1", kT0, MachineState::kStopped)}); });
  EXPECT_EQ(e.category(), ErrorCategory::kInput);
  EXPECT_TRUE(Contains(e.what(), "parts[4]")) << e.what();
  parts[4] = Part("M2", 2, Decision::kPass, kT0);
  parts[4].part_id = "";
  EXPECT_EQ(Caught([&] { store_->Ingest(parts, {}); }).category(), ErrorCategory::kInput);
  MachineEvent bad = Event("", kT0, MachineState::kStopped);
  EXPECT_EQ(Caught([&] { Ingest(Dataset(2), {bad}); }).category(), ErrorCategory::kInput);
  const StoreCounts n = store_->Counts();
  EXPECT_EQ(n.parts, 0);
  EXPECT_EQ(n.events, 0);
  EXPECT_EQ(store_->LastSeq(), 0);
}

TEST_P(StoreTest, FindPartsAppliesEachFilter) {
  const auto parts = Dataset();
  Ingest(parts);
  const auto check = [&](const PartFilter& f, auto keep, const char* what) {
    const auto want = Expected(parts, keep);
    EXPECT_EQ(Ids(store_->FindParts(f, With<PartPage>([&](auto& x) { x.limit = 1000; }))), want)
        << what;
    EXPECT_EQ(store_->CountParts(f), static_cast<int64_t>(want.size())) << what;
    for (int64_t cap : {int64_t{1}, int64_t{2}, int64_t{5}, int64_t{1000}})
      EXPECT_EQ(store_->CountPartsUpTo(f, cap), std::min<int64_t>(cap, std::ssize(want)))
          << what << ", cap " << cap;
  };
  check(
      {}, [](const PartRecord&) { return true; }, "all");
  check(
      With<PartFilter>([&](auto& x) { x.machine = "M2"; }),
      [](const PartRecord& p) { return p.shot.machine == "M2"; }, "machine");
  check(
      With<PartFilter>([&](auto& x) { x.die = "M3-D2"; }),
      [](const PartRecord& p) { return p.shot.die == "M3-D2"; }, "die");
  check(
      With<PartFilter>([&](auto& x) { x.station = "S1"; }),
      [](const PartRecord& p) { return p.station == "S1"; }, "station");
  const int64_t from = kT0 + 5 * 60'000, to = kT0 + 9 * 60'000;
  check(
      With<PartFilter>([&](auto& x) {
        x.from_ms = from;
        x.to_ms = to;
      }),
      [&](const PartRecord& p) { return p.shot.time_ms >= from && p.shot.time_ms < to; }, "time");
  for (Decision d : {Decision::kPass, Decision::kReject, Decision::kHold})
    check(
        With<PartFilter>([&](auto& x) { x.decision = d; }),
        [&](const PartRecord& p) { return p.decision == d; }, "decision");
  check(
      With<PartFilter>([&](auto& x) { x.defect_type = "crack"; }),
      [](const PartRecord& p) {
        return p.decision == Decision::kReject && p.views[0].findings[0].type == "crack";
      },
      "defect type");
  check(
      With<PartFilter>([&](auto& x) {
        x.min_score = 0.5;
        x.max_score = 2.5;
      }),
      [](const PartRecord& p) { return p.views[0].score >= 0.5f && p.views[0].score <= 2.5f; },
      "score");
  check(
      With<PartFilter>([&](auto& x) {
        x.machine = "M1";
        x.decision = Decision::kReject;
      }),
      [](const PartRecord& p) { return p.shot.machine == "M1" && p.decision == Decision::kReject; },
      "machine and decision");
  store_->AddReview(MakeReview("M1-000000007", Decision::kPass, ""),
                    AuditFor(MakeReview("M1-000000007", Decision::kPass, "")));
  check(
      With<PartFilter>([&](auto& x) { x.unreviewed_only = true; }),
      [](const PartRecord& p) { return p.part_id != "M1-000000007"; }, "unreviewed");
  check(
      With<PartFilter>([&](auto& x) { x.reviewed_only = true; }),
      [](const PartRecord& p) { return p.part_id == "M1-000000007"; }, "reviewed");
}

TEST_P(StoreTest, CountPartsUpToStopsAtTheCapAndRefusesACapBelowOne) {
  const auto parts = Dataset(30);  // 90 parts
  store_->Ingest(parts, {});
  EXPECT_EQ(store_->CountPartsUpTo({}, 10), 10);
  EXPECT_EQ(store_->CountPartsUpTo({}, 30), 30);
  EXPECT_EQ(store_->CountPartsUpTo({}, 10001), store_->CountParts({}));
  EXPECT_EQ(Caught([&] { store_->CountPartsUpTo({}, 0); }).category(), ErrorCategory::kInput);
}

TEST_P(StoreTest, KeysetPagesCoverEveryPartOnceInOrder) {
  const auto parts = Dataset();
  Ingest(parts);
  const auto want = Expected(parts, [](const PartRecord&) { return true; });
  std::vector<std::string> got;
  PartPage page = With<PartPage>([&](auto& x) { x.limit = 7; });
  for (int pages = 0; pages < 100; ++pages) {
    const auto batch = store_->FindParts({}, page);
    for (const auto& p : batch) got.push_back(p.part_id);
    if (batch.size() < 7) break;
    page.before_time_ms = batch.back().time_ms;
    page.before_part_id = batch.back().part_id;
  }
  EXPECT_EQ(got, want);
  EXPECT_EQ(std::set<std::string>(got.begin(), got.end()).size(), parts.size());
  // Limits are clamped to 1..1000.
  EXPECT_EQ(store_->FindParts({}, With<PartPage>([&](auto& x) { x.limit = 0; })).size(), 1u);
  EXPECT_EQ(store_->FindParts({}, With<PartPage>([&](auto& x) { x.limit = 5000; })).size(),
            parts.size());
}

TEST_P(StoreTest, PartsAfterFollowsStoreOrder) {
  EXPECT_EQ(store_->LastSeq(), 0);
  EXPECT_TRUE(store_->PartsAfter(0, 10).empty());
  const auto parts = Dataset(4);
  Ingest({parts.begin(), parts.begin() + 5});
  const int64_t mid = store_->LastSeq();
  Ingest(parts);  // 5 duplicates, 7 new
  const auto after = store_->PartsAfter(mid, 100);
  ASSERT_EQ(after.size(), 7u);
  for (size_t i = 0; i < after.size(); ++i) {
    EXPECT_EQ(after[i].part_id, parts[5 + i].part_id);
    if (i > 0) {
      EXPECT_GT(after[i].seq, after[i - 1].seq);
    }
  }
  EXPECT_EQ(store_->LastSeq(), after.back().seq);
  EXPECT_EQ(store_->PartsAfter(0, 3).size(), 3u);
  EXPECT_TRUE(store_->PartsAfter(store_->LastSeq(), 10).empty());
}

TEST_P(StoreTest, EventsAfterFollowsStoreOrderNotEventTime) {
  EXPECT_EQ(store_->LastEventId(), 0);
  Ingest({}, {Event("M1", kT0 + 100, MachineState::kStopped)});
  const int64_t first = store_->LastEventId();
  // An event that happened earlier but arrives later (a station catching up) still follows.
  Ingest({}, {Event("M2", kT0, MachineState::kStopped),
              Event("M1", kT0 + 100, MachineState::kStopped)});
  const auto after = store_->EventsAfter(first, 10);
  ASSERT_EQ(after.size(), 1u) << "the duplicate is not stored again";
  EXPECT_EQ(after[0].second.machine, "M2");
  EXPECT_GT(after[0].first, first);
  EXPECT_EQ(store_->LastEventId(), after[0].first);
  EXPECT_EQ(store_->EventsAfter(0, 10).size(), 2u);
  EXPECT_TRUE(store_->EventsAfter(store_->LastEventId(), 10).empty());
}

TEST_P(StoreTest, GetPartGivesTheRecordAsSentAndTheSummary) {
  PartRecord part = Part("M4", 12, Decision::kReject, kT0);
  ViewResult side = part.views[0];
  side.view = "side";
  side.score = 3.5f;  // the worst view: 3.5 / 1.0
  side.model_id = "side-model";
  side.image = "side.png";
  side.findings[0].type = "flash";
  part.views[0].score = 1.2f;
  part.views.push_back(side);
  CombineViews(part);
  Ingest({part});
  const auto d = store_->GetPart(part.part_id);
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(ToJson(d->record), ToJson(part));
  const PartSummary& s = d->summary;
  EXPECT_EQ(s.part_id, part.part_id);
  EXPECT_EQ(s.station, "S4");
  EXPECT_EQ(s.machine, "M4");
  EXPECT_EQ(s.die, part.shot.die);
  EXPECT_EQ(s.shot, 12);
  EXPECT_EQ(s.time_ms, kT0);
  EXPECT_EQ(s.decision, Decision::kReject);
  EXPECT_EQ(s.score, 3.5f);
  EXPECT_EQ(s.threshold, 1.0f);
  EXPECT_EQ(s.model_id, "side-model");
  EXPECT_EQ(s.defect_type, "flash");
  EXPECT_EQ(s.image, part.views[0].image);
  EXPECT_EQ(s.latency_ms, 12.25);
  EXPECT_FALSE(s.review.has_value());
  EXPECT_TRUE(d->reviews.empty());
  EXPECT_FALSE(store_->GetPart("M4-000000013").has_value());
}

TEST_P(StoreTest, NaNProcessValuesRoundTripAsNull) {
  PartRecord part = Part("M1", 1, Decision::kPass, kT0);
  part.shot.process = {};  // all NaN
  part.shot.process.die_temp_c = 210.5;
  Ingest({part});
  const auto d = store_->GetPart(part.part_id);
  ASSERT_TRUE(d.has_value());
  EXPECT_TRUE(std::isnan(d->record.shot.process.melt_temp_c));
  EXPECT_EQ(d->record.shot.process.die_temp_c, 210.5);
  EXPECT_TRUE(std::isnan(d->record.shot.process.cycle_s));
  // The columns hold NULL, not NaN: a query for NULLs finds the part.
  RawSql("DELETE FROM parts WHERE melt_temp_c IS NULL AND die_temp_c = 210.5 AND cycle_s IS NULL");
  EXPECT_FALSE(store_->GetPart(part.part_id).has_value());
}

TEST_P(StoreTest, SqlLookingTextIsStoredVerbatim) {
  const std::string evil = "x'); DROP TABLE parts; --";
  PartRecord part = Part("M1", 1, Decision::kPass, kT0);
  part.part_id = "M1-'\"; DELETE FROM parts; --";
  part.station = evil;
  part.shot.die = "$1 ?1 %s \\";
  Ingest({part}, {Event(evil, kT0, MachineState::kStopped, evil)});
  const auto d = store_->GetPart(part.part_id);
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->summary.station, evil);
  EXPECT_EQ(d->summary.die, part.shot.die);
  EXPECT_EQ(store_->FindParts(With<PartFilter>([&](auto& x) { x.station = evil; }), {}).size(), 1u);
  Review r = MakeReview(part.part_id, Decision::kReject, evil);
  r.note = "'; UPDATE users SET role='admin'; --";
  store_->AddReview(r, AuditFor(r));
  EXPECT_EQ(store_->GetPart(part.part_id)->reviews.at(0).note, r.note);
  EXPECT_EQ(store_->Events(evil, 0, kT0 + 1).at(0).reason, evil);
  EXPECT_EQ(store_->Counts().parts, 1);
}

TEST_P(StoreTest, ReopeningIsIdempotentAndKeepsTheParts) {
  Ingest(Dataset(3));
  store_.reset();
  store_ = OpenStore(location_);
  EXPECT_EQ(store_->schema_version(), kServerSchemaVersion);
  EXPECT_EQ(store_->Counts().parts, 9);
  store_ = OpenStore(location_);
  EXPECT_EQ(store_->Counts().parts, 9);
}

TEST_P(StoreTest, AStoreFromANewerBuildRefusesToOpen) {
  RawSql("INSERT INTO schema_version (version, applied_ms) VALUES (" +
         std::to_string(kServerSchemaVersion + 1) + ", 0)");
  store_.reset();
  const Error e = Caught([&] { OpenStore(location_); });
  EXPECT_EQ(e.category(), ErrorCategory::kIo);
  EXPECT_TRUE(Contains(e.what(), "upgrade linesight")) << e.what();
}

TEST_P(StoreTest, ConcurrentIngestsKeepSeqInStoreOrder) {
  std::vector<std::thread> threads;
  for (const std::string m : {"M1", "M2", "M3", "M4"})
    threads.emplace_back([&, m] {
      for (int64_t b = 0; b < 5; ++b) {
        std::vector<PartRecord> batch;
        for (int64_t s = 1; s <= 10; ++s)
          batch.push_back(Part(m, b * 10 + s, Decision::kPass, kT0));
        store_->Ingest(batch, {});
      }
    });
  for (auto& t : threads) t.join();
  const auto all = store_->PartsAfter(0, 1000);
  ASSERT_EQ(all.size(), 200u);
  // Within each machine, batches went in order, so seq order is shot order.
  std::map<std::string, int64_t> last;
  for (const auto& p : all) {
    EXPECT_GT(p.shot, last[p.machine]) << p.part_id;
    last[p.machine] = p.shot;
  }
}

TEST_P(StoreTest, BackupWritesACopyThatOpens) {
  Ingest(Dataset(3));
  const std::string copy = (dir_ / "backup.db").string();
  if (IsPg()) {
    const Error e = Caught([&] { store_->Backup(copy); });
    EXPECT_EQ(e.category(), ErrorCategory::kInput);
    EXPECT_TRUE(Contains(e.what(), "pg_dump")) << e.what();
    return;
  }
  store_->Backup(copy);
  const auto back = OpenStore(copy);
  EXPECT_EQ(back->Counts().parts, 9);
  EXPECT_TRUE(back->GetPart("M2-000000003").has_value());
  EXPECT_EQ(Caught([&] { store_->Backup(copy); }).category(), ErrorCategory::kInput);
}

TEST_P(StoreTest, ALostConnectionFailsOneCallAndTheNextReconnects) {
  if (!IsPg()) GTEST_SKIP() << "SQLite has no server to lose";
  Ingest(Dataset(2));
  pg_->Restart();
  int failures = 0;
  try {
    store_->LastSeq();
  } catch (const Error& e) {
    EXPECT_EQ(e.category(), ErrorCategory::kIo);
    ++failures;
  }
  EXPECT_LE(failures, 1);
  EXPECT_EQ(store_->Counts().parts, 6);
  Ingest(Dataset(3));
  EXPECT_EQ(store_->Counts().parts, 9);
}

TEST_P(StoreTest, ADatabaseThatStopsAnsweringFailsTheCallAndTheNextReconnects) {
  if (!IsPg()) GTEST_SKIP() << "SQLite has no server to stop";
  auto store = OpenPgStore(location_, {.answer_timeout_ms = 1000});
  store->Ingest(Dataset(2), {});
  // The database's processes for this store stop (as `kill -STOP` or a host swapping would stop
  // them); the host's kernel still acknowledges TCP, so only a deadline on the answer ends a call.
  std::vector<pid_t> frozen;
  std::istringstream pids(
      pg_->Query("postgres", "SELECT pid FROM pg_stat_activity WHERE datname = '" + db_ + "'"));
  for (pid_t pid; pids >> pid;)
    if (::kill(pid, SIGSTOP) == 0) frozen.push_back(pid);
  ASSERT_FALSE(frozen.empty());
  const Error e = Caught([&] { store->Counts(); });
  for (pid_t pid : frozen) ::kill(pid, SIGCONT);
  EXPECT_EQ(e.category(), ErrorCategory::kIo);
  EXPECT_TRUE(Contains(e.what(), "did not answer within 1 s")) << e.what();
  EXPECT_EQ(store->Counts().parts, 6) << "the next call opens a new connection";
}

TEST_P(StoreTest, AStatementStuckBehindALockIsEndedByTheDatabaseItself) {
  if (!IsPg()) GTEST_SKIP() << "SQLite waits on its busy_timeout";
  auto store = OpenPgStore(location_, {.answer_timeout_ms = 2000});
  store->Ingest(Dataset(2), {});
  // Another session holds the parts table for 4 s.
  std::thread locker([&] {
    pg_->Sql(db_, "BEGIN; LOCK TABLE parts IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(4); COMMIT");
  });
  const std::string held =
      "SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation "
      "WHERE c.relname = 'parts' AND l.mode = 'AccessExclusiveLock' AND l.granted";
  for (int i = 0; i < 250 && pg_->Query(db_, held) != "1\n"; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  const Error e = Caught([&] { store->Counts(); });
  EXPECT_EQ(e.category(), ErrorCategory::kIo);
  EXPECT_TRUE(Contains(e.what(), "statement timeout")) << e.what();
  // The database ended the statement (a client that only walked away would leave it waiting,
  // holding its place in the lock queue): nothing waits on the lock any more.
  EXPECT_EQ(pg_->Query(db_,
                       "SELECT count(*) FROM pg_stat_activity WHERE datname = "
                       "current_database() AND wait_event_type = 'Lock'"),
            "0\n");
  locker.join();
  EXPECT_EQ(store->Counts().parts, 6);
}

TEST(OpenStoreTest, AnUnreachableServerIsAnIoErrorWithoutThePassword) {
  const Error e = Caught([] { OpenStore("postgresql://ana:s3cret@127.0.0.1:1/linesight"); });
  EXPECT_EQ(e.category(), ErrorCategory::kIo);
  EXPECT_FALSE(Contains(e.what(), "s3cret")) << e.what();
  EXPECT_TRUE(Contains(e.what(), "127.0.0.1")) << e.what();
}

TEST(ShiftCalendarTest, ShiftStartIsTheFloorAlsoBeforeTheOrigin) {
  const ShiftCalendar c;  // 8 h shifts from 06:00
  const int64_t h = 3600 * 1000;
  EXPECT_EQ(c.ShiftStart(6 * h), 6 * h);
  EXPECT_EQ(c.ShiftStart(14 * h - 1), 6 * h);
  EXPECT_EQ(c.ShiftStart(14 * h), 14 * h);
  EXPECT_EQ(c.ShiftStart(5 * h), -2 * h);  // 22:00 the day before
  EXPECT_EQ(c.ShiftStart(-3 * h), -10 * h);
  EXPECT_EQ(c.ShiftStart(kT0) % (8 * h), (6 * h) % (8 * h));
}

TEST(ShiftCalendarTest, ALocalClockKeepsItsShiftsThroughSummerTime) {
  constexpr int64_t kHour = 3'600'000;
  // Berlin, shifts at 06:00, 14:00 and 22:00 local. On 2026-03-29 the clocks go forward at
  // 01:00 UTC: the night shift from 22:00 CET (21:00 UTC) ends at 06:00 CEST (04:00 UTC), 7 h.
  const ShiftCalendar berlin{
      .origin_ms = 6 * kHour, .length_ms = 8 * kHour, .zone = "Europe/Berlin"};
  const int64_t night_in_march = 1'774'731'600'000;  // 2026-03-28 21:00 UTC
  EXPECT_EQ(berlin.ShiftStart(night_in_march), night_in_march);
  EXPECT_EQ(berlin.ShiftStart(night_in_march + 6 * kHour + kHour / 2), night_in_march);
  EXPECT_EQ(berlin.ShiftStart(night_in_march + 7 * kHour), night_in_march + 7 * kHour);
  // On 2026-10-25 they go back at 01:00 UTC: the night from 22:00 CEST (20:00 UTC) lasts 9 h.
  const int64_t night_in_october = 1'792'872'000'000;  // 2026-10-24 20:00 UTC
  EXPECT_EQ(berlin.ShiftStart(night_in_october + 9 * kHour - 60'000), night_in_october);
  EXPECT_EQ(berlin.ShiftStart(night_in_october + 9 * kHour), night_in_october + 9 * kHour);
  // In summer the day shift starts at 04:00 UTC, the next at 12:00; UTC's own calendar's at 06:00.
  const int64_t july_noon = 1'782'907'200'000;  // 2026-07-01 12:00 UTC
  EXPECT_EQ(berlin.ShiftStart(july_noon - 1), july_noon - 8 * kHour);
  EXPECT_EQ(berlin.ShiftStart(july_noon), july_noon);  // 14:00 CEST
  EXPECT_EQ(berlin.UtcOffsetMs(july_noon), 2 * kHour);
  EXPECT_EQ(ShiftCalendar{}.ShiftStart(july_noon), july_noon - 6 * kHour);
  EXPECT_EQ(Caught([] { CheckTimeZone("Mars/Olympus_Mons"); }).category(), ErrorCategory::kInput);
  CheckTimeZone("");  // UTC
  CheckTimeZone("America/Chicago");
}

TEST(RoleTest, NamesRoundTrip) {
  for (Role r : {Role::kOperator, Role::kQualityEngineer, Role::kAdmin})
    EXPECT_EQ(ParseRole(RoleName(r)), r);
  EXPECT_EQ(RoleName(Role::kQualityEngineer), "quality_engineer");
  EXPECT_FALSE(ParseRole("root").has_value());
}

}  // namespace
}  // namespace linesight::store::testing
