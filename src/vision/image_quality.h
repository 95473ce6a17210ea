// vision/image_quality.h: cheap measures of whether a frame is fit to be judged: the focus, the
// clipped highlights and the exposure of the part, measured on its canvas. Pure, thread-safe and
// allocation-free, so that they can run on every frame of the line.
#pragma once

#include <array>
#include <cstdint>

#include <opencv2/core.hpp>

#include "vision/exposure.h"

namespace linesight {

// A pixel at or above this grey level counts as clipped (full scale, with room for JPEG noise).
inline constexpr int kSaturatedLevel = 250;

// What one frame's part looks like. All three are indifferent to the scene (they are judged
// against the same measures on good parts); focus is also indifferent to exposure gain.
struct QualityMeasures {
  // Detail at the finest scale: 4 E[d1^2] / E[d2^2] - 1, with d1 the difference of neighbouring
  // pixels and d2 of pixels two apart (rows and columns). 0 when nothing is finer than 2 pixels
  // (a blurred frame), about 0.1-0.2 on sharp photos of cast parts, up to 3 for pure pixel noise.
  double focus = 0;
  double saturated = 0;  // share of the part's pixels at or above kSaturatedLevel, 0..1
  double exposure = 0;   // median grey level of the part, 0..255
};

// Grey-level histogram of the part's pixels.
using GreyHistogram = std::array<uint32_t, 256>;

// Measures `canvas` (CV_8UC1) inside the disc of radius `radius_fraction` x canvas side around
// the canvas centre, or over the whole canvas if radius_fraction <= 0. Integer sums: the same
// canvas gives the same measures on any machine. Fills `histogram` if given. Allocates nothing.
// REQUIRES: canvas is CV_8UC1, at least 3x3 and at most 16384 wide.
QualityMeasures MeasureQuality(const cv::Mat& canvas, double radius_fraction,
                               GreyHistogram* histogram = nullptr);

// The share of pixels of `histogram` that `change` (gain and gamma, as ApplyExposure) would
// bring to kSaturatedLevel or above. 0 for an empty histogram.
double SaturatedShareAfter(const GreyHistogram& histogram, const ExposureChange& change);

// The grey level `level` becomes under `change`, unclipped: 255 gain (level / 255)^gamma.
double LevelAfter(double level, const ExposureChange& change);

}  // namespace linesight
