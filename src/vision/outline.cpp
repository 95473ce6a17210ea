#include "vision/outline.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>

namespace linesight {
namespace {

// Directions a turn. One step along the rim is about one pixel of a 125 px rim (the casting
// images' size); the radial steps below are in the same unit, so the measure scales with the part.
constexpr int kSamples = kOutlineDirections;
constexpr double kRefRim = kOutlineRefRim;
// Radial steps from the rim: the rim's level just inside it, the band summed across the edge (a
// fin stands 3-7 px out) and the table's level beyond it.
constexpr int kRimFrom = kOutlineInnerStep, kRimTo = -1, kBandFrom = -2, kBandTo = 6,
              kTableFrom = 7, kTableTo = kOutlineOuterStep;
constexpr float kMinContrast = 8;    // grey levels between rim and table to measure at all
constexpr int kTrendHalf = 60;       // running median, samples each side (a fin spans <= ~50)
constexpr int kTrendEvery = 8;       // the median is taken every 8th sample, interpolated between
constexpr int kArc = 12;             // samples averaged along the rim
constexpr float kMinSpread = 0.02f;  // steps: a perfectly smooth outline is not infinitely sure
constexpr float kMinValidShare = 0.8f;
constexpr float kMaxStray = 0.5f;  // of the usual contrast: a level further off is not the rim's

constexpr int kSteps = kTableTo - kRimFrom + 1;  // radial samples per direction

// The bilinear taps of every sample: direction k, radial step i (from kRimFrom) at
// tap[k * kSteps + i - kRimFrom].
void BuildTaps(int cols, double rim, OutlineScratch& s) {
  s.tap.resize(static_cast<size_t>(kSamples * kSteps));
  s.fx.resize(s.tap.size());
  s.fy.resize(s.tap.size());
  const double centre = (cols - 1) / 2.0, step = rim / kRefRim;
  for (int k = 0; k < kSamples; ++k) {
    const double a = 2 * std::numbers::pi * k / kSamples, c = std::cos(a), sn = std::sin(a);
    for (int i = kRimFrom; i <= kTableTo; ++i) {
      const double r = rim + i * step, x = centre + r * c, y = centre + r * sn;
      const int x0 = std::clamp(static_cast<int>(std::floor(x)), 0, cols - 2);
      const int y0 = std::clamp(static_cast<int>(std::floor(y)), 0, cols - 2);
      const size_t t = static_cast<size_t>(k * kSteps + i - kRimFrom);
      s.tap[t] = y0 * cols + x0;
      s.fx[t] = static_cast<float>(std::clamp(x - x0, 0.0, 1.0));
      s.fy[t] = static_cast<float>(std::clamp(y - y0, 0.0, 1.0));
    }
  }
  s.table_cols = cols;
  s.table_rim = rim;
}

// Direction k's levels: the rim's just inside it, the table's beyond it, and the sum of the
// band across the edge.
void LevelsAt(const uint8_t* px, int cols, int k, OutlineScratch& s) {
  float p[kSteps];
  for (int j = 0; j < kSteps; ++j) {
    const size_t t = static_cast<size_t>(k * kSteps + j);
    const uint8_t* a = px + s.tap[t];
    const float top = a[0] + s.fx[t] * (a[1] - a[0]);
    const float bottom = a[cols] + s.fx[t] * (a[cols + 1] - a[cols]);
    p[j] = top + s.fy[t] * (bottom - top);
  }
  const auto at = [&](int i) { return p[i - kRimFrom]; };
  float rim_level = 0, table = 0, band = 0;
  for (int i = kRimFrom; i <= kRimTo; ++i) rim_level += at(i);
  for (int i = kTableFrom; i <= kTableTo; ++i) table += at(i);
  for (int i = kBandFrom; i <= kBandTo; ++i) band += at(i);
  const size_t u = static_cast<size_t>(k);
  s.rim_level[u] = rim_level / (kRimTo - kRimFrom + 1);
  s.table[u] = table / (kTableTo - kTableFrom + 1);
  s.band[u] = band;
}

float MedianOf(std::vector<float>& v) {
  const auto mid = v.begin() + static_cast<std::ptrdiff_t>(v.size() / 2);
  std::nth_element(v.begin(), mid, v.end());
  return *mid;
}

// `out` = the running median of `in` round the circle (NaN samples left out), taken every
// kTrendEvery samples and linearly interpolated between them.
void RunningMedian(const std::vector<float>& in, OutlineScratch& s, std::vector<float>& out) {
  const int knots = kSamples / kTrendEvery;
  s.knots.assign(static_cast<size_t>(knots), 0.0f);
  for (int j = 0; j < knots; ++j) {
    s.window.clear();
    for (int d = -kTrendHalf; d <= kTrendHalf; ++d) {
      const float w = in[static_cast<size_t>((j * kTrendEvery + d + kSamples) % kSamples)];
      if (!std::isnan(w)) s.window.push_back(w);
    }
    s.knots[static_cast<size_t>(j)] = s.window.empty() ? 0.0f : MedianOf(s.window);
  }
  out.resize(kSamples);
  for (int k = 0; k < kSamples; ++k) {
    const int j = k / kTrendEvery;
    const float t = static_cast<float>(k % kTrendEvery) / kTrendEvery;
    const float a = s.knots[static_cast<size_t>(j)];
    const float b = s.knots[static_cast<size_t>((j + 1) % knots)];
    out[static_cast<size_t>(k)] = a + t * (b - a);
  }
}

// The rim-like width of each direction, in steps, between its own levels. A direction whose
// levels stray far from their running medians along the rim (a chip lets the table show inside
// the rim; a blotch on the table) is left out rather than measured against the wrong levels.
// NaN where left out, or where rim and table are too alike. Returns how many were measured.
int Widths(OutlineScratch& s) {
  RunningMedian(s.rim_level, s, s.rim_trend);
  RunningMedian(s.table, s, s.table_trend);
  constexpr float kBand = kBandTo - kBandFrom + 1;
  int valid = 0;
  for (size_t k = 0; k < kSamples; ++k) {
    const float contrast = s.rim_level[k] - s.table[k];
    const float usual = std::abs(s.rim_trend[k] - s.table_trend[k]);
    const bool ok = std::abs(contrast) >= kMinContrast &&
                    std::abs(s.rim_level[k] - s.rim_trend[k]) <= kMaxStray * usual &&
                    std::abs(s.table[k] - s.table_trend[k]) <= kMaxStray * usual;
    s.width[k] =
        ok ? (s.band[k] - kBand * s.table[k]) / contrast : std::numeric_limits<float>::quiet_NaN();
    valid += ok;
  }
  return valid;
}

}  // namespace

OutlineBulge MeasureOutlineBulge(const cv::Mat& canvas, double rim_px, OutlineScratch& s,
                                 std::span<const uint8_t> skip) {
  CV_Assert(canvas.type() == CV_8UC1 && canvas.isContinuous() && canvas.rows == canvas.cols &&
            rim_px > 20);
  if (s.table_cols != canvas.cols || s.table_rim != rim_px) BuildTaps(canvas.cols, rim_px, s);
  CV_Assert(skip.empty() || skip.size() == static_cast<size_t>(kSamples));
  OutlineBulge out;
  // Every buffer takes its size now, measured or not, so no later part allocates.
  for (auto* v : {&s.rim_level, &s.table, &s.band, &s.width, &s.rim_trend, &s.table_trend, &s.trend,
                  &s.detrended, &s.smooth, &s.sorted})
    v->resize(kSamples);
  s.window.reserve(2 * kTrendHalf + 1);
  s.knots.reserve(kSamples / kTrendEvery);
  for (int k = 0; k < kSamples; ++k) LevelsAt(canvas.data, canvas.cols, k, s);
  if (!skip.empty())
    for (int k = 0; k < kSamples; ++k)
      if (skip[static_cast<size_t>(k)])
        s.rim_level[static_cast<size_t>(k)] = s.table[static_cast<size_t>(k)] =
            std::numeric_limits<float>::quiet_NaN();
  const int valid = Widths(s);
  out.valid_share = static_cast<float>(valid) / kSamples;
  if (out.valid_share < kMinValidShare) return out;
  RunningMedian(s.width, s, s.trend);
  constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();
  for (size_t k = 0; k < kSamples; ++k)
    s.detrended[k] = std::isnan(s.width[k]) ? kNaN : s.width[k] - s.trend[k];
  // Average over an arc, of the directions measured there (half of them at least); the median
  // and spread below are of those averages only, so directions left out do not narrow them.
  float run = 0;
  int count = 0;
  const auto take = [&](int k, int sign) {
    const float v = s.detrended[static_cast<size_t>((k + kSamples) % kSamples)];
    if (!std::isnan(v)) {
      run += static_cast<float>(sign) * v;
      count += sign;
    }
  };
  for (int d = -kArc / 2; d < kArc - kArc / 2; ++d) take(d, 1);
  s.sorted.clear();
  for (int k = 0; k < kSamples; ++k) {
    const float v = 2 * count >= kArc ? run / static_cast<float>(count) : kNaN;
    s.smooth[static_cast<size_t>(k)] = v;
    if (!std::isnan(v)) s.sorted.push_back(v);
    take(k + kArc - kArc / 2, 1);
    take(k - kArc / 2, -1);
  }
  if (s.sorted.size() < kSamples / 2) return out;
  const float median = MedianOf(s.sorted);
  for (float& v : s.sorted) v = std::abs(v - median);
  const float spread = std::max(kMinSpread, 1.4826f * MedianOf(s.sorted));
  int at = -1;
  for (int k = 0; k < kSamples; ++k) {
    const float v = s.smooth[static_cast<size_t>(k)];
    if (!std::isnan(v) && (at < 0 || v > s.smooth[static_cast<size_t>(at)])) at = k;
  }
  const float height = s.smooth[static_cast<size_t>(at)] - median;
  out.measured = true;
  out.z = std::max(0.0f, height / spread);
  const double step = rim_px / kRefRim;
  out.width_px = static_cast<float>(std::max(0.0f, height) * step);
  out.angle_rad = 2 * std::numbers::pi * at / kSamples;
  int left = 0, right = 0;
  const auto above = [&](int k) {
    const float v = s.smooth[static_cast<size_t>((k + kSamples) % kSamples)];
    return !std::isnan(v) && v - median > height / 2;  // a gap ends the arc
  };
  while (left < kSamples / 2 && above(at - left - 1)) ++left;
  while (right < kSamples / 2 && above(at + right + 1)) ++right;
  out.angle_rad += std::numbers::pi * (right - left) / kSamples;  // the arc's middle
  out.half_span = std::numbers::pi * (left + right + 1) / kSamples;
  return out;
}

}  // namespace linesight
