#include "inspect/overlay.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <opencv2/imgproc.hpp>

#include "core/error.h"
#include "inspect/trainer.h"
#include "sim/part_renderer.h"
#include "testing/test_util.h"

namespace linesight {
namespace {

using testing::Caught;

// Pixels of `picture` within `tolerance` of `bgr` in every channel.
int CountColour(const cv::Mat& picture, const cv::Scalar& bgr, int tolerance = 30) {
  cv::Mat hit;
  cv::inRange(picture, cv::Scalar(bgr[0] - tolerance, bgr[1] - tolerance, bgr[2] - tolerance),
              cv::Scalar(bgr[0] + tolerance, bgr[1] + tolerance, bgr[2] + tolerance), hit);
  return cv::countNonZero(hit);
}

// Pixels tinted towards the ignored regions' blue (B - R >= 15: the hatch's lightest tint gives
// 18); a grey frame has none, whatever its brightness.
int CountBlueTinted(const cv::Mat& picture) {
  cv::Mat bgr[3], tint;
  cv::split(picture, bgr);
  cv::subtract(bgr[0], bgr[2], tint);  // saturates at 0 where red is stronger
  return cv::countNonZero(tint >= 15);
}

// The colours overlay.cpp draws with (BGR).
const cv::Scalar kFinding(40, 40, 235), kTruth(255, 60, 255), kSearch(0, 215, 255),
    kTried(0, 130, 255);

OverlayOptions FrameOnly(int max_side = 1024) {
  OverlayOptions o;
  o.max_side = max_side;
  o.banner = false;
  o.legend = false;
  return o;
}

// A model of rendered good parts whose recipe ignores the bore, shared by the tests below.
class OverlayTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    Recipe recipe = DefaultRecipe();
    RecipeRegion bore;
    bore.name = "bore";
    bore.is_ring = true;
    bore.r0 = 0;
    bore.r1 = 0.16;
    bore.sensitivity = 0;
    recipe.regions.push_back(bore);
    std::vector<cv::Mat> images;
    std::vector<std::string> names;
    for (uint64_t seed = 1; seed <= 16; ++seed) {
      images.push_back(sim::PartRenderer().Render(seed).image);
      names.push_back("good_" + std::to_string(seed));
    }
    model_ = new InspectionModel(TrainFromImages(recipe, images, names, TrainOptions()));
  }
  static void TearDownTestSuite() {
    delete model_;
    model_ = nullptr;
  }
  static sim::RenderedPart Defective(uint64_t seed, sim::DefectType type, int size = 300) {
    sim::RenderOptions o;
    o.size = size;
    return sim::PartRenderer(o).Render(seed, std::span<const sim::DefectType>(&type, 1));
  }
  static InspectionModel* model_;
};

InspectionModel* OverlayTest::model_ = nullptr;

TEST(MergeBoxesTest, MergesOverlappingAndNearBoxesTransitively) {
  // a and b overlap, c is 2 px right of b, d is far away, e is empty.
  const std::vector<cv::Rect> boxes = {
      {0, 0, 10, 10}, {8, 8, 10, 10}, {20, 8, 5, 5}, {100, 100, 4, 4}, {50, 50, 0, 7}};
  const std::vector<cv::Rect> merged = MergeBoxes(boxes, 3);
  ASSERT_EQ(merged.size(), 2u);
  EXPECT_EQ(merged[0], cv::Rect(0, 0, 25, 18));
  EXPECT_EQ(merged[1], cv::Rect(100, 100, 4, 4));
  EXPECT_EQ(MergeBoxes(boxes, 2).size(), 3u) << "2 px apart is not less than 2";
  EXPECT_EQ(MergeBoxes(boxes, 0).size(), 3u);
  EXPECT_TRUE(MergeBoxes({}, 3).empty());
}

TEST(OverlayScaleTest, ShrinksOnlyLargeFrames) {
  EXPECT_DOUBLE_EQ(OverlayScale({2400, 1200}, 1024), 1024.0 / 2400);
  EXPECT_DOUBLE_EQ(OverlayScale({300, 300}, 1024), 1.0);
  EXPECT_DOUBLE_EQ(OverlayScale({5000, 5000}, 0), 1.0);
}

TEST_F(OverlayTest, RejectShowsBannerLegendAndBoxes) {
  const Inspector inspector(*model_);
  Workspace ws;
  const sim::RenderedPart part = Defective(7101, sim::DefectType::kBlowHole);
  const Verdict v = inspector.Inspect(part.image, ws);
  ASSERT_EQ(v.decision, Decision::kReject);
  const cv::Mat picture = DrawOverlay(inspector, part.image, v, ws);
  EXPECT_EQ(picture.type(), CV_8UC3);
  EXPECT_GE(picture.cols, part.image.cols);
  EXPECT_GT(picture.rows, part.image.rows + 40) << "banner and legend strips";
  // The banner is the reject colour at its top-left corner.
  const cv::Vec3b corner = picture.at<cv::Vec3b>(1, 1);
  EXPECT_GT(corner[2], 150);
  EXPECT_LT(corner[1], 80);

  const cv::Mat frame = DrawOverlay(inspector, part.image, v, ws, FrameOnly());
  EXPECT_EQ(frame.size(), part.image.size()) << "without strips, the frame alone at full size";
  EXPECT_GT(CountColour(frame, kFinding, 20), 20) << "finding box drawn";
}

