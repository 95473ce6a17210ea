// Holds locating a part and warping it onto the canvas to the product requirement "after warm-up
// it allocates nothing per frame". Its own executable: it replaces malloc (testing/alloc_counter).
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <opencv2/imgproc.hpp>

#include "sim/part_renderer.h"
#include "testing/alloc_counter.h"
#include "vision/part_locator.h"

namespace linesight {
namespace {

// A part with a rim only 10 grey levels above the background and a strong dark ring inside it:
// the strict edge pass fails and the faint pass finds the rim (as in part_locator_test).
cv::Mat FaintRimPart() {
  cv::Mat img(300, 300, CV_8UC1, cv::Scalar(150));
  const cv::Point centre(149 * 16, 151 * 16);
  for (auto [r, level] :
       {std::pair(110, 160), std::pair(55, 20), std::pair(30, 160), std::pair(18, 230)})
    cv::circle(img, centre, r * 16, cv::Scalar(level), -1, cv::LINE_AA, 4);
  cv::GaussianBlur(img, img, cv::Size(0, 0), 1.0);
  return img;
}

// Frames of several sizes, as one inspector thread might see them in turn: rendered parts (good
// and defective), an awkward size, a faint rim, and a large frame searched at 512 px.
std::vector<cv::Mat> Frames() {
  std::vector<cv::Mat> frames;
  const sim::PartRenderer renderer;
  for (uint64_t seed : {1u, 2u, 3u}) frames.push_back(renderer.Render(seed).image);
  const sim::DefectType crack = sim::AllDefectTypes()[0];
  frames.push_back(renderer.Render(4, std::span<const sim::DefectType>(&crack, 1)).image);
  sim::RenderOptions odd;
  odd.size = 213;
  frames.push_back(sim::PartRenderer(odd).Render(5).image);
  frames.push_back(FaintRimPart());
  cv::Mat big;  // 1800 x 1800: a high-resolution camera's soft edges
  cv::resize(renderer.Render(6).image, big, cv::Size(), 6, 6, cv::INTER_CUBIC);
  cv::GaussianBlur(big, big, cv::Size(0, 0), 3);
  frames.push_back(big);
  return frames;
}

TEST(LocateNoAllocTest, LocatingAndWarpingAllocateNothingAfterWarmUp) {
  const std::vector<cv::Mat> frames = Frames();
  const LocateOptions o;
  LocateScratch scratch;
  cv::Mat canvas;
  PartPose pose;
  auto inspect = [&](const cv::Mat& frame) {
    pose = LocatePart(frame, o, scratch);
    if (pose.found) WarpToCanvas(frame, pose, o.canvas, canvas, scratch);
  };
  for (const cv::Mat& frame : frames) inspect(frame);  // warm-up: buffers grow
  for (int pass = 0; pass < 2; ++pass) {
    for (size_t i = 0; i < frames.size(); ++i) {
      int64_t allocations = 0;
      {
        testing::AllocationCounter counter;
        inspect(frames[i]);
        allocations = counter.count();
      }
      ASSERT_TRUE(pose.found) << "frame " << i << ": " << pose.failure;
      EXPECT_EQ(allocations, 0) << "frame " << i << " (" << frames[i].cols << " px), pass " << pass;
    }
  }
}

TEST(LocateNoAllocTest, TheCounterSeesAllocations) {
  // Guards the test above against a counter that counts nothing.
  int64_t allocations = 0;
  {
    testing::AllocationCounter counter;
    cv::Mat m(64, 64, CV_8UC1);
    std::vector<int> v(100);
    std::string s(100, 'x');
    allocations = counter.count();
  }
  EXPECT_GE(allocations, 3);
}

}  // namespace
}  // namespace linesight
