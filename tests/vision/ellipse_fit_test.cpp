#include "vision/ellipse_fit.h"

#include <cmath>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <opencv2/imgproc.hpp>

namespace linesight {
namespace {

// Points on the ellipse (centre, semi-axes a, b, rotated by `angle_deg`) at `n` angles spread
// over `arc` radians, with Gaussian noise of `noise` pixels.
std::vector<cv::Point2f> EllipsePoints(cv::Point2d centre, double a, double b, double angle_deg,
                                       int n, double arc, double noise, uint64_t seed) {
  cv::RNG rng(seed);
  const double t = angle_deg * CV_PI / 180, ct = std::cos(t), st = std::sin(t);
  std::vector<cv::Point2f> pts;
  for (int i = 0; i < n; ++i) {
    const double u = arc * i / n + 0.1 * rng.uniform(0.0, 1.0);
    const double x = a * std::cos(u), y = b * std::sin(u);
    pts.emplace_back(static_cast<float>(centre.x + ct * x - st * y + rng.gaussian(noise)),
                     static_cast<float>(centre.y + st * x + ct * y + rng.gaussian(noise)));
  }
  return pts;
}

// Distance between two boxes as ellipses: centre, axes, and the angle when it matters.
void ExpectSameBox(const cv::RotatedRect& got, const cv::RotatedRect& want, double tol,
                   const std::string& what) {
  EXPECT_NEAR(got.center.x, want.center.x, tol) << what;
  EXPECT_NEAR(got.center.y, want.center.y, tol) << what;
  EXPECT_NEAR(got.size.width, want.size.width, tol) << what;
  EXPECT_NEAR(got.size.height, want.size.height, tol) << what;
  if (want.size.height - want.size.width > 0.05 * want.size.height) {
    EXPECT_NEAR(std::remainder(got.angle - want.angle, 180.0), 0, 0.01) << what;
  }
}

TEST(EllipseFitTest, MatchesOpenCvOnNoisyEllipses) {
  uint64_t seed = 7767517;
  for (double angle : {0.0, 17.0, 45.0, 90.0, 133.0}) {
    for (double ratio : {1.0, 0.97, 0.85, 0.6}) {
      for (double arc : {2 * CV_PI, 0.4 * 2 * CV_PI}) {
        for (int n : {12, 63, 180}) {
          const auto pts =
              EllipsePoints({151.3, 147.9}, 110, 110 * ratio, angle, n, arc, 0.4, ++seed);
          const cv::RotatedRect want = cv::fitEllipse(pts);
          cv::RotatedRect got;
          const std::string what = "angle " + std::to_string(angle) + " ratio " +
                                   std::to_string(ratio) + " arc " + std::to_string(arc) + " n " +
                                   std::to_string(n);
          ASSERT_TRUE(FitEllipse(pts, got)) << what;
          ExpectSameBox(got, want, 1e-3, what);
        }
      }
    }
  }
}

TEST(EllipseFitTest, RecoversAnExactEllipse) {
  const auto pts = EllipsePoints({40, -12.5}, 30, 20, 30, 50, 2 * CV_PI, 0, 3);
  cv::RotatedRect e;
  ASSERT_TRUE(FitEllipse(pts, e));
  EXPECT_NEAR(e.center.x, 40, 1e-3);
  EXPECT_NEAR(e.center.y, -12.5, 1e-3);
  EXPECT_NEAR(e.size.width, 40, 1e-3);
  EXPECT_NEAR(e.size.height, 60, 1e-3);
  EXPECT_NEAR(std::remainder(e.angle - 120, 180.0), 0, 1e-3);
}

TEST(EllipseFitTest, DegenerateSetsFailWithoutCrashing) {
  cv::RotatedRect e(cv::Point2f(1, 2), cv::Size2f(3, 4), 5);
  const cv::RotatedRect before = e;
  std::vector<cv::Point2f> none;
  EXPECT_FALSE(FitEllipse(none, e));
  const std::vector<cv::Point2f> four = {{0, 0}, {1, 0}, {0, 1}, {1, 1}};
  EXPECT_FALSE(FitEllipse(four, e));
  std::vector<cv::Point2f> line, same, two;
  for (int i = 0; i < 40; ++i) {
    line.emplace_back(static_cast<float>(i), static_cast<float>(2 * i + 1));
    same.emplace_back(5.f, 7.f);
    two.emplace_back(i % 2 ? 1.f : 3.f, 2.f);
  }
  EXPECT_FALSE(FitEllipse(line, e));
  EXPECT_FALSE(FitEllipse(same, e));
  EXPECT_FALSE(FitEllipse(two, e));
  EXPECT_EQ(e.center, before.center);
  EXPECT_EQ(e.size, before.size);
  const std::vector<cv::Point2f> bad = {{0, 0}, {1, NAN}, {2, 0}, {0, 3}, {1, 1}, {4, 4}};
  EXPECT_FALSE(FitEllipse(bad, e));
}

}  // namespace
}  // namespace linesight
