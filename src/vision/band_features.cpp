#include "vision/band_features.h"

#include <array>
#include <cmath>

#include <opencv2/imgproc.hpp>

namespace linesight {
namespace {

// log(1 + v/4) table: turns exposure gain into an offset (removed by the band-pass) and gamma
// into a scale (removed by the per-image contrast divisor). The +4 keeps dark noise bounded.
const std::array<float, 256>& LogTable() {
  static const std::array<float, 256> table = [] {
    std::array<float, 256> t{};
    for (int i = 0; i < 256; ++i) t[i] = std::log(4.0f + static_cast<float>(i));
    return t;
  }();
  return table;
}

constexpr int kClipHigh = 252, kClipLow = 1;

void Blur(const cv::Mat& src, cv::Mat& dst, double sigma) {
  cv::GaussianBlur(src, dst, cv::Size(0, 0), sigma, sigma, cv::BORDER_REFLECT);
}

}  // namespace

void ComputeBandFeatures(const cv::Mat& canvas, const cv::Mat& support, const BandOptions& o,
                         BandFeatures& f, int channels) {
  CV_Assert(canvas.type() == CV_8UC1 && support.type() == CV_8UC1 &&
            support.size() == canvas.size());
  const auto& lut = LogTable();
  f.log_image.create(canvas.size(), CV_32F);
  for (int y = 0; y < canvas.rows; ++y) {
    const uint8_t* s = canvas.ptr<uint8_t>(y);
    float* d = f.log_image.ptr<float>(y);
    for (int x = 0; x < canvas.cols; ++x) d[x] = lut[s[x]];
  }
  Blur(f.log_image, f.blur_fine, o.fine_sigma);
  Blur(f.log_image, f.blur_mid, o.mid_sigma);
  cv::subtract(f.blur_fine, f.blur_mid, f.channel[0]);

  // Clipped pixels (over- or under-exposed) carry no detail: they neither set the contrast nor
  // count as defects. The mask is grown so the filters' reach around them is covered too.
  cv::compare(canvas, kClipHigh, f.clipped, cv::CMP_GE);
  cv::compare(canvas, kClipLow, f.tmp_mask, cv::CMP_LE);
  cv::bitwise_or(f.clipped, f.tmp_mask, f.clipped);
  cv::dilate(f.clipped, f.clipped, cv::Mat(), cv::Point(-1, -1), 2);

  // Contrast of this image: mean absolute fine detail over the part. Gamma multiplies every
  // log-domain difference by the same factor, so dividing by it cancels gamma.
  double sum = 0;
  int64_t n = 0;
  for (int y = 0; y < canvas.rows; ++y) {
    const float* c = f.channel[0].ptr<float>(y);
    const uint8_t* m = support.ptr<uint8_t>(y);
    const uint8_t* clip = f.clipped.ptr<uint8_t>(y);
    for (int x = 0; x < canvas.cols; ++x)
      if (m[x] && !clip[x]) {
        sum += std::abs(c[x]);
        ++n;
      }
  }
  double scale = n > 0 ? sum / n : 1.0;
  if (!(scale > 1e-6)) scale = 1e-6;
  f.detail_scale = static_cast<float>(scale);
  const float inv = static_cast<float>(1.0 / scale);
  f.channel[0] *= inv;
  if (channels < 2) return;
  Blur(f.log_image, f.blur_coarse, o.coarse_sigma);
  cv::subtract(f.blur_mid, f.blur_coarse, f.channel[1]);
  f.channel[1] *= inv;
  if (channels < 3) return;

  // Roughness: log of local energy of the fine band (as-cast texture, porosity, rough patches).
  cv::multiply(f.channel[0], f.channel[0], f.tmp);
  Blur(f.tmp, f.channel[2], o.rough_sigma);
  cv::add(f.channel[2], cv::Scalar(0.05), f.channel[2]);
  cv::log(f.channel[2], f.channel[2]);
}

}  // namespace linesight
