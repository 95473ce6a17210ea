#include "vision/affine_warp.h"

#include <algorithm>
#include <cstdint>

namespace linesight {
namespace {

// The row loops are also compiled for AVX2 (its gathers serve the per-pixel taps) and the loader
// picks one version per machine; integer arithmetic, so both give the same bytes.
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && \
    !defined(__SANITIZE_ADDRESS__)
#define LINESIGHT_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define LINESIGHT_CLONES
#endif

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

// Source pixel and 1/32-pixel weights of each output pixel of one row (vectorisable). The
// replicated border becomes a clamp that keeps all four taps inside the image: a position left of
// or above the image reads its first pixel (the second tap gets weight 0), one right of or below
// the last pixel reads that pixel as the second tap with full weight. REQUIRES: the source is at
// least 2 x 2 (last = cols - 2, rows - 2).
LINESIGHT_CLONES void RowPositions(int x0, int y0, const int* __restrict adx,
                                   const int* __restrict ady, int n, int last_x, int last_y,
                                   int* __restrict xi, int* __restrict yi, int* __restrict wx,
                                   int* __restrict wy) {
  for (int x = 0; x < n; ++x) {
    const int px = (x0 + adx[x]) >> (kAbBits - kInterBits);
    const int py = (y0 + ady[x]) >> (kAbBits - kInterBits);
    const int sx = px >> kInterBits, sy = py >> kInterBits;
    const int fx = px & (kTab - 1), fy = py & (kTab - 1);
    xi[x] = sx < 0 ? 0 : (sx > last_x ? last_x : sx);
    wx[x] = sx < 0 ? 0 : (sx > last_x ? kTab : fx);
    yi[x] = sy < 0 ? 0 : (sy > last_y ? last_y : sy);
    wy[x] = sy < 0 ? 0 : (sy > last_y ? kTab : fy);
  }
}

// Interpolates one output row from the positions of RowPositions.
LINESIGHT_CLONES void RowPixels(const uint8_t* __restrict base, size_t step,
                                const int* __restrict xi, const int* __restrict yi,
                                const int* __restrict wx, const int* __restrict wy, int n,
                                uint8_t* __restrict out) {
  for (int x = 0; x < n; ++x) {
    const uint8_t* p = base + static_cast<size_t>(yi[x]) * step + xi[x];
    const int top = p[0] * (kTab - wx[x]) + p[1] * wx[x];
    const int bottom = p[step] * (kTab - wx[x]) + p[step + 1] * wx[x];
    // OpenCV's 15-bit weights are 32 times these products: the same sum, rounded the same way.
    out[x] = static_cast<uint8_t>((top * (kTab - wy[x]) + bottom * wy[x] + 512) >> 10);
  }
}

// Any source size, 1 x 1 included: clamps each tap. Slower; only for sources under 2 x 2.
void RowClamped(const cv::Mat& src, int x0, int y0, const int* adx, const int* ady, int n,
                uint8_t* out) {
  const int w1 = src.cols - 1, h1 = src.rows - 1;
  for (int x = 0; x < n; ++x) {
    const int px = (x0 + adx[x]) >> (kAbBits - kInterBits);
    const int py = (y0 + ady[x]) >> (kAbBits - kInterBits);
    const int fx = px & (kTab - 1), fy = py & (kTab - 1);
    const int sx = px >> kInterBits, sy = py >> kInterBits;
    const int xa = std::clamp(sx, 0, w1), xb = std::clamp(sx + 1, 0, w1);
    const uint8_t* ra = src.ptr<uint8_t>(std::clamp(sy, 0, h1));
    const uint8_t* rb = src.ptr<uint8_t>(std::clamp(sy + 1, 0, h1));
    const int top = ra[xa] * (kTab - fx) + ra[xb] * fx;
    const int bottom = rb[xa] * (kTab - fx) + rb[xb] * fx;
    out[x] = static_cast<uint8_t>((top * (kTab - fy) + bottom * fy + 512) >> 10);
  }
}

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
  s.xi.resize(n);
  s.yi.resize(n);
  s.wx.resize(n);
  s.wy.resize(n);
  for (int x = 0; x < n; ++x) {
    s.dx[x] = Fixed(m[0] * x * (1 << kAbBits));
    s.dy[x] = Fixed(m[3] * x * (1 << kAbBits));
  }
  for (int y = 0; y < size.height; ++y) {
    const int x0 = Fixed((m[1] * y + m[2]) * (1 << kAbBits)) + kRoundDelta;
    const int y0 = Fixed((m[4] * y + m[5]) * (1 << kAbBits)) + kRoundDelta;
    uint8_t* out = dst.ptr<uint8_t>(y);
    if (src.cols < 2 || src.rows < 2) {
      RowClamped(src, x0, y0, s.dx.data(), s.dy.data(), n, out);
      continue;
    }
    RowPositions(x0, y0, s.dx.data(), s.dy.data(), n, src.cols - 2, src.rows - 2, s.xi.data(),
                 s.yi.data(), s.wx.data(), s.wy.data());
    RowPixels(src.data, src.step[0], s.xi.data(), s.yi.data(), s.wx.data(), s.wy.data(), n, out);
  }
}

}  // namespace linesight
