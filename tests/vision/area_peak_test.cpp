// Tests of AreaPeaks: the level it gives rejects exactly when FindRegions finds a region of the
// area, on random maps, at every threshold that matters.
#include "vision/area_peak.h"

#include <algorithm>
#include <random>
#include <vector>

#include <gtest/gtest.h>
#include <opencv2/imgproc.hpp>

#include "vision/regions.h"

namespace linesight {
namespace {

// A smooth random map with blobs and thin lines, values >= 0, many ties after rounding.
cv::Mat RandomMap(uint32_t seed, cv::Size size) {
  std::mt19937 rng(seed);
  cv::Mat noise(size, CV_32F);
  cv::randu(noise, 0, 1);
  cv::GaussianBlur(noise, noise, cv::Size(0, 0), 1.0 + (seed % 3));
  std::uniform_int_distribution<int> px(0, size.width - 1), py(0, size.height - 1);
  for (int i = 0; i < 4; ++i)
    cv::line(noise, {px(rng), py(rng)}, {px(rng), py(rng)}, cv::Scalar(0.9 + 0.05 * i), 1);
  cv::Mat out;
  noise.convertTo(out, CV_32F, 50);
  for (int y = 0; y < out.rows; ++y)  // ties: values on a grid of 0.5
    for (int x = 0; x < out.cols; ++x)
      out.at<float>(y, x) = std::round(out.at<float>(y, x) * 2) / 2;
  return out;
}

bool HasRegion(const cv::Mat& map, float threshold, int min_area, RegionScratch& s) {
  const int n = FindRegions(map, threshold, s);
  for (int i = 0; i < n; ++i)
    if (s.regions[static_cast<size_t>(i)].area >= min_area) return true;
  return false;
}

TEST(AreaPeakTest, RejectsExactlyWhenARegionOfTheAreaIsAboveTheThreshold) {
  AreaPeakScratch scratch;
  RegionScratch regions;
  const std::vector<int> areas = {1, 2, 5, 12, 40, 150};
  for (uint32_t seed = 1; seed <= 12; ++seed) {
    const cv::Mat map = RandomMap(seed, cv::Size(37 + static_cast<int>(seed), 29));
    std::vector<float> levels(areas.size());
    AreaPeaks(map, areas, levels, scratch);
    std::vector<float> values(map.begin<float>(), map.end<float>());
    std::sort(values.begin(), values.end());
    values.erase(std::unique(values.begin(), values.end()), values.end());
    std::vector<float> thresholds;
    for (size_t i = 0; i < values.size(); i += 3) {
      thresholds.push_back(values[i]);
      thresholds.push_back(values[i] - 0.25f);
    }
    for (size_t a = 0; a < areas.size(); ++a) {
      EXPECT_EQ(levels[a], AreaPeak(map, areas[a], scratch)) << "seed " << seed;
      for (float t : thresholds)
        ASSERT_EQ(levels[a] > t, HasRegion(map, t, areas[a], regions))
            << "seed " << seed << " area " << areas[a] << " threshold " << t << " level "
            << levels[a];
    }
  }
}

TEST(AreaPeakTest, AreaOneIsThePeakAndTooLargeAnAreaIsZero) {
  AreaPeakScratch scratch;
  cv::Mat map = cv::Mat::zeros(20, 20, CV_32F);
  map.at<float>(3, 4) = 7;
  map(cv::Rect(10, 10, 3, 3)).setTo(2);
  EXPECT_EQ(AreaPeak(map, 1, scratch), 7);
  EXPECT_EQ(AreaPeak(map, 2, scratch), 2);
  EXPECT_EQ(AreaPeak(map, 9, scratch), 2);
  EXPECT_EQ(AreaPeak(map, 10, scratch), 0);
  EXPECT_EQ(AreaPeak(cv::Mat::zeros(8, 8, CV_32F), 1, scratch), 0);
}

TEST(AreaPeakTest, ThinDiagonalLineIsOneRegion) {
  AreaPeakScratch scratch;
  cv::Mat map = cv::Mat::zeros(30, 30, CV_32F);
  for (int i = 0; i < 20; ++i) map.at<float>(i + 5, i + 5) = 3.0f + 0.01f * static_cast<float>(i);
  EXPECT_FLOAT_EQ(AreaPeak(map, 20, scratch), 3.0f);  // 8-connected: the whole line
  EXPECT_EQ(AreaPeak(map, 21, scratch), 0);
}

TEST(AreaPeakTest, ScratchReusedAcrossSizesGivesTheSameAnswers) {
  AreaPeakScratch reused;
  for (uint32_t seed = 1; seed <= 6; ++seed) {
    const cv::Mat map = RandomMap(seed, cv::Size(20 + 7 * static_cast<int>(seed % 3), 25));
    AreaPeakScratch fresh;
    EXPECT_EQ(AreaPeak(map, 9, reused), AreaPeak(map, 9, fresh)) << seed;
  }
}

TEST(AreaPeakTest, NanCountsAsZeroAndAreasMustAscend) {
  AreaPeakScratch scratch;
  cv::Mat map = cv::Mat::zeros(10, 10, CV_32F);
  map(cv::Rect(2, 2, 2, 2)).setTo(std::numeric_limits<float>::quiet_NaN());
  map.at<float>(8, 8) = 1;
  EXPECT_EQ(AreaPeak(map, 1, scratch), 1);
  EXPECT_EQ(AreaPeak(map, 2, scratch), 0);
  std::vector<int> areas = {5, 2};
  std::vector<float> levels(2);
  EXPECT_THROW(AreaPeaks(map, areas, levels, scratch), cv::Exception);
}

}  // namespace
}  // namespace linesight
