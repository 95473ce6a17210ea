// vision/affine_warp.h: bilinear affine warp of an 8-bit image with replicated borders into a
// caller-owned image, allocation-free once the buffers have grown. Pure; thread-safe when each
// thread has its own buffers.
#pragma once

#include <vector>

#include <opencv2/core.hpp>

namespace linesight {

// Per-column buffers of WarpAffineLinear; they grow to the widest output and are then reused.
struct WarpScratch {
  std::vector<int> dx, dy;          // position steps along a row, 1/1024 pixel
  std::vector<int> xi, yi, wx, wy;  // one row's source pixels and weights
};

// Sets dst (CV_8UC1, `size`) to src seen through `src_to_dst`: dst(p) = src(inverse(p)), read
// with bilinear interpolation, pixels outside src taken from its nearest edge pixel. Bit-exact
// with cv::warpAffine(src, dst, src_to_dst, size, INTER_LINEAR, BORDER_REPLICATE): the same
// 1/32-pixel fixed-point positions and 15-bit weights. A singular map gives an image of src(0,0).
// REQUIRES: src CV_8UC1, non-empty; dst must not share data with src.
void WarpAffineLinear(const cv::Mat& src, const cv::Matx23d& src_to_dst, cv::Size size,
                      cv::Mat& dst, WarpScratch& scratch);

}  // namespace linesight
