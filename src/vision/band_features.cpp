#include "vision/band_features.h"

#include <algorithm>
#include <array>
#include <cmath>

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

// out[x] = (a[x] - b[x]) * scale
void ScaledDifference(const cv::Mat& a, const cv::Mat& b, float scale, cv::Mat& out) {
  out.create(a.size(), CV_32F);
  for (int y = 0; y < a.rows; ++y) {
    const float* pa = a.ptr<float>(y);
    const float* pb = b.ptr<float>(y);
    float* d = out.ptr<float>(y);
    for (int x = 0; x < a.cols; ++x) d[x] = (pa[x] - pb[x]) * scale;
  }
}

}  // namespace

BandKernels::BandKernels(const BandOptions& o)
    : fine(o.fine_sigma), mid(o.mid_sigma), coarse(o.coarse_sigma), rough(o.rough_sigma) {
  // The coarse blur leaves little above its own scale to alias, so shrinking by about a third of
  // the surroundings' sigma loses nothing; the shrunk blur then has a sigma of 3 to 6 samples.
  const double sigma = kLevelSurroundFactor * o.coarse_sigma;
  surround_shrink = std::max(1, static_cast<int>(sigma / 3));
  surround = GaussianKernel(sigma / surround_shrink);
}

void ComputeBandFeatures(const cv::Mat& canvas, const cv::Mat& support, const BandKernels& k,
                         BandFeatures& f, int channels) {
  CV_Assert(canvas.type() == CV_8UC1 && support.type() == CV_8UC1 &&
            support.size() == canvas.size());
  const auto& lut = LogTable();
  f.log_image.create(canvas.size(), CV_32F);
  f.tmp_mask.create(canvas.size(), CV_8UC1);
  for (int y = 0; y < canvas.rows; ++y) {
    const uint8_t* s = canvas.ptr<uint8_t>(y);
    float* d = f.log_image.ptr<float>(y);
    uint8_t* m = f.tmp_mask.ptr<uint8_t>(y);
    for (int x = 0; x < canvas.cols; ++x) {
      d[x] = lut[s[x]];
      m[x] = s[x] >= kClipHigh || s[x] <= kClipLow ? 255 : 0;
    }
  }
  GaussianBlur(f.log_image, f.blur_fine, k.fine, f.line);
  GaussianBlur(f.log_image, f.blur_mid, k.mid, f.line);

  // Clipped pixels (over- or under-exposed) carry no detail, so they do not set the contrast.
  // They are still scored: a flaw next to a saturated area must not be hidden by it. The mask is
  // grown so the filters' reach around them is covered too.
  MaxFilter(f.tmp_mask, f.clipped, 2, f.tmp_mask2);

  // Contrast of this image: mean absolute fine detail over the part. Gamma multiplies every
  // log-domain difference by the same factor, so dividing by it cancels gamma.
  double sum = 0;
  int64_t n = 0;
  for (int y = 0; y < canvas.rows; ++y) {
    const float* fine = f.blur_fine.ptr<float>(y);
    const float* mid = f.blur_mid.ptr<float>(y);
    const uint8_t* m = support.ptr<uint8_t>(y);
    const uint8_t* clip = f.clipped.ptr<uint8_t>(y);
    for (int x = 0; x < canvas.cols; ++x)
      if (m[x] && !clip[x]) {
        sum += std::abs(fine[x] - mid[x]);
        ++n;
      }
  }
  double scale = n > 0 ? sum / n : 1.0;
  if (!(scale > 1e-6)) scale = 1e-6;
  f.detail_scale = static_cast<float>(scale);
  const float inv = static_cast<float>(1.0 / scale);
  ScaledDifference(f.blur_fine, f.blur_mid, inv, f.channel[0]);
  if (channels < 2) return;
  GaussianBlur(f.log_image, f.blur_coarse, k.coarse, f.line);
  ScaledDifference(f.blur_mid, f.blur_coarse, inv, f.channel[1]);
  if (channels < 3) return;

  ComputeRoughness(k, f, f.channel[2]);
  if (channels < 4) return;

  // Level: the coarse-blurred log image relative to its surroundings, the same image blurred
  // three times wider. The band-pass channels drop everything slower than the coarse band together
  // with the lighting, and with it large low-contrast defects (an uneven surface, a worn or broken
  // corner, a stain). An exposure gain shifts every log value by the same amount, which the
  // surroundings remove; gamma scales them, which the contrast divisor removes. Shading that
  // changes more slowly than the surroundings (lamp, vignetting) cancels as well; what is left,
  // borders included, the cell statistics learn per place.
  ShrinkBlocks(f.blur_coarse, k.surround_shrink, f.small);
  GaussianBlur(f.small, f.small_blur, k.surround, f.line);
  ExpandBilinear(f.small_blur, k.surround_shrink, canvas.size(), f.surround, f.taps);
  f.channel[3].create(canvas.size(), CV_32F);
  for (int y = 0; y < canvas.rows; ++y) {
    const float* c = f.blur_coarse.ptr<float>(y);
    const float* s = f.surround.ptr<float>(y);
    float* d = f.channel[3].ptr<float>(y);
    for (int x = 0; x < canvas.cols; ++x) d[x] = (c[x] - s[x]) * inv;
  }
}

void ComputeRoughness(const BandKernels& k, BandFeatures& f, cv::Mat& out) {
  // Roughness: log of local energy of the fine band (as-cast texture, porosity, rough patches).
  const cv::Mat& fine = f.channel[0];
  f.tmp.create(fine.size(), CV_32F);
  for (int y = 0; y < fine.rows; ++y) {
    const float* c = fine.ptr<float>(y);
    float* t = f.tmp.ptr<float>(y);
    for (int x = 0; x < fine.cols; ++x) t[x] = c[x] * c[x];
  }
  GaussianBlur(f.tmp, out, k.rough, f.line);
  for (int y = 0; y < out.rows; ++y) {
    float* r = out.ptr<float>(y);
    LogOffset(r, 0.05f, out.cols, r);
  }
}

}  // namespace linesight
