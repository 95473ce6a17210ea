#include "vision/part_geometry.h"

#include <algorithm>
#include <cmath>

#include <gtest/gtest.h>
#include <opencv2/imgproc.hpp>

#include "sim/part_renderer.h"

namespace linesight {
namespace {

// A bright elliptical part on a dark table, with some texture so that its rim has edges all round.
cv::Mat Ellipse(cv::Point2d centre, double semi_a, double semi_b, double angle_deg) {
  cv::Mat img(400, 440, CV_8UC1, cv::Scalar(40));
  cv::ellipse(img,
              cv::RotatedRect(cv::Point2f(centre), cv::Size2f(2 * semi_a, 2 * semi_b),
                              static_cast<float>(angle_deg)),
              cv::Scalar(190), cv::FILLED, cv::LINE_AA);
  cv::GaussianBlur(img, img, cv::Size(0, 0), 1.0);
  return img;
}

TEST(PartGeometryTest, MeasuresAnEllipticalRim) {
  const LocateOptions options;
  for (double angle : {0.0, 30.0, 100.0, 160.0}) {
    const cv::Point2d centre(221.5, 196.25);
    const PartPose pose = LocatePart(Ellipse(centre, 150, 138, angle), options);
    ASSERT_TRUE(pose.found) << pose.failure;
    const PartGeometry g =
        MeasurePartGeometry(pose, LocateMethod::kDisc, options.canvas_radius * options.canvas);
    ASSERT_TRUE(g.measured);
    EXPECT_NEAR(g.centre.x, centre.x, 1.0) << angle;
    EXPECT_NEAR(g.centre.y, centre.y, 1.0) << angle;
    EXPECT_NEAR(g.major, 300, 3) << angle;
    EXPECT_NEAR(g.minor, 276, 3) << angle;
    EXPECT_NEAR(g.diameter, 2 * std::sqrt(150.0 * 138.0), 3) << angle;
    EXPECT_NEAR(g.ovality, 24.0 / 287.7, 0.015) << angle;
    const double off = std::abs(g.angle_deg - angle);
    EXPECT_LT(std::min(off, 180 - off), 3) << angle << " measured " << g.angle_deg;
    EXPECT_GE(g.angle_deg, 0);
    EXPECT_LT(g.angle_deg, 180);
  }
}

TEST(PartGeometryTest, RenderedRoundPartsAreRound) {
  const LocateOptions options;
  for (uint64_t seed : {3u, 4u, 5u}) {
    const sim::RenderedPart part = sim::PartRenderer().Render(seed);
    const PartPose pose = LocatePart(part.image, options);
    ASSERT_TRUE(pose.found) << pose.failure;
    const PartGeometry g =
        MeasurePartGeometry(pose, LocateMethod::kDisc, options.canvas_radius * options.canvas);
    EXPECT_NEAR(g.centre.x, part.centre.x, 1.5) << seed;
    EXPECT_NEAR(g.centre.y, part.centre.y, 1.5) << seed;
    EXPECT_NEAR(g.diameter, 2 * part.radius, 0.03 * 2 * part.radius) << seed;
    EXPECT_LT(g.ovality, 0.03) << seed;
  }
}

TEST(PartGeometryTest, NothingMeasuredWithoutARim) {
  PartPose pose;
  EXPECT_FALSE(MeasurePartGeometry(pose, LocateMethod::kDisc, 100).measured);
  pose.found = true;
  pose.image_to_canvas = cv::Matx23d(1, 0, 0, 0, 1, 0);
  EXPECT_FALSE(MeasurePartGeometry(pose, LocateMethod::kNone, 100).measured);
  // A circle: axes equal, angle 0.
  const PartGeometry g = MeasurePartGeometry(pose, LocateMethod::kDisc, 100);
  ASSERT_TRUE(g.measured);
  EXPECT_DOUBLE_EQ(g.major, 200);
  EXPECT_DOUBLE_EQ(g.minor, 200);
  EXPECT_EQ(g.ovality, 0);
  EXPECT_EQ(g.angle_deg, 0);
}

}  // namespace
}  // namespace linesight
