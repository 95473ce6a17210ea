// Tests station/uplink.cpp: a real outbox drained over real HTTP to the test ingest receiver on
// 127.0.0.1, with the receiver failing, hanging, refusing, stopped and restarted.
#include "station/uplink.h"

#include <atomic>
#include <filesystem>
#include <thread>

#include <gtest/gtest.h>

#include "store/outbox.h"
#include "store/sample_parts.h"
#include "testing/ingest_receiver.h"
#include "testing/test_util.h"

namespace linesight::station {
namespace {

using linesight::testing::IngestReceiver;
using linesight::testing::TempDir;
using store::testing::ImageBytes;
using store::testing::SampleEvent;
using store::testing::SamplePart;

// Waits (polling) until `done` holds; false after `seconds`. A bound against hangs, not a timing
// assertion.
bool WaitFor(const std::function<bool()>& done, double seconds = 60) {
  const auto until = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  while (!done()) {
    if (std::chrono::steady_clock::now() > until) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return true;
}

class UplinkTest : public ::testing::Test {
 protected:
  UplinkTest()
      : outbox_(store::OutboxOptions{(dir_ / "outbox.db").string(), "", 2LL << 30,
                                     store::OutboxSync::kNormal}) {}

  // Parts with shots [first, first + n); every 10th is a reject, with an image if `images`.
  void AddParts(int64_t first, int64_t n, bool images_too = true) {
    for (int64_t shot = first; shot < first + n; ++shot) {
      const bool reject = shot % 10 == 0 && images_too;
      const auto bytes = ImageBytes(static_cast<uint32_t>(shot));
      store::PartImages images;
      const auto heat = ImageBytes(static_cast<uint32_t>(shot) + 1'000'000);
      if (reject) {
        images.push_back({"", store::ImageBlob{bytes, "png"}});
        images.push_back({"", store::ImageBlob{heat, "png", store::ImageRole::kHeatmap}});
      }
      outbox_.Put(SamplePart(shot, reject ? Decision::kReject : Decision::kPass), images);
    }
  }

  UplinkOptions Options(const IngestReceiver& r) const {
    UplinkOptions o;
    o.url = r.url();
    o.token = "test-token";
    o.batch_parts = 50;
    o.backoff_min_s = 0.01;  // fast retries: these tests count them, they do not time them
    o.backoff_max_s = 0.1;
    o.poll_s = 0.05;
    return o;
  }

  UplinkHooks Quiet() {
    UplinkHooks h;
    h.log = [this](const std::string& line) {
      std::lock_guard lock(log_mu_);
      log_ += line + "\n";
    };
    return h;
  }

  bool Drained(const Uplink& uplink, int64_t parts) {
    return WaitFor([&] {
      const UplinkStats s = uplink.stats();
      return s.pending_parts == 0 && s.pending_events == 0 &&
             static_cast<int64_t>(s.parts_sent + s.parts_parked) >= parts;
    });
  }

  std::string log() {
    std::lock_guard lock(log_mu_);
    return log_;
  }

  TempDir dir_;
  store::Outbox outbox_;
  std::mutex log_mu_;
  std::string log_;
};

TEST_F(UplinkTest, EverythingArrivesExactlyOnceWithImagesBeforeTheirParts) {
  IngestReceiver receiver;
  AddParts(1, 230);
  for (int i = 0; i < 7; ++i) outbox_.PutEvent(SampleEvent(1'796'000'000'000 + i));
  Uplink uplink(outbox_, Options(receiver), Quiet());
  ASSERT_TRUE(Drained(uplink, 230)) << log();

  const auto c = receiver.counts();
  EXPECT_EQ(receiver.part_ids().size(), 230u);
  EXPECT_EQ(c.parts_received, 230);
  EXPECT_EQ(c.parts_duplicate, 0);
  EXPECT_EQ(receiver.event_count(), 7u);
  EXPECT_EQ(c.events_received, 7);
  EXPECT_EQ(receiver.image_names().size(), 46u);  // 23 rejects' frames and heatmaps
  EXPECT_EQ(c.parts_missing_image, 0);            // every image was PUT before the batch naming it
  EXPECT_EQ(c.posts_stored, 5);                   // 230 parts in batches of 50
  const UplinkStats s = uplink.stats();
  EXPECT_EQ(s.parts_sent, 230u);
  EXPECT_EQ(s.events_sent, 7u);
  EXPECT_EQ(s.images_sent, 46u);
  EXPECT_EQ(s.batches, 5u);
  EXPECT_EQ(s.retries, 0u);
  EXPECT_TRUE(s.connected);
  EXPECT_EQ(outbox_.counts().pending_parts, 0);

  // New parts after Notify() follow.
  AddParts(1000, 3);
  uplink.Notify();
  ASSERT_TRUE(Drained(uplink, 233));
  EXPECT_EQ(receiver.part_ids().size(), 233u);
}

TEST_F(UplinkTest, BatchesStayUnderTheByteCap) {
  IngestReceiver receiver;
  AddParts(1, 40);
  UplinkOptions o = Options(receiver);
  o.max_batch_bytes = 4000;  // a sample part is ~0.6-1 KB of JSON
  Uplink uplink(outbox_, o, Quiet());
  ASSERT_TRUE(Drained(uplink, 40));
  EXPECT_EQ(receiver.part_ids().size(), 40u);
  EXPECT_GT(receiver.counts().posts_stored, 40 / 50 + 1);
}

TEST_F(UplinkTest, ServerDownAtStartThenUpDeliversEverything) {
  IngestReceiver receiver;
  receiver.Stop();
  AddParts(1, 120);
  Uplink uplink(outbox_, Options(receiver), Quiet());
  ASSERT_TRUE(WaitFor([&] { return uplink.stats().retries >= 3; }));
  UplinkStats down = uplink.stats();
  EXPECT_FALSE(down.connected);
  EXPECT_NE(down.last_error.find("cannot connect"), std::string::npos) << down.last_error;
  EXPECT_EQ(down.pending_parts, 120);
  receiver.Start();
  ASSERT_TRUE(Drained(uplink, 120)) << log();
  EXPECT_EQ(receiver.part_ids().size(), 120u);
  EXPECT_EQ(receiver.counts().parts_duplicate, 0);
  EXPECT_TRUE(uplink.stats().connected);
  EXPECT_TRUE(uplink.stats().last_error.empty());
  // One line when it went down and one when it came back, not one per retry.
  EXPECT_NE(log().find("answers again"), std::string::npos) << log();
}

TEST_F(UplinkTest, ServiceUnavailableBurstsAreRetriedWithBackoff) {
  IngestReceiver receiver;
  receiver.FailNext(6, 503);
  AddParts(1, 100);
  Uplink uplink(outbox_, Options(receiver), Quiet());
  ASSERT_TRUE(Drained(uplink, 100)) << log();
  EXPECT_EQ(uplink.stats().retries, 6u);
  EXPECT_EQ(receiver.part_ids().size(), 100u);
  EXPECT_EQ(receiver.counts().parts_duplicate, 0);
  EXPECT_EQ(receiver.counts().posts_stored, 2);
}

TEST_F(UplinkTest, TooManyRequestsIsRetriedNotParked) {
  IngestReceiver receiver;
  receiver.FailNext(3, 429);
  AddParts(1, 10);
  Uplink uplink(outbox_, Options(receiver), Quiet());
  ASSERT_TRUE(Drained(uplink, 10));
  EXPECT_EQ(uplink.stats().parts_parked, 0u);
  EXPECT_EQ(uplink.stats().retries, 3u);
}

TEST_F(UplinkTest, LostAcknowledgementResendsOnlyThatBatch) {
  IngestReceiver receiver;
  AddParts(1, 150, /*images=*/false);
  receiver.DropNext(1, /*after_store=*/true);  // the first POST is stored, its answer cut
  Uplink uplink(outbox_, Options(receiver), Quiet());
  ASSERT_TRUE(Drained(uplink, 150)) << log();
  const auto c = receiver.counts();
  EXPECT_EQ(receiver.part_ids().size(), 150u);
  EXPECT_EQ(c.parts_received, 200);  // the unacknowledged batch came twice ...
  EXPECT_EQ(c.parts_duplicate, 50);  // ... and only that one
  EXPECT_EQ(uplink.stats().retries, 1u);
}

TEST_F(UplinkTest, ServerKilledMidRunAndRestartedLosesNothing) {
  IngestReceiver receiver;
  Uplink uplink(outbox_, Options(receiver), Quiet());
  std::atomic<int> stored{0};
  std::thread producer([&] {  // the line: parts keep coming while the server is away
    for (int chunk = 0; chunk < 60; ++chunk) {
      AddParts(1 + chunk * 10, 10);
      stored += 10;
      uplink.Notify();
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
  });
  ASSERT_TRUE(WaitFor([&] { return receiver.part_ids().size() >= 100; }));
  receiver.Stop();
  const uint64_t retries_before = uplink.stats().retries;
  ASSERT_TRUE(WaitFor([&] { return uplink.stats().retries >= retries_before + 3; }));
  receiver.Start();
  producer.join();
  uplink.Notify();
  ASSERT_TRUE(Drained(uplink, 600)) << log();
  const auto c = receiver.counts();
  EXPECT_EQ(receiver.part_ids().size(), 600u);
  EXPECT_EQ(receiver.image_names().size(), 120u);  // 60 frames and their heatmaps
  EXPECT_EQ(c.parts_missing_image, 0);
  // At most the batch in flight when the server went away is sent twice.
  EXPECT_LE(c.parts_duplicate, 50) << "re-sent parts: " << c.parts_duplicate;
  EXPECT_EQ(outbox_.counts().pending_parts, 0);
}

TEST_F(UplinkTest, PoisonRecordIsParkedAndTheRestDelivered) {
  IngestReceiver receiver;
  AddParts(1, 100, /*images=*/false);
  outbox_.PutEvent(SampleEvent(1'796'000'000'000));
  const std::string poison = PartId("M3", 37);
  receiver.RefusePart(poison);
  Uplink uplink(outbox_, Options(receiver), Quiet());
  ASSERT_TRUE(Drained(uplink, 100)) << log();
  const UplinkStats s = uplink.stats();
  EXPECT_EQ(s.parts_sent, 99u);
  EXPECT_EQ(s.events_sent, 1u);
  EXPECT_EQ(s.parts_parked, 1u);
  EXPECT_EQ(s.parked_parts, 1);
  EXPECT_EQ(s.retries, 0u);
  EXPECT_EQ(receiver.part_ids().size(), 99u);
  EXPECT_EQ(receiver.part_ids().count(poison), 0u);
  EXPECT_EQ(receiver.event_count(), 1u);
  const auto parked = outbox_.RejectedParts(10);
  ASSERT_EQ(parked.size(), 1u);
  EXPECT_EQ(parked[0].first, poison);
  EXPECT_NE(parked[0].second.find("HTTP 400"), std::string::npos) << parked[0].second;
  EXPECT_NE(log().find("part " + poison), std::string::npos) << log();
  EXPECT_EQ(outbox_.counts().rejected_parts, 1);
  EXPECT_TRUE(outbox_.Contains(poison));  // kept, for people to look at
}

// Delivered records leave the outbox keep_sent_ms after delivery (here at once), prune_rows per
// transaction, with the images only they showed; a parked record and its images stay.
TEST_F(UplinkTest, DeliveredRecordsLeaveTheOutboxAfterTheKeep) {
  IngestReceiver receiver;
  AddParts(1, 30);  // rejects 10, 20 and 30, each with a frame and a heatmap
  outbox_.PutEvent(SampleEvent(1'796'000'000'000));
  const std::string poison = PartId("M3", 20);
  receiver.RefusePart(poison);
  UplinkOptions o = Options(receiver);
  o.keep_sent_ms = 0;
  o.prune_every_s = 0.05;
  o.prune_rows = 7;
  Uplink uplink(outbox_, o, Quiet());
  ASSERT_TRUE(Drained(uplink, 30)) << log();
  ASSERT_TRUE(WaitFor([&] { return uplink.stats().records_pruned == 30; }))
      << uplink.stats().records_pruned;  // 29 parts and the event
  const auto c = outbox_.counts();
  EXPECT_EQ(c.parts, 1);
  EXPECT_EQ(c.events, 0);
  EXPECT_EQ(c.images, 2);
  EXPECT_EQ(c.image_bytes, 2000);
  EXPECT_TRUE(outbox_.Contains(poison));
  EXPECT_EQ(receiver.part_ids().size(), 29u);
}

TEST_F(UplinkTest, AServerRefusingEverythingParksOnlyAFewRecords) {
  IngestReceiver receiver;
  AddParts(1, 40, /*images=*/false);
  for (int64_t shot = 1; shot <= 40; ++shot) receiver.RefusePart(PartId("M3", shot));
  Uplink uplink(outbox_, Options(receiver), Quiet());
  ASSERT_TRUE(WaitFor([&] { return uplink.stats().retries >= 3; })) << log();
  uplink.Stop();
  EXPECT_EQ(uplink.stats().parts_parked, 10u);
  EXPECT_EQ(outbox_.counts().pending_parts, 30);
  EXPECT_NE(uplink.stats().last_error.find("refused 11 records in a row"), std::string::npos)
      << uplink.stats().last_error;
}

// Records the server keeps refusing with 400, more than the uplink parks without a success, do
// not keep the valid records behind them from the server; they are parked in later rounds.
TEST_F(UplinkTest, ValidRecordsBehindManyRefusedOnesStillArrive) {
  IngestReceiver receiver;
  AddParts(1, 40, /*images=*/false);
  for (int64_t shot = 1; shot <= 20; ++shot) receiver.RefusePart(PartId("M3", shot));
  Uplink uplink(outbox_, Options(receiver), Quiet());
  ASSERT_TRUE(WaitFor([&] { return receiver.part_ids().size() == 20; })) << log();
  ASSERT_TRUE(WaitFor([&] { return uplink.stats().parts_parked == 20; })) << log();
  EXPECT_EQ(outbox_.counts().pending_parts, 0);
}

// A 409 is the server's word that the record conflicts with one it holds (a repeated shot
// number): each is parked, however many came before, and the line's later parts go through.
TEST_F(UplinkTest, RecordsTheServerHoldsForOtherShotsAreAllParked) {
  IngestReceiver receiver;
  AddParts(1, 40, /*images=*/false);
  for (int64_t shot = 1; shot <= 30; ++shot) receiver.RefusePart(PartId("M3", shot), 409);
  Uplink uplink(outbox_, Options(receiver), Quiet());
  ASSERT_TRUE(Drained(uplink, 40)) << log();
  EXPECT_EQ(uplink.stats().parts_parked, 30u);
  EXPECT_EQ(uplink.stats().parts_sent, 10u);
  EXPECT_EQ(uplink.stats().retries, 0u);
}

TEST_F(UplinkTest, WrongTokenIsRetriedAndReportedNotDropped) {
  IngestReceiver receiver("the-right-token");
  AddParts(1, 20);
  Uplink uplink(outbox_, Options(receiver), Quiet());
  ASSERT_TRUE(WaitFor([&] { return uplink.stats().retries >= 4; }));
  uplink.Stop();
  const UplinkStats s = uplink.stats();
  EXPECT_EQ(s.last_status, 401);
  EXPECT_NE(s.last_error.find("401"), std::string::npos) << s.last_error;
  EXPECT_FALSE(s.connected);
  EXPECT_EQ(s.parts_sent, 0u);
  EXPECT_EQ(s.parts_parked, 0u);
  EXPECT_EQ(outbox_.counts().pending_parts, 20);
  EXPECT_EQ(outbox_.counts().rejected_parts, 0);
  EXPECT_TRUE(receiver.part_ids().empty());
}

// An admin replaced the station's token and copied the new one into its file: the next 401 reads
// it again, and everything goes through without a restart of the station.
TEST_F(UplinkTest, ANewTokenInTheFileIsTakenAtTheNext401) {
  IngestReceiver receiver("the-new-token");
  AddParts(1, 20);
  std::atomic<int> reads{0};
  std::mutex mu;
  std::string file = "the-old-token";
  UplinkOptions o = Options(receiver);
  o.token = "the-old-token";
  o.reload_token = [&] {
    ++reads;
    std::lock_guard lock(mu);
    return file;
  };
  Uplink uplink(outbox_, o, Quiet());
  ASSERT_TRUE(WaitFor([&] { return uplink.stats().retries >= 2 && reads >= 2; })) << log();
  EXPECT_EQ(uplink.stats().parts_sent, 0u);
  {
    std::lock_guard lock(mu);
    file = "the-new-token";
  }
  ASSERT_TRUE(Drained(uplink, 20)) << log();
  EXPECT_EQ(receiver.part_ids().size(), 20u);
  EXPECT_NE(log().find("a new one was found in the token file"), std::string::npos) << log();
}

TEST_F(UplinkTest, StopsPromptlyWhileTheServerHangs) {
  IngestReceiver receiver;
  receiver.HangNext(1000);
  AddParts(1, 20);
  UplinkOptions o = Options(receiver);
  o.timeout_s = 120;  // a hung request would block this long without Stop()'s cancel
  Uplink uplink(outbox_, o, Quiet());
  ASSERT_TRUE(WaitFor([&] { return receiver.counts().hanging >= 1; }));
  const auto t0 = std::chrono::steady_clock::now();
  uplink.Stop();
  const double stop_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_LT(stop_s, 60.0) << "Stop() waited for the read timeout instead of cancelling";
  EXPECT_EQ(outbox_.counts().pending_parts, 20);  // nothing marked sent
  EXPECT_EQ(uplink.stats().parts_sent, 0u);
  uplink.Stop();  // idempotent
}

TEST_F(UplinkTest, MissingImageIsSkippedAndThePartStillSent) {
  IngestReceiver receiver;
  AddParts(1, 20);  // shots 10 and 20 have images
  const auto part = outbox_.Get(PartId("M3", 10));
  ASSERT_TRUE(part && !part->views[0].image.empty());
  std::filesystem::remove(std::filesystem::path(outbox_.image_dir()) / part->views[0].image);
  receiver.FailNext(3);  // retried batches: the missing image is counted once, not per try
  Uplink uplink(outbox_, Options(receiver), Quiet());
  ASSERT_TRUE(Drained(uplink, 20)) << log();
  EXPECT_EQ(uplink.stats().images_missing, 1u);
  EXPECT_EQ(uplink.stats().images_sent, 3u);  // shot 20's frame, both heatmaps
  EXPECT_EQ(receiver.part_ids().size(), 20u);
  EXPECT_EQ(receiver.image_names().count(part->views[0].image), 0u);
  EXPECT_NE(log().find(part->views[0].image), std::string::npos) << log();
}

// Another web server at the uplink's URL ("200 Welcome to nginx"), or a proxy's 413 page for an
// image over its body limit, is not the server's answer: nothing is marked sent or parked, no
// image is given up, and once the server itself answers everything arrives.
TEST_F(UplinkTest, AnotherWebServersAnswerIsNoDeliveryAndNoRefusal) {
  IngestReceiver receiver;
  AddParts(1, 20);  // shots 10 and 20 have images
  receiver.ForeignNext(6, 200);
  {
    Uplink uplink(outbox_, Options(receiver), Quiet());
    ASSERT_TRUE(WaitFor([&] { return uplink.stats().retries >= 6; })) << log();
    uplink.Stop();
    EXPECT_EQ(uplink.stats().parts_sent, 0u);
    EXPECT_EQ(uplink.stats().images_sent, 0u);
    EXPECT_NE(uplink.stats().last_error.find("not a linesight server's answer"), std::string::npos)
        << uplink.stats().last_error;
  }
  EXPECT_EQ(outbox_.counts().pending_parts, 20);
  receiver.ForeignNext(6, 413);
  Uplink uplink(outbox_, Options(receiver), Quiet());
  ASSERT_TRUE(Drained(uplink, 20)) << log();
  EXPECT_EQ(uplink.stats().parts_parked, 0u);
  EXPECT_EQ(uplink.stats().images_missing, 0u) << "a proxy's 413 gives no image up";
  EXPECT_EQ(receiver.part_ids().size(), 20u);
  EXPECT_EQ(receiver.image_names().size(), 4u);
  EXPECT_EQ(receiver.counts().parts_missing_image, 0);
}

// A proxy whose body limit is under the uplink's batches (nginx's client_max_body_size): its 413
// page splits a batch until the halves pass, and parks nothing.
TEST_F(UplinkTest, AProxysBodyLimitSplitsBatchesAndParksNothing) {
  IngestReceiver receiver;
  AddParts(1, 40, /*images=*/false);
  receiver.ProxyBodyLimit(8 << 10);  // a few parts' JSON
  Uplink uplink(outbox_, Options(receiver), Quiet());
  ASSERT_TRUE(Drained(uplink, 40)) << log();
  EXPECT_EQ(uplink.stats().parts_parked, 0u);
  EXPECT_EQ(receiver.part_ids().size(), 40u);
}

TEST_F(UplinkTest, EmptyTokenOrBadUrlIsRefusedUpFront) {
  UplinkOptions o;
  o.url = "http://127.0.0.1:1";
  EXPECT_THROW(Uplink(outbox_, o), Error);
  o.token = "t";
  o.url = "gopher://x";
  EXPECT_THROW(Uplink(outbox_, o), Error);
}

}  // namespace
}  // namespace linesight::station
