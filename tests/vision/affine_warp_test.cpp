#include "vision/affine_warp.h"

#include <string>

#include <gtest/gtest.h>
#include <opencv2/imgproc.hpp>

#include "testing/test_util.h"

namespace linesight {
namespace {

int Differing(const cv::Mat& a, const cv::Mat& b) {
  cv::Mat d;
  cv::absdiff(a, b, d);
  return cv::countNonZero(d);
}

// Similarity (plus a little shear) taking `centre` of the source to the middle of an n x n canvas.
cv::Matx23d CanvasMap(cv::Point2d centre, double scale, double angle_deg, double shear, int n) {
  const double t = angle_deg * CV_PI / 180;
  const double a = scale * std::cos(t), b = scale * std::sin(t);
  cv::Matx22d m(a, -b + shear, b, a);
  const cv::Vec2d off = cv::Vec2d((n - 1) / 2.0, (n - 1) / 2.0) - m * cv::Vec2d(centre.x, centre.y);
  return {m(0, 0), m(0, 1), off[0], m(1, 0), m(1, 1), off[1]};
}

TEST(AffineWarpTest, BitExactWithOpenCvIncludingBorders) {
  WarpScratch s;
  uint64_t seed = 11;
  for (const cv::Size size : {cv::Size(300, 300), cv::Size(213, 187), cv::Size(17, 5),
                              cv::Size(1, 1), cv::Size(2400, 1800)}) {
    const cv::Mat src = testing::RandomGrey(size, ++seed);
    cv::RNG rng(seed);
    for (int trial = 0; trial < 6; ++trial) {
      const int n = trial % 2 ? 256 : 161;
      // Centres near and past the edges, scales that shrink and enlarge: the canvas reads
      // outside the frame, where the edge pixels are replicated.
      const cv::Point2d c(rng.uniform(-0.2, 1.2) * size.width,
                          rng.uniform(-0.2, 1.2) * size.height);
      const cv::Matx23d m = CanvasMap(c, rng.uniform(0.05, 3.0), rng.uniform(-180.0, 180.0),
                                      rng.uniform(-0.05, 0.05), n);
      cv::Mat expected, got;
      cv::warpAffine(src, expected, cv::Mat(m), cv::Size(n, n), cv::INTER_LINEAR,
                     cv::BORDER_REPLICATE);
      WarpAffineLinear(src, m, cv::Size(n, n), got, s);
      ASSERT_EQ(got.size(), expected.size());
      EXPECT_EQ(Differing(got, expected), 0) << size << " trial " << trial;
    }
  }
}

TEST(AffineWarpTest, ReadsOnlyTheViewAndOddOutputSizes) {
  const cv::Mat frame = testing::RandomGrey({400, 300}, 3);
  const cv::Mat view = frame(cv::Rect(50, 40, 200, 180));
  const cv::Matx23d m = CanvasMap({100, 90}, 0.9, 10, 0, 128);
  cv::Mat expected, got;
  WarpScratch s;
  cv::warpAffine(view, expected, cv::Mat(m), cv::Size(129, 77), cv::INTER_LINEAR,
                 cv::BORDER_REPLICATE);
  WarpAffineLinear(view, m, cv::Size(129, 77), got, s);
  EXPECT_EQ(Differing(got, expected), 0);
}

TEST(AffineWarpTest, IdentityCopiesAndSingularMapDoesNotCrash) {
  const cv::Mat src = testing::RandomGrey({64, 48}, 4);
  cv::Mat got;
  WarpScratch s;
  WarpAffineLinear(src, cv::Matx23d(1, 0, 0, 0, 1, 0), src.size(), got, s);
  EXPECT_EQ(Differing(got, src), 0);
  WarpAffineLinear(src, cv::Matx23d(0, 0, 5, 0, 0, 5), cv::Size(10, 10), got, s);
  EXPECT_EQ(got.size(), cv::Size(10, 10));
  EXPECT_EQ(cv::countNonZero(got != src.at<uint8_t>(0, 0)), 0);
  WarpAffineLinear(src, cv::Matx23d(1e-12, 0, 0, 0, 1e-12, 0), cv::Size(8, 8), got, s);
  EXPECT_EQ(got.size(), cv::Size(8, 8));
}

}  // namespace
}  // namespace linesight
