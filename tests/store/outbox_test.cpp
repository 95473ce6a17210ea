#include "store/outbox.h"
#include "core/clock.h"

#include <thread>

#include <gtest/gtest.h>

#include "store/sample_parts.h"
#include "store/sqlite_db.h"
#include "testing/test_util.h"

namespace linesight::store {
namespace {

using linesight::testing::Caught;
using linesight::testing::TempDir;
using testing::SampleEvent;
using testing::SamplePart;

OutboxOptions Options(const TempDir& dir) {
  OutboxOptions o;
  o.path = (dir / "outbox.db").string();
  return o;
}

TEST(OutboxTest, PutThenGetGivesTheSameRecord) {
  TempDir dir;
  Outbox box(Options(dir));
  EXPECT_EQ(box.recovered_note(), "");
  const PartRecord part = SamplePart(7, Decision::kHold);
  EXPECT_FALSE(box.Contains(part.part_id));
  ASSERT_TRUE(box.Put(part));
  EXPECT_TRUE(box.Contains(part.part_id));
  const auto back = box.Get(part.part_id);
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(ToJson(*back), ToJson(part));
  EXPECT_FALSE(box.Get("M3-000000008").has_value());
}

TEST(OutboxTest, RecordsSurviveReopening) {
  TempDir dir;
  const PartRecord part = SamplePart(7, Decision::kReject);
  {
    Outbox box(Options(dir));
    ASSERT_TRUE(box.Put(part));
    box.PutEvent(SampleEvent(5));
  }
  Outbox box(Options(dir));
  EXPECT_EQ(box.recovered_note(), "");
  ASSERT_TRUE(box.Get(part.part_id).has_value());
  EXPECT_EQ(ToJson(*box.Get(part.part_id)), ToJson(part));
  EXPECT_EQ(box.counts().events, 1);
}

TEST(OutboxTest, ADuplicatePartIdIsStoredOnce) {
  TempDir dir;
  Outbox box(Options(dir));
  PartRecord part = SamplePart(7);
  ASSERT_TRUE(box.Put(part));
  part.decision = Decision::kReject;  // a retry with other contents must not replace the first
  EXPECT_FALSE(box.Put(part));
  EXPECT_EQ(box.counts().parts, 1);
  EXPECT_EQ(box.Get(part.part_id)->decision, Decision::kPass);
  const std::vector<PartRecord> batch = {SamplePart(7), SamplePart(8), SamplePart(8)};
  EXPECT_EQ(box.PutMany(batch), 1u);
  EXPECT_EQ(box.counts().parts, 2);
}

TEST(OutboxTest, PendingPartsComeOldestFirstUntilMarkedSent) {
  TempDir dir;
  Outbox box(Options(dir));
  for (int64_t shot : {5, 3, 9, 1}) ASSERT_TRUE(box.Put(SamplePart(shot)));
  auto pending = box.PendingParts(3);
  ASSERT_EQ(pending.size(), 3u);
  EXPECT_EQ(pending[0].shot.shot, 5);  // insertion order, not shot order
  EXPECT_EQ(pending[1].shot.shot, 3);
  EXPECT_EQ(pending[2].shot.shot, 9);
  const std::vector<std::string> sent = {pending[0].part_id, pending[1].part_id, "M9-000000001"};
  box.MarkPartsSent(sent);
  pending = box.PendingParts(10);
  ASSERT_EQ(pending.size(), 2u);
  EXPECT_EQ(pending[0].shot.shot, 9);
  EXPECT_EQ(pending[1].shot.shot, 1);
  const auto c = box.counts();
  EXPECT_EQ(c.parts, 4);
  EXPECT_EQ(c.pending_parts, 2);
}

TEST(OutboxTest, PendingEventsComeInOrderUntilMarkedSent) {
  TempDir dir;
  Outbox box(Options(dir));
  const int64_t first = box.PutEvent(SampleEvent(100));
  const int64_t second = box.PutEvent(SampleEvent(50));
  EXPECT_LT(first, second);
  auto pending = box.PendingEvents(10);
  ASSERT_EQ(pending.size(), 2u);
  EXPECT_EQ(pending[0].first, first);
  EXPECT_EQ(ToJson(pending[0].second), ToJson(SampleEvent(100)));
  const std::vector<int64_t> sent = {first};
  box.MarkEventsSent(sent);
  pending = box.PendingEvents(10);
  ASSERT_EQ(pending.size(), 1u);
  EXPECT_EQ(pending[0].first, second);
  EXPECT_EQ(box.counts().pending_events, 1);
  EXPECT_EQ(box.counts().events, 2);
}

TEST(OutboxTest, BadInputIsRefusedWithoutStoringAnything) {
  TempDir dir;
  Outbox box(Options(dir));
  PartRecord nameless = SamplePart(1);
  nameless.part_id = "";
  EXPECT_EQ(Caught([&] { box.Put(nameless); }).category(), ErrorCategory::kInput);
  const auto bytes = testing::ImageBytes(1);
  const PartImages wrong_view = {{"side", ImageBlob{bytes, "png"}}};
  EXPECT_EQ(Caught([&] { box.Put(SamplePart(2), wrong_view); }).category(), ErrorCategory::kInput);
  const PartImages bad_extension = {{"top", ImageBlob{bytes, "../x"}}};
  EXPECT_EQ(Caught([&] { box.Put(SamplePart(3), bad_extension); }).category(),
            ErrorCategory::kInput);
  EXPECT_EQ(box.counts().parts, 0);
  EXPECT_EQ(box.counts().images, 0);
}

TEST(OutboxTest, ManyThreadsShareOneOutbox) {
  TempDir dir;
  OutboxOptions o = Options(dir);
  o.sync = OutboxSync::kNormal;  // the locking is under test here, not the disk
  Outbox box(o);
  std::vector<std::thread> workers;
  for (int t = 0; t < 4; ++t)
    workers.emplace_back([&box, t] {
      for (int i = 1; i <= 25; ++i) {
        box.Put(SamplePart((t + 1) * 100 + i));
        box.Put(SamplePart(i));  // every thread races for the same 25 ids too
        box.Contains(SamplePart(i).part_id);
      }
    });
  for (auto& w : workers) w.join();
  EXPECT_EQ(box.counts().parts, 4 * 25 + 25);
}

// A stored record damaged on disk (here: its score made null by hand) would stop the uplink at it
// for good: it is parked with the reason, and the parts after it go on.
TEST(OutboxTest, AnUnreadableRecordIsParkedAndTheRestStillGoUp) {
  TempDir dir;
  {
    Outbox box(Options(dir));
    box.Put(SamplePart(1));
    box.Put(SamplePart(2));
    box.PutEvent(SampleEvent(5));
  }
  {
    SqliteDb db(Options(dir).path);
    db.Exec("UPDATE parts SET record = '{\"part_id\": 7}' WHERE shot = 1");
    db.Exec("UPDATE events SET record = 'not json'");
  }
  Outbox box(Options(dir));
  const auto pending = box.PendingParts(10);
  ASSERT_EQ(pending.size(), 1u);
  EXPECT_EQ(pending[0].part_id, PartId("M3", 2));
  EXPECT_TRUE(box.PendingEvents(10).empty());
  const auto parked = box.RejectedParts(10);
  ASSERT_EQ(parked.size(), 1u);
  EXPECT_EQ(parked[0].first, PartId("M3", 1));
  EXPECT_NE(parked[0].second.find("unreadable record in the outbox"), std::string::npos)
      << parked[0].second;
  EXPECT_EQ(box.backlog().rejected_events, 1);
}

TEST(OutboxTest, ARefusedRecordIsParkedNotPendingAndKept) {
  TempDir dir;
  Outbox box(Options(dir));
  box.Put(SamplePart(1, Decision::kReject));
  box.Put(SamplePart(2));
  const int64_t event = box.PutEvent(SampleEvent(5));
  box.MarkPartRejected(PartId("M3", 1), "HTTP 400: parts[0].shot: bad");
  box.MarkEventRejected(event, "HTTP 400: events[0]: bad");
  box.MarkPartRejected("M3-999", "unknown ids are ignored");
  const auto pending = box.PendingParts(10);
  ASSERT_EQ(pending.size(), 1u);
  EXPECT_EQ(pending[0].part_id, PartId("M3", 2));
  EXPECT_TRUE(box.PendingEvents(10).empty());
  const auto parked = box.RejectedParts(10);
  ASSERT_EQ(parked.size(), 1u);
  EXPECT_EQ(parked[0].first, PartId("M3", 1));
  EXPECT_EQ(parked[0].second, "HTTP 400: parts[0].shot: bad");
  EXPECT_TRUE(box.Get(PartId("M3", 1)).has_value());
  const auto b = box.backlog();
  EXPECT_EQ(b.pending_parts, 1);
  EXPECT_EQ(b.pending_events, 0);
  EXPECT_EQ(b.rejected_parts, 1);
  EXPECT_EQ(b.rejected_events, 1);
  EXPECT_EQ(box.counts().rejected_parts, 1);
  // A sent part is not parked later, and a parked one is not marked sent by a late ack.
  const std::string two = PartId("M3", 2);
  box.MarkPartsSent({&two, 1});
  box.MarkPartRejected(two, "late");
  EXPECT_EQ(box.backlog().rejected_parts, 1);
  const std::string one = PartId("M3", 1);
  box.MarkPartsSent({&one, 1});
  box.MarkEventsSent({&event, 1});
  EXPECT_EQ(box.backlog().rejected_parts, 1);
  EXPECT_EQ(box.backlog().rejected_events, 1);
  // So retention, which deletes only sent records, never takes a parked one.
  EXPECT_EQ(box.PruneSent(UtcNowMs() + 400 * kDayMs, kDayMs, 100), 1);  // part 2 only
  EXPECT_TRUE(box.Contains(one));
}

// A file written by the first schema (before parked records) opens, keeps its parts and their
// sent flags, and can park records afterwards.
TEST(OutboxTest, AVersionOneFileIsMigrated) {
  TempDir dir;
  {
    Outbox box(Options(dir));
    box.Put(SamplePart(1));
    box.Put(SamplePart(2));
    const std::string one = PartId("M3", 1);
    box.MarkPartsSent({&one, 1});
  }
  {  // turn it back into a version 1 file
    SqliteDb db(Options(dir).path);
    db.Exec(
        "DROP INDEX parts_sent_at; DROP INDEX events_sent_at;"
        "ALTER TABLE parts DROP COLUMN sent_at; ALTER TABLE events DROP COLUMN sent_at;"
        "DROP INDEX parts_rejected; DROP INDEX events_rejected;"
        "ALTER TABLE parts DROP COLUMN rejected; ALTER TABLE events DROP COLUMN rejected;"
        "PRAGMA user_version = 1");
  }
  Outbox box(Options(dir));
  EXPECT_EQ(box.recovered_note(), "");
  ASSERT_EQ(box.PendingParts(10).size(), 1u);
  EXPECT_EQ(box.counts().parts, 2);
  box.MarkPartRejected(PartId("M3", 2), "HTTP 413");
  EXPECT_EQ(box.backlog().rejected_parts, 1);
  EXPECT_EQ(box.backlog().pending_parts, 0);
}

}  // namespace
}  // namespace linesight::store