TEST_F(OverlayTest, IgnoredRegionIsHatched) {
  const Inspector inspector(*model_);
  Workspace ws;
  const sim::RenderedPart part = sim::PartRenderer().Render(5001);
  const Verdict v = inspector.Inspect(part.image, ws);
  ASSERT_NE(v.decision, Decision::kHold);
  const cv::Mat frame = DrawOverlay(inspector, part.image, v, ws, FrameOnly());
  // Around the part's centre (the ignored bore) the grey frame is tinted, elsewhere not.
  const cv::Point c(static_cast<int>(ws.pose.centre.x), static_cast<int>(ws.pose.centre.y));
  const cv::Mat bore = frame(cv::Rect(c.x - 8, c.y - 8, 16, 16));
  EXPECT_GT(CountBlueTinted(bore), 20);
  const cv::Mat corner = frame(cv::Rect(0, 0, 16, 16));
  EXPECT_EQ(CountBlueTinted(corner), 0);
}

TEST_F(OverlayTest, LargeFrameIsScaledWithVisibleMarks) {
  // The model learned parts 4x smaller and would hold this frame as from another camera
  // (InspectorTest.APartSeenAtAnotherResolutionIsHeldNotJudged); this draws a large frame.
  InspectionModel any_scale = *model_;
  any_scale.scale_min = any_scale.scale_max = 0;
  const Inspector inspector(any_scale);
  Workspace ws;
  const sim::RenderedPart part = Defective(7102, sim::DefectType::kBlowHole, 1200);
  const Verdict v = inspector.Inspect(part.image, ws);
  ASSERT_NE(v.decision, Decision::kHold) << v.detail;
  const cv::Mat frame = DrawOverlay(inspector, part.image, v, ws, FrameOnly(400));
  EXPECT_EQ(frame.size(), cv::Size(400, 400));
  if (v.decision == Decision::kReject) {
    EXPECT_GT(CountColour(frame, kFinding, 20), 10);
  }
  const cv::Mat full = DrawOverlay(inspector, part.image, v, ws, FrameOnly(0));
  EXPECT_EQ(full.size(), part.image.size());
}

TEST_F(OverlayTest, TruthMaskIsOutlinedAndMustFitTheFrame) {
  const Inspector inspector(*model_);
  Workspace ws;
  const sim::RenderedPart part = Defective(7103, sim::DefectType::kCrack);
  const Verdict v = inspector.Inspect(part.image, ws);
  OverlayOptions o = FrameOnly();
  o.truth_mask = part.mask;
  EXPECT_GT(CountColour(DrawOverlay(inspector, part.image, v, ws, o), kTruth, 20), 10);
  o.truth_mask = cv::Mat(10, 10, CV_8UC1, cv::Scalar(255));
  EXPECT_EQ(Caught([&] { (void)DrawOverlay(inspector, part.image, v, ws, o); }).category(),
            ErrorCategory::kInput);
  const cv::Mat colour(part.image.size(), CV_8UC3, cv::Scalar(0, 0, 0));
  EXPECT_EQ(Caught([&] { (void)DrawOverlay(inspector, colour, v, ws); }).category(),
            ErrorCategory::kInput);
}

TEST_F(OverlayTest, HeldPartShowsTheSearchAndNotTheLastFrame) {
  const Inspector inspector(*model_);
  Workspace ws;
  // A reject first, so that the hold's picture could show stale boxes if it were wrong.
  const sim::RenderedPart part = Defective(7101, sim::DefectType::kBlowHole);
  ASSERT_EQ(inspector.Inspect(part.image, ws).decision, Decision::kReject);
  // The part at 60% of its size: the locator sees its rim but refuses the size.
  const cv::Mat small_part(part.image.size(), CV_8UC1, part.image.at<uint8_t>(2, 2));
  cv::Mat shrunk;
  cv::resize(sim::PartRenderer().Render(5002).image, shrunk, cv::Size(), 0.6, 0.6, cv::INTER_AREA);
  shrunk.copyTo(small_part(cv::Rect(60, 60, shrunk.cols, shrunk.rows)));
  const Verdict v = inspector.Inspect(small_part, ws);
  ASSERT_EQ(v.decision, Decision::kHold);
  ASSERT_EQ(v.reason, HoldReason::kPartNotFound);
  const cv::Mat frame = DrawOverlay(inspector, small_part, v, ws, FrameOnly());
  EXPECT_GT(CountColour(frame, kSearch, 30), 50) << "search region drawn";
  EXPECT_GT(CountColour(frame, kTried, 30), 50) << "rejected rim drawn";
  EXPECT_EQ(CountColour(frame, kFinding, 20), 0) << "no box of the previous frame";

  // A frame with no part at all: the search region, no edges, no circle; the banner says hold.
  const cv::Mat flat(200, 240, CV_8UC1, cv::Scalar(90));
  const Verdict h = inspector.Inspect(flat, ws);
  ASSERT_EQ(h.decision, Decision::kHold);
  const cv::Mat empty = DrawOverlay(inspector, flat, h, ws, FrameOnly());
  EXPECT_EQ(empty.size(), flat.size());
  EXPECT_GT(CountColour(empty, kSearch, 30), 50);
  EXPECT_EQ(CountColour(empty, kTried, 30), 0);
  const cv::Mat picture = DrawOverlay(inspector, flat, h, ws);
  EXPECT_GE(picture.cols, 360) << "narrow frames are padded so the text fits";
  const cv::Vec3b corner = picture.at<cv::Vec3b>(1, 1);
  EXPECT_GT(corner[2], 150);  // amber
  EXPECT_GT(corner[1], 80);
}

}  // namespace
}  // namespace linesight
