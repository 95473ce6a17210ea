// vision/filters.h: the image filters of the scoring path, written so that a call allocates
// nothing: kernels and tables are built once by their owner, buffers belong to the caller and keep
// their size from frame to frame. Each filter matches the OpenCV call named at its declaration
// (see docs/algorithm.md, "Own filters"). Kernels and tables are immutable and thread-safe.
#pragma once

#include <cstdint>
#include <vector>

#include <opencv2/core.hpp>

namespace linesight {

// The taps of a normalised Gaussian: those cv::GaussianBlur uses for a float image and `sigma`
// (cv::getGaussianKernel with ksize = round(8 sigma + 1) | 1). Building one allocates; build it
// once and share it.
class GaussianKernel {
 public:
  GaussianKernel() = default;  // a single tap of 1: the identity
  // REQUIRES: sigma > 0 and sigma < 64.
  explicit GaussianKernel(double sigma);

  // Taps on each side of the centre.
  int radius() const { return static_cast<int>(taps_.size()) - 1; }
  // taps()[i] weighs the pixels i (0..radius) away from the centre.
  const float* taps() const { return taps_.data(); }

 private:
  std::vector<float> taps_{1.f};
};

// dst = src blurred by `kernel` along both axes: cv::GaussianBlur(src, dst, {}, sigma, sigma,
// cv::BORDER_REFLECT) within float rounding (differences below 1e-5 of the values). src:
// CV_32FC1, any size; a view is blurred as an image of its own (cv::BORDER_ISOLATED). dst is
// created at src's size and must not share data with src. `line` is scratch: it grows to
// src.cols + 2 radius and never shrinks.
void GaussianBlur(const cv::Mat& src, cv::Mat& dst, const GaussianKernel& kernel,
                  std::vector<float>& line);

// dst = the largest src value within `radius` (Chebyshev distance) of each pixel, pixels beyond
// the border not counting: cv::dilate(src, dst, 3x3, anchor, radius iterations), exactly.
// src: CV_8UC1; dst is created at src's size and may be src; `tmp` is scratch.
void MaxFilter(const cv::Mat& src, cv::Mat& dst, int radius, cv::Mat& tmp);

// out[j] = min (SlidingMin) or max (SlidingMax) of in[j .. j + window - 1], j in [0, n): the row
// pass of cv::erode / cv::dilate with a 1 x window rectangle, exactly. About log2(window) + 1
// operations per value. REQUIRES: window >= 1; `in` holds n + window - 1 values; `tmp` holds
// 2 (n + window - 1); in, tmp and out do not overlap.
void SlidingMin(const float* in, int n, int window, float* tmp, float* out);
void SlidingMax(const float* in, int n, int window, float* tmp, float* out);

// dst = the means of src's factor x factor blocks: cv::resize(src, dst, {}, 1 / factor,
// 1 / factor, cv::INTER_AREA) within float rounding when factor divides both sides. Otherwise the
// last block of a row or column averages the pixels that are left. src: CV_32FC1; dst is created
// at ceil(rows / factor) x ceil(cols / factor) and must not be src. REQUIRES: factor >= 1.
void ShrinkBlocks(const cv::Mat& src, int factor, cv::Mat& dst);

// dst (created at `size`, CV_32FC1) = src, a grid of factor x factor blocks as ShrinkBlocks makes
// it, resampled bilinearly at every pixel's centre, edge samples repeated beyond the outermost
// block centres: cv::resize(src, dst, size, 0, 0, cv::INTER_LINEAR) within float rounding when
// size is exactly factor times src's. `taps` is scratch that grows to 2 size.width values and is
// then reused. REQUIRES: src CV_32FC1, ceil(size / factor) == src size; dst is not src.
void ExpandBilinear(const cv::Mat& src, int factor, cv::Size size, cv::Mat& dst,
                    std::vector<float>& taps);

// out[i] = ln(in[i] + offset), within 2 ulp of std::log (Cephes' logf: the exponent split off,
// a polynomial on the mantissa), vectorised, the same bits on every machine. REQUIRES: every
// in[i] + offset is a positive normal float; out is in or does not overlap it.
void LogOffset(const float* in, float offset, int n, float* out);

// How a remap reads positions outside its source image.
enum class RemapBorder {
  kReplicate,  // the nearest edge pixel (cv::BORDER_REPLICATE)
  kZero,       // zero (cv::BORDER_CONSTANT, value 0)
};

// A bilinear resampling of fixed geometry, precomputed: for every output pixel the offset of its
// top-left source tap and its weights, positions quantised to 1/32 pixel as cv::remap quantises
// them, so Apply() gives what cv::remap(src, dst, map_x, map_y, cv::INTER_LINEAR, border) gives
// (to float rounding; bit for bit where the compiler does not fuse multiply-adds). Sources are read
// from a padded layout: the image at (1, 1) inside a one-pixel frame (see Pad and FillFrame),
// so that no tap needs a border test.
class RemapTable {
 public:
  RemapTable() = default;
  // `map_x`, `map_y` (CV_32FC1, output size): the source position of every output pixel, as for
  // cv::remap. `source`: size of the images to be resampled. Allocates; build once.
  RemapTable(const cv::Mat& map_x, const cv::Mat& map_y, cv::Size source, RemapBorder border);

  // Size of the padded source layout: source size plus a one-pixel frame on every side.
  cv::Size padded_size() const { return {source_.width + 2, source_.height + 2}; }

  // Copies `src` (CV_32FC1, source size) into `padded` (created at padded_size()) and fills the
  // frame. Allocates nothing once `padded` is sized.
  void Pad(const cv::Mat& src, cv::Mat& padded) const;
  // Fills the frame of `padded` (CV_32FC1, padded_size()) from its interior, for callers that
  // write the interior themselves.
  void FillFrame(cv::Mat& padded) const;

  // dst (created at the output size, CV_32FC1) = the padded source resampled, times `scale`
  // (folded into the same pass; 1 leaves the values as they are, bit for bit).
  // REQUIRES: `padded` is CV_32FC1, continuous, padded_size(), frame filled; dst is not padded.
  void Apply(const cv::Mat& padded, cv::Mat& dst, float scale = 1.f) const;
  // Apply() on two padded sources into two outputs in one pass (the same bits as two calls):
  // each output pixel's taps and weights are read once. The outputs are distinct from each other
  // and from the sources.
  void Apply2(const cv::Mat& padded, const cv::Mat& padded2, cv::Mat& dst, cv::Mat& dst2,
              float scale = 1.f) const;

 private:
  cv::Size source_, output_;
  RemapBorder border_ = RemapBorder::kZero;
  std::vector<int32_t> offset_;   // per output pixel: top-left tap, index into the padded source
  std::vector<uint16_t> weight_;  // per output pixel: fy * 32 + fx, or kNoWeight (reads 0)
  // Per output row: first and one-past-last pixel with a weight; the rest of the row is 0 and is
  // filled, not resampled (the corners of a canvas beyond the last ring).
  std::vector<int32_t> span_;
};

}  // namespace linesight
