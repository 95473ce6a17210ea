// Tests the outbox's record retention (Outbox::PruneSent): records the uplink delivered more than
// keep_ms ago go, with the images only they showed; unsent and parked records stay for good.
#include <filesystem>

#include <gtest/gtest.h>

#include "core/clock.h"
#include "store/outbox_fixture.h"
#include "store/sqlite_db.h"

namespace linesight::store {
namespace {

namespace fs = std::filesystem;
using testing::ImageBytes;
using testing::SampleEvent;
using testing::SamplePart;

constexpr int64_t kKeep = 30 * kDayMs;

class OutboxRetentionTest : public testing::OutboxFixture {
 protected:
  OutboxRetentionTest() : OutboxFixture(Options()) {}

  static OutboxOptions Options() {
    OutboxOptions o;
    o.sync = OutboxSync::kNormal;  // retention is under test here, not the disk
    return o;
  }

  void Sent(std::initializer_list<int64_t> shots) {
    std::vector<std::string> ids;
    for (const int64_t shot : shots) ids.push_back(SamplePart(shot).part_id);
    box_->MarkPartsSent(ids);
  }

  bool Has(int64_t shot) const { return box_->Contains(SamplePart(shot).part_id); }
};

TEST_F(OutboxRetentionTest, SentRecordsOlderThanTheKeepGoWithTheirImages) {
  const std::string reject = PutWithImage(1, Decision::kReject, 1);
  const std::string pass = PutWithImage(2, Decision::kPass, 2);
  const int64_t event = box_->PutEvent(SampleEvent(5));
  Sent({1, 2});
  box_->MarkEventsSent({&event, 1});
  // Sent just now: younger than the keep, nothing goes.
  EXPECT_EQ(box_->PruneSent(UtcNowMs(), kKeep, 100), 0);
  EXPECT_TRUE(Has(1));
  // A month and a day later they are older than the keep.
  EXPECT_EQ(box_->PruneSent(UtcNowMs() + kKeep + kDayMs, kKeep, 100), 3);
  EXPECT_FALSE(Has(1));
  EXPECT_FALSE(Has(2));
  EXPECT_FALSE(OnDisk(reject));
  EXPECT_FALSE(OnDisk(pass));
  const auto c = box_->counts();
  EXPECT_EQ(c.parts, 0);
  EXPECT_EQ(c.events, 0);
  EXPECT_EQ(c.images, 0);
  EXPECT_EQ(c.image_bytes, 0) << "the cap's running total follows the deleted files";
  // The same content stored again is a new file, kept as any other.
  const std::string again = PutWithImage(3, Decision::kReject, 1);
  EXPECT_EQ(again, reject);
  EXPECT_TRUE(OnDisk(again));
  // Reopening sweeps nothing of what is still known, and finds nothing left of what went.
  box_.reset();
  box_ = std::make_unique<Outbox>(options_);
  EXPECT_TRUE(OnDisk(again));
  EXPECT_EQ(box_->counts().image_bytes, 1000);
}

TEST_F(OutboxRetentionTest, UnsentAndParkedRecordsStayWhateverTheirAge) {
  const std::string unsent = PutWithImage(1, Decision::kReject, 1);
  const std::string parked = PutWithImage(2, Decision::kHold, 2);
  box_->MarkPartRejected(SamplePart(2).part_id, "HTTP 400: bad");
  const int64_t pending_event = box_->PutEvent(SampleEvent(5));
  const int64_t parked_event = box_->PutEvent(SampleEvent(6));
  box_->MarkEventRejected(parked_event, "HTTP 400: bad");
  // A hundred years on, and a keep of nothing: still nothing goes.
  EXPECT_EQ(box_->PruneSent(UtcNowMs() + 36500 * kDayMs, 0, 100), 0);
  EXPECT_TRUE(Has(1));
  EXPECT_TRUE(Has(2));
  EXPECT_TRUE(OnDisk(unsent));
  EXPECT_TRUE(OnDisk(parked));
  const auto c = box_->counts();
  EXPECT_EQ(c.events, 2);
  EXPECT_EQ(c.images, 2);
  EXPECT_EQ(box_->PendingEvents(10).at(0).first, pending_event);
  EXPECT_EQ(box_->RejectedParts(10).size(), 1u);
}

// An image file can serve several parts (identical content): it goes with the last of them.
TEST_F(OutboxRetentionTest, AnImageAnotherPartStillShowsIsKept) {
  const std::string shared = PutWithImage(1, Decision::kReject, 7);
  EXPECT_EQ(PutWithImage(2, Decision::kReject, 7), shared);
  Sent({1});
  EXPECT_EQ(box_->PruneSent(UtcNowMs() + kKeep + kDayMs, kKeep, 100), 1);
  EXPECT_FALSE(Has(1));
  EXPECT_TRUE(OnDisk(shared));
  EXPECT_EQ(box_->Get(SamplePart(2).part_id)->views[0].image, shared);
  EXPECT_EQ(box_->counts().image_bytes, 1000);
  Sent({2});
  EXPECT_EQ(box_->PruneSent(UtcNowMs() + kKeep + kDayMs, kKeep, 100), 1);
  EXPECT_FALSE(OnDisk(shared));
  EXPECT_EQ(box_->counts().image_bytes, 0);
}

TEST_F(OutboxRetentionTest, EachCallDeletesAtMostMaxRowsPartsFirstOldestFirst) {
  std::vector<PartRecord> parts;
  for (int64_t shot = 1; shot <= 25; ++shot) parts.push_back(SamplePart(shot));
  box_->PutMany(parts);
  std::vector<std::string> ids;
  for (const auto& p : parts) ids.push_back(p.part_id);
  box_->MarkPartsSent(ids);
  std::vector<int64_t> events;
  for (int i = 0; i < 10; ++i) events.push_back(box_->PutEvent(SampleEvent(i)));
  box_->MarkEventsSent(events);
  const int64_t later = UtcNowMs() + kKeep + kDayMs;
  EXPECT_EQ(box_->PruneSent(later, kKeep, 10), 10);
  EXPECT_EQ(box_->counts().parts, 15);
  EXPECT_EQ(box_->counts().events, 10);
  EXPECT_FALSE(Has(10));
  EXPECT_TRUE(Has(11));
  EXPECT_EQ(box_->PruneSent(later, kKeep, 10), 10);
  EXPECT_EQ(box_->PruneSent(later, kKeep, 10), 10);  // the last 5 parts, then 5 events
  EXPECT_EQ(box_->counts().parts, 0);
  EXPECT_EQ(box_->counts().events, 5);
  EXPECT_EQ(box_->PruneSent(later, kKeep, 10), 5);
  EXPECT_EQ(box_->PruneSent(later, kKeep, 10), 0);
  EXPECT_EQ(box_->PruneSent(later, kKeep, 0), 0);
}

// A file from before sent_at (schema version 2) opens; what it had sent counts as sent at the
// migration, so it is kept a full keep from then.
// The migration writes no row (months of records would be rewritten at start): records sent
// before it keep sent_at NULL and go keep_sent_days after the migration, with the dated ones.
TEST_F(OutboxRetentionTest, AVersionTwoFileIsMigratedAndItsSentRecordsKeptFromThen) {
  box_->Put(SamplePart(1));
  box_->Put(SamplePart(2));
  Sent({1});
  const int64_t event = box_->PutEvent(SampleEvent(5));
  box_->MarkEventsSent({&event, 1});
  box_.reset();
  {  // turn it back into a version 2 file
    SqliteDb db(options_.path);
    db.Exec(
        "DROP INDEX parts_sent_at; DROP INDEX events_sent_at;"
        "ALTER TABLE parts DROP COLUMN sent_at; ALTER TABLE events DROP COLUMN sent_at;"
        "PRAGMA user_version = 2");
  }
  const int64_t before = UtcNowMs();
  box_ = std::make_unique<Outbox>(options_);
  const int64_t after = UtcNowMs();
  EXPECT_EQ(box_->recovered_note(), "");
  {
    SqliteDb db(options_.path);
    EXPECT_EQ(db.QueryInt("PRAGMA user_version"), 3);
    // No row is rewritten: records sent before count from the migration's time, kept in meta.
    EXPECT_EQ(db.QueryInt("SELECT count(*) FROM parts WHERE sent_at IS NULL"), 2);
    const int64_t from = db.QueryInt("SELECT value FROM meta WHERE key = 'sent_at_from_ms'");
    EXPECT_GE(from, before / 1000 * 1000);  // the migration's clock has whole seconds
    EXPECT_LE(from, after);
  }
  EXPECT_EQ(box_->PendingParts(10).size(), 1u);
  EXPECT_EQ(box_->PruneSent(UtcNowMs(), kKeep, 100), 0);
  EXPECT_EQ(box_->PruneSent(UtcNowMs() + kKeep + kDayMs, kKeep, 100), 2);
  EXPECT_FALSE(Has(1));
  EXPECT_TRUE(Has(2));
}

}  // namespace
}  // namespace linesight::store
