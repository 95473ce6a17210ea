#include "vision/exposure.h"

#include <cmath>

namespace linesight {
namespace {
// splitmix64 step mapped to [0, 1).
double Uniform(uint64_t& state) {
  state += 0x9E3779B97F4A7C15ull;
  uint64_t z = state;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return static_cast<double>((z ^ (z >> 31)) >> 11) / 9007199254740992.0;
}
}  // namespace

ExposureChange ExposureFromSeed(uint64_t seed, double min_gain, double max_gain, double min_gamma,
                                double max_gamma) {
  ExposureChange c;
  c.gain = min_gain + (max_gain - min_gain) * Uniform(seed);
  c.gamma = min_gamma + (max_gamma - min_gamma) * Uniform(seed);
  return c;
}

void ApplyExposure(const ExposureChange& change, cv::Mat& image) {
  CV_Assert(image.type() == CV_8UC1);
  cv::Mat lut(1, 256, CV_8U);
  for (int i = 0; i < 256; ++i)
    lut.at<uint8_t>(i) =
        cv::saturate_cast<uint8_t>(255.0 * change.gain * std::pow(i / 255.0, change.gamma));
  cv::LUT(image, lut, image);
}

}  // namespace linesight
