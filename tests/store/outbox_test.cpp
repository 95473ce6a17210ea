#include "store/outbox.h"

#include <thread>

#include <gtest/gtest.h>

#include "store/sample_parts.h"
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

}  // namespace
}  // namespace linesight::store
