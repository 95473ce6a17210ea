// Tests inspect/decision.h's rule: a part rejects above the threshold, and a score that is not a
// number never lets a part pass; places whose filters read beyond the frame are not scored.
#include "inspect/decision.h"

#include <cmath>
#include <limits>

#include <gtest/gtest.h>
#include <opencv2/imgproc.hpp>

namespace linesight {
namespace {

TEST(DecisionTest, AboveTheThresholdRejectsAndNotANumberNeverPasses) {
  EXPECT_FALSE(Rejects(4.9f, 5.0));
  EXPECT_FALSE(Rejects(5.0f, 5.0)) << "at the threshold: pass";
  EXPECT_TRUE(Rejects(5.01f, 5.0));
  EXPECT_TRUE(Rejects(std::numeric_limits<float>::infinity(), 5.0));
  EXPECT_TRUE(Rejects(std::nanf(""), 5.0));
  EXPECT_TRUE(Rejects(1.f, std::nan(""))) << "a broken threshold passes nothing";
}

// True if canvas pixel (x, y) maps, through `image_to_canvas`, to an image point at least
// `margin` image pixels inside a frame of `frame` (pixel i covering [i - 0.5, i + 0.5]).
bool WellInside(const cv::Matx23d& image_to_canvas, cv::Size frame, int x, int y, double margin) {
  cv::Matx23d inv;
  cv::invertAffineTransform(image_to_canvas, inv);
  const double ix = inv(0, 0) * x + inv(0, 1) * y + inv(0, 2);
  const double iy = inv(1, 0) * x + inv(1, 1) * y + inv(1, 2);
  return ix >= margin - 0.5 && ix <= frame.width - 0.5 - margin && iy >= margin - 0.5 &&
         iy <= frame.height - 0.5 - margin;
}

// Counts the pixels ClearNearFrameEdge zeroed in an all-ones canvas, checking each one against
// a per-pixel test (pixels within 1e-6 px of the margin's line may go either way).
int ClearedPixels(const cv::Matx23d& image_to_canvas, cv::Size frame, double margin_canvas) {
  cv::Mat w(100, 100, CV_32F, cv::Scalar(1));
  ClearNearFrameEdge(w, image_to_canvas, frame, margin_canvas);
  const double scale = std::sqrt(
      std::abs(cv::determinant(cv::Matx22d(image_to_canvas(0, 0), image_to_canvas(0, 1),
                                           image_to_canvas(1, 0), image_to_canvas(1, 1)))));
  const double m = margin_canvas / scale;
  int cleared = 0;
  for (int y = 0; y < w.rows; ++y)
    for (int x = 0; x < w.cols; ++x) {
      const bool kept = w.at<float>(y, x) == 1;
      cleared += !kept;
      if (WellInside(image_to_canvas, frame, x, y, m + 1e-6)) {
        EXPECT_TRUE(kept) << x << "," << y;
      } else if (!WellInside(image_to_canvas, frame, x, y, m - 1e-6)) {
        EXPECT_FALSE(kept) << x << "," << y;
      }
    }
  return cleared;
}

TEST(DecisionTest, TheFramesMarginIsThreeSigmasOfTheWidestRingFilter) {
  BandOptions b;
  b.mid_sigma = 3, b.rough_sigma = 4;
  EXPECT_DOUBLE_EQ(FrameMarginCanvasPx(b), 12);
  b.mid_sigma = 5;
  EXPECT_DOUBLE_EQ(FrameMarginCanvasPx(b), 15);
}

TEST(DecisionTest, ACanvasWellInsideTheFrameKeepsEveryPlace) {
  // A 100 px canvas over image pixels 100..199 of a 300 px frame.
  EXPECT_EQ(ClearedPixels(cv::Matx23d(1, 0, -100, 0, 1, -100), {300, 300}, 12), 0);
}

TEST(DecisionTest, PlacesNearTheFramesEdgeAreNotScored) {
  // Canvas over image pixels -20..79 horizontally: columns 0..31 read the frame's repeated edge
  // or lie within 12 px of it; the rest stay.
  const int cleared = ClearedPixels(cv::Matx23d(1, 0, 20, 0, 1, -100), {300, 300}, 12);
  EXPECT_EQ(cleared, 32 * 100);
  // Turned by 30 degrees and shrunk (2 canvas px per image px: the margin is 6 image px), near
  // the bottom-right corner of a 160 x 120 frame.
  const double c = std::cos(0.5236) * 2, s = std::sin(0.5236) * 2;
  EXPECT_GT(ClearedPixels(cv::Matx23d(c, -s, -150, s, c, -250), {160, 120}, 12), 0);
  // Entirely outside: nothing is scored.
  EXPECT_EQ(ClearedPixels(cv::Matx23d(1, 0, 500, 0, 1, 0), {300, 300}, 12), 100 * 100);
}

TEST(DecisionTest, ATransformWithoutANumberLeavesNothingScored) {
  const double nan = std::nan("");
  for (const cv::Matx23d& m : {cv::Matx23d(1, 0, nan, 0, 1, -100), cv::Matx23d(nan, 0, 0, 0, 1, 0),
                               cv::Matx23d(0, 0, 0, 0, 0, 0)}) {
    cv::Mat w(50, 50, CV_32F, cv::Scalar(1));
    ClearNearFrameEdge(w, m, {300, 300}, 12);
    EXPECT_EQ(cv::countNonZero(w), 0) << m;
  }
}

}  // namespace
}  // namespace linesight
