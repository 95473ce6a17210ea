#include "vision/part_locator.h"

#include <cmath>
#include <string>

#include <gtest/gtest.h>
#include <opencv2/imgproc.hpp>

#include "sim/part_renderer.h"
#include "vision/exposure.h"

namespace linesight {
namespace {

cv::Point2d Apply(const cv::Matx23d& m, cv::Point2d p) {
  return {m(0, 0) * p.x + m(0, 1) * p.y + m(0, 2), m(1, 0) * p.x + m(1, 1) * p.y + m(1, 2)};
}

void ExpectLocated(const PartPose& pose, const sim::RenderedPart& part, const LocateOptions& o,
                   const std::string& what) {
  ASSERT_TRUE(pose.found) << what << ": " << pose.failure;
  EXPECT_TRUE(pose.failure.empty()) << what;
  EXPECT_LT(cv::norm(pose.centre - part.centre), 2.0)
      << what << ": found " << pose.centre << ", true " << part.centre;
  EXPECT_NEAR(pose.radius / part.radius, 1.0, 0.03)
      << what << ": found " << pose.radius << ", true " << part.radius;
  EXPECT_GE(pose.rim_support, o.min_rim_support) << what;
  EXPECT_LE(pose.rim_support, 1.0) << what;
  // The transform puts the true centre at the canvas centre and the rim on the canvas radius.
  const cv::Point2d c = Apply(pose.image_to_canvas, part.centre);
  EXPECT_NEAR(c.x, o.canvas / 2.0, 2.0 * pose.scale + 0.5) << what;
  EXPECT_NEAR(c.y, o.canvas / 2.0, 2.0 * pose.scale + 0.5) << what;
  EXPECT_NEAR(pose.scale, o.canvas_radius * o.canvas / pose.radius, 1e-6) << what;
  const cv::Point2d rim = Apply(pose.image_to_canvas, part.centre + cv::Point2d(part.radius, 0));
  EXPECT_NEAR(cv::norm(rim - c), o.canvas_radius * o.canvas, 0.035 * o.canvas_radius * o.canvas)
      << what;
}

TEST(PartLocatorTest, FindsRenderedPartsAcrossSeeds) {
  const sim::PartRenderer renderer;  // 300 px, shifted, scaled, rotated, lit differently per seed
  const LocateOptions o;
  for (uint64_t seed : {1u, 2u, 3u, 7u, 11u, 42u, 99u, 1234u, 7767517u, 31337u}) {
    const sim::RenderedPart part = renderer.Render(seed);
    ExpectLocated(LocatePart(part.image, o), part, o, "seed " + std::to_string(seed));
  }
}

TEST(PartLocatorTest, FindsDefectiveParts) {
  const sim::PartRenderer renderer;
  const LocateOptions o;
  uint64_t seed = 500;
  for (sim::DefectType type : sim::AllDefectTypes()) {
    const sim::RenderedPart part =
        renderer.Render(++seed, std::span<const sim::DefectType>(&type, 1));
    ExpectLocated(LocatePart(part.image, o), part, o, std::string(sim::DefectName(type)));
  }
}

TEST(PartLocatorTest, OtherImageSizesAndCanvas) {
  sim::RenderOptions ro;
  ro.size = 213;  // awkward size
  ro.max_shift_px = 20;
  const sim::PartRenderer renderer(ro);
  LocateOptions o;
  o.canvas = 160;
  for (uint64_t seed : {5u, 6u, 8u}) {
    const sim::RenderedPart part = renderer.Render(seed);
    ExpectLocated(LocatePart(part.image, o), part, o, "213px seed " + std::to_string(seed));
  }
  ro.size = 480;
  ro.part_radius = 0.3;
  const sim::PartRenderer big(ro);
  const sim::RenderedPart part = big.Render(17);
  ExpectLocated(LocatePart(part.image, o), part, o, "480px");
}

TEST(PartLocatorTest, LargeFramesAreSearchedAtAWorkingResolution) {
  // A high-resolution camera sees soft edges many pixels wide: a 300 px part enlarged 6x and
  // blurred. The search runs on a copy shrunk to 512 px and must give the pose of the 300 px
  // frame, enlarged (within one 300 px pixel).
  const double k = 6;
  const LocateOptions o;
  for (uint64_t seed : {3u, 4u, 5u}) {
    const sim::RenderedPart part = sim::PartRenderer().Render(seed);
    cv::Mat big;
    cv::resize(part.image, big, cv::Size(), k, k, cv::INTER_CUBIC);
    cv::GaussianBlur(big, big, cv::Size(0, 0), 0.5 * k);  // optics blur at the larger scale
    const PartPose small = LocatePart(part.image, o), pose = LocatePart(big, o);
    const std::string what = "seed " + std::to_string(seed);
    ASSERT_TRUE(small.found) << what << ": " << small.failure;
    ASSERT_TRUE(pose.found) << what << ": " << pose.failure;
    const cv::Point2d expected = (small.centre + cv::Point2d(0.5, 0.5)) * k - cv::Point2d(0.5, 0.5);
    EXPECT_LT(cv::norm(pose.centre - expected), k)
        << what << ": " << pose.centre << " vs " << expected;
    EXPECT_NEAR(pose.radius / (small.radius * k), 1.0, 0.01) << what;
    EXPECT_NEAR(pose.radius_fraction, small.radius_fraction, 0.005) << what;
    EXPECT_NEAR(pose.scale * k, small.scale, 0.01 * small.scale) << what;
  }
}

TEST(PartLocatorTest, IsDeterministic) {
  const sim::RenderedPart part = sim::PartRenderer().Render(21);
  const LocateOptions o;
  const PartPose a = LocatePart(part.image, o), b = LocatePart(part.image, o);
  ASSERT_TRUE(a.found);
  EXPECT_EQ(a.centre, b.centre);
  EXPECT_EQ(a.radius, b.radius);
  EXPECT_EQ(cv::norm(cv::Mat(a.image_to_canvas), cv::Mat(b.image_to_canvas), cv::NORM_INF), 0);
}

TEST(PartLocatorTest, UniformImageIsNotFound) {
  for (int level : {0, 128, 255}) {
    const cv::Mat grey(300, 300, CV_8UC1, cv::Scalar(level));
    const PartPose pose = LocatePart(grey, LocateOptions());
    EXPECT_FALSE(pose.found) << level;
    EXPECT_FALSE(pose.failure.empty()) << level;
  }
}

TEST(PartLocatorTest, NoiseAloneIsNotFound) {
  cv::Mat noise(300, 300, CV_8UC1);
  cv::RNG rng(7767517);
  rng.fill(noise, cv::RNG::NORMAL, 128, 3);
  const PartPose pose = LocatePart(noise, LocateOptions());
  EXPECT_FALSE(pose.found);
  EXPECT_FALSE(pose.failure.empty());
}

TEST(PartLocatorTest, PartMostlyOutOfViewIsNotFound) {
  const sim::RenderedPart part = sim::PartRenderer().Render(3);
  const LocateOptions o;
  // Move the part so that its centre lands near a corner, or past an edge; the background
  // (a corner pixel of the render) fills what comes into view.
  const cv::Scalar background(part.image.at<uint8_t>(0, 0));
  for (cv::Point2d shift :
       {cv::Point2d(170, 0), cv::Point2d(-170, -170), cv::Point2d(0, 200), cv::Point2d(150, 150)}) {
    cv::Mat moved;
    const cv::Matx23d m(1, 0, shift.x, 0, 1, shift.y);
    cv::warpAffine(part.image, moved, cv::Mat(m), part.image.size(), cv::INTER_NEAREST,
                   cv::BORDER_CONSTANT, background);
    const PartPose pose = LocatePart(moved, o);
    EXPECT_FALSE(pose.found) << "shift " << shift << ": found at " << pose.centre << " r "
                             << pose.radius;
    if (!pose.found) {
      EXPECT_FALSE(pose.failure.empty());
    }
  }
}

TEST(PartLocatorTest, RimCutByTheFrameIsNotFoundAndSaysWhere) {
  const sim::RenderedPart part = sim::PartRenderer().Render(3);
  const LocateOptions o;
  const cv::Scalar background(part.image.at<uint8_t>(0, 0));
  const double gap_right = part.image.cols - 0.5 - (part.centre.x + part.radius);
  const double gap_top = part.centre.y - part.radius + 0.5;
  struct Case {
    cv::Point2d shift;
    const char* edge;
    double cut;  // px the rim leaves the frame by
  };
  for (const Case& c : {Case{{gap_right + 12, 0}, "right", 12}, Case{{0, -gap_top - 20}, "top", 20},
                        Case{{gap_right + 4, 0}, "right", 4}}) {
    cv::Mat moved;
    cv::warpAffine(part.image, moved, cv::Mat(cv::Matx23d(1, 0, c.shift.x, 0, 1, c.shift.y)),
                   part.image.size(), cv::INTER_LINEAR, cv::BORDER_CONSTANT, background);
    const PartPose pose = LocatePart(moved, o);
    EXPECT_FALSE(pose.found) << c.edge << " " << c.cut;
    EXPECT_NEAR(pose.cut_off_px, c.cut, 2.5) << pose.failure;
    EXPECT_STREQ(pose.cut_edge, c.edge) << pose.failure;
    EXPECT_NE(pose.failure.find(std::string(c.edge) + " edge"), std::string::npos) << pose.failure;
  }
  // Wholly in view, a pixel from the edge: found.
  cv::Mat moved;
  cv::warpAffine(part.image, moved, cv::Mat(cv::Matx23d(1, 0, gap_right - 1.5, 0, 1, 0)),
                 part.image.size(), cv::INTER_LINEAR, cv::BORDER_CONSTANT, background);
  const PartPose pose = LocatePart(moved, o);
  EXPECT_TRUE(pose.found) << pose.failure;
  EXPECT_EQ(pose.cut_off_px, 0);
}

TEST(PartLocatorTest, StripFarLongerThanWideIsNotFoundWithAReason) {
  // Shrinking its long side to the rough search's 128 px would leave no width at all.
  for (cv::Size size : {cv::Size(32, 8200), cv::Size(8200, 32), cv::Size(2000, 20)}) {
    const PartPose pose = LocatePart(cv::Mat(size, CV_8UC1, cv::Scalar(90)), LocateOptions());
    EXPECT_FALSE(pose.found) << size;
    EXPECT_NE(pose.failure.find("64 times as long"), std::string::npos) << pose.failure;
  }
  // The same through a narrow region of interest in a normal frame.
  LocateOptions o;
  o.roi = cv::Rect2d(0, 0.4, 1, 0.01);
  const PartPose pose = LocatePart(cv::Mat(2000, 2000, CV_8UC1, cv::Scalar(90)), o);
  EXPECT_FALSE(pose.found);
  EXPECT_NE(pose.failure.find("64 times as long"), std::string::npos) << pose.failure;
}

TEST(PartLocatorTest, TinyRoiIsRefusedWithAReason) {
  const sim::RenderedPart part = sim::PartRenderer().Render(4);
  LocateOptions o;
  o.roi = {0.5, 0.5, 0.04, 0.04};  // 12 x 12 pixels
  PartPose pose = LocatePart(part.image, o);
  EXPECT_FALSE(pose.found);
  EXPECT_NE(pose.failure.find("16x16"), std::string::npos) << pose.failure;
  o.roi = {1.2, 1.2, 0.5, 0.5};  // outside the image
  pose = LocatePart(part.image, o);
  EXPECT_FALSE(pose.found);
  // Small image.
  const cv::Mat small(10, 10, CV_8UC1, cv::Scalar(9));
  EXPECT_FALSE(LocatePart(small, LocateOptions()).found);
}

TEST(PartLocatorTest, RadiusRangeIsEnforced) {
  const sim::RenderedPart part = sim::PartRenderer().Render(9);  // radius ~0.4 of the image
  LocateOptions o;
  o.min_radius = 0.05;
  o.max_radius = 0.25;  // the part is larger than allowed
  const PartPose pose = LocatePart(part.image, o);
  // Either nothing, or an inner ring of the part: never a circle outside the range.
  if (pose.found) {
    EXPECT_LE(pose.radius, 0.25 * 300 + 1) << pose.radius;
    EXPECT_GE(pose.radius, 0.05 * 300 - 1) << pose.radius;
    EXPECT_LT(pose.radius, 0.8 * part.radius);
  }
  o.min_radius = 0.45;  // the part is smaller than allowed
  o.max_radius = 0.55;
  EXPECT_FALSE(LocatePart(part.image, o).found);
}

TEST(PartLocatorTest, DiscInRoiReportsImageCoordinates) {
  // The part sits in the right half of a wide frame; the ROI selects that half.
  const sim::RenderedPart part = sim::PartRenderer().Render(12);
  cv::Mat wide(300, 600, CV_8UC1, cv::Scalar(part.image.at<uint8_t>(0, 0)));
  part.image.copyTo(wide(cv::Rect(300, 0, 300, 300)));
  LocateOptions o;
  o.roi = {0.5, 0, 0.5, 1};
  const PartPose pose = LocatePart(wide, o);
  ASSERT_TRUE(pose.found) << pose.failure;
  EXPECT_LT(cv::norm(pose.centre - (part.centre + cv::Point2d(300, 0))), 2.0) << pose.centre;
}

TEST(PartLocatorTest, PartCentreLandsWhereRingToolsCentreTheirRings) {
  // RingResidual (and the rings cell layout) centre their rings on the middle of the canvas's
  // pixel grid, ((canvas - 1) / 2, (canvas - 1) / 2); the located part must sit there too.
  const sim::RenderedPart part = sim::PartRenderer().Render(1);
  for (int canvas : {256, 255}) {
    LocateOptions o;
    o.canvas = canvas;
    const PartPose pose = LocatePart(part.image, o);
    ASSERT_TRUE(pose.found) << pose.failure;
    const cv::Point2d c = Apply(pose.image_to_canvas, pose.centre);
    const double grid_centre = (canvas - 1) / 2.0;
    // Half a pixel off (canvas / 2) would make each one-pixel ring cell mix radii 0.5 px apart
    // from one side of the part to the other.
    EXPECT_NEAR(c.x, grid_centre, 1e-6) << "canvas " << canvas;
    EXPECT_NEAR(c.y, grid_centre, 1e-6) << "canvas " << canvas;
  }
}

TEST(PartLocatorTest, MethodNoneMapsTheRoiOntoTheCanvasExactly) {
  const cv::Mat image(240, 320, CV_8UC1, cv::Scalar(0));  // content is irrelevant
  LocateOptions o;
  o.method = LocateMethod::kNone;
  o.canvas = 128;
  o.roi = {0.25, 0.125, 0.5, 0.75};  // x 80..240, y 30..210
  const PartPose pose = LocatePart(image, o);
  ASSERT_TRUE(pose.found) << pose.failure;
  const cv::Point2d tl = Apply(pose.image_to_canvas, {80, 30});
  const cv::Point2d br = Apply(pose.image_to_canvas, {240, 210});
  EXPECT_DOUBLE_EQ(tl.x, 0);
  EXPECT_DOUBLE_EQ(tl.y, 0);
  EXPECT_DOUBLE_EQ(br.x, 128);
  EXPECT_DOUBLE_EQ(br.y, 128);
  EXPECT_DOUBLE_EQ(pose.image_to_canvas(0, 1), 0);
  EXPECT_DOUBLE_EQ(pose.image_to_canvas(1, 0), 0);
  EXPECT_DOUBLE_EQ(pose.centre.x, 160);
  EXPECT_DOUBLE_EQ(pose.centre.y, 120);

  // The whole frame by default: warping puts image corners on canvas corners.
  o.roi = {0, 0, 1, 1};
  cv::Mat ramp(240, 320, CV_8UC1);
  for (int y = 0; y < ramp.rows; ++y)
    for (int x = 0; x < ramp.cols; ++x)
      ramp.at<uint8_t>(y, x) = static_cast<uint8_t>(x * 255 / 319);
  const PartPose full = LocatePart(ramp, o);
  ASSERT_TRUE(full.found);
  EXPECT_DOUBLE_EQ(Apply(full.image_to_canvas, {320, 240}).x, 128);
  EXPECT_DOUBLE_EQ(Apply(full.image_to_canvas, {320, 240}).y, 128);
  cv::Mat canvas;
  cv::warpAffine(ramp, canvas, cv::Mat(full.image_to_canvas), cv::Size(128, 128), cv::INTER_LINEAR,
                 cv::BORDER_REPLICATE);
  EXPECT_LE(canvas.at<uint8_t>(64, 0), 2);
  EXPECT_GE(canvas.at<uint8_t>(64, 127), 250);
}

TEST(PartLocatorTest, RadiusFractionIsRadiusOverTheRoisShortSide) {
  const sim::RenderedPart part = sim::PartRenderer().Render(14);
  const PartPose pose = LocatePart(part.image, LocateOptions());
  ASSERT_TRUE(pose.found) << pose.failure;
  EXPECT_NEAR(pose.radius_fraction, pose.radius / 300.0, 1e-9);
  EXPECT_NEAR(pose.radius_fraction, part.radius / 300.0, 0.03 * part.radius / 300.0);

  // A 600 x 400 frame whose ROI (the right half) is 300 wide and 400 tall: the fraction is of
  // the ROI's short side (300), neither the frame's (400) nor the ROI's long side.
  cv::Mat frame(400, 600, CV_8UC1, cv::Scalar(part.image.at<uint8_t>(0, 0)));
  part.image.copyTo(frame(cv::Rect(300, 50, 300, 300)));
  LocateOptions o;
  o.roi = {0.5, 0, 0.5, 1};
  const PartPose in_roi = LocatePart(frame, o);
  ASSERT_TRUE(in_roi.found) << in_roi.failure;
  EXPECT_LT(cv::norm(in_roi.centre - (part.centre + cv::Point2d(300, 50))), 2.0) << in_roi.centre;
  EXPECT_NEAR(in_roi.radius_fraction, in_roi.radius / 300.0, 1e-9);
  EXPECT_NEAR(in_roi.radius_fraction, pose.radius_fraction, 0.01);
}

TEST(PartLocatorTest, ExpectedRadiusAtTheTrueSizeFindsThePartAsBefore) {
  const sim::PartRenderer renderer;
  for (uint64_t seed : {1u, 7u, 42u, 1234u}) {
    const sim::RenderedPart part = renderer.Render(seed);
    const PartPose free = LocatePart(part.image, LocateOptions());
    ASSERT_TRUE(free.found) << "seed " << seed << ": " << free.failure;
    LocateOptions o;
    o.expected_radius = part.radius / 300.0;
    const PartPose pose = LocatePart(part.image, o);
    ExpectLocated(pose, part, o, "seed " + std::to_string(seed));
    EXPECT_LT(cv::norm(pose.centre - free.centre), 0.5) << "seed " << seed;
    EXPECT_NEAR(pose.radius, free.radius, 0.5) << "seed " << seed;
  }
}

TEST(PartLocatorTest, ExpectedRadiusFarFromTheTrueSizeNeverReturnsTheTrueRim) {
  const sim::PartRenderer renderer;
  for (uint64_t seed : {1u, 7u, 42u, 1234u}) {
    const sim::RenderedPart part = renderer.Render(seed);
    LocateOptions o;
    o.expected_radius = 0.6 * part.radius / 300.0;
    const PartPose pose = LocatePart(part.image, o);
    const double expected_px = o.expected_radius * 300.0;
    if (pose.found) {
      // Only a circle within the tolerance of the expected radius (an inner ring) may be found.
      EXPECT_NEAR(pose.radius, expected_px, o.radius_tolerance * expected_px + 0.5)
          << "seed " << seed << ": true radius " << part.radius;
      EXPECT_LT(pose.radius, 0.8 * part.radius) << "seed " << seed;
      EXPECT_NEAR(pose.radius_fraction, pose.radius / 300.0, 1e-9);
    } else {
      EXPECT_FALSE(pose.failure.empty()) << "seed " << seed;
    }
  }
}

// A synthetic round part on a grey-150 background: a disc of `radius` only `rim_contrast` grey
// levels brighter (a faint rim), holding a strong dark annulus (grey 20, `ring_in` to `ring_out`)
// and a bright hub; mild sensor noise from `seed`, slightly blurred.
cv::Mat FaintRimPart(int rim_contrast, cv::Point2d centre, double radius, double ring_in,
                     double ring_out, uint64_t seed) {
  cv::Mat img(300, 300, CV_8UC1, cv::Scalar(150));
  auto disc = [&](double r, int level) {  // anti-aliased, 4 bits of sub-pixel precision
    cv::circle(img, cv::Point(cvRound(centre.x * 16), cvRound(centre.y * 16)), cvRound(r * 16),
               cv::Scalar(level), -1, cv::LINE_AA, 4);
  };
  disc(radius, 150 + rim_contrast);
  disc(ring_out, 20);
  disc(ring_in, 150 + rim_contrast);
  disc(18, 230);
  cv::Mat noise(img.size(), CV_16S);
  cv::RNG rng(seed);
  rng.fill(noise, cv::RNG::NORMAL, 0, 1.5);
  cv::Mat out;
  cv::add(img, noise, out, cv::noArray(), CV_8U);
  cv::GaussianBlur(out, out, cv::Size(0, 0), 1.0);
  return out;
}

void ExpectRim(const PartPose& pose, cv::Point2d centre, double radius, const std::string& what) {
  ASSERT_TRUE(pose.found) << what << ": " << pose.failure;
  EXPECT_NEAR(pose.radius / radius, 1.0, 0.03) << what << ": found r " << pose.radius;
  EXPECT_LT(cv::norm(pose.centre - centre), 2.0) << what << ": found " << pose.centre;
  EXPECT_NEAR(pose.radius_fraction, pose.radius / 300.0, 1e-9) << what;
}

TEST(PartLocatorTest, FindsAFaintRimThatOnlyTheSecondLookSees) {
  // The rim steps 10 grey levels; the dark ring steps 140. Strict edges need 0.2 x the ray's
  // strongest step (~0.2 x 110 after blurring), so only the faint pass (0.06 x) sees the rim.
  // The dark ring ends at 55 px, inside the smallest allowed rim (0.2 x 300 = 60 px): without
  // the faint pass there is no rim candidate at all.
  for (uint64_t seed : {1u, 2u, 3u}) {
    const cv::Point2d centre(148 + 1.3 * seed, 152 - 0.9 * seed);
    const cv::Mat image = FaintRimPart(10, centre, 110, 30, 55, seed);
    ExpectRim(LocatePart(image, LocateOptions()), centre, 110, "seed " + std::to_string(seed));
  }
}

TEST(PartLocatorTest, LearnedRadiusFindsAFaintRimOutsideAStrongRing) {
  // The dark ring ends at 70 px, within the recipe's radius range: the strict pass could take
  // it for the rim, but it is far from the learned radius, so the faint pass finds the rim.
  LocateOptions o;
  o.expected_radius = 110.0 / 300;
  for (uint64_t seed : {1u, 2u, 3u}) {
    const cv::Point2d centre(148 + 1.3 * seed, 152 - 0.9 * seed);
    const cv::Mat image = FaintRimPart(10, centre, 110, 45, 70, seed);
    ExpectRim(LocatePart(image, o), centre, 110, "seed " + std::to_string(seed));
  }
}

TEST(PartLocatorTest, WashedOutRimIsNotMistakenForAnInnerRingWhenTheRadiusIsKnown) {
  // A rim of 2 grey levels is below even the faint threshold.
  const cv::Point2d centre(151, 148);
  const cv::Mat image = FaintRimPart(2, centre, 110, 45, 70, 4);
  // Without a learned radius the dark ring (70 px) passes for the rim...
  const PartPose free = LocatePart(image, LocateOptions());
  ASSERT_TRUE(free.found) << free.failure;
  EXPECT_NEAR(free.radius, 70, 3);
  // ...with one, it is outside 110 px +-20% and the part is not found.
  LocateOptions o;
  o.expected_radius = 110.0 / 300;
  const PartPose pose = LocatePart(image, o);
  EXPECT_FALSE(pose.found) << "found r " << pose.radius << " at " << pose.centre;
  EXPECT_FALSE(pose.failure.empty());
}

TEST(PartLocatorTest, RimIsFittedToASubPixelAcrossExposures) {
  // A clean part at a sub-pixel position, with the radius learned as a model has it: under any
  // exposure the centre is exact to a fraction of a pixel. The radius reads about half a pixel
  // large (the 4 px step filter on a blurred, curved edge), the same at every exposure, so every
  // part is scaled alike.
  LocateOptions o;
  o.expected_radius = 112.4 / 300;
  for (uint64_t seed : {1u, 2u, 3u}) {
    const cv::Point2d centre(148.37 + 0.71 * seed, 151.62 - 0.43 * seed);
    for (ExposureChange change :
         {ExposureChange{1, 1}, ExposureChange{1, 0.7}, ExposureChange{1, 1.4},
          ExposureChange{1.3, 0.9}, ExposureChange{0.6, 1.2}}) {
      cv::Mat image = FaintRimPart(40, centre, 112.4, 45, 70, seed);
      ApplyExposure(change, image);
      const std::string what = "seed " + std::to_string(seed) + ", gain " +
                               std::to_string(change.gain) + ", gamma " +
                               std::to_string(change.gamma);
      const PartPose pose = LocatePart(image, o);
      ASSERT_TRUE(pose.found) << what << ": " << pose.failure;
      EXPECT_LT(cv::norm(pose.centre - centre), 0.15) << what << ": found " << pose.centre;
      EXPECT_NEAR(pose.radius, 112.4 + 0.55, 0.1) << what;
    }
  }
}

}  // namespace
}  // namespace linesight
