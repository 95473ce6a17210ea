#include "vision/outline.h"

#include <cmath>
#include <numbers>
#include <random>
#include <vector>

#include <gtest/gtest.h>
#include <opencv2/imgproc.hpp>

namespace linesight {
namespace {

constexpr int kCanvas = 320;
constexpr double kRim = 137.6;  // the default canvas radius, 0.43 x 320

// A round part (grey `part`) on a table (grey `table`) with a soft rim, sensor noise, and
// optionally a fin of grey `fin` standing `fin_px` out over `fin_arc` radians at `fin_at`.
cv::Mat Part(uint32_t seed, double part = 80, double table = 190, double fin_px = 0,
             double fin_at = 0, double fin_arc = 0, double fin = 150) {
  cv::Mat img(kCanvas, kCanvas, CV_8UC1);
  std::mt19937 rng(seed);
  std::normal_distribution<double> noise(0, 2.0);
  const double c = (kCanvas - 1) / 2.0;
  for (int y = 0; y < kCanvas; ++y)
    for (int x = 0; x < kCanvas; ++x) {
      const double r = std::hypot(x - c, y - c), a = std::atan2(y - c, x - c);
      const double off = std::remainder(a - fin_at, 2 * std::numbers::pi);
      const bool in_fin =
          fin_px > 0 && std::abs(off) < fin_arc / 2 && r >= kRim && r < kRim + fin_px;
      const double edge = 1 / (1 + std::exp((r - kRim) / 0.7));
      const double v = in_fin ? fin : table + edge * (part - table);
      img.at<uint8_t>(y, x) = cv::saturate_cast<uint8_t>(v + noise(rng));
    }
  return img;
}

TEST(OutlineTest, ASmoothRimShowsNoBulgeAboveItsNoise) {
  OutlineScratch scratch;
  for (uint32_t seed = 1; seed <= 3; ++seed) {
    const OutlineBulge b = MeasureOutlineBulge(Part(seed), kRim, scratch);
    ASSERT_TRUE(b.measured);
    EXPECT_GT(b.valid_share, 0.99f);
    EXPECT_LT(b.z, 6.0f) << "seed " << seed;
  }
}

TEST(OutlineTest, AFinBeyondTheRimStandsOutWhereItIs) {
  OutlineScratch scratch;
  const double at = 2.0, arc = 30 / kRim;  // a 30 px fin, 4 px out, lower left
  const OutlineBulge b = MeasureOutlineBulge(Part(7, 80, 190, 4, at, arc), kRim, scratch);
  ASSERT_TRUE(b.measured);
  EXPECT_GT(b.z, 10.0f);
  EXPECT_NEAR(std::remainder(b.angle_rad - at, 2 * std::numbers::pi), 0.0, 0.05);
  EXPECT_NEAR(2 * b.half_span, arc, 0.1);
  EXPECT_GT(b.width_px, 1.0f);
}

TEST(OutlineTest, AFinOnADarkTableCountsAlike) {
  // A bright part on a dark table: the width is taken relative to the two local levels.
  OutlineScratch scratch;
  const OutlineBulge b = MeasureOutlineBulge(Part(8, 170, 40, 4, -1.0, 0.25, 110), kRim, scratch);
  ASSERT_TRUE(b.measured);
  EXPECT_GT(b.z, 10.0f);
  EXPECT_NEAR(std::remainder(b.angle_rad + 1.0, 2 * std::numbers::pi), 0.0, 0.05);
}

TEST(OutlineTest, AChipInTheRimIsNoBulge) {
  // A bite out of the rim: the table shows where the rim was, over 20 px. Its levels are not the
  // rim's, so it is left out instead of read as a bulge.
  cv::Mat part = Part(12);
  const double c = (kCanvas - 1) / 2.0;
  for (int y = 0; y < kCanvas; ++y)
    for (int x = 0; x < kCanvas; ++x) {
      const double r = std::hypot(x - c, y - c), a = std::atan2(y - c, x - c);
      if (r > kRim - 8 && r < kRim + 1 &&
          std::abs(std::remainder(a - 0.5, 2 * std::numbers::pi)) < 10 / kRim)
        part.at<uint8_t>(y, x) = 215;  // the fracture a little brighter than the table
    }
  OutlineScratch scratch;
  const OutlineBulge b = MeasureOutlineBulge(part, kRim, scratch);
  ASSERT_TRUE(b.measured);
  EXPECT_LT(b.z, 6.0f);
}

TEST(OutlineTest, DirectionsLeftOutDoNotNarrowTheSpread) {
  // A fifth of the turn left out (an ignored region, the frame's edge) must not make the rest of
  // the outline look surer than it is.
  OutlineScratch scratch;
  std::vector<uint8_t> skip(kOutlineDirections, 0);
  for (int k = 0; k < kOutlineDirections / 5; ++k) skip[static_cast<size_t>(k)] = 1;
  for (uint32_t seed = 21; seed <= 23; ++seed) {
    const cv::Mat part = Part(seed);
    const OutlineBulge all = MeasureOutlineBulge(part, kRim, scratch);
    const float z_all = all.z;
    const OutlineBulge some = MeasureOutlineBulge(part, kRim, scratch, skip);
    ASSERT_TRUE(some.measured);
    EXPECT_NEAR(some.valid_share, 0.8f, 0.01f);
    EXPECT_LT(some.z, z_all * 1.15f + 0.5f) << "seed " << seed;
  }
}

TEST(OutlineTest, ARimLikeTheTableIsNotMeasured) {
  OutlineScratch scratch;
  const OutlineBulge b = MeasureOutlineBulge(Part(9, 185, 190), kRim, scratch);
  EXPECT_FALSE(b.measured);
  EXPECT_EQ(b.z, 0.0f);
  EXPECT_LT(b.valid_share, 0.8f);
}

TEST(OutlineTest, AFlatTableMeasuresAndBulgesNowhere) {
  // No part at all: nothing stands out from the table, so nothing is measured or claimed.
  OutlineScratch scratch;
  const cv::Mat flat(kCanvas, kCanvas, CV_8UC1, cv::Scalar(120));
  const OutlineBulge b = MeasureOutlineBulge(flat, kRim, scratch);
  EXPECT_FALSE(b.measured);
}

TEST(OutlineTest, TheScratchIsReusedWithoutGrowing) {
  OutlineScratch scratch;
  const cv::Mat a = Part(10), b = Part(11, 80, 190, 4, 1.0, 0.2);
  // The first part cannot be measured (it returns early): the buffers are sized all the same.
  EXPECT_FALSE(
      MeasureOutlineBulge(cv::Mat(kCanvas, kCanvas, CV_8UC1, cv::Scalar(120)), kRim, scratch)
          .measured);
  MeasureOutlineBulge(a, kRim, scratch);
  const auto* width = scratch.width.data();
  const auto* smooth = scratch.smooth.data();
  const auto* sorted = scratch.sorted.data();
  const auto* window = scratch.window.data();
  MeasureOutlineBulge(b, kRim, scratch);
  EXPECT_EQ(scratch.width.data(), width);
  EXPECT_EQ(scratch.smooth.data(), smooth);
  EXPECT_EQ(scratch.sorted.data(), sorted);
  EXPECT_EQ(scratch.window.data(), window);
}

}  // namespace
}  // namespace linesight
