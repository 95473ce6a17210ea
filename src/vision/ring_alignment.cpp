#include "vision/ring_alignment.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <numbers>

namespace linesight {
namespace {

// sum of a[i] * b[i], i < n, in eight interleaved partial sums: the compiler may keep them in
// one vector register, and the order of additions (hence the result) is fixed.
float Dot(const float* a, const float* b, int n) {
  float acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  int i = 0;
  for (; i + 8 <= n; i += 8)
    for (int k = 0; k < 8; ++k) acc[k] += a[i + k] * b[i + k];
  for (; i < n; ++i) acc[0] += a[i] * b[i];
  return ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
}

// out[j] = sum of in[j * group + m], m < group, added in order from 0: the sums Find() once
// built with `out[i / group] += in[i]`, with the same bits, but in a register rather than
// through memory (the store and reload of each addition made a slow chain).
void SumGroups(const float* in, size_t n, int group, float* out) {
  for (size_t j = 0; j < n / group; ++j) {
    float sum = 0.f;
    for (int m = 0; m < group; ++m) sum += in[j * group + m];
    out[j] = sum;
  }
}

}  // namespace

RingAlignment::RingAlignment(int canvas, double max_radius)
    : canvas_(canvas),
      bands_(static_cast<int>(max_radius / kBandWidth) + 1),
      max_radius_(max_radius) {
  const double c = (canvas - 1) / 2.0;
  bin_of_.assign(static_cast<size_t>(canvas) * canvas, -1);
  std::vector<int> count(size(), 0);
  for (int y = 0; y < canvas; ++y)
    for (int x = 0; x < canvas; ++x) {
      const double r = std::hypot(x - c, y - c);
      if (r < kMinRadius || r > max_radius) continue;
      double t = std::atan2(y - c, x - c) / (2 * CV_PI);
      if (t < 0) t += 1;
      const int a = std::min(kAngles - 1, static_cast<int>(t * kAngles));
      const int bin = static_cast<int>(r / kBandWidth) * kAngles + a;
      bin_of_[static_cast<size_t>(y) * canvas + x] = bin;
      ++count[static_cast<size_t>(bin)];
    }
  inv_count_.resize(size());
  band_filled_.resize(size());
  for (size_t i = 0; i < size(); ++i) {
    inv_count_[i] = count[i] > 0 ? 1.f / static_cast<float>(count[i]) : 0.f;
    band_filled_[i] = count[i] > 0;
  }
}

void RingAlignment::Signature(const cv::Mat& feature, RingAlignmentScratch& s) const {
  CV_Assert(feature.type() == CV_32F && feature.rows == canvas_ && feature.cols == canvas_);
  s.signature.assign(size(), 0.f);  // keeps its capacity: no allocation once sized
  float* sig = s.signature.data();
  for (int y = 0; y < canvas_; ++y) {
    const float* f = feature.ptr<float>(y);
    const int32_t* bin = &bin_of_[static_cast<size_t>(y) * canvas_];
    for (int x = 0; x < canvas_; ++x)
      if (bin[x] >= 0) sig[bin[x]] += std::abs(f[x]);
  }
  // Means per bin, then each band's mean removed: what is left is how detail varies with angle
  // (vanes, spokes, bosses); the ring's overall texture and contrast drop out.
  for (int b = 0; b < bands_; ++b) {
    float* row = sig + static_cast<size_t>(b) * kAngles;
    const float* inv = &inv_count_[static_cast<size_t>(b) * kAngles];
    const uint8_t* filled = &band_filled_[static_cast<size_t>(b) * kAngles];
    double sum = 0;
    int n = 0;
    for (int a = 0; a < kAngles; ++a) {
      row[a] *= inv[a];
      if (filled[a]) sum += row[a], ++n;
    }
    const float mean = n > 0 ? static_cast<float>(sum / n) : 0.f;
    for (int a = 0; a < kAngles; ++a) row[a] = filled[a] ? row[a] - mean : 0.f;
  }
}

float RingTurn::At(double r, double max_radius) const {
  float t = base + twist * static_cast<float>(r / max_radius - 0.5);
  t = std::fmod(t, static_cast<float>(RingAlignment::kAngles));
  return t < 0 ? t + RingAlignment::kAngles : t;
}

namespace {

// Power of the template's angular harmonic k (cycles a turn), summed over its bands.
double HarmonicPower(const std::vector<float>& templ, int k, const std::vector<double>& cosine,
                     const std::vector<double>& sine) {
  constexpr int n = RingAlignment::kAngles;
  double power = 0;
  for (size_t b = 0; b < templ.size() / n; ++b) {
    const float* t = &templ[b * n];
    double re = 0, im = 0;
    for (int a = 0; a < n; ++a) {
      const int at = static_cast<int>((static_cast<int64_t>(k) * a) % n);
      re += t[a] * cosine[static_cast<size_t>(at)];
      im += t[a] * sine[static_cast<size_t>(at)];
    }
    power += re * re + im * im;
  }
  return power;
}

}  // namespace

int RingAlignment::Symmetry(const std::vector<float>& templ) {
  if (templ.size() < static_cast<size_t>(kAngles)) return 1;
  std::vector<double> cosine(kAngles), sine(kAngles);
  for (int a = 0; a < kAngles; ++a) {
    cosine[static_cast<size_t>(a)] = std::cos(2 * std::numbers::pi * a / kAngles);
    sine[static_cast<size_t>(a)] = std::sin(2 * std::numbers::pi * a / kAngles);
  }
  constexpr int kTop = 64;  // highest harmonic read
  std::vector<double> power(kTop + 1, 0);
  for (int k = kMinRepeat; k <= kTop; ++k)
    power[static_cast<size_t>(k)] = HarmonicPower(templ, k, cosine, sine);
  const auto p = [&](int k) { return k <= kTop ? power[static_cast<size_t>(k)] : 0.0; };
  int n = kMinRepeat;
  for (int k = kMinRepeat; k <= kMaxSymmetry; ++k)
    if (p(k) > p(n)) n = k;
  // A repeat is a sharp peak of the spectrum holding a real share of the template's energy
  // (Parseval: the harmonics' powers sum to kAngles times it, over positive and negative ones).
  double energy = 0;
  for (float v : templ) energy += static_cast<double>(v) * v;
  if (p(n) <= 0 || p(n) < kMinEnergyShare * energy * kAngles / 2 ||
      p(n) < kPeakOverNeighbours * std::max(p(n - 1), p(n + 1)))
    return 1;
  // The strongest harmonic may be a multiple of the repeat: a divisor with power of its own, or
  // for an even one, power at its odd half-multiples, says the part repeats less often.
  for (int d = kMinRepeat; d < n; ++d)
    if (n % d == 0 && p(d) >= kHarmonicShare * p(n)) {
      n = d;
      break;
    }
  if (n % 2 == 0 && std::max(p(3 * n / 2), p(5 * n / 2)) >= kHarmonicShare * p(n))
    n = n / 2 >= kMinRepeat ? n / 2 : 1;
  return n;
}

RingTurn RingAlignment::Find(const std::vector<float>& templ, RingAlignmentScratch& s) const {
  CV_Assert(templ.size() == size() && s.signature.size() == size());
  constexpr int kC = kAngles / kCoarse;
  s.coarse.resize(static_cast<size_t>(bands_) * kC);
  s.coarse_template.resize(static_cast<size_t>(bands_) * kC);
  SumGroups(s.signature.data(), size(), kCoarse, s.coarse.data());
  SumGroups(templ.data(), size(), kCoarse, s.coarse_template.data());
  // Whole circle, coarse: score(k) = sum over bands and m of part[m] * template[m - k], the
  // template index wrapped as two straight runs (no modulo per sample, so it vectorises).
  int best = 0;
  float best_score = -1e30f;
  for (int k = 0; k < kC; ++k) {
    float score = 0;
    for (int b = 0; b < bands_; ++b) {
      const float* p = &s.coarse[static_cast<size_t>(b) * kC];
      const float* t = &s.coarse_template[static_cast<size_t>(b) * kC];
      score += Dot(p, t + kC - k, k) + Dot(p + k, t, kC - k);
    }
    if (score > best_score) best_score = score, best = k;
  }

  // Near it, at half resolution (pairs of samples), each band's score at every offset: a band's
  // best offset drifts with its radius when the features twist.
  // The coarse base is within half a coarse step of the best one at mid radius.
  constexpr int kNear = kCoarse * 2;  // full samples searched either side of it
  constexpr int kH = kAngles / 2, kHalfReach = kNear / 2 + kMaxTwist / 4 + 2;
  constexpr int kOffsets = 2 * kHalfReach + 1;
  s.coarse.resize(static_cast<size_t>(bands_) * kH);  // reused: half-resolution part
  s.coarse_template.resize(static_cast<size_t>(bands_) * kH);
  SumGroups(s.signature.data(), size(), 2, s.coarse.data());
  SumGroups(templ.data(), size(), 2, s.coarse_template.data());
  const int centre = best * kCoarse / 2;
  s.band_scores.assign(static_cast<size_t>(bands_) * kOffsets, 0.f);
  for (int b = 0; b < bands_; ++b) {
    const float* p = &s.coarse[static_cast<size_t>(b) * kH];
    const float* q = &s.coarse_template[static_cast<size_t>(b) * kH];
    for (int j = 0; j < kOffsets; ++j) {
      const int t = ((centre + j - kHalfReach) % kH + kH) % kH;
      // template index a - t, wrapped: two straight runs instead of a modulo per sample
      const float score = Dot(p, q + kH - t, t) + Dot(p + t, q, kH - t);
      s.band_scores[static_cast<size_t>(b) * kOffsets + j] = score;
    }
  }
  // Base and twist on a grid of half samples; each band reads its score at its own offset.
  // Each band's relative radius is worked out once, not at each of the grid's ~800 points (the
  // division dominated), with the same expression and so the same float.
  s.band_rho.resize(static_cast<size_t>(bands_));
  for (int b = 0; b < bands_; ++b)
    s.band_rho[static_cast<size_t>(b)] =
        static_cast<float>((b + 0.5) * kBandWidth / max_radius_ - 0.5);
  auto total = [&](int base, int twist) {
    float sum = 0;
    for (int b = 0; b < bands_; ++b) {
      const float rho = s.band_rho[static_cast<size_t>(b)];
      float at = static_cast<float>(base) + static_cast<float>(twist) * rho + kHalfReach;
      at = std::clamp(at, 0.f, static_cast<float>(kOffsets - 1));
      const int i = std::min(static_cast<int>(at), kOffsets - 2);
      const float w = at - static_cast<float>(i);
      const float* c = &s.band_scores[static_cast<size_t>(b) * kOffsets];
      sum += (1 - w) * c[i] + w * c[i + 1];
    }
    return sum;
  };
  constexpr int kBase = kNear / 2, kTwist = kMaxTwist / 2;
  int best_base = 0, best_twist = 0;
  float top = -1e30f;
  for (int twist = -kTwist; twist <= kTwist; ++twist)
    for (int base = -kBase; base <= kBase; ++base) {
      const float v = total(base, twist);
      if (v > top) top = v, best_base = base, best_twist = twist;
    }
  // A parabola through the peak along each axis: a fraction of a half sample.
  auto vertex = [](float l, float c, float r) {
    const float denom = l - 2 * c + r;
    return denom < 0 ? std::clamp(0.5f * (l - r) / denom, -0.5f, 0.5f) : 0.f;
  };
  const float db = vertex(total(best_base - 1, best_twist), top, total(best_base + 1, best_twist));
  const float dt = vertex(total(best_base, best_twist - 1), top, total(best_base, best_twist + 1));
  RingTurn turn;
  turn.base = 2 * (static_cast<float>(centre + best_base) + db);
  turn.twist = 2 * (static_cast<float>(best_twist) + dt);
  turn.base = turn.At(max_radius_ / 2, max_radius_);  // wrapped into [0, kAngles)
  return turn;
}

void RingAlignment::Accumulate(const RingAlignmentScratch& s, const RingTurn& turn,
                               std::vector<float>& templ) const {
  CV_Assert(templ.size() == size() && s.signature.size() == size());
  for (int b = 0; b < bands_; ++b) {
    const float t = turn.At((b + 0.5) * kBandWidth, max_radius_);
    const int whole = static_cast<int>(std::floor(t));
    const float w = t - static_cast<float>(whole);
    // Part angle a holds template angle a - t, between samples a - whole - 1 and a - whole.
    const float* p = &s.signature[static_cast<size_t>(b) * kAngles];
    float* q = &templ[static_cast<size_t>(b) * kAngles];
    for (int a = 0; a < kAngles; ++a) {
      const int i0 = ((a - whole) % kAngles + kAngles) % kAngles;
      const int i1 = (i0 - 1 + kAngles) % kAngles;
      q[i0] += (1 - w) * p[a];
      q[i1] += w * p[a];
    }
  }
}

}  // namespace linesight
