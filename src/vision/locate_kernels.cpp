#include "vision/locate_kernels.h"

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstring>

#include "vision/target_clones.h"

namespace linesight {
namespace {

// The blur's row loops are also compiled for AVX2 (LINESIGHT_CLONES: twice the pixels per
// instruction); integer arithmetic, so both versions give the same bytes.

// Index of position p in a row of `len` pixels mirrored about its end pixels (cba|abcd|dcb),
// OpenCV's BORDER_REFLECT_101.
int Reflect101(int p, int len) {
  if (len == 1) return 0;
  while (p < 0 || p >= len) p = p < 0 ? -p : 2 * len - 2 - p;
  return p;
}

uint8_t SaturateU8(int v) { return static_cast<uint8_t>(std::clamp(v, 0, 255)); }

// Round half to even, as OpenCV's saturate_cast does.
int RoundEven(float v) { return cvRound(v); }

// OpenCV's area table: the source pixels each destination pixel covers, with their shares.
int AreaTable(int ssize, int dsize, double scale, std::vector<AreaTap>& tab) {
  tab.resize(static_cast<size_t>(ssize) * 2 + 2);
  int k = 0;
  for (int dx = 0; dx < dsize; ++dx) {
    const double fsx1 = dx * scale, fsx2 = fsx1 + scale;
    const double cell = std::min(scale, ssize - fsx1);
    int sx1 = cvCeil(fsx1), sx2 = cvFloor(fsx2);
    sx2 = std::min(sx2, ssize - 1);
    sx1 = std::min(sx1, sx2);
    if (sx1 - fsx1 > 1e-3) tab[k++] = {sx1 - 1, dx, static_cast<float>((sx1 - fsx1) / cell)};
    for (int sx = sx1; sx < sx2; ++sx) tab[k++] = {sx, dx, static_cast<float>(1.0 / cell)};
    if (fsx2 - sx2 > 1e-3)
      tab[k++] = {sx2, dx, static_cast<float>(std::min(std::min(fsx2 - sx2, 1.), cell) / cell)};
  }
  return k;
}

// Round half to even for |v| < 2^22 in plain float arithmetic, so that loops using it vectorise:
// adding 1.5 * 2^23 leaves no fraction bits, and the FPU rounds half to even as cvRound does.
float RoundSmall(float v) {
  constexpr float kMagic = 12582912.f;
  return (v + kMagic) - kMagic;
}

// The taps of a table as `taps` parallel arrays of one entry per destination pixel, in table
// order; pixels with fewer taps are padded with weight 0 (adding 0 leaves a float sum unchanged).
void TapArrays(const std::vector<AreaTap>& tab, int n, int dsize, AreaScratch& s) {
  int taps = 0;
  for (int k = 0, run = 0; k < n; ++k) {
    run = (k > 0 && tab[k].dst == tab[k - 1].dst) ? run + 1 : 1;
    taps = std::max(taps, run);
  }
  s.taps = taps;
  s.xsrc.assign(static_cast<size_t>(taps) * dsize, 0);
  s.xweight.assign(static_cast<size_t>(taps) * dsize, 0.f);
  for (int k = 0, j = 0; k < n; ++k) {
    j = (k > 0 && tab[k].dst == tab[k - 1].dst) ? j + 1 : 0;
    s.xsrc[static_cast<size_t>(j) * dsize + tab[k].dst] = tab[k].src;
    s.xweight[static_cast<size_t>(j) * dsize + tab[k].dst] = tab[k].weight;
  }
}

// One source row through the horizontal taps: row[dx] = sum of in[src] * weight, tap by tap.
// The byte reads are gathers the vectoriser cannot do, so each pixel's sum stays in a register
// (added in tap order, from 0, as before) rather than going through row[] once per tap.
void ShrinkRow(const uint8_t* __restrict in, const int* __restrict src,
               const float* __restrict weight, int taps, int n, float* __restrict row) {
  for (int x = 0; x < n; ++x) {
    float sum = 0.f;
    for (int j = 0; j < taps; ++j) {
      const size_t at = static_cast<size_t>(j) * n + x;
      sum += in[src[at]] * weight[at];
    }
    row[x] = sum;
  }
}

void StoreRow(const float* __restrict sum, int n, uint8_t* __restrict out) {
  for (int x = 0; x < n; ++x)
    out[x] = static_cast<uint8_t>(std::clamp(RoundSmall(sum[x]), 0.f, 255.f));
}

void AddRow(const float* __restrict row, float beta, int n, float* __restrict sum) {
  for (int x = 0; x < n; ++x) sum[x] += beta * row[x];
}

// Shrink by a non-integer factor: OpenCV's weighted sums in float, term for term in its order,
// so the result is bit-exact. Each source row is filtered horizontally once, even when it
// straddles two destination rows.
void ShrinkByTable(const cv::Mat& src, cv::Mat& dst, double scale, AreaScratch& s) {
  const int xn = AreaTable(src.cols, dst.cols, scale, s.xtab);
  const int yn = AreaTable(src.rows, dst.rows, scale, s.ytab);
  const int n = dst.cols;
  TapArrays(s.xtab, xn, n, s);
  s.row.assign(n, 0.f);
  s.sum.assign(n, 0.f);
  float* row = s.row.data();
  float* sum = s.sum.data();
  int prev = s.ytab[0].dst, row_of = -1;
  for (int j = 0; j < yn; ++j) {
    const AreaTap& yt = s.ytab[j];
    if (yt.src != row_of) {
      ShrinkRow(src.ptr<uint8_t>(yt.src), s.xsrc.data(), s.xweight.data(), s.taps, n, row);
      row_of = yt.src;
    }
    if (yt.dst != prev) {
      StoreRow(sum, n, dst.ptr<uint8_t>(prev));
      std::fill(sum, sum + n, 0.f);
      prev = yt.dst;
    }
    // The first term of a row is 0 + beta * row: the same float as OpenCV's beta * row.
    AddRow(row, yt.weight, n, sum);
  }
  StoreRow(sum, n, dst.ptr<uint8_t>(prev));
}

// Shrink by an integer factor k: the mean of each k x k block (partial blocks at the far edges
// average what they have).
void ShrinkByInteger(const cv::Mat& src, cv::Mat& dst, int k, AreaScratch& s) {
  const int full_w = std::min(dst.cols, src.cols / k);
  const float inv_area = 1.f / static_cast<float>(k * k);
  s.isum.assign(dst.cols, 0);
  int* acc = s.isum.data();
  for (int dy = 0; dy < dst.rows; ++dy) {
    uint8_t* out = dst.ptr<uint8_t>(dy);
    const int sy0 = dy * k;
    if (sy0 >= src.rows) {
      std::memset(out, 0, dst.cols);
      continue;
    }
    const bool full_rows = sy0 + k <= src.rows;
    if (full_rows && k == 2) {
      // OpenCV's vector path for halving rounds half up.
      const uint8_t* a = src.ptr<uint8_t>(sy0);
      const uint8_t* b = src.ptr<uint8_t>(sy0 + 1);
      for (int x = 0; x < full_w; ++x)
        out[x] = static_cast<uint8_t>((a[2 * x] + a[2 * x + 1] + b[2 * x] + b[2 * x + 1] + 2) >> 2);
    } else if (full_rows) {
      std::fill(acc, acc + full_w, 0);
      for (int sy = sy0; sy < sy0 + k; ++sy) {
        const uint8_t* in = src.ptr<uint8_t>(sy);
        for (int x = 0; x < full_w; ++x)
          for (int i = 0; i < k; ++i) acc[x] += in[x * k + i];
      }
      for (int x = 0; x < full_w; ++x)
        out[x] = SaturateU8(RoundEven(static_cast<float>(acc[x]) * inv_area));
    }
    for (int x = full_rows ? full_w : 0; x < dst.cols; ++x) {
      int total = 0, count = 0;
      const int sx0 = x * k;
      for (int sy = sy0; sy < std::min(sy0 + k, src.rows); ++sy)
        for (int sx = sx0; sx < std::min(sx0 + k, src.cols); ++sx, ++count)
          total += src.ptr<uint8_t>(sy)[sx];
      out[x] = count ? SaturateU8(RoundEven(static_cast<float>(total) / count)) : 0;
    }
  }
}

// Enlarge (f > 1): OpenCV's INTER_AREA enlarges by linear interpolation between pixel cells, in
// 11-bit fixed point. Small frames only; not tuned for speed.
void Enlarge(const cv::Mat& src, cv::Mat& dst, double f) {
  const double scale = 1.0 / f;
  auto taps = [&](int d, int len, int& s0, int& s1, int& w1) {
    int sx = cvFloor(d * scale);
    float fx = static_cast<float>((d + 1) - (sx + 1) * f);
    fx = fx <= 0 ? 0.f : fx - static_cast<float>(cvFloor(fx));
    if (sx < 0) fx = 0, sx = 0;
    if (sx >= len - 1) fx = 0, sx = len - 1;
    s0 = sx;
    s1 = std::min(sx + 1, len - 1);
    w1 = RoundEven(fx * 2048.f);
    return RoundEven((1.f - fx) * 2048.f);
  };
  for (int dy = 0; dy < dst.rows; ++dy) {
    int y0, y1, wy1;
    const int wy0 = taps(dy, src.rows, y0, y1, wy1);
    const uint8_t* r0 = src.ptr<uint8_t>(y0);
    const uint8_t* r1 = src.ptr<uint8_t>(y1);
    uint8_t* out = dst.ptr<uint8_t>(dy);
    for (int dx = 0; dx < dst.cols; ++dx) {
      int x0, x1, wx1;
      const int wx0 = taps(dx, src.cols, x0, x1, wx1);
      const int h0 = r0[x0] * wx0 + r0[x1] * wx1, h1 = r1[x0] * wx0 + r1[x1] * wx1;
      out[dx] = SaturateU8((h0 * wy0 + h1 * wy1 + (1 << 21)) >> 22);
    }
  }
}

// Interior of one row of the horizontal 5-tap pass (columns 2 .. w-3). uint16 arithmetic is
// exact: the taps sum to 256, so the result fits even where partial sums would wrap.
LINESIGHT_CLONES void BlurRow(const uint8_t* __restrict in, uint16_t* __restrict out, int w,
                              const int k[5]) {
  const uint16_t k0 = static_cast<uint16_t>(k[0]), k1 = static_cast<uint16_t>(k[1]),
                 k2 = static_cast<uint16_t>(k[2]);
  for (int x = 2; x < w - 2; ++x)
    out[x] = static_cast<uint16_t>(k0 * (in[x - 2] + in[x + 2]) + k1 * (in[x - 1] + in[x + 1]) +
                                   k2 * in[x]);
}

// One output row of the vertical 5-tap pass over rows a..e of the horizontal pass.
LINESIGHT_CLONES void BlurColumns(const uint16_t* __restrict a, const uint16_t* __restrict b,
                                  const uint16_t* __restrict c, const uint16_t* __restrict d,
                                  const uint16_t* __restrict e, uint8_t* __restrict out, int w,
                                  const int k[5]) {
  const uint32_t k0 = static_cast<uint32_t>(k[0]), k1 = static_cast<uint32_t>(k[1]),
                 k2 = static_cast<uint32_t>(k[2]);
  for (int x = 0; x < w; ++x)
    out[x] =
        static_cast<uint8_t>((k0 * (static_cast<uint32_t>(a[x]) + e[x]) +
                              k1 * (static_cast<uint32_t>(b[x]) + d[x]) + k2 * c[x] + (1u << 15)) >>
                             16);
}

}  // namespace

cv::Size ScaledSize(cv::Size size, double f) {
  return {cvRound(size.width * f), cvRound(size.height * f)};
}

void ShrinkArea(const cv::Mat& src, double f, cv::Mat& dst, AreaScratch& s) {
  CV_Assert(src.type() == CV_8UC1 && !src.empty() && f > 0);
  const cv::Size size = ScaledSize(src.size(), f);
  CV_Assert(size.width > 0 && size.height > 0);
  dst.create(size, CV_8UC1);
  if (size == src.size()) {
    src.copyTo(dst);
    return;
  }
  const double scale = 1.0 / f;
  if (scale < 1) {
    Enlarge(src, dst, f);
    return;
  }
  const int k = cv::saturate_cast<int>(scale);
  if (std::abs(scale - k) < DBL_EPSILON)
    ShrinkByInteger(src, dst, k, s);
  else
    ShrinkByTable(src, dst, scale, s);
}

void GaussianKernel5Q8(double sigma, int kernel[5]) {
  if (sigma <= 0) {
    const int fixed[5] = {16, 64, 96, 64, 16};
    std::copy(fixed, fixed + 5, kernel);
    return;
  }
  // OpenCV: exp(-x^2 / (2 sigma^2)) normalised, then rounded to 1/256 with the rounding error
  // carried from tap to tap; the centre takes what is left.
  const double scale2x = -0.125 / (sigma * sigma);
  const double v0 = std::exp(16 * scale2x), v1 = std::exp(4 * scale2x);
  const double sum = 2 * (v0 + v1) + 1;
  const double mul = 1 / sum;
  double err = 0;
  const double taps[2] = {v0 * mul, v1 * mul};
  int total = 0;
  for (int i = 0; i < 2; ++i) {
    const double adj = taps[i] * 256 + err;
    const int v = cvRound(adj);
    err = adj - v;
    kernel[i] = kernel[4 - i] = v;
    total += v;
  }
  kernel[2] = 256 - 2 * total;
}

void GaussianBlur5x5(const cv::Mat& src, cv::Mat& dst, double sigma, cv::Mat& tmp) {
  CV_Assert(src.type() == CV_8UC1 && !src.empty());
  int k[5];
  GaussianKernel5Q8(sigma, k);
  const int w = src.cols, h = src.rows;
  // `tmp` only grows, so that blurring frames of two sizes in turn does not reallocate it.
  const size_t area = static_cast<size_t>(w) * h;
  if (tmp.type() != CV_16UC1 || !tmp.isContinuous() || tmp.total() < area)
    tmp.create(1, static_cast<int>(area), CV_16UC1);
  cv::Mat rows(h, w, CV_16UC1, tmp.data);
  // Rows first, into 8.8 fixed point (exact: the kernel sums to 256).
  for (int y = 0; y < h; ++y) {
    const uint8_t* in = src.ptr<uint8_t>(y);
    uint16_t* out = rows.ptr<uint16_t>(y);
    BlurRow(in, out, w, k);
    for (int x : {0, 1, w - 2, w - 1}) {
      if (x < 0 || x >= w || (x >= 2 && x < w - 2)) continue;
      // The two first and two last columns read mirrored neighbours.
      int v = 0;
      for (int i = 0; i < 5; ++i) v += k[i] * in[Reflect101(x + i - 2, w)];
      out[x] = static_cast<uint16_t>(v);
    }
  }
  // Then columns, in 16.16 fixed point, rounded half up to 8 bits.
  dst.create(h, w, CV_8UC1);
  for (int y = 0; y < h; ++y)
    BlurColumns(rows.ptr<uint16_t>(Reflect101(y - 2, h)), rows.ptr<uint16_t>(Reflect101(y - 1, h)),
                rows.ptr<uint16_t>(y), rows.ptr<uint16_t>(Reflect101(y + 1, h)),
                rows.ptr<uint16_t>(Reflect101(y + 2, h)), dst.ptr<uint8_t>(y), w, k);
}

void GradientMagnitude(const cv::Mat& src, cv::Mat& dst) {
  CV_Assert(src.type() == CV_8UC1 && !src.empty());
  const int w = src.cols, h = src.rows;
  dst.create(h, w, CV_32FC1);
  for (int y = 0; y < h; ++y) {
    const uint8_t* a = src.ptr<uint8_t>(Reflect101(y - 1, h));
    const uint8_t* b = src.ptr<uint8_t>(y);
    const uint8_t* c = src.ptr<uint8_t>(Reflect101(y + 1, h));
    float* out = dst.ptr<float>(y);
    auto at = [&](int x, int l, int r) {
      const int gx = (a[r] - a[l]) + 2 * (b[r] - b[l]) + (c[r] - c[l]);
      const int gy = (c[l] + 2 * c[x] + c[r]) - (a[l] + 2 * a[x] + a[r]);
      // gx^2 + gy^2 < 2^24: exact in float, as in OpenCV's float magnitude.
      return std::sqrt(static_cast<float>(gx * gx + gy * gy));
    };
    for (int x = 1; x < w - 1; ++x) out[x] = at(x, x - 1, x + 1);
    out[0] = at(0, Reflect101(-1, w), Reflect101(1, w));
    if (w > 1) out[w - 1] = at(w - 1, w - 2, Reflect101(w, w));
  }
}

void NormalizeMinMaxTo8U(const cv::Mat& src, cv::Mat& dst) {
  CV_Assert(src.type() == CV_32FC1 && !src.empty());
  float lo = FLT_MAX, hi = -FLT_MAX;
  for (int y = 0; y < src.rows; ++y) {
    const float* in = src.ptr<float>(y);
    for (int x = 0; x < src.cols; ++x) {
      lo = std::min(lo, in[x]);
      hi = std::max(hi, in[x]);
    }
  }
  const double range = static_cast<double>(hi) - lo;
  const double scale = 255.0 * (range > DBL_EPSILON ? 1. / range : 0);
  const double shift = -lo * scale;
  // In float, as OpenCV converts: products that land on .5 must round the same way (double
  // arithmetic moves them off it).
  const float a = static_cast<float>(scale), b = static_cast<float>(shift);
  dst.create(src.size(), CV_8UC1);
  for (int y = 0; y < src.rows; ++y) {
    const float* in = src.ptr<float>(y);
    uint8_t* out = dst.ptr<uint8_t>(y);
    for (int x = 0; x < src.cols; ++x) out[x] = SaturateU8(RoundEven(in[x] * a + b));
  }
}

int OtsuThreshold(const cv::Mat& src) {
  CV_Assert(src.type() == CV_8UC1 && !src.empty());
  int hist[256] = {0};
  for (int y = 0; y < src.rows; ++y) {
    const uint8_t* in = src.ptr<uint8_t>(y);
    for (int x = 0; x < src.cols; ++x) ++hist[in[x]];
  }
  // OpenCV's Otsu, operation for operation.
  const double scale = 1. / (static_cast<double>(src.cols) * src.rows);
  double mu = 0;
  for (int i = 0; i < 256; ++i) mu += i * static_cast<double>(hist[i]);
  mu *= scale;
  double mu1 = 0, q1 = 0, max_sigma = 0;
  int best = 0;
  for (int i = 0; i < 256; ++i) {
    const double p = hist[i] * scale;
    mu1 *= q1;
    q1 += p;
    const double q2 = 1. - q1;
    if (std::min(q1, q2) < FLT_EPSILON || std::max(q1, q2) > 1. - FLT_EPSILON) continue;
    mu1 = (mu1 + i * p) / q1;
    const double mu2 = (mu - q1 * mu1) / q2;
    const double sigma = q1 * q2 * (mu1 - mu2) * (mu1 - mu2);
    if (sigma > max_sigma) {
      max_sigma = sigma;
      best = i;
    }
  }
  return best;
}

BinaryMoments MomentsAbove(const cv::Mat& src, int threshold) {
  CV_Assert(src.type() == CV_8UC1);
  int64_t m00 = 0, m10 = 0, m01 = 0, m20 = 0, m02 = 0;
  for (int y = 0; y < src.rows; ++y) {
    const uint8_t* in = src.ptr<uint8_t>(y);
    int64_t n = 0, sx = 0, sxx = 0;
    for (int x = 0; x < src.cols; ++x) {
      const int on = in[x] > threshold;
      n += on;
      sx += on * x;
      sxx += on * x * x;
    }
    m00 += n;
    m10 += sx;
    m20 += sxx;
    m01 += n * y;
    m02 += n * y * y;
  }
  // Central moments as cv::moments forms them.
  BinaryMoments m;
  m.m00 = static_cast<double>(m00);
  m.m10 = static_cast<double>(m10);
  m.m01 = static_cast<double>(m01);
  double cx = 0, cy = 0;
  if (std::abs(m.m00) > DBL_EPSILON) {
    const double inv = 1. / m.m00;
    cx = m.m10 * inv;
    cy = m.m01 * inv;
  }
  m.mu20 = static_cast<double>(m20) - m.m10 * cx;
  m.mu02 = static_cast<double>(m02) - m.m01 * cy;
  return m;
}

}  // namespace linesight
