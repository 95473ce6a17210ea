// vision/exposure.h: changes an 8-bit image's exposure (gain) and gamma the way a drifting lamp
// or camera does. Used to teach models that exposure is not a defect and to test that they learned.
#pragma once

#include <cstdint>

#include <opencv2/core.hpp>

namespace linesight {

struct ExposureChange {
  double gain = 1;   // multiplies brightness (values clip at 255)
  double gamma = 1;  // out = 255 * gain * (in / 255) ^ gamma
};

// A change drawn deterministically from `seed`: gain in [min_gain, max_gain], gamma in
// [min_gamma, max_gamma], uniformly.
ExposureChange ExposureFromSeed(uint64_t seed, double min_gain = 0.6, double max_gain = 1.5,
                                double min_gamma = 0.7, double max_gamma = 1.4);

// Applies `change` to `image` (CV_8UC1) in place.
void ApplyExposure(const ExposureChange& change, cv::Mat& image);

}  // namespace linesight
