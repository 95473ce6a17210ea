#include "vision/regions.h"

#include <algorithm>
#include <string>
#include <tuple>
#include <vector>

#include <gtest/gtest.h>
#include <opencv2/imgproc.hpp>

namespace linesight {
namespace {

// The regions OpenCV finds in map > threshold, with their peaks, in the order of their first
// pixel in raster order.
std::vector<Region> Reference(const cv::Mat& map, float threshold) {
  cv::Mat above, labels, stats, centroids;
  cv::compare(map, threshold, above, cv::CMP_GT);
  const int count = cv::connectedComponentsWithStats(above, labels, stats, centroids, 8, CV_32S);
  std::vector<Region> out;
  std::vector<std::pair<int, int>> first;  // raster index of the first pixel, region
  for (int i = 1; i < count; ++i) {
    Region r;
    r.box = cv::Rect(stats.at<int>(i, cv::CC_STAT_LEFT), stats.at<int>(i, cv::CC_STAT_TOP),
                     stats.at<int>(i, cv::CC_STAT_WIDTH), stats.at<int>(i, cv::CC_STAT_HEIGHT));
    r.area = stats.at<int>(i, cv::CC_STAT_AREA);
    double peak = 0;
    cv::minMaxLoc(map, nullptr, &peak, nullptr, nullptr, labels == i);
    r.peak = static_cast<float>(peak);
    int at = -1;
    for (int x = r.box.x; x < r.box.br().x && at < 0; ++x)
      if (labels.at<int>(r.box.y, x) == i) at = r.box.y * map.cols + x;
    first.emplace_back(at, static_cast<int>(out.size()));
    out.push_back(r);
  }
  std::sort(first.begin(), first.end());
  std::vector<Region> sorted;
  for (const auto& f : first) sorted.push_back(out[static_cast<size_t>(f.second)]);
  return sorted;
}

void ExpectSameRegions(const cv::Mat& map, float threshold, RegionScratch& scratch,
                       const std::string& what) {
  const std::vector<Region> ref = Reference(map, threshold);
  const int count = FindRegions(map, threshold, scratch);
  ASSERT_EQ(count, static_cast<int>(ref.size())) << what;
  for (int i = 0; i < count; ++i) {
    const Region& a = scratch.regions[static_cast<size_t>(i)];
    const Region& b = ref[static_cast<size_t>(i)];
    EXPECT_EQ(a.box, b.box) << what << ", region " << i;
    EXPECT_EQ(a.area, b.area) << what << ", region " << i;
    EXPECT_EQ(a.peak, b.peak) << what << ", region " << i;
  }
}

TEST(RegionsTest, SameRegionsAsOpenCv) {
  RegionScratch scratch;
  uint64_t seed = 1;
  for (cv::Size size : {cv::Size(1, 1), cv::Size(1, 9), cv::Size(9, 1), cv::Size(2, 2),
                        cv::Size(7, 5), cv::Size(33, 17), cv::Size(256, 256)}) {
    for (float density : {0.1f, 0.4f, 0.6f, 0.9f}) {  // specks to one sprawling region
      cv::RNG rng(seed++);
      cv::Mat map(size, CV_32F);
      rng.fill(map, cv::RNG::UNIFORM, 0.f, 1.f);
      ExpectSameRegions(map, 1.f - density, scratch,
                        std::to_string(size.width) + "x" + std::to_string(size.height) + " at " +
                            std::to_string(density));
    }
  }
}

TEST(RegionsTest, ShapesThatMergeLate) {
  // A U and a spiral: branches that meet only rows after they start, and diagonal steps.
  cv::Mat map = cv::Mat::zeros(40, 40, CV_32F);
  cv::rectangle(map, cv::Rect(2, 2, 3, 30), 1.f, -1);
  cv::rectangle(map, cv::Rect(20, 2, 3, 30), 2.f, -1);
  cv::rectangle(map, cv::Rect(2, 30, 21, 3), 1.5f, -1);
  for (int i = 0; i < 8; ++i) map.at<float>(2 + i, 30 + i) = 3.f;  // a diagonal line
  map.at<float>(2, 38) = 4.f;                                      // a single pixel
  map.at<float>(10, 36) = 4.f;  // a V: joins the line's end through the pixel between them
  map.at<float>(11, 37) = 4.f;
  cv::Mat spiral = cv::Mat::zeros(30, 30, CV_32F);
  cv::Point p(15, 15);
  const cv::Point steps[] = {{1, 0}, {0, 1}, {-1, 0}, {0, -1}};
  for (int leg = 0, len = 1; leg < 20; ++leg, len += leg % 2 == 0 ? 2 : 0)
    for (int s = 0; s < len; ++s) {
      spiral.at<float>(p) = 1.f + leg;
      p += steps[leg % 4];
      p.x = std::clamp(p.x, 0, 29);
      p.y = std::clamp(p.y, 0, 29);
    }
  RegionScratch scratch;
  ExpectSameRegions(map, 0.25f, scratch, "U and diagonal");
  ExpectSameRegions(spiral, 0.f, scratch, "spiral");
  ExpectSameRegions(cv::Mat::zeros(8, 8, CV_32F), 0.f, scratch, "empty");
  ExpectSameRegions(cv::Mat::ones(8, 8, CV_32F), 0.f, scratch, "full");
}

TEST(RegionsTest, ScratchDoesNotGrowOnceSized) {
  RegionScratch scratch;
  cv::Mat map(64, 64, CV_32F);
  cv::RNG(3).fill(map, cv::RNG::UNIFORM, 0.f, 1.f);
  FindRegions(map, 0.5f, scratch);
  const int32_t* parent = scratch.parent.data();
  const Region* regions = scratch.regions.data();
  // The worst case for labels: isolated pixels on every other row and column.
  cv::Mat dots = cv::Mat::zeros(64, 64, CV_32F);
  for (int y = 0; y < 64; y += 2)
    for (int x = 0; x < 64; x += 2) dots.at<float>(y, x) = 1.f;
  EXPECT_EQ(FindRegions(dots, 0.5f, scratch), 32 * 32);
  EXPECT_EQ(scratch.parent.data(), parent);
  EXPECT_EQ(scratch.regions.data(), regions);
  EXPECT_THROW(FindRegions(cv::Mat(4, 4, CV_8UC1), 0.f, scratch), cv::Exception);
}

}  // namespace
}  // namespace linesight
