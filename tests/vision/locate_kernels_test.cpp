#include "vision/locate_kernels.h"

#include <string>

#include <gtest/gtest.h>
#include <opencv2/imgproc.hpp>

#include "testing/test_util.h"

namespace linesight {
namespace {

// Random 8-bit image, smoothed a little so that it has both edges and flat runs.
cv::Mat RandomImage(cv::Size size, uint64_t seed) {
  cv::Mat image = testing::RandomGrey(size, seed);
  if (size.width >= 3 && size.height >= 3 && seed % 2) cv::blur(image, image, cv::Size(3, 3));
  return image;
}

// Largest absolute difference and how many pixels differ.
std::pair<double, int> Diff(const cv::Mat& a, const cv::Mat& b) {
  EXPECT_EQ(a.size(), b.size());
  EXPECT_EQ(a.type(), b.type());
  if (a.size() != b.size() || a.type() != b.type()) return {1e9, a.rows * a.cols};
  cv::Mat d;
  cv::absdiff(a, b, d);
  double peak = 0;
  cv::minMaxLoc(d.reshape(1), nullptr, &peak);
  return {peak, cv::countNonZero(d.reshape(1))};
}

const cv::Size kSizes[] = {{300, 300}, {213, 187}, {129, 77}, {17, 16}, {5, 5},
                           {4, 9},     {3, 2},     {1, 7},    {6, 1},   {1, 1}};

TEST(LocateKernelsTest, ShrinkAreaMatchesOpenCv) {
  uint64_t seed = 1;
  for (const cv::Size size : {cv::Size(300, 300), cv::Size(213, 187), cv::Size(129, 300),
                              cv::Size(640, 480), cv::Size(1024, 768), cv::Size(999, 1501)}) {
    const cv::Mat src = RandomImage(size, ++seed);
    for (double f : {128.0 / std::max(size.width, size.height), 0.5, 0.25, 1 / 3.0, 0.37, 0.8,
                     512.0 / std::min(size.width, size.height)}) {
      if (f > 1) continue;
      cv::Mat expected, got;
      AreaScratch s;
      cv::resize(src, expected, cv::Size(), f, f, cv::INTER_AREA);
      ShrinkArea(src, f, got, s);
      const auto [peak, count] = Diff(got, expected);
      const std::string what = std::to_string(size.width) + "x" + std::to_string(size.height) +
                               " f " + std::to_string(f);
      EXPECT_LE(peak, 1) << what;
      // Exact apart from OpenCV's own rounding of integer factors other than 2.
      if (std::abs(1 / f - std::round(1 / f)) > 1e-9 || std::round(1 / f) == 2) {
        EXPECT_EQ(count, 0) << what;
      }
    }
  }
}

TEST(LocateKernelsTest, ShrinkAreaOfAViewReadsOnlyTheView) {
  const cv::Mat frame = RandomImage({400, 300}, 5);
  const cv::Mat view = frame(cv::Rect(37, 11, 301, 251));
  cv::Mat expected, got;
  AreaScratch s;
  cv::resize(view, expected, cv::Size(), 0.41, 0.41, cv::INTER_AREA);
  ShrinkArea(view, 0.41, got, s);
  EXPECT_EQ(Diff(got, expected).second, 0);
}

TEST(LocateKernelsTest, EnlargingSmallFramesIsCloseToOpenCv) {
  for (const cv::Size size : {cv::Size(100, 60), cv::Size(17, 16), cv::Size(1, 5)}) {
    const cv::Mat src = RandomImage(size, 9);
    const double f = 128.0 / std::max(size.width, size.height);
    cv::Mat expected, got;
    AreaScratch s;
    cv::resize(src, expected, cv::Size(), f, f, cv::INTER_AREA);
    ShrinkArea(src, f, got, s);
    EXPECT_LE(Diff(got, expected).first, 1) << size;
  }
}

TEST(LocateKernelsTest, GaussianKernelsAreOpenCvs) {
  int k[5];
  GaussianKernel5Q8(0, k);
  EXPECT_EQ(std::vector<int>(k, k + 5), (std::vector<int>{16, 64, 96, 64, 16}));
  GaussianKernel5Q8(1.2, k);
  EXPECT_EQ(k[0] + k[1] + k[2] + k[3] + k[4], 256);
}

TEST(LocateKernelsTest, GaussianBlurIsBitExact) {
  uint64_t seed = 100;
  cv::Mat tmp;
  for (const cv::Size size : kSizes) {
    for (double sigma : {0.0, 1.2, 0.7, 2.0}) {
      const cv::Mat src = RandomImage(size, ++seed);
      cv::Mat expected, got;
      cv::GaussianBlur(src, expected, cv::Size(5, 5), sigma, 0,
                       cv::BORDER_REFLECT_101 | cv::BORDER_ISOLATED);
      GaussianBlur5x5(src, got, sigma, tmp);
      EXPECT_EQ(Diff(got, expected).second, 0) << size << " sigma " << sigma;
    }
  }
}

TEST(LocateKernelsTest, GaussianBlurInPlaceAndOnAView) {
  const cv::Mat frame = RandomImage({320, 240}, 77);
  const cv::Mat view = frame(cv::Rect(10, 20, 211, 150));
  cv::Mat expected, got, tmp;
  cv::GaussianBlur(view, expected, cv::Size(5, 5), 1.2, 0,
                   cv::BORDER_REFLECT_101 | cv::BORDER_ISOLATED);
  GaussianBlur5x5(view, got, 1.2, tmp);
  EXPECT_EQ(Diff(got, expected).second, 0);
  cv::Mat in_place = view.clone();
  GaussianBlur5x5(in_place, in_place, 1.2, tmp);
  EXPECT_EQ(Diff(in_place, expected).second, 0);
}

TEST(LocateKernelsTest, GradientMagnitudeIsExact) {
  uint64_t seed = 200;
  for (const cv::Size size : kSizes) {
    const cv::Mat src = RandomImage(size, ++seed);
    cv::Mat gx, gy, expected, got;
    cv::Sobel(src, gx, CV_32F, 1, 0);
    cv::Sobel(src, gy, CV_32F, 0, 1);
    cv::magnitude(gx, gy, expected);
    GradientMagnitude(src, got);
    EXPECT_EQ(Diff(got, expected).first, 0) << size;
  }
}

TEST(LocateKernelsTest, NormalizeOtsuAndMomentsMatchOpenCv) {
  uint64_t seed = 300;
  for (const cv::Size size : kSizes) {
    const cv::Mat src = RandomImage(size, ++seed);
    cv::Mat mag, expected, got;
    GradientMagnitude(src, mag);
    cv::normalize(mag, expected, 0, 255, cv::NORM_MINMAX, CV_8U);
    NormalizeMinMaxTo8U(mag, got);
    const auto [peak, count] = Diff(got, expected);
    EXPECT_LE(peak, 1) << size;
    EXPECT_LE(count, 1 + size.area() / 1000) << size;

    cv::Mat binary;
    const double t = cv::threshold(expected, binary, 0, 255, cv::THRESH_BINARY | cv::THRESH_OTSU);
    EXPECT_EQ(OtsuThreshold(expected), static_cast<int>(t)) << size;
    const cv::Moments m = cv::moments(binary, true);
    const BinaryMoments b = MomentsAbove(expected, static_cast<int>(t));
    EXPECT_EQ(b.m00, m.m00) << size;
    EXPECT_EQ(b.m10, m.m10) << size;
    EXPECT_EQ(b.m01, m.m01) << size;
    EXPECT_NEAR(b.mu20, m.mu20, 1e-9 * std::max(1.0, m.m00 * size.area())) << size;
    EXPECT_NEAR(b.mu02, m.mu02, 1e-9 * std::max(1.0, m.m00 * size.area())) << size;
  }
}

TEST(LocateKernelsTest, UniformImagesGiveNoEdges) {
  for (int level : {0, 128, 255}) {
    const cv::Mat flat(40, 30, CV_8UC1, cv::Scalar(level));
    cv::Mat mag, mag8;
    GradientMagnitude(flat, mag);
    NormalizeMinMaxTo8U(mag, mag8);
    EXPECT_EQ(cv::countNonZero(mag8), 0);
    EXPECT_EQ(MomentsAbove(mag8, OtsuThreshold(mag8)).m00, 0);
  }
}

}  // namespace
}  // namespace linesight
