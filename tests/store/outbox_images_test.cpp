// Tests the outbox's kept images: content-addressed names, durable files, and retention under
// the cap (pass images go first, then sent reject/hold images; the Put never fails for the cap).
#include <filesystem>

#include <gtest/gtest.h>

#include "core/error.h"
#include "core/sha256.h"
#include "store/outbox_fixture.h"

namespace linesight::store {
namespace {

namespace fs = std::filesystem;
using testing::ImageBytes;
using testing::SamplePart;

class OutboxImagesTest : public testing::OutboxFixture {
 protected:
  OutboxImagesTest() : OutboxFixture(CappedAt3000()) {}

  static OutboxOptions CappedAt3000() {
    OutboxOptions o;
    o.image_cap_bytes = 3000;  // room for three of the 1000-byte images
    return o;
  }
};

TEST_F(OutboxImagesTest, AnImageIsNamedBySha256OfItsBytesAndKeptInTheFolder) {
  const auto bytes = ImageBytes(1);
  const std::string name = PutWithImage(1, Decision::kReject, 1);
  EXPECT_EQ(name, Sha256Hex(bytes) + ".png");
  EXPECT_EQ(Sha256File(fs::path(box_->image_dir()) / name), Sha256Hex(bytes));
  EXPECT_EQ(box_->image_dir(), options_.path + ".images");
  const auto c = box_->counts();
  EXPECT_EQ(c.images, 1);
  EXPECT_EQ(c.image_bytes, 1000);
}

TEST_F(OutboxImagesTest, AHeatmapIsKeptBesideItsFrame) {
  const auto frame = ImageBytes(1), heat = ImageBytes(2);
  ASSERT_TRUE(box_->Put(
      SamplePart(1, Decision::kReject),
      {{"top", ImageBlob{frame, "png"}}, {"top", ImageBlob{heat, "png", ImageRole::kHeatmap}}}));
  const ViewResult v = box_->Get(SamplePart(1).part_id)->views[0];
  EXPECT_EQ(v.image, Sha256Hex(frame) + ".png");
  EXPECT_EQ(v.heatmap, Sha256Hex(heat) + ".png");
  EXPECT_TRUE(OnDisk(v.heatmap));
  EXPECT_EQ(box_->counts().images, 2);
  // Reopening keeps both: the sweep knows the heatmap too.
  box_.reset();
  box_ = std::make_unique<Outbox>(options_);
  EXPECT_TRUE(OnDisk(v.image));
  EXPECT_TRUE(OnDisk(v.heatmap));
}

TEST_F(OutboxImagesTest, TheSameImageTwiceIsOneFile) {
  const std::string a = PutWithImage(1, Decision::kPass, 7);
  const std::string b = PutWithImage(2, Decision::kReject, 7);
  EXPECT_EQ(a, b);
  EXPECT_EQ(box_->counts().images, 1);
  // Shown by a reject now, so it is no longer a pass image the cap may delete.
  for (int shot = 3; shot <= 6; ++shot) PutWithImage(shot, Decision::kPass, shot);
  EXPECT_TRUE(OnDisk(a));
  EXPECT_EQ(box_->Get(SamplePart(1).part_id)->views[0].image, a);
}

TEST_F(OutboxImagesTest, ImagesGoToTheViewTheyName) {
  PartRecord part = SamplePart(1, Decision::kReject);
  part.views.push_back(part.views[0]);
  part.views[1].view = "side";
  const auto top = ImageBytes(1), side = ImageBytes(2);
  ASSERT_TRUE(box_->Put(part, {{"side", ImageBlob{side, "jpg"}}, {"", ImageBlob{top, "png"}}}));
  const auto back = box_->Get(part.part_id);
  EXPECT_EQ(back->views[0].image, Sha256Hex(top) + ".png");
  EXPECT_EQ(back->views[1].image, Sha256Hex(side) + ".jpg");
}

TEST_F(OutboxImagesTest, OverTheCapTheOldestPassImageGoesFirst) {
  const std::string reject = PutWithImage(1, Decision::kReject, 1);
  const std::string pass1 = PutWithImage(2, Decision::kPass, 2);
  const std::string pass2 = PutWithImage(3, Decision::kPass, 3);
  const std::string pass3 = PutWithImage(4, Decision::kPass, 4);  // over the cap: pass1 goes
  EXPECT_FALSE(OnDisk(pass1));
  EXPECT_TRUE(OnDisk(reject));
  EXPECT_TRUE(OnDisk(pass2));
  EXPECT_TRUE(OnDisk(pass3));
  EXPECT_EQ(box_->Get(SamplePart(2).part_id)->views[0].image, "");  // the record says it is gone
  EXPECT_EQ(box_->Get(SamplePart(1).part_id)->views[0].image, reject);
  const std::string hold = PutWithImage(5, Decision::kHold, 5);  // pass2 goes, not the reject
  EXPECT_FALSE(OnDisk(pass2));
  EXPECT_TRUE(OnDisk(reject));
  EXPECT_TRUE(OnDisk(hold));
  const auto c = box_->counts();
  EXPECT_EQ(c.images, 3);
  EXPECT_EQ(c.image_bytes, 3000);
  EXPECT_EQ(c.images_dropped, 0);
}

// A heatmap the cap deletes is gone from its record too, as a frame is: no record names a file
// that is not there (the uplink would send a name the server never gets the file of).
TEST_F(OutboxImagesTest, AHeatmapDeletedUnderTheCapIsGoneFromItsRecord) {
  const auto frame = ImageBytes(1), heat = ImageBytes(2);
  ASSERT_TRUE(box_->Put(
      SamplePart(1, Decision::kPass),
      {{"top", ImageBlob{frame, "png"}}, {"top", ImageBlob{heat, "png", ImageRole::kHeatmap}}}));
  PutWithImage(2, Decision::kPass, 3);
  PutWithImage(3, Decision::kPass, 4);  // over the cap: part 1's frame goes,
  PutWithImage(4, Decision::kPass, 5);  // then its heatmap
  const ViewResult v = box_->Get(SamplePart(1).part_id)->views[0];
  EXPECT_EQ(v.image, "");
  EXPECT_EQ(v.heatmap, "");
  EXPECT_FALSE(OnDisk(Sha256Hex(heat) + ".png"));
}

TEST_F(OutboxImagesTest, UnsentRejectImagesAreNeverDeletedSoTheNewImageIsDropped) {
  const std::string r1 = PutWithImage(1, Decision::kReject, 1);
  PutWithImage(2, Decision::kReject, 2);
  PutWithImage(3, Decision::kHold, 3);
  // No pass image, nothing sent: the new image is dropped, the part is still stored.
  EXPECT_EQ(PutWithImage(4, Decision::kReject, 4), "");
  EXPECT_TRUE(box_->Contains(SamplePart(4).part_id));
  EXPECT_EQ(box_->counts().images_dropped, 1);
  EXPECT_TRUE(OnDisk(r1));
  // Once the first reject is sent, its image may make room.
  const std::vector<std::string> sent = {SamplePart(1).part_id};
  box_->MarkPartsSent(sent);
  const std::string r5 = PutWithImage(5, Decision::kReject, 5);
  EXPECT_NE(r5, "");
  EXPECT_FALSE(OnDisk(r1));
  EXPECT_EQ(box_->Get(SamplePart(1).part_id)->views[0].image, "");
  EXPECT_EQ(box_->counts().images, 3);
}

TEST_F(OutboxImagesTest, AnImageLargerThanTheCapIsDroppedNotFailed) {
  const auto big = ImageBytes(1, 5000);
  EXPECT_TRUE(box_->Put(SamplePart(1, Decision::kReject), {{"top", ImageBlob{big, "png"}}}));
  EXPECT_EQ(box_->Get(SamplePart(1).part_id)->views[0].image, "");
  EXPECT_EQ(box_->counts().images, 0);
  EXPECT_EQ(box_->counts().images_dropped, 1);
}

TEST_F(OutboxImagesTest, FilesTheDatabaseDoesNotKnowAreSweptOnOpen) {
  const std::string kept = PutWithImage(1, Decision::kReject, 1);
  box_.reset();
  const fs::path folder = options_.path + ".images";
  const std::string orphan = std::string(64, 'a') + ".png";
  linesight::testing::WriteFile(folder / orphan, "left by a killed process");
  linesight::testing::WriteFile(folder / "notes.txt", "not ours: never deleted");
  linesight::testing::WriteFile(folder / (".tmp-" + kept), "half written");
  box_ = std::make_unique<Outbox>(options_);
  EXPECT_TRUE(OnDisk(kept));
  EXPECT_FALSE(OnDisk(orphan));
  EXPECT_TRUE(OnDisk("notes.txt"));
  EXPECT_FALSE(OnDisk(".tmp-" + kept));
}

}  // namespace
}  // namespace linesight::store

