#include "vision/affine_warp.h"

#include <algorithm>
#include <cstdint>
#include <limits>

#include "vision/target_clones.h"

#ifdef LINESIGHT_HAS_CLONES
#include <immintrin.h>  // RowPixelsGather
#define LINESIGHT_AVX2_GATHER 1
#endif

namespace linesight {
namespace {

// The row loops are also compiled for AVX2 and the loader picks one version per machine; integer
// arithmetic, so both give the same bytes. The pixel taps themselves take explicit AVX2 gathers
// (RowPixelsGather) where the CPU has them.

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

#ifdef LINESIGHT_AVX2_GATHER
// RowPixels with AVX2 gathers, eight pixels at a time, for the same bytes: GCC's generic tuning
// never emits gathers, and the vectoriser cannot gather bytes at all. Each pixel's four taps come
// from two 32-bit gathers: p[0..3] gives the top pair, p[step - 2 .. step + 1] the bottom one, so
// no read leaves the image (first byte >= base as step >= 2, last <= the image's last pixel).
// REQUIRES: the source is at least 2 x 2 and spans fewer than 2^31 bytes (32-bit offsets).
__attribute__((target("avx2"))) void RowPixelsGather(const uint8_t* base, size_t step,
                                                     const int* xi, const int* yi, const int* wx,
                                                     const int* wy, int n, uint8_t* out) {
  const __m256i vstep = _mm256_set1_epi32(static_cast<int>(step)), tab = _mm256_set1_epi32(kTab);
  const __m256i low = _mm256_set1_epi32(0xff), half = _mm256_set1_epi32(512);
  // The low byte of each 32-bit lane, packed into the low 8 bytes.
  const __m256i pick =
      _mm256_setr_epi8(0, 4, 8, 12, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, 0, 4, 8, 12, -1,
                       -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1);
  const __m256i join = _mm256_setr_epi32(0, 4, 1, 1, 1, 1, 1, 1);
  const int* top_row = reinterpret_cast<const int*>(base);
  const int* bottom_row = reinterpret_cast<const int*>(base + step - 2);
  int x = 0;
  for (; x + 8 <= n; x += 8) {
    const __m256i vx = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(xi + x));
    const __m256i vy = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(yi + x));
    const __m256i fx = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(wx + x));
    const __m256i fy = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(wy + x));
    const __m256i off = _mm256_add_epi32(_mm256_mullo_epi32(vy, vstep), vx);
    const __m256i t = _mm256_i32gather_epi32(top_row, off, 1);
    const __m256i b = _mm256_i32gather_epi32(bottom_row, off, 1);
    const __m256i gx = _mm256_sub_epi32(tab, fx), gy = _mm256_sub_epi32(tab, fy);
    const __m256i top =
        _mm256_add_epi32(_mm256_mullo_epi32(_mm256_and_si256(t, low), gx),
                         _mm256_mullo_epi32(_mm256_and_si256(_mm256_srli_epi32(t, 8), low), fx));
    const __m256i bottom =
        _mm256_add_epi32(_mm256_mullo_epi32(_mm256_and_si256(_mm256_srli_epi32(b, 16), low), gx),
                         _mm256_mullo_epi32(_mm256_srli_epi32(b, 24), fx));
    const __m256i v = _mm256_srai_epi32(
        _mm256_add_epi32(
            _mm256_add_epi32(_mm256_mullo_epi32(top, gy), _mm256_mullo_epi32(bottom, fy)), half),
        10);
    const __m256i bytes = _mm256_permutevar8x32_epi32(_mm256_shuffle_epi8(v, pick), join);
    _mm_storel_epi64(reinterpret_cast<__m128i*>(out + x), _mm256_castsi256_si128(bytes));
  }
  RowPixels(base, step, xi + x, yi + x, wx + x, wy + x, n - x, out + x);
}

bool UseGather(const cv::Mat& src) {
  static const bool avx2 = __builtin_cpu_supports("avx2");
  return avx2 && src.step[0] * static_cast<size_t>(src.rows) <
                     static_cast<size_t>(std::numeric_limits<int32_t>::max());
}
#endif

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
#ifdef LINESIGHT_AVX2_GATHER
  const bool gather = UseGather(src);
#endif
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
#ifdef LINESIGHT_AVX2_GATHER
    if (gather) {
      RowPixelsGather(src.data, src.step[0], s.xi.data(), s.yi.data(), s.wx.data(), s.wy.data(), n,
                      out);
      continue;
    }
#endif
    RowPixels(src.data, src.step[0], s.xi.data(), s.yi.data(), s.wx.data(), s.wy.data(), n, out);
  }
}

}  // namespace linesight
