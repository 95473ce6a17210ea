#include "vision/affine_warp.h"

#include <algorithm>
#include <cstdint>

namespace linesight {
namespace {

// OpenCV's fixed-point warp: positions in 1/1024 pixel while stepping along a row, reduced to
// 1/32 pixel (5 bits) for the interpolation weights.
constexpr int kAbBits = 10;
constexpr int kInterBits = 5;
constexpr int kTab = 1 << kInterBits;
constexpr int kRoundDelta = (1 << kAbBits) / kTab / 2;
// Positions are clamped to +-2^29 / 1024 pixels so that sums cannot overflow; anything that far
// out reads the same border pixels anyway.
constexpr int kLimit = 1 << 29;

int Fixed(double v) { return std::clamp(cvRound(std::clamp(v, -1e9, 1e9)), -kLimit, kLimit); }

}  // namespace

void WarpAffineLinear(const cv::Mat& src, const cv::Matx23d& src_to_dst, cv::Size size,
                      cv::Mat& dst, WarpScratch& s) {
  CV_Assert(src.type() == CV_8UC1 && !src.empty() && size.width > 0 && size.height > 0);
  dst.create(size, CV_8UC1);
  // Destination to source, inverted as cv::warpAffine inverts it.
  double m[6] = {src_to_dst(0, 0), src_to_dst(0, 1), src_to_dst(0, 2),
                 src_to_dst(1, 0), src_to_dst(1, 1), src_to_dst(1, 2)};
  double d = m[0] * m[4] - m[1] * m[3];
  d = d != 0 ? 1. / d : 0;
  const double a11 = m[4] * d, a22 = m[0] * d;
  m[0] = a11;
  m[1] *= -d;
  m[3] *= -d;
  m[4] = a22;
  const double b1 = -m[0] * m[2] - m[1] * m[5], b2 = -m[3] * m[2] - m[4] * m[5];
  m[2] = b1;
  m[5] = b2;

  const int n = size.width;
  s.dx.resize(n);
  s.dy.resize(n);
  int* adx = s.dx.data();
  int* ady = s.dy.data();
  for (int x = 0; x < n; ++x) {
    adx[x] = Fixed(m[0] * x * (1 << kAbBits));
    ady[x] = Fixed(m[3] * x * (1 << kAbBits));
  }
  const int w1 = src.cols - 1, h1 = src.rows - 1;
  const uint8_t* base = src.data;
  const size_t step = src.step[0];
  for (int y = 0; y < size.height; ++y) {
    const int x0 = Fixed((m[1] * y + m[2]) * (1 << kAbBits)) + kRoundDelta;
    const int y0 = Fixed((m[4] * y + m[5]) * (1 << kAbBits)) + kRoundDelta;
    uint8_t* out = dst.ptr<uint8_t>(y);
    for (int x = 0; x < n; ++x) {
      const int px = (x0 + adx[x]) >> (kAbBits - kInterBits);
      const int py = (y0 + ady[x]) >> (kAbBits - kInterBits);
      const int fx = px & (kTab - 1), fy = py & (kTab - 1);
      const int sx = std::clamp(px >> kInterBits, -32768, 32767);  // OpenCV keeps 16-bit maps
      const int sy = std::clamp(py >> kInterBits, -32768, 32767);
      const int xa = std::clamp(sx, 0, w1), xb = std::clamp(sx + 1, 0, w1);
      const uint8_t* ra = base + static_cast<size_t>(std::clamp(sy, 0, h1)) * step;
      const uint8_t* rb = base + static_cast<size_t>(std::clamp(sy + 1, 0, h1)) * step;
      const int top = ra[xa] * (kTab - fx) + ra[xb] * fx;
      const int bottom = rb[xa] * (kTab - fx) + rb[xb] * fx;
      // OpenCV's 15-bit weights are 32 * these products: the same sum, rounded the same way.
      out[x] = static_cast<uint8_t>((top * (kTab - fy) + bottom * fy + 512) >> 10);
    }
  }
}

}  // namespace linesight