namespace linesight::store {
namespace {

// The station stores a part before its images (they are encoded after the PLC has the result).
class OutboxImagesAfterTest : public testing::OutboxFixture {
 protected:
  OutboxImagesAfterTest() : OutboxFixture(OutboxOptions{}) {}
};

TEST_F(OutboxImagesAfterTest, APartStoredBeforeItsImagesWaitsForThemToGoUplink) {
  PartRecord part = SamplePart(1, Decision::kReject);
  ASSERT_TRUE(box_->PutBeforeImages(part, nullptr));
  EXPECT_TRUE(box_->Contains(part.part_id)) << "stored: the PLC may read its result";
  EXPECT_TRUE(box_->PendingParts(10).empty()) << "not sent without its images";
  EXPECT_EQ(box_->counts().pending_parts, 1) << "but counted as waiting to go";
  EXPECT_FALSE(box_->PutBeforeImages(part, nullptr)) << "a part id is stored once";

  const auto frame = ImageBytes(1), heat = ImageBytes(2);
  box_->AttachImages(part.part_id, {{"top", ImageBlob{frame, "png"}},
                                    {"top", ImageBlob{heat, "png", ImageRole::kHeatmap}}});
  const auto pending = box_->PendingParts(10);
  ASSERT_EQ(pending.size(), 1u);
  EXPECT_EQ(pending[0].views[0].image, Sha256Hex(frame) + ".png");
  EXPECT_EQ(pending[0].views[0].heatmap, Sha256Hex(heat) + ".png");
  EXPECT_TRUE(OnDisk(pending[0].views[0].image));
  EXPECT_EQ(box_->counts().images, 2);
  // Once let go, a part takes no images any more (nor does one never stored).
  box_->AttachImages(part.part_id, {{"top", ImageBlob{ImageBytes(3), "png"}}});
  box_->AttachImages("M9-000000001", {{"top", ImageBlob{ImageBytes(4), "png"}}});
  EXPECT_EQ(box_->counts().images, 2);
}

TEST_F(OutboxImagesAfterTest, APartWhoseImagesNeverCameGoesUpAtTheNextOpen) {
  PartRecord part = SamplePart(1, Decision::kPass);
  ASSERT_TRUE(box_->PutBeforeImages(part, nullptr));
  box_.reset();  // the station was killed before it kept the images
  box_ = std::make_unique<Outbox>(options_);
  const auto pending = box_->PendingParts(10);
  ASSERT_EQ(pending.size(), 1u);
  EXPECT_TRUE(pending[0].views[0].image.empty());
}

TEST_F(OutboxImagesAfterTest, ReleasingThoseWaitingLetsThemGoWithoutImages) {
  PartRecord part = SamplePart(1, Decision::kPass);
  box_->ReleaseImagesToCome();  // none waiting: nothing to do
  ASSERT_TRUE(box_->PutBeforeImages(part, nullptr));
  box_->ReleaseImagesToCome();
  ASSERT_EQ(box_->PendingParts(10).size(), 1u);
  EXPECT_EQ(box_->counts().pending_parts, 1) << "counted once";
  box_->MarkPartsSent(std::vector<std::string>{part.part_id});
  EXPECT_EQ(box_->counts().pending_parts, 0);
}

TEST_F(OutboxImagesAfterTest, ImagesThatCannotBeKeptLetThePartGoWithoutThem) {
  PartRecord part = SamplePart(1, Decision::kReject);
  ASSERT_TRUE(box_->PutBeforeImages(part, nullptr));
  // An image naming a view the part lacks is refused, and none of the images is kept.
  EXPECT_THROW(box_->AttachImages(part.part_id, {{"top", ImageBlob{ImageBytes(1), "png"}},
                                                 {"side", ImageBlob{ImageBytes(2), "png"}}}),
               Error);
  const auto pending = box_->PendingParts(10);
  ASSERT_EQ(pending.size(), 1u) << "the record goes up all the same";
  EXPECT_TRUE(pending[0].views[0].image.empty());
  EXPECT_EQ(box_->counts().images, 0);
}

}  // namespace
}  // namespace linesight::store
