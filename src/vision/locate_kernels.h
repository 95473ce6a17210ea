// vision/locate_kernels.h: the image filters the part locator runs on every frame (area shrink,
// 5x5 Gaussian, gradient magnitude, Otsu centroid), written to reuse caller-owned buffers so that
// locating allocates nothing once they have grown. Each matches the OpenCV call it replaces (see
// the tests). Pure functions; thread-safe when each thread has its own buffers.
#pragma once

#include <cstdint>
#include <vector>

#include <opencv2/core.hpp>

namespace linesight {

// One source pixel's share of one destination pixel of an area shrink.
struct AreaTap {
  int src = 0, dst = 0;
  float weight = 0;
};

// Buffers of ShrinkArea; they grow to the largest frame seen and are then reused.
struct AreaScratch {
  std::vector<AreaTap> xtab, ytab;
  int taps = 0;                // most source columns any destination column reads
  std::vector<int> xsrc;       // taps x destination columns: source column of each tap
  std::vector<float> xweight;  // and its weight (0 pads columns with fewer taps)
  std::vector<float> row, sum;
  std::vector<int> isum;
};

// Size of `size` scaled by `f` and rounded, as cv::resize(src, dst, cv::Size(), f, f) makes it.
cv::Size ScaledSize(cv::Size size, double f);

// cv::resize(src, dst, cv::Size(), f, f, cv::INTER_AREA) for CV_8UC1 (each destination pixel is
// the mean of the source area it covers; f > 1 interpolates). Bit-exact for f <= 1 apart from
// integer factors other than 1/2, which may differ by one grey level on a few pixels.
// REQUIRES: src CV_8UC1, non-empty, f > 0; dst must not share data with src.
void ShrinkArea(const cv::Mat& src, double f, cv::Mat& dst, AreaScratch& scratch);

// cv::GaussianBlur(src, dst, {5, 5}, sigma, 0, cv::BORDER_REFLECT_101 | cv::BORDER_ISOLATED) for
// CV_8UC1, bit-exact (OpenCV's 8-bit blur is fixed-point; sigma <= 0 gives [1 4 6 4 1] / 16).
// `src` is treated as the whole image even if it is a view. dst may be src. `tmp` is a scratch
// buffer that grows to the largest source seen.
void GaussianBlur5x5(const cv::Mat& src, cv::Mat& dst, double sigma, cv::Mat& tmp);

// The 5-tap Gaussian in 8-bit fixed point (sums to 256), rounded as OpenCV rounds it.
void GaussianKernel5Q8(double sigma, int kernel[5]);

// Magnitude of the 3x3 Sobel gradient, sqrt(dx^2 + dy^2), as CV_32FC1: what cv::Sobel(CV_32F)
// for dx and dy followed by cv::magnitude give, with BORDER_REFLECT_101. Exact.
// REQUIRES: src CV_8UC1 and non-empty; dst must not share data with src.
void GradientMagnitude(const cv::Mat& src, cv::Mat& dst);

// cv::normalize(src, dst, 0, 255, cv::NORM_MINMAX, CV_8U) for CV_32FC1 (a uniform source gives
// all zeros). OpenCV may fuse the multiply-add where this does not; the two differ by one grey
// level only where a value falls within a float rounding error of .5.
void NormalizeMinMaxTo8U(const cv::Mat& src, cv::Mat& dst);

// The threshold cv::threshold(src, dst, 0, 255, THRESH_BINARY | THRESH_OTSU) picks for CV_8UC1:
// pixels above it are foreground.
int OtsuThreshold(const cv::Mat& src);

// Moments of the binary image (src > threshold), as cv::moments(binary, true) gives them.
struct BinaryMoments {
  double m00 = 0, m10 = 0, m01 = 0;
  double mu20 = 0, mu02 = 0;  // central second moments
};
BinaryMoments MomentsAbove(const cv::Mat& src, int threshold);

}  // namespace linesight
