#include "vision/filters.h"

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <cstring>

#include "vision/target_clones.h"

namespace linesight {
namespace {

// cv::borderInterpolate(p, len, cv::BORDER_REFLECT): fedcba|abcdefgh|hgfedcb, reflected again
// for as long as needed when the image is narrower than the kernel.
int Reflect(int p, int len) {
  if (len == 1) return 0;
  while (static_cast<unsigned>(p) >= static_cast<unsigned>(len))
    p = p < 0 ? -p - 1 : 2 * len - 1 - p;
  return p;
}

// The inner loops below run over whole rows with no branches so that the compiler vectorises
// them; __restrict tells it the rows do not overlap. The hottest functions are compiled twice,
// for AVX2 and for the x86-64 baseline, and the loader picks one per machine (GCC function
// multiversioning). Every output value takes the same operations in the same order in both, and
// AVX2 does not bring fused multiply-adds, so both give the same bits.

[[gnu::always_inline]] inline void MinStep(const float* __restrict a, int shift, int n,
                                           float* __restrict out) {
  for (int j = 0; j < n; ++j) out[j] = std::min(a[j], a[j + shift]);
}

[[gnu::always_inline]] inline void MaxStep(const float* __restrict a, int shift, int n,
                                           float* __restrict out) {
  for (int j = 0; j < n; ++j) out[j] = std::max(a[j], a[j + shift]);
}

// Min or max over a window by doubling: spans of 2, 4, ... b <= window values, then two spans
// of b that overlap to cover the window (min and max do not mind counting a value twice).
// Inlined into the AVX2 and baseline versions of SlidingMin / SlidingMax, so that its steps are
// vectorised for each.
template <void (*Step)(const float* __restrict, int, int, float* __restrict)>
[[gnu::always_inline]] inline void Sliding(const float* in, int n, int window, float* tmp,
                                           float* out) {
  const int len = n + window - 1;
  const float* cur = in;
  float* next = tmp;
  int span = 1;
  while (2 * span <= window) {
    Step(cur, span, len - 2 * span + 1, next);
    cur = next;
    next = next == tmp ? tmp + len : tmp;
    span *= 2;
  }
  if (span == window && cur == in) {
    std::memcpy(out, in, sizeof(float) * static_cast<size_t>(n));
    return;
  }
  Step(cur, window - span, n, out);
}

// Eight floats in one register (a GCC/Clang vector: AVX2 in the AVX2 clone, two SSE halves in
// the baseline one), loaded and stored with memcpy, which compiles to unaligned moves. No
// function takes or returns one: that would make the baseline's ABI differ from the AVX2 one's.
using Lanes = float __attribute__((vector_size(32)));

// out[x] = k[0] * c[x] + k[1] * (a[1][x] + b[1][x]) + ... + k[r] * (a[r][x] + b[r][x]), summed in
// that order (as one pass per tap would), with the sums kept in registers: one store per pixel
// instead of one per tap.
[[gnu::always_inline]] inline void Taps(const float* c, const float* const* a,
                                        const float* const* b, const float* k, int r, int n,
                                        float* __restrict out) {
  // Four registers of eight at a time: each sum waits for its last addition, so four run side
  // by side (named, not an array, which GCC would keep in memory).
  int x = 0;
  for (; x + 32 <= n; x += 32) {
    Lanes s0, s1, s2, s3, u0, u1, u2, u3, v0, v1, v2, v3;
    std::memcpy(&s0, c + x, sizeof s0);
    std::memcpy(&s1, c + x + 8, sizeof s1);
    std::memcpy(&s2, c + x + 16, sizeof s2);
    std::memcpy(&s3, c + x + 24, sizeof s3);
    s0 *= k[0], s1 *= k[0], s2 *= k[0], s3 *= k[0];
    for (int i = 1; i <= r; ++i) {
      const float* p = a[i] + x;
      const float* q = b[i] + x;
      std::memcpy(&u0, p, sizeof u0), std::memcpy(&v0, q, sizeof v0);
      std::memcpy(&u1, p + 8, sizeof u1), std::memcpy(&v1, q + 8, sizeof v1);
      std::memcpy(&u2, p + 16, sizeof u2), std::memcpy(&v2, q + 16, sizeof v2);
      std::memcpy(&u3, p + 24, sizeof u3), std::memcpy(&v3, q + 24, sizeof v3);
      s0 += k[i] * (u0 + v0), s1 += k[i] * (u1 + v1);
      s2 += k[i] * (u2 + v2), s3 += k[i] * (u3 + v3);
    }
    std::memcpy(out + x, &s0, sizeof s0);
    std::memcpy(out + x + 8, &s1, sizeof s1);
    std::memcpy(out + x + 16, &s2, sizeof s2);
    std::memcpy(out + x + 24, &s3, sizeof s3);
  }
  for (; x + 8 <= n; x += 8) {
    Lanes sum, u, v;
    std::memcpy(&sum, c + x, sizeof sum);
    sum *= k[0];
    for (int i = 1; i <= r; ++i) {
      std::memcpy(&u, a[i] + x, sizeof u);
      std::memcpy(&v, b[i] + x, sizeof v);
      sum += k[i] * (u + v);
    }
    std::memcpy(out + x, &sum, sizeof sum);
  }
  for (; x < n; ++x) {
    float sum = k[0] * c[x];
    for (int i = 1; i <= r; ++i) sum += k[i] * (a[i][x] + b[i][x]);
    out[x] = sum;
  }
}

// The rows of GaussianBlur; `padded` holds src.cols + 2 r floats. Kernels up to kMaxTaps taps a
// side (sigma < 64 gives at most 256).
constexpr int kMaxTaps = 256;
LINESIGHT_CLONES void BlurRows(const cv::Mat& src, const float* k, int r, float* padded,
                               cv::Mat& dst) {
  const int w = src.cols, h = src.rows;
  float* acc = padded + r;
  const float* up[kMaxTaps + 1];
  const float* down[kMaxTaps + 1];
  const float* left[kMaxTaps + 1];
  const float* right[kMaxTaps + 1];
  for (int i = 1; i <= r; ++i) left[i] = acc - i, right[i] = acc + i;
  for (int y = 0; y < h; ++y) {
    // Vertical pass over whole rows into the middle of the padded line, ...
    for (int i = 1; i <= r; ++i) {
      up[i] = src.ptr<float>(Reflect(y - i, h));
      down[i] = src.ptr<float>(Reflect(y + i, h));
    }
    Taps(src.ptr<float>(y), up, down, k, r, w, acc);
    // ... reflect its ends into the padding, ...
    for (int i = 1; i <= r; ++i) {
      padded[r - i] = acc[Reflect(-i, w)];
      padded[r + w - 1 + i] = acc[Reflect(w - 1 + i, w)];
    }
    // ... then the horizontal pass along it.
    Taps(acc, left, right, k, r, w, dst.ptr<float>(y));
  }
}

// cv::remap's bilinear weights for float images (initInterTab2D, INTER_LINEAR): 32 x 32
// quantised fractions, four weights each, in the same float arithmetic; entry 1024 is all zero.
constexpr int kTabBits = 5, kTabSize = 1 << kTabBits;
constexpr uint16_t kNoWeight = kTabSize * kTabSize;

const std::array<float, 4 * (kNoWeight + 1)>& RemapWeights() {
  static const std::array<float, 4 * (kNoWeight + 1)> table = [] {
    std::array<float, 4 * (kNoWeight + 1)> t{};
    for (int fy = 0; fy < kTabSize; ++fy)
      for (int fx = 0; fx < kTabSize; ++fx) {
        const float y = 1.f / kTabSize * fy, x = 1.f / kTabSize * fx;
        const float ty[2] = {1.f - y, y}, tx[2] = {1.f - x, x};
        float* w = &t[4 * static_cast<size_t>(fy * kTabSize + fx)];
        w[0] = ty[0] * tx[0];
        w[1] = ty[0] * tx[1];
        w[2] = ty[1] * tx[0];
        w[3] = ty[1] * tx[1];
      }
    return t;
  }();
  return table;
}

// The loop of RemapTable::Apply. A product by `scale` after the sum rounds as a separate pass
// would (no fused multiply-add on either target), so folding it in changes no bit.
LINESIGHT_CLONES void Resample(const float* p, ptrdiff_t ps, const int32_t* off, const uint16_t* wi,
                               size_t n, float scale, float* __restrict d) {
  const float* tab = RemapWeights().data();
  for (size_t i = 0; i < n; ++i) {
    const float* s = p + off[i];
    const float* w = tab + 4 * wi[i];
    // Same order of operations as cv::remap, so that the sums round alike.
    d[i] = (s[0] * w[0] + s[1] * w[1] + s[ps] * w[2] + s[ps + 1] * w[3]) * scale;
  }
}

// Resample for two sources of one layout at once: the taps and weights are read once for both.
LINESIGHT_CLONES void Resample2(const float* p, const float* q, ptrdiff_t ps, const int32_t* off,
                                const uint16_t* wi, size_t n, float scale, float* __restrict d,
                                float* __restrict e) {
  const float* tab = RemapWeights().data();
  for (size_t i = 0; i < n; ++i) {
    const float* s = p + off[i];
    const float* t = q + off[i];
    const float* w = tab + 4 * wi[i];
    d[i] = (s[0] * w[0] + s[1] * w[1] + s[ps] * w[2] + s[ps + 1] * w[3]) * scale;
    e[i] = (t[0] * w[0] + t[1] * w[1] + t[ps] * w[2] + t[ps + 1] * w[3]) * scale;
  }
}

}  // namespace

GaussianKernel::GaussianKernel(double sigma) {
  CV_Assert(sigma > 0 && sigma < 64);
  // As cv::getGaussianKernel (getGaussianKernelBitExact): x runs in steps of 2 from 1 - n, so
  // x * x * (-0.125 / sigma^2) is -d^2 / (2 sigma^2) for the distance d from the centre.
  const int n = cvRound(sigma * 8 + 1) | 1, half = (n - 1) / 2;
  const double scale = -0.125 / (sigma * sigma);
  std::vector<double> t(static_cast<size_t>(half) + 1);
  double sum = 1;  // the centre tap, exp(0)
  for (int d = 1; d <= half; ++d) {
    const int x = 2 * d;
    t[static_cast<size_t>(d)] = std::exp(static_cast<double>(x * x) * scale);
    sum += 2 * t[static_cast<size_t>(d)];
  }
  const double inv = 1 / sum;
  taps_.assign(static_cast<size_t>(half) + 1, 0.f);
  taps_[0] = static_cast<float>(inv);
  for (int d = 1; d <= half; ++d)
    taps_[static_cast<size_t>(d)] = static_cast<float>(t[static_cast<size_t>(d)] * inv);
}

void GaussianBlur(const cv::Mat& src, cv::Mat& dst, const GaussianKernel& kernel,
                  std::vector<float>& line) {
  CV_Assert(src.type() == CV_32FC1);
  CV_Assert(dst.empty() || dst.data != src.data);
  dst.create(src.size(), CV_32FC1);
  CV_Assert(dst.dataend <= src.datastart || src.dataend <= dst.datastart);
  const int r = kernel.radius();
  CV_Assert(r <= kMaxTaps);  // BlurRows' row pointers
  if (line.size() < static_cast<size_t>(src.cols + 2 * r))
    line.resize(static_cast<size_t>(src.cols + 2 * r));
  BlurRows(src, kernel.taps(), r, line.data(), dst);
}

void MaxFilter(const cv::Mat& src, cv::Mat& dst, int radius, cv::Mat& tmp) {
  CV_Assert(src.type() == CV_8UC1 && radius >= 0);
  const int w = src.cols, h = src.rows;
  tmp.create(src.size(), CV_8UC1);
  CV_Assert(tmp.data != src.data);
  // Rows: neighbours left and right, as far as the row reaches.
  for (int y = 0; y < h; ++y) {
    const uint8_t* s = src.ptr<uint8_t>(y);
    uint8_t* t = tmp.ptr<uint8_t>(y);
    std::memcpy(t, s, static_cast<size_t>(w));
    for (int k = 1; k <= radius && k < w; ++k) {
      for (int x = k; x < w; ++x) t[x] = std::max(t[x], s[x - k]);
      for (int x = 0; x < w - k; ++x) t[x] = std::max(t[x], s[x + k]);
    }
  }
  // Columns: rows above and below, as far as the image reaches.
  dst.create(src.size(), CV_8UC1);
  for (int y = 0; y < h; ++y) {
    uint8_t* d = dst.ptr<uint8_t>(y);
    std::memcpy(d, tmp.ptr<uint8_t>(y), static_cast<size_t>(w));
    for (int yy = std::max(0, y - radius); yy <= std::min(h - 1, y + radius); ++yy) {
      const uint8_t* t = tmp.ptr<uint8_t>(yy);
      for (int x = 0; x < w; ++x) d[x] = std::max(d[x], t[x]);
    }
  }
}

void ShrinkBlocks(const cv::Mat& src, int factor, cv::Mat& dst) {
  CV_Assert(src.type() == CV_32FC1 && factor >= 1);
  const int w = src.cols, h = src.rows;
  const int sw = (w + factor - 1) / factor, sh = (h + factor - 1) / factor;
  CV_Assert(dst.empty() || dst.data != src.data);
  dst.create(sh, sw, CV_32FC1);
  for (int by = 0; by < sh; ++by) {
    float* d = dst.ptr<float>(by);
    std::fill(d, d + sw, 0.f);
    const int y0 = by * factor, y1 = std::min(h, y0 + factor);
    for (int y = y0; y < y1; ++y) {
      const float* s = src.ptr<float>(y);
      for (int bx = 0; bx < sw; ++bx) {
        const int x0 = bx * factor, x1 = std::min(w, x0 + factor);
        float sum = 0;
        for (int x = x0; x < x1; ++x) sum += s[x];
        d[bx] += sum;
      }
    }
    for (int bx = 0; bx < sw; ++bx) {
      const int x0 = bx * factor, x1 = std::min(w, x0 + factor);
      d[bx] /= static_cast<float>((x1 - x0) * (y1 - y0));
    }
  }
}

namespace {
// Bilinear position of output pixel `i` on a grid of `factor`-pixel blocks with `n` samples: the
// first sample and the weight of the second, edge samples repeated beyond the outer centres.
void BilinearTap(int i, int factor, int n, int& first, float& weight) {
  const float pos = (static_cast<float>(i) + 0.5f) / static_cast<float>(factor) - 0.5f;
  first = static_cast<int>(std::floor(pos));
  weight = pos - static_cast<float>(first);
  if (first < 0) {
    first = 0;
    weight = 0;
  }
  if (first >= n - 1) {
    first = n - 1;
    weight = 0;
  }
}
}  // namespace

void ExpandBilinear(const cv::Mat& src, int factor, cv::Size size, cv::Mat& dst,
                    std::vector<float>& taps) {
  CV_Assert(src.type() == CV_32FC1 && factor >= 1 && !src.empty());
  CV_Assert((size.width + factor - 1) / factor == src.cols &&
            (size.height + factor - 1) / factor == src.rows);
  CV_Assert(dst.empty() || dst.data != src.data);
  dst.create(size, CV_32FC1);
  // Per output column: the first sample (as a float, exact below 2^24) and the weight of the next.
  if (taps.size() < static_cast<size_t>(2 * size.width))
    taps.resize(static_cast<size_t>(2 * size.width));
  for (int x = 0; x < size.width; ++x) {
    int first;
    BilinearTap(x, factor, src.cols, first, taps[2 * x + 1]);
    taps[2 * x] = static_cast<float>(first);
  }
  for (int y = 0; y < size.height; ++y) {
    int row;
    float wy;
    BilinearTap(y, factor, src.rows, row, wy);
    const float* a = src.ptr<float>(row);
    const float* b = src.ptr<float>(std::min(row + 1, src.rows - 1));
    float* d = dst.ptr<float>(y);
    for (int x = 0; x < size.width; ++x) {
      const int i = static_cast<int>(taps[2 * x]);
      const int j = std::min(i + 1, src.cols - 1);
      const float wx = taps[2 * x + 1];
      const float top = a[i] + (a[j] - a[i]) * wx, bottom = b[i] + (b[j] - b[i]) * wx;
      d[x] = top + (bottom - top) * wy;
    }
  }
}

LINESIGHT_CLONES void LogOffset(const float* in, float offset, int n, float* out) {
  for (int i = 0; i < n; ++i) {
    const uint32_t bits = std::bit_cast<uint32_t>(in[i] + offset);
    // x = m 2^e with m in [sqrt(1/2), sqrt(2)), so that the polynomial in m - 1 stays small.
    // Mantissas below sqrt(1/2) are doubled; the test is arithmetic so that the loop vectorises.
    const int32_t mantissa = static_cast<int32_t>(bits & 0x007fffffu);
    const float low = static_cast<float>(-((mantissa - 0x3504f3) >> 31));  // 1: below sqrt(1/2)
    float m = std::bit_cast<float>(static_cast<uint32_t>(mantissa) | 0x3f000000u);  // [0.5, 1)
    const float e = static_cast<float>(static_cast<int32_t>(bits >> 23) - 126) - low;
    m = (m + m * low) - 1.f;
    const float z = m * m;
    float y = 7.0376836292e-2f;
    y = y * m - 1.1514610310e-1f;
    y = y * m + 1.1676998740e-1f;
    y = y * m - 1.2420140846e-1f;
    y = y * m + 1.4249322787e-1f;
    y = y * m - 1.6668057665e-1f;
    y = y * m + 2.0000714765e-1f;
    y = y * m - 2.4999993993e-1f;
    y = y * m + 3.3333331174e-1f;
    y = y * m * z;
    y += -2.12194440e-4f * e;  // ln 2 split in two: this is its small part
    y += -0.5f * z;
    out[i] = (m + y) + 0.693359375f * e;
  }
}

LINESIGHT_CLONES void SlidingMin(const float* in, int n, int window, float* tmp, float* out) {
  Sliding<MinStep>(in, n, window, tmp, out);
}

LINESIGHT_CLONES void SlidingMax(const float* in, int n, int window, float* tmp, float* out) {
  Sliding<MaxStep>(in, n, window, tmp, out);
}

RemapTable::RemapTable(const cv::Mat& map_x, const cv::Mat& map_y, cv::Size source,
                       RemapBorder border)
    : source_(source), output_(map_x.size()), border_(border) {
  CV_Assert(map_x.type() == CV_32FC1 && map_y.type() == CV_32FC1 && map_x.size() == map_y.size());
  CV_Assert(source.width > 0 && source.height > 0);
  const int pw = source.width + 2;
  offset_.resize(static_cast<size_t>(output_.area()));
  weight_.resize(offset_.size());
  size_t i = 0;
  for (int y = 0; y < output_.height; ++y)
    for (int x = 0; x < output_.width; ++x, ++i) {
      // As cv::remap converts float maps: round to 1/32 pixel, split into tap and fraction.
      const int qx =
          static_cast<int>(std::lrint(map_x.at<float>(y, x) * static_cast<float>(kTabSize)));
      const int qy =
          static_cast<int>(std::lrint(map_y.at<float>(y, x) * static_cast<float>(kTabSize)));
      int sx = qx >> kTabBits, sy = qy >> kTabBits;
      if (border == RemapBorder::kZero &&
          (sx < -1 || sx >= source.width || sy < -1 || sy >= source.height)) {
        offset_[i] = 0;  // every tap outside: reads the zero frame, weighs nothing
        weight_[i] = kNoWeight;
        continue;
      }
      // Taps outside the image land on the frame, which holds the border's value; clamping
      // keeps replicated taps there (both taps of an axis then read the same edge pixel).
      sx = std::clamp(sx, -1, source.width - 1);
      sy = std::clamp(sy, -1, source.height - 1);
      offset_[i] = (sy + 1) * pw + (sx + 1);
      weight_[i] = static_cast<uint16_t>((qy & (kTabSize - 1)) * kTabSize + (qx & (kTabSize - 1)));
    }
  span_.assign(2 * static_cast<size_t>(output_.height), 0);
  for (int y = 0; y < output_.height; ++y) {
    const uint16_t* row = &weight_[static_cast<size_t>(y) * output_.width];
    int x0 = 0, x1 = output_.width;
    while (x0 < x1 && row[x0] == kNoWeight) ++x0;
    while (x1 > x0 && row[x1 - 1] == kNoWeight) --x1;
    span_[2 * static_cast<size_t>(y)] = x0;
    span_[2 * static_cast<size_t>(y) + 1] = x1;
  }
}

void RemapTable::Pad(const cv::Mat& src, cv::Mat& padded) const {
  CV_Assert(src.type() == CV_32FC1 && src.size() == source_);
  padded.create(padded_size(), CV_32FC1);
  for (int y = 0; y < source_.height; ++y)
    std::memcpy(padded.ptr<float>(y + 1) + 1, src.ptr<float>(y),
                sizeof(float) * static_cast<size_t>(source_.width));
  FillFrame(padded);
}

void RemapTable::FillFrame(cv::Mat& padded) const {
  CV_Assert(padded.type() == CV_32FC1 && padded.size() == padded_size());
  const int w = source_.width, h = source_.height;
  const bool zero = border_ == RemapBorder::kZero;
  for (int y = 1; y <= h; ++y) {
    float* p = padded.ptr<float>(y);
    p[0] = zero ? 0.f : p[1];
    p[w + 1] = zero ? 0.f : p[w];
  }
  float* top = padded.ptr<float>(0);
  float* bottom = padded.ptr<float>(h + 1);
  if (zero) {
    std::fill(top, top + w + 2, 0.f);
    std::fill(bottom, bottom + w + 2, 0.f);
  } else {
    std::memcpy(top, padded.ptr<float>(1), sizeof(float) * static_cast<size_t>(w + 2));
    std::memcpy(bottom, padded.ptr<float>(h), sizeof(float) * static_cast<size_t>(w + 2));
  }
}

void RemapTable::Apply2(const cv::Mat& padded, const cv::Mat& padded2, cv::Mat& dst, cv::Mat& dst2,
                        float scale) const {
  for (const cv::Mat* p : {&padded, &padded2})
    CV_Assert(p->type() == CV_32FC1 && p->size() == padded_size() && p->isContinuous());
  dst.create(output_, CV_32FC1);
  dst2.create(output_, CV_32FC1);
  CV_Assert(dst.isContinuous() && dst2.isContinuous() && dst.data != dst2.data);
  for (const cv::Mat* d : {&dst, &dst2})
    CV_Assert(d->data != padded.data && d->data != padded2.data);
  for (int y = 0; y < output_.height; ++y) {
    const size_t row = static_cast<size_t>(y) * output_.width;
    const int x0 = span_[2 * static_cast<size_t>(y)], x1 = span_[2 * static_cast<size_t>(y) + 1];
    for (float* d : {dst.ptr<float>(y), dst2.ptr<float>(y)}) {
      std::fill(d, d + x0, 0.f);
      std::fill(d + x1, d + output_.width, 0.f);
    }
    Resample2(padded.ptr<float>(), padded2.ptr<float>(), padded.cols, offset_.data() + row + x0,
              weight_.data() + row + x0, static_cast<size_t>(x1 - x0), scale,
              dst.ptr<float>(y) + x0, dst2.ptr<float>(y) + x0);
  }
}

void RemapTable::Apply(const cv::Mat& padded, cv::Mat& dst, float scale) const {
  CV_Assert(padded.type() == CV_32FC1 && padded.size() == padded_size() && padded.isContinuous());
  dst.create(output_, CV_32FC1);
  CV_Assert(dst.isContinuous() && dst.data != padded.data);
  // Pixels without a weight would resample the zero frame to +0: fill them instead.
  for (int y = 0; y < output_.height; ++y) {
    const size_t row = static_cast<size_t>(y) * output_.width;
    const int x0 = span_[2 * static_cast<size_t>(y)], x1 = span_[2 * static_cast<size_t>(y) + 1];
    float* d = dst.ptr<float>(y);
    std::fill(d, d + x0, 0.f);
    std::fill(d + x1, d + output_.width, 0.f);
    Resample(padded.ptr<float>(), padded.cols, offset_.data() + row + x0, weight_.data() + row + x0,
             static_cast<size_t>(x1 - x0), scale, d + x0);
  }
}

}  // namespace linesight
