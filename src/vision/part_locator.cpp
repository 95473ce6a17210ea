#include "vision/part_locator.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <vector>

#include "vision/ellipse_fit.h"
#include "vision/locate_kernels.h"

namespace linesight {
namespace {

constexpr int kRays = 180;
constexpr int kWorkSide = 512;  // largest short side the rim search works at, pixels

// Which radial steps count as edge candidates: at least `min_step` grey levels and
// `relative_step` of the ray's strongest step, at most `max_per_ray` of them.
struct EdgeOptions {
  float min_step, relative_step;
  size_t max_per_ray;
};
constexpr EdgeOptions kStrictEdges{6.f, 0.2f, 6};
constexpr EdgeOptions kFaintEdges{4.f, 0.06f, 8};
constexpr const char* kEdgeNames[4] = {"left", "top", "right", "bottom"};

cv::Rect RoiPixels(const cv::Mat& image, const cv::Rect2d& roi) {
  cv::Rect r(static_cast<int>(std::lround(roi.x * image.cols)),
             static_cast<int>(std::lround(roi.y * image.rows)),
             static_cast<int>(std::lround(roi.width * image.cols)),
             static_cast<int>(std::lround(roi.height * image.rows)));
  return r & cv::Rect(0, 0, image.cols, image.rows);
}

PartPose Fail(std::string why) {
  PartPose p;
  p.failure = std::move(why);
  return p;
}

// Why an attempt at the rim failed. The message is only written when the part is finally not
// found, so that a strict attempt that fails before a faint one succeeds allocates nothing.
enum class Miss : uint8_t { kNone, kNoCircle, kNoRim, kUnreliableRim, kSize, kOutOfView };

std::string Describe(Miss miss, double support, const LocateOptions& o) {
  switch (miss) {
    case Miss::kNoCircle:
      return "no round part found (no circular edge in view)";
    case Miss::kNoRim:
      return "outer rim of the part not found (no circle with edges on " +
             std::to_string(static_cast<int>(o.min_rim_support * 100)) +
             "% of its length; shadow, clutter or a part out of view)";
    case Miss::kUnreliableRim:
      return "outer rim of the part not found reliably (only " +
             std::to_string(static_cast<int>(support * 100)) +
             "% of the rim agrees; shadow, clutter or a part out of view)";
    case Miss::kSize:
      return o.expected_radius > 0
                 ? "part size differs from the trained parts' by more than " +
                       std::to_string(static_cast<int>(o.radius_tolerance * 100)) + "%"
                 : "part size is outside the recipe's radius range";
    case Miss::kOutOfView:  // described by the caller, which knows where the frame cuts it
    case Miss::kNone:
      break;
  }
  return "part not found";
}

// A size x type image in `buffer`, which only grows: frames of several sizes in turn (a large
// frame and its working copy, say) then reuse it instead of reallocating. The view lives as long
// as `buffer` is not grown again.
cv::Mat GrowOnlyView(cv::Mat& buffer, cv::Size size, int type) {
  const size_t bytes = static_cast<size_t>(size.area()) * CV_ELEM_SIZE(type);
  if (buffer.empty() || buffer.total() * buffer.elemSize() < bytes)
    buffer.create(1, static_cast<int>(bytes), CV_8UC1);
  return cv::Mat(size, type, buffer.data);
}

// Direction (cos, sin) of ray k, at angle 2 pi k / kRays: the rim search and its refinement
// need them on every frame, so they are worked out once, by the same expression.
const std::array<cv::Point2d, kRays>& RayDirections() {
  static const std::array<cv::Point2d, kRays> dirs = [] {
    std::array<cv::Point2d, kRays> d;
    for (int k = 0; k < kRays; ++k) {
      const double th = 2 * CV_PI * k / kRays;
      d[static_cast<size_t>(k)] = {std::cos(th), std::sin(th)};
    }
    return d;
  }();
  return dirs;
}

// Distance of a point from an ellipse: |rho - 1| sqrt(ab), with rho the point's radius in the
// ellipse's own (unit circle) coordinates. The ellipse's sine and cosine are worked out once for
// all the points measured against it, not once per point.
struct EllipseDistance {
  explicit EllipseDistance(const cv::RotatedRect& e)
      : cx(e.center.x), cy(e.center.y), a(e.size.width / 2.0), b(e.size.height / 2.0) {
    const double t = e.angle * CV_PI / 180;
    ct = std::cos(t);
    st = std::sin(t);
    scale = std::sqrt(a * b);
  }
  double operator()(const cv::Point2d& p) const {
    const double dx = p.x - cx, dy = p.y - cy;
    const double qx = ct * dx + st * dy, qy = -st * dx + ct * dy;
    const double rho = std::sqrt((qx / a) * (qx / a) + (qy / b) * (qy / b));
    return std::abs(rho - 1) * scale;
  }
  double cx, cy, a, b, ct = 1, st = 0, scale = 0;
};

// Rough centre: the centroid of the part's silhouette seen as the region that differs from
// the frame's border (background) after Otsu, which adapts to exposure.
bool RoughCentre(const cv::Mat& roi, LocateScratch& s, cv::Point2d& centre, double& radius) {
  double f = 128.0 / std::max(roi.cols, roi.rows);
  const cv::Size size = ScaledSize(roi.size(), f);
  cv::Mat small = GrowOnlyView(s.small, size, CV_8UC1);
  cv::Mat mag = GrowOnlyView(s.mag, size, CV_32FC1);
  cv::Mat mag8 = GrowOnlyView(s.mag8, size, CV_8UC1);
  ShrinkArea(roi, f, small, s.area);
  GaussianBlur5x5(small, small, 0, s.blurred16);
  GradientMagnitude(small, mag);
  // Structure (edges) marks the part; the background is smooth. Otsu on edge strength.
  NormalizeMinMaxTo8U(mag, mag8);
  const BinaryMoments m = MomentsAbove(mag8, OtsuThreshold(mag8));
  if (m.m00 < 20) return false;
  centre = {m.m10 / m.m00 / f, m.m01 / m.m00 / f};
  // Radius guess from the spread of edge pixels: for a filled disc sqrt(2)*rms distance.
  double var = (m.mu20 + m.mu02) / m.m00;
  radius = std::sqrt(std::max(var, 1.0)) * 1.41 / f;
  return true;
}

// The number of rays with a candidate p where |norm(p - cc) - rr| < tol, as support_of in
// LocatePart counts them, but the RANSAC's 300 circles x 180 rays mostly decided on squared
// distances: a candidate clearly inside or outside the band (by a relative 1e-9, far above the
// rounding of either test) needs no square root; those at the band's edges take the exact test,
// so the count is the same. The RANSAC only asks whether a circle beats the best so far: once
// the rays left cannot lift the count above `beat`, counting stops and returns what it has (at
// most `beat`, so the answer to that question is unchanged), which spares most rays of the many
// poor circles. REQUIRES: rr - tol > 0.
int CountSupport(const std::vector<std::vector<cv::Point2d>>& cand, const cv::Point2d& cc,
                 double rr, double tol, int beat) {
  const double lo = rr - tol, hi = rr + tol;
  const double out_lo = lo * lo * (1 - 1e-9), in_lo = lo * lo * (1 + 1e-9);
  const double in_hi = hi * hi * (1 - 1e-9), out_hi = hi * hi * (1 + 1e-9);
  int support = 0, left = static_cast<int>(cand.size());
  for (const auto& ray : cand) {
    if (support + left-- <= beat) break;
    for (const auto& p : ray) {
      const double dx = p.x - cc.x, dy = p.y - cc.y, q = dx * dx + dy * dy;
      if (q <= out_lo || q >= out_hi) continue;
      if ((q > in_lo && q < in_hi) || std::abs(cv::norm(p - cc) - rr) < tol) {
        ++support;
        break;
      }
    }
  }
  return support;
}

// Grey level of `img` (CV_8UC1) at (x, y), bilinear. Inlined: the rim search calls it ~30000
// times a frame. REQUIRES: 0 <= x < cols - 1 and 0 <= y < rows - 1.
[[gnu::always_inline]] inline float SampleBilinear(const cv::Mat& img, double x, double y) {
  const int xi = static_cast<int>(x), yi = static_cast<int>(y);
  const double fx = x - xi, fy = y - yi;
  const uint8_t* p0 = img.ptr<uint8_t>(yi);
  const uint8_t* p1 = img.ptr<uint8_t>(yi + 1);
  return static_cast<float>((1 - fy) * ((1 - fx) * p0[xi] + fx * p0[xi + 1]) +
                            fy * ((1 - fx) * p1[xi] + fx * p1[xi + 1]));
}

// Edge candidates are local maxima above a threshold relative to each ray's strongest step, so
// a faint rim's points come and go with exposure, and the fit with them. This last pass takes on
// every ray the strongest step of the rim's polarity within a few pixels of the fitted ellipse,
// without any threshold, and fits again; rays whose best step is weak (under a third of the
// median) are left out.
void RefineRim(const cv::Mat& smooth, int polarity, LocateScratch& s, cv::RotatedRect& ellipse) {
  const double t = ellipse.angle * CV_PI / 180, ct = std::cos(t), st = std::sin(t);
  const double a = ellipse.size.width / 2.0, b = ellipse.size.height / 2.0;
  const double reach = std::max(3.0, 0.03 * std::sqrt(a * b));
  const int n = static_cast<int>(std::ceil(reach)) * 4 + 9;  // samples every 0.5 px
  auto& pts = s.inliers;
  pts.clear();
  auto& strength = s.profile;
  strength.clear();
  for (int k = 0; k < kRays; ++k) {
    const double dx = RayDirections()[static_cast<size_t>(k)].x;
    const double dy = RayDirections()[static_cast<size_t>(k)].y;
    const double u = (ct * dx + st * dy) / a, v = (-st * dx + ct * dy) / b;
    const double rho = 1.0 / std::sqrt(u * u + v * v);
    const double r0 = rho - reach - 2.0;
    auto& prof = s.step;
    prof.clear();
    for (int i = 0; i < n; ++i) {
      const double rr = r0 + 0.5 * i;
      const double x = ellipse.center.x + rr * dx, y = ellipse.center.y + rr * dy;
      if (x < 0 || y < 0 || x > smooth.cols - 1.001 || y > smooth.rows - 1.001) break;
      prof.push_back(SampleBilinear(smooth, x, y));
    }
    if (static_cast<int>(prof.size()) < n) continue;  // the window leaves the image
    // Step over 4 px (8 samples), as the candidate search measures it; signed by polarity.
    auto step_at = [&](int i) {
      const double d = prof[static_cast<size_t>(i + 4)] - prof[static_cast<size_t>(i - 4)];
      return polarity == 0 ? std::abs(d) : polarity * d;
    };
    double best = 0;
    int at = -1;
    for (int i = 4; i + 4 < n; ++i)
      if (const double v2 = step_at(i); v2 > best) {
        best = v2;
        at = i;
      }
    if (at < 5 || at + 5 >= n) continue;  // the best step is at the window's end: no rim here
    const double prev = step_at(at - 1), next = step_at(at + 1);
    const double den = prev - 2 * best + next;
    const double off = den < 0 ? std::clamp(0.5 * (prev - next) / den, -0.5, 0.5) : 0;
    const double rr = r0 + 0.5 * (at + off);
    pts.emplace_back(static_cast<float>(ellipse.center.x + rr * dx),
                     static_cast<float>(ellipse.center.y + rr * dy));
    strength.push_back(static_cast<float>(best));
  }
  if (pts.size() < 12) return;
  // Drop weak rays (no real edge there: a gap in the rim, a defect, the frame's edge).
  auto& sorted = s.step;
  sorted.assign(strength.begin(), strength.end());
  std::nth_element(sorted.begin(), sorted.begin() + static_cast<long>(sorted.size() / 2),
                   sorted.end());
  const float floor = sorted[sorted.size() / 2] / 3;
  size_t kept = 0;
  for (size_t i = 0; i < pts.size(); ++i)
    if (strength[i] >= floor) pts[kept++] = pts[i];
  pts.resize(kept);
  if (pts.size() < 12) return;
  cv::RotatedRect e;
  if (!FitEllipse(pts, e)) return;
  const double ea = e.size.width / 2.0, eb = e.size.height / 2.0;
  const double r_old = std::sqrt(a * b), r_new = std::sqrt(ea * eb);
  if (!(ea > 0 && eb > 0) || std::min(ea, eb) / std::max(ea, eb) < 0.75 ||
      std::abs(r_new - r_old) > 0.03 * r_old ||
      cv::norm(cv::Point2d(e.center - ellipse.center)) > 0.03 * r_old)
    return;
  ellipse = e;
}

}  // namespace

PartPose LocatePart(const cv::Mat& image, const LocateOptions& o) {
  LocateScratch scratch;
  return LocatePart(image, o, scratch);
}

PartPose LocatePart(const cv::Mat& image, const LocateOptions& o, LocateScratch& s) {
  CV_Assert(image.type() == CV_8UC1 && !image.empty());
  for (auto& c : s.cand) c.clear();  // a picture of this frame must not show the last one's edges
  s.tried_circle = {};
  cv::Rect roi = RoiPixels(image, o.roi);
  if (roi.width < 16 || roi.height < 16)
    return Fail("region of interest is smaller than 16x16 pixels");
  const double canvas = o.canvas;

  if (o.method == LocateMethod::kNone) {
    PartPose p;
    p.found = true;
    double sx = canvas / roi.width, sy = canvas / roi.height;
    p.image_to_canvas = cv::Matx23d(sx, 0, -roi.x * sx, 0, sy, -roi.y * sy);
    p.centre = {roi.x + roi.width / 2.0, roi.y + roi.height / 2.0};
    p.scale = std::sqrt(sx * sy);
    p.rim_support = 1;
    return p;
  }

  // The rough centre shrinks the long side to 128 px; a strip much longer than wide would shrink
  // to nothing, and cannot hold a round part anyway.
  if (std::max(roi.width, roi.height) > 64 * std::min(roi.width, roi.height))
    return Fail(
        "region of interest is more than 64 times as long as it is wide, so no round part "
        "fits in it (check part.roi, or use symmetry: none)");
  // Large frames are searched at a working resolution of at most kWorkSide pixels on the short
  // side: the edge filters, the edge threshold and the ray sampling then meet a rim of about the
  // same width whatever the camera's resolution, and the search costs the same. The fit is mapped
  // back to full resolution; the warp onto the canvas reads the full-resolution frame.
  const cv::Mat view = image(roi);
  double f = 1;  // work pixels per image pixel
  cv::Mat work = view;
  if (std::min(roi.width, roi.height) > kWorkSide) {
    f = static_cast<double>(kWorkSide) / std::min(roi.width, roi.height);
    work = GrowOnlyView(s.work, ScaledSize(view.size(), f), CV_8UC1);
    ShrinkArea(view, f, work, s.area);
  }
  s.work_origin = {static_cast<double>(roi.x), static_cast<double>(roi.y)};
  s.work_scale = f;
  const double short_side = std::min(work.cols, work.rows);
  const bool learned = o.expected_radius > 0;
  // Circles of the recipe's whole range fix the centre (an inner ring often does it best); the
  // rim itself must lie in the learned range when there is one.
  const double r_min = o.min_radius * short_side, r_max = o.max_radius * short_side;
  const double rim_min =
      learned ? std::max(r_min, o.expected_radius * (1 - o.radius_tolerance) * short_side) : r_min;
  const double rim_max =
      learned ? std::min(r_max, o.expected_radius * (1 + o.radius_tolerance) * short_side) : r_max;
  cv::Point2d c0;
  double r0 = 0;
  if (!RoughCentre(work, s, c0, r0)) return Fail("no part visible (the image is nearly uniform)");

  cv::Mat smooth = GrowOnlyView(s.smooth, work.size(), CV_8UC1);
  // The blur reads only the view, never pixels of its parent, so a frame and its copy agree.
  GaussianBlur5x5(work, smooth, 1.2, s.blurred16);
  // Strict edges first; faint rims (low contrast against the background, dim exposure) get a
  // second, more permissive look before the part is declared not found.
  // Where the frame cuts the rim, when an attempt finds the part but not wholly in view.
  struct {
    double px = 0, radius = 0;
    const char* edge = "";
  } cut;
  auto attempt = [&](const EdgeOptions& edges, Miss& miss, double& miss_support) -> PartPose {
    auto fail = [&](Miss why, double support = 0, cv::Vec3d tried = {}) {
      miss = why;
      miss_support = support;
      // The first attempt's circle: the one the failure message (the strict attempt's) is about.
      if (s.tried_circle[2] <= 0) s.tried_circle = tried;
      return PartPose();
    };
    // Edge candidates along rays from the rough centre: local maxima of the radial step (either
    // polarity: rims may be brighter or darker than the background).
    auto& cand = s.cand;
    auto& sign = s.cand_sign;
    cand.resize(kRays);
    sign.resize(kRays);
    for (int k = 0; k < kRays; ++k) {
      cand[k].clear();
      sign[k].clear();
      cand[k].reserve(std::max(kStrictEdges.max_per_ray, kFaintEdges.max_per_ray));
      sign[k].reserve(std::max(kStrictEdges.max_per_ray, kFaintEdges.max_per_ray));
    }
    auto& profile = s.profile;
    auto& step = s.step;
    // Rays reach past r_max so that an edge at the range's end is still a local maximum.
    const double lo = r_min * 0.6, hi = r_max * 1.05 + 6;
    const size_t max_samples = static_cast<size_t>(std::max(0.0, hi - lo)) + 2;
    profile.reserve(max_samples);
    step.reserve(max_samples);
    s.peaks.reserve(max_samples);
    s.inliers.reserve(kRays);
    for (int k = 0; k < kRays; ++k) {
      const double ca = RayDirections()[static_cast<size_t>(k)].x;
      const double sa = RayDirections()[static_cast<size_t>(k)].y;
      profile.clear();
      for (double rr = lo; rr <= hi; rr += 1.0) {
        double x = c0.x + rr * ca, y = c0.y + rr * sa;
        if (x < 0 || y < 0 || x > smooth.cols - 1.001 || y > smooth.rows - 1.001) break;
        profile.push_back(SampleBilinear(smooth, x, y));
      }
      const int m = static_cast<int>(profile.size());
      step.assign(m, 0.f);
      float ray_max = 0;
      for (int i = 2; i + 2 < m; ++i) {
        step[i] = std::abs(profile[i + 2] - profile[i - 2]);
        ray_max = std::max(ray_max, step[i]);
      }
      const float thr = std::max(edges.min_step, edges.relative_step * ray_max);
      auto& peaks = s.peaks;
      peaks.clear();
      for (int i = 3; i + 3 < m; ++i)
        if (step[i] >= thr && step[i] >= step[i - 1] && step[i] > step[i + 1])
          peaks.push_back({step[i], i});
      std::sort(peaks.begin(), peaks.end(), std::greater<>());
      if (peaks.size() > edges.max_per_ray) peaks.resize(edges.max_per_ray);
      for (const auto& pk : peaks) {
        // Sub-pixel: the vertex of the parabola through the step and its neighbours.
        const int i = pk.second;
        const double den = step[i - 1] - 2.0 * step[i] + step[i + 1];
        const double off =
            den < 0 ? std::clamp(0.5 * (step[i - 1] - step[i + 1]) / den, -0.5, 0.5) : 0;
        double rr = lo + i + off;
        cand[k].push_back({c0.x + rr * ca, c0.y + rr * sa});
        sign[k].push_back(profile[i + 2] > profile[i - 2] ? 1 : -1);
      }
    }
    // RANSAC over circles through candidates on three rays ~120 degrees apart. Among circles that
    // enough rays support, take the largest: the outer rim, not an inner ring.
    uint64_t rng = 0x9E3779B97F4A7C15ull;
    auto next = [&rng](uint32_t n) {
      rng ^= rng << 13;
      rng ^= rng >> 7;
      rng ^= rng << 17;
      return static_cast<uint32_t>(rng % n);
    };
    // Rays supporting the circle (cc, rr); without `inliers` the count may stop early once it
    // cannot exceed `beat` (see CountSupport), so only "more than beat" is exact.
    auto support_of = [&](const cv::Point2d& cc, double rr, std::vector<cv::Point2d>* inliers,
                          int beat) {
      const double tol = std::max(1.5, 0.015 * rr);
      int s = 0;
      if (!inliers && rr - tol > 0) return CountSupport(cand, cc, rr, tol, beat);
      for (int k = 0; k < kRays; ++k) {
        double best = tol;
        const cv::Point2d* hit = nullptr;
        for (const auto& p : cand[k]) {
          double d = std::abs(cv::norm(p - cc) - rr);
          if (d < best) {
            best = d;
            hit = &p;
          }
        }
        if (hit) {
          ++s;
          if (inliers) inliers->push_back(*hit);
        }
      }
      return s;
    };
    // 1) The best-supported circle (often a strong inner ring) fixes the centre.
    cv::Point2d c;
    double r = 0;
    int best_support = 0;
    for (int it = 0; it < 300; ++it) {
      int k0 = static_cast<int>(next(kRays));
      int k1 = (k0 + kRays / 3 + static_cast<int>(next(kRays / 6)) - kRays / 12) % kRays;
      int k2 =
          (k0 + 2 * kRays / 3 + static_cast<int>(next(kRays / 6)) - kRays / 12 + kRays) % kRays;
      if (cand[k0].empty() || cand[k1].empty() || cand[k2].empty()) continue;
      cv::Point2d p0 = cand[k0][next(static_cast<uint32_t>(cand[k0].size()))];
      cv::Point2d p1 = cand[k1][next(static_cast<uint32_t>(cand[k1].size()))];
      cv::Point2d p2 = cand[k2][next(static_cast<uint32_t>(cand[k2].size()))];
      double d = 2 * (p0.x * (p1.y - p2.y) + p1.x * (p2.y - p0.y) + p2.x * (p0.y - p1.y));
      if (std::abs(d) < 1e-6) continue;
      double s0 = p0.dot(p0), s1 = p1.dot(p1), s2 = p2.dot(p2);
      cv::Point2d cc((s0 * (p1.y - p2.y) + s1 * (p2.y - p0.y) + s2 * (p0.y - p1.y)) / d,
                     (s0 * (p2.x - p1.x) + s1 * (p0.x - p2.x) + s2 * (p1.x - p0.x)) / d);
      double rr = cv::norm(p0 - cc);
      if (rr < lo || rr > r_max || cv::norm(cc - c0) > 0.35 * rr) continue;
      int s = support_of(cc, rr, nullptr, best_support);
      if (s > best_support) {
        best_support = s;
        c = cc;
        r = rr;
      }
    }
    if (r <= 0) return fail(Miss::kNoCircle);
    // 2) The rim is the outermost radius about that centre on which enough rays have an edge.
    auto& hist = s.hist;
    hist.assign(static_cast<size_t>(r_max) + 8, 0);
    for (int k = 0; k < kRays; ++k) {
      auto& seen = s.seen;
      seen.assign(hist.size(), 0);
      for (const auto& p : cand[k]) {
        int d = static_cast<int>(std::lround(cv::norm(p - c)));
        for (int b = d - 2; b <= d + 2; ++b)
          if (b >= 0 && b < static_cast<int>(hist.size()) && !seen[b]) {
            seen[b] = 1;
            ++hist[b];
          }
      }
    }
    const int need = static_cast<int>(std::ceil(o.min_rim_support * kRays));
    int rim = -1;
    for (int b = static_cast<int>(rim_max) + 2; b >= static_cast<int>(rim_min); --b)
      if (hist[b] >= need) {
        // Walk to the local peak of this run of supported radii.
        int peak = b;
        while (peak > 0 && hist[peak - 1] >= hist[peak]) --peak;
        rim = peak;
        break;
      }
    if (rim < 0) return fail(Miss::kNoRim, 0, {c.x, c.y, r});
    r = rim;
    // 3) Rims seen at a slight tilt are ellipses: fit one robustly to the rim's edge points, with a
    // shrinking inlier band, and later map it onto a circle.
    cv::RotatedRect ellipse(cv::Point2f(static_cast<float>(c.x), static_cast<float>(c.y)),
                            cv::Size2f(static_cast<float>(2 * r), static_cast<float>(2 * r)), 0.f);
    EllipseDistance ellipse_dist(ellipse);  // follows `ellipse`
    // A rim is one boundary, so its edge has one polarity all round; a shadow or the side wall of
    // a tilted part adds a second edge a few pixels away, of the other polarity, on some rays only.
    // Mixing the two moves the fit by pixels from part to part and with exposure, so once the
    // rim's polarity is clear (two thirds of the edges nearest the first rim estimate), only edges
    // of that polarity are fitted.
    // The candidate on ray k nearest the current ellipse within `tol`, of `pol` unless it is 0.
    auto nearest = [&](int k, double tol, int pol) -> const cv::Point2d* {
      double best = tol;
      const cv::Point2d* hit = nullptr;
      for (size_t j = 0; j < cand[k].size(); ++j) {
        if (pol != 0 && sign[k][j] != pol) continue;
        const double d = ellipse_dist(cand[k][j]);
        if (d < best) {
          best = d;
          hit = &cand[k][j];
        }
      }
      return hit;
    };
    int votes[2] = {0, 0};
    for (int k = 0; k < kRays; ++k)
      if (const cv::Point2d* hit = nearest(k, std::max(1.5, 0.08 * r), 0))
        ++votes[sign[k][static_cast<size_t>(hit - cand[k].data())] > 0];
    int polarity = 0;
    if (3 * votes[1] >= 2 * (votes[0] + votes[1]))
      polarity = 1;
    else if (3 * votes[0] >= 2 * (votes[0] + votes[1]))
      polarity = -1;
    int support_count = 0;
    for (double band : {0.08, 0.04, 0.02, 0.012}) {
      const double tol = std::max(1.5, band * r);
      auto& in = s.inliers;
      in.clear();
      for (int k = 0; k < kRays; ++k)
        if (const cv::Point2d* hit = nearest(k, tol, polarity))
          in.emplace_back(static_cast<float>(hit->x), static_cast<float>(hit->y));
      support_count = static_cast<int>(in.size());
      if (in.size() < 12) break;
      cv::RotatedRect e;
      if (!FitEllipse(in, e)) break;
      double a = e.size.width / 2.0, b = e.size.height / 2.0;
      if (!(a > 0 && b > 0) || std::min(a, b) / std::max(a, b) < 0.75 ||
          std::abs(std::sqrt(a * b) - r) > 0.15 * r)
        break;
      ellipse = e;
      ellipse_dist = EllipseDistance(ellipse);
    }
    if (support_count >= 12) RefineRim(smooth, polarity, s, ellipse);
    const double semi_a = ellipse.size.width / 2.0, semi_b = ellipse.size.height / 2.0;
    r = std::sqrt(semi_a * semi_b);
    c = {ellipse.center.x, ellipse.center.y};
    double support = static_cast<double>(support_count) / kRays;
    if (support < o.min_rim_support) return fail(Miss::kUnreliableRim, support, {c.x, c.y, r});
    if (r < rim_min || r > rim_max) return fail(Miss::kSize, 0, {c.x, c.y, r});
    // Back to image pixels.
    const double img_a = semi_a / f, img_b = semi_b / f;
    const double fraction = r / short_side;
    r /= f;
    cv::Point2d centre = c / f + cv::Point2d(roi.x, roi.y);
    const double t = ellipse.angle * CV_PI / 180, ct = std::cos(t), st = std::sin(t);
    // A part the frame cuts is not inspected: what lies beyond the frame cannot be seen, and the
    // warp would fill it with repeated edge pixels that score as defects. The rim's extent is the
    // ellipse's bounding box; the frame's outer edge is half a pixel beyond its edge pixels.
    {
      const double hx = std::hypot(img_a * ct, img_b * st), hy = std::hypot(img_a * st, img_b * ct);
      const double over[4] = {-0.5 - (centre.x - hx), -0.5 - (centre.y - hy),
                              centre.x + hx - (image.cols - 0.5),
                              centre.y + hy - (image.rows - 0.5)};
      const int side = static_cast<int>(std::max_element(over, over + 4) - over);
      if (over[side] > kRimEdgeTolerancePx) {
        cut.px = over[side];
        cut.edge = kEdgeNames[side];
        cut.radius = r;
        return fail(Miss::kOutOfView, 0, {c.x, c.y, r * f});
      }
    }

    // canvas = M (p - centre) + canvas centre, with M = R diag(k/a, k/b) R^T turning the ellipse
    // into a circle of the canvas radius.
    const double k = o.canvas_radius * canvas;
    const double sa = k / img_a, sb = k / img_b;
    cv::Matx22d m(ct * ct * sa + st * st * sb, ct * st * (sa - sb), ct * st * (sa - sb),
                  st * st * sa + ct * ct * sb);
    PartPose p;
    p.found = true;
    p.centre = centre;
    p.radius = r;
    p.radius_fraction = fraction;
    p.rim_support = support;
    p.scale = k / r;
    // The canvas centre is the centre of its middle pixel(s), where ring tools centre their rings.
    const double mid = (canvas - 1) / 2.0;
    cv::Vec2d off = cv::Vec2d(mid, mid) - m * cv::Vec2d(centre.x, centre.y);
    p.image_to_canvas = cv::Matx23d(m(0, 0), m(0, 1), off[0], m(1, 0), m(1, 1), off[1]);
    return p;
  };
  Miss strict_miss = Miss::kNone, faint_miss = Miss::kNone;
  double strict_support = 0, faint_support = 0;
  PartPose strict = attempt(kStrictEdges, strict_miss, strict_support);
  if (strict.found) return strict;
  // A rim the frame cuts is the answer: the fainter look must not settle on some other circle
  // that happens to lie in view (an inner ring, say) and pass the part.
  PartPose faint;
  if (strict_miss != Miss::kOutOfView) faint = attempt(kFaintEdges, faint_miss, faint_support);
  if (faint.found) return faint;
  if (strict_miss != Miss::kOutOfView && faint_miss != Miss::kOutOfView)
    return Fail(Describe(strict_miss, strict_support, o));
  // Either look found the rim, cut by the frame: say where and by how much.
  PartPose p = Fail("part is cut off by the frame: its rim reaches " +
                    std::to_string(static_cast<int>(std::lround(cut.px))) + " px (" +
                    std::to_string(static_cast<int>(std::lround(100 * cut.px / cut.radius))) +
                    "% of its radius) beyond the " + cut.edge +
                    " edge; centre the part in the camera's view");
  p.cut_off_px = cut.px;
  p.cut_edge = cut.edge;
  return p;
}

void WarpToCanvas(const cv::Mat& image, const PartPose& pose, int canvas_side, cv::Mat& canvas,
                  LocateScratch& s) {
  CV_Assert(pose.found && canvas_side > 0);
  WarpAffineLinear(image, pose.image_to_canvas, cv::Size(canvas_side, canvas_side), canvas, s.warp);
}

}  // namespace linesight
