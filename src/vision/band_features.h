// vision/band_features.h: turns a canonical part image into lighting-free feature maps: band-pass
// detail at two scales, local roughness and the coarse level relative to its wide surroundings, in
// the log domain and scaled per image, so that exposure (a gain) and gamma (a power) do not change
// them. Reusable buffers, thread-compatible.
#pragma once

#include <vector>

#include <opencv2/core.hpp>

#include "vision/filters.h"

namespace linesight {

// Feature channels BandFeatures produces; a model may add one of its own (kMaxChannels).
inline constexpr int kBandChannels = 4;
inline constexpr int kMaxChannels = 5;

// Scales of the band-pass filters, in canvas pixels (part of the model: they change results).
struct BandOptions {
  double fine_sigma = 1.0;    // lower edge of the fine band (pin holes, cracks)
  double mid_sigma = 3.0;     // fine/coarse band split (blow holes)
  double coarse_sigma = 8.0;  // upper edge of the coarse band; slower lighting is ignored
  double rough_sigma = 4.0;   // window of the local roughness measure
  bool operator==(const BandOptions&) const = default;
};

// The level channel compares the coarse blur with a blur this many times wider (the surroundings).
inline constexpr double kLevelSurroundFactor = 3;

// The Gaussian kernels of a BandOptions, built once (building them allocates) and shared.
struct BandKernels {
  explicit BandKernels(const BandOptions& options = BandOptions());
  GaussianKernel fine, mid, coarse, rough;
  // The surroundings of the level: a blur of kLevelSurroundFactor x coarse_sigma, applied on the
  // coarse blur shrunk by `surround_shrink` (the blur is wide: at full size it would cost more than
  // every other filter together).
  int surround_shrink = 1;
  GaussianKernel surround;
};

// Feature maps of one canvas image; buffers are reused across calls once sized.
struct BandFeatures {
  cv::Mat channel[kMaxChannels];  // CV_32F: fine band, coarse band, log roughness, level, [extra]
  float detail_scale = 1;         // the per-image contrast divisor that was applied
  cv::Mat clipped;                // CV_8UC1: 255 near over- or under-exposed pixels

  // scratch
  cv::Mat log_image, blur_fine, blur_mid, blur_coarse, tmp, tmp_mask, tmp_mask2;
  cv::Mat small, small_blur, surround;
  std::vector<float> line, taps;
};

// Computes the feature maps of `canvas` (CV_8UC1) with `kernels`. `support` (CV_8UC1, same
// size, non-zero = part) selects the pixels used to measure the image's contrast. Never throws
// for content. Only the first `channels` (1..kBandChannels) maps are computed. Allocates nothing
// once `out` has been used for a canvas of this size.
void ComputeBandFeatures(const cv::Mat& canvas, const cv::Mat& support, const BandKernels& kernels,
                         BandFeatures& out, int channels = kBandChannels);

// The roughness channel (log of the fine band's local energy over kernels.rough) of the features
// `f` whose fine band (channel 0) is computed, into `out` (not channel 0). Uses f.tmp and f.line
// as scratch; allocates nothing once sized.
void ComputeRoughness(const BandKernels& kernels, BandFeatures& f, cv::Mat& out);

}  // namespace linesight
