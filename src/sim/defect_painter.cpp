// sim/defect_painter.cpp: geometry and appearance of each casting defect. Every shape is
// rasterised anti-aliased onto a small canvas over its bounding box; the coverage then dents the
// height, darkens or brightens the albedo, or removes or adds material, and marks the mask.
#include "sim/defect_painter.h"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <string>
#include <utility>
#include <vector>

#include <opencv2/imgproc.hpp>

#include "core/error.h"

namespace linesight::sim {
namespace {

constexpr int kShift = 4;   // sub-pixel bits for the cv drawing functions
constexpr int kMargin = 4;  // canvas border around the shape: anti-aliasing and mask growth

// An 8-bit drawing surface over the box of the image that a defect can touch.
class Canvas {
 public:
  // Covers the bounding box of `pts` grown by `grow` + kMargin pixels, clipped to the image.
  // REQUIRES: `pts` is not empty.
  Canvas(cv::Size image, const std::vector<cv::Point2d>& pts, double grow) {
    double x0 = pts.front().x, x1 = x0, y0 = pts.front().y, y1 = y0;
    for (const cv::Point2d& p : pts) {
      x0 = std::min(x0, p.x), x1 = std::max(x1, p.x);
      y0 = std::min(y0, p.y), y1 = std::max(y1, p.y);
    }
    const double pad = grow + kMargin;
    const cv::Point tl(static_cast<int>(std::floor(x0 - pad)),
                       static_cast<int>(std::floor(y0 - pad)));
    const cv::Point br(static_cast<int>(std::ceil(x1 + pad)) + 1,
                       static_cast<int>(std::ceil(y1 + pad)) + 1);
    roi_ = cv::Rect(tl, br) & cv::Rect(cv::Point(0, 0), image);
    ink_ = cv::Mat::zeros(roi_.size(), CV_8UC1);
  }

  const cv::Rect& roi() const { return roi_; }
  const cv::Mat& ink() const { return ink_; }  // CV_8UC1, roi-sized, 255 = fully covered

  void Fill(const std::vector<cv::Point2d>& polygon) {
    if (ink_.empty()) return;
    cv::fillPoly(ink_, std::vector<std::vector<cv::Point>>{Fixed(polygon)}, cv::Scalar(255),
                 cv::LINE_AA, kShift);
  }
  void Stroke(const std::vector<cv::Point2d>& path, int thickness) {
    if (ink_.empty()) return;
    cv::polylines(ink_, Fixed(path), false, cv::Scalar(255), thickness, cv::LINE_AA, kShift);
  }
  // A round dot with exact area coverage at its edge (cv::circle draws small ones as diamonds).
  void Disc(const cv::Point2d& centre, double radius) {
    for (int y = 0; y < ink_.rows; ++y) {
      uint8_t* row = ink_.ptr<uint8_t>(y);
      for (int x = 0; x < ink_.cols; ++x) {
        const double d = std::hypot(roi_.x + x - centre.x, roi_.y + y - centre.y);
        const double cover = std::clamp(radius + 0.5 - d, 0.0, 1.0);
        row[x] = std::max(row[x], static_cast<uint8_t>(std::lround(255 * cover)));
      }
    }
  }

  // Calls f(x, y, coverage) in image coordinates for every pixel with coverage > 0.
  template <typename F>
  void ForEachInked(F f) const {
    for (int y = 0; y < ink_.rows; ++y) {
      const uint8_t* row = ink_.ptr<uint8_t>(y);
      for (int x = 0; x < ink_.cols; ++x) {
        if (row[x] != 0) f(roi_.x + x, roi_.y + y, row[x] * (1.0f / 255));
      }
    }
  }

  // Sets to 255 in `mask` every inked pixel, grown by one pixel (shading reads the height of the
  // neighbours, so a dent changes the ring around it too). `where`, if given, limits the marks
  // to its non-zero pixels (roi-sized, applied before growing).
  void Mark(cv::Mat& mask, const cv::Mat& where = {}) const {
    if (ink_.empty()) return;
    cv::Mat touched = ink_ > 0;
    if (!where.empty()) touched &= where;
    cv::dilate(touched, touched, cv::Mat());
    cv::Mat target = mask(roi_);
    cv::bitwise_or(target, touched, target);
  }

 private:
  std::vector<cv::Point> Fixed(const std::vector<cv::Point2d>& pts) const {
    std::vector<cv::Point> out;
    out.reserve(pts.size());
    for (const cv::Point2d& p : pts) {
      out.emplace_back(static_cast<int>(std::lround((p.x - roi_.x) * (1 << kShift))),
                       static_cast<int>(std::lround((p.y - roi_.y) * (1 << kShift))));
    }
    return out;
  }

  cv::Rect roi_;
  cv::Mat ink_;
};

// height += dh * coverage, albedo *= 1 + k * coverage.
void Dent(const Canvas& c, SurfaceLayers& s, float dh, float k) {
  c.ForEachInked([&](int x, int y, float cov) {
    s.height.at<float>(y, x) += dh * cov;
    s.albedo.at<float>(y, x) *= 1 + k * cov;
  });
}

// The image point at `r_px` from the centre, at angle `theta` in the part's own frame.
cv::Point2d OnPart(const PartGeometry& part, double r_px, double theta) {
  const double a = theta + part.rotation_rad;
  return part.centre + cv::Point2d(r_px * std::cos(a), r_px * std::sin(a));
}

// A random point on the as-cast face with at least `margin` pixels of face around it.
cv::Point2d OnFace(const PartGeometry& part, Rng& rng, double margin) {
  const double lo = kCastFaceInner * part.radius + margin;
  const double hi = std::max(lo, kCastFaceOuter * part.radius - margin);
  // One draw per statement throughout: the order in which arguments are evaluated is
  // unspecified, and g++ and clang differ, which would move the defects.
  const double r = rng.Uniform(lo, hi);
  const double theta = rng.Uniform(0, 2 * std::numbers::pi);
  return OnPart(part, r, theta);
}

bool AllOnFace(const PartGeometry& part, const std::vector<cv::Point2d>& pts, double margin) {
  return std::all_of(pts.begin(), pts.end(), [&](const cv::Point2d& p) {
    const double r = std::hypot(p.x - part.centre.x, p.y - part.centre.y);
    return r > kCastFaceInner * part.radius + margin && r < kCastFaceOuter * part.radius - margin;
  });
}

// A closed, slightly irregular ellipse outline: semi-axes `a` (along `angle`) and `b`.
std::vector<cv::Point2d> RoughEllipse(Rng& rng, cv::Point2d centre, double a, double b,
                                      double angle, double roughness) {
  const int n = std::clamp(static_cast<int>(std::numbers::pi * std::max(a, b)), 10, 40);
  const double ca = std::cos(angle), sa = std::sin(angle);
  std::vector<cv::Point2d> pts;
  pts.reserve(n);
  for (int k = 0; k < n; ++k) {
    const double t = 2 * std::numbers::pi * k / n;
    const double jitter = 1.0 + roughness * std::clamp(rng.Normal(), -2.0, 2.0);
    const double x = a * jitter * std::cos(t), y = b * jitter * std::sin(t);
    pts.push_back(centre + cv::Point2d(x * ca - y * sa, x * sa + y * ca));
  }
  return pts;
}

// Line width for thin features: one pixel at 300 px, wider in larger images.
int Thin(const PartGeometry& part) { return std::max(1, static_cast<int>(part.px_scale + 0.5)); }

// A random-walk path of about `length` px from `start`, heading around `heading`, in steps of
// 1.5-3.5 px times `scale`.
std::vector<cv::Point2d> Walk(Rng& rng, cv::Point2d start, double heading, double length,
                              double wander, double scale) {
  std::vector<cv::Point2d> pts{start};
  double dir = heading, done = 0;
  while (done < length) {
    const double step = std::min(rng.Uniform(1.5, 3.5) * scale, length - done + 0.5);
    dir += wander * rng.Normal() + 0.4 * (heading - dir);
    pts.push_back(pts.back() + cv::Point2d(step * std::cos(dir), step * std::sin(dir)));
    done += step;
  }
  return pts;
}

// Round dark cavity, 6-20 px across: a steep-walled dent (its far wall catches the light) with a
// dark centre that looks deeper still.
void PaintBlowHole(const PartGeometry& part, Rng& rng, SurfaceLayers& s, cv::Mat& mask) {
  const double radius = rng.Uniform(6.0, 20.0) / 2 * part.px_scale;
  const cv::Point2d c = OnFace(part, rng, radius + 2);
  const double squash = rng.Uniform(0.75, 1.0), angle = rng.Uniform(0, std::numbers::pi);
  const std::vector<cv::Point2d> outline =
      RoughEllipse(rng, c, radius, radius * squash, angle, 0.06);
  Canvas outer(s.height.size(), outline, 0), core(s.height.size(), outline, 0);
  outer.Fill(outline);
  core.Fill(RoughEllipse(rng, c, radius * 0.6, radius * 0.6 * squash, angle, 0.08));
  Dent(outer, s, static_cast<float>(-std::min(2.0 + radius * 0.5, 5.0 * part.px_scale)), -0.55f);
  Dent(core, s, 0, -0.45f);
  outer.Mark(mask);
}

// A cluster of 1-6 small dark pits, 2-5 px each.
void PaintPinHoles(const PartGeometry& part, Rng& rng, SurfaceLayers& s, cv::Mat& mask) {
  const int count = rng.Uniform() < 0.2 ? 1 : rng.UniformInt(2, 6);
  const double spread = (3.0 + 2.5 * count) * part.px_scale;
  const cv::Point2d c = OnFace(part, rng, spread + 3);
  Canvas canvas(s.height.size(), {c}, spread + 3);
  std::vector<std::pair<cv::Point2d, double>> pits;  // centre, radius
  for (int i = 0; i < count; ++i) {
    // Pits sit apart: retry a few times for a spot that does not touch an earlier pit.
    for (int attempt = 0; attempt < 20; ++attempt) {
      const double rr = spread * std::sqrt(rng.Uniform()), a = rng.Uniform(0, 2 * std::numbers::pi);
      const double radius = rng.Uniform(2.0, 5.0) / 2 * part.px_scale;
      const cv::Point2d p = c + cv::Point2d(rr * std::cos(a), rr * std::sin(a));
      const bool apart = std::all_of(pits.begin(), pits.end(), [&](const auto& q) {
        return cv::norm(p - q.first) > radius + q.second + 1.5 * part.px_scale;
      });
      if (apart || attempt == 19) {
        pits.emplace_back(p, radius);
        break;
      }
    }
  }
  for (const auto& [centre, radius] : pits) canvas.Disc(centre, radius);
  Dent(canvas, s, -1.5f, -0.65f);
  canvas.Mark(mask);
}

// Thin dark jagged line, 20-80 px, wider in its middle, sometimes with a short branch.
void PaintCrack(const PartGeometry& part, Rng& rng, SurfaceLayers& s, cv::Mat& mask) {
  const double length = rng.Uniform(20.0, 80.0) * part.px_scale;
  std::vector<cv::Point2d> path;
  for (int attempt = 0; attempt < 50; ++attempt) {
    const cv::Point2d start = OnFace(part, rng, 3);
    const double heading = rng.Uniform(0, 2 * std::numbers::pi);
    path = Walk(rng, start, heading, length, 0.5, part.px_scale);
    if (AllOnFace(part, path, 2)) break;
  }
  const size_t n = path.size();
  std::vector<cv::Point2d> branch;
  if (n >= 5 && rng.Uniform() < 0.5) {
    const cv::Point2d from = path[n / 4 + rng.UniformInt(0, static_cast<int>(n / 2))];
    const cv::Point2d along = path[n - 1] - path[0];
    const double side = rng.Uniform() < 0.5 ? -0.7 : 0.7;
    branch = Walk(rng, from, std::atan2(along.y, along.x) + side, length * rng.Uniform(0.15, 0.35),
                  0.5, part.px_scale);
    if (!AllOnFace(part, branch, 2)) branch.clear();
  }
  std::vector<cv::Point2d> all = path;
  all.insert(all.end(), branch.begin(), branch.end());
  Canvas canvas(s.height.size(), all, 2);
  canvas.Stroke(path, Thin(part));
  if (n >= 5) {
    // The middle half gapes a little wider: a second line beside the first.
    const double shift_x = rng.Uniform(-0.7, 0.7), shift_y = rng.Uniform(-0.7, 0.7);
    const cv::Point2d shift = cv::Point2d(shift_x, shift_y) * part.px_scale;
    std::vector<cv::Point2d> middle(path.begin() + n / 4, path.begin() + 3 * n / 4);
    for (cv::Point2d& p : middle) p += shift;
    canvas.Stroke(middle, Thin(part));
  }
  if (!branch.empty()) canvas.Stroke(branch, Thin(part));
  Dent(canvas, s, -1.2f, -0.65f);
  canvas.Mark(mask);
}

// Thin ragged fin of metal, 3-7 px wide and 15-45 px long, standing out from the outer rim.
void PaintFlash(const PartGeometry& part, Rng& rng, SurfaceLayers& s, cv::Mat& mask) {
  const double r = part.radius;
  const double arc = rng.Uniform(15.0, 45.0) * part.px_scale;
  const double width = rng.Uniform(3.0, 7.0) * part.px_scale;
  const double theta = rng.Uniform(0, 2 * std::numbers::pi), span = arc / r;
  const int n = std::max(6, static_cast<int>(arc / (3 * part.px_scale)));
  std::vector<cv::Point2d> pts;
  for (int k = 0; k <= n; ++k) {
    const double t = static_cast<double>(k) / n;
    const double w = width * std::pow(std::sin(std::numbers::pi * t), 0.5) * rng.Uniform(0.35, 1.0);
    pts.push_back(
        OnPart(part, r + w, theta + (t - 0.5) * span + rng.Uniform(-0.3, 0.3) * part.px_scale / r));
  }
  for (int k = n; k >= 0; k -= 2) {
    pts.push_back(
        OnPart(part, r - 2.0 * part.px_scale, theta + (static_cast<double>(k) / n - 0.5) * span));
  }
  Canvas canvas(s.height.size(), pts, 0);
  canvas.Fill(pts);
  const float albedo = static_cast<float>(rng.Uniform(0.58, 0.72));
  canvas.ForEachInked([&](int x, int y, float cov) {
    // The fin grows from the parting line, below the rim's rounded edge: seen from above it shows
    // only beyond that edge, which stays as it was.
    float& alpha = s.alpha.at<float>(y, x);
    const float c = cov * (1 - alpha);
    alpha += c;
    float& h = s.height.at<float>(y, x);
    h += c * (-1.0f + 0.2f * rng.FastNormal() - h);
    float& a = s.albedo.at<float>(y, x);
    a += c * (albedo * (1 + 0.07f * rng.FastNormal()) - a);
  });
  canvas.Mark(mask);
}

// A bite 10-24 px wide and 4-9 px deep broken out of the outer rim; the background shows through
// and the fresh fracture around it is a little brighter.
void PaintEdgeChip(const PartGeometry& part, Rng& rng, SurfaceLayers& s, cv::Mat& mask) {
  const double half_width = rng.Uniform(10.0, 24.0) / 2 * part.px_scale;
  const double depth = rng.Uniform(4.0, 9.0) * part.px_scale;
  const double radial = depth + rng.Uniform(2.0, 5.0) * part.px_scale;
  const double theta = rng.Uniform(0, 2 * std::numbers::pi);
  const cv::Point2d c = OnPart(part, part.radius - depth + radial, theta);
  const double angle = theta + part.rotation_rad + std::numbers::pi / 2;  // long axis along the rim
  const std::vector<cv::Point2d> outline = RoughEllipse(rng, c, half_width, radial, angle, 0.10);
  Canvas bite(s.height.size(), outline, 0);
  bite.Fill(outline);
  if (bite.ink().empty()) return;

  // The fracture: a one-pixel ring just outside the bite, on the part.
  cv::Mat grown, on_part = s.alpha(bite.roi()) > 0;
  cv::dilate(bite.ink(), grown, cv::Mat());
  cv::dilate(on_part, on_part, cv::Mat());
  bite.Mark(mask, on_part);
  cv::Mat albedo_box = s.albedo(bite.roi());
  for (int y = 0; y < grown.rows; ++y) {
    const uint8_t* g = grown.ptr<uint8_t>(y);
    const uint8_t* b = bite.ink().ptr<uint8_t>(y);
    float* albedo = albedo_box.ptr<float>(y);
    for (int x = 0; x < grown.cols; ++x) albedo[x] *= 1 + 0.35f * (g[x] - b[x]) / 255;
  }
  bite.ForEachInked([&](int x, int y, float cov) {
    s.alpha.at<float>(y, x) *= 1 - cov;
    float& h = s.height.at<float>(y, x);
    h += cov * (static_cast<float>(kBackgroundHeight) - h);
  });
}

// A curved seam 25-70 px long where two metal fronts met without fusing: a faint dark line with a
// raised bright lip along one side.
void PaintColdShut(const PartGeometry& part, Rng& rng, SurfaceLayers& s, cv::Mat& mask) {
  const double length = rng.Uniform(25.0, 70.0) * part.px_scale;
  const double bend = rng.Uniform(35.0, 110.0) * part.px_scale;
  const double side = (rng.Uniform() < 0.5 ? -1.6 : 1.6) * part.px_scale;
  std::vector<cv::Point2d> seam, lip;
  for (int attempt = 0; attempt < 50; ++attempt) {
    const cv::Point2d mid = OnFace(part, rng, 4);
    const double heading = rng.Uniform(0, 2 * std::numbers::pi),
                 wobble_phase = rng.Uniform(0, 2 * std::numbers::pi);
    const cv::Point2d t(std::cos(heading), std::sin(heading)), nrm(-t.y, t.x);
    seam.clear();
    lip.clear();
    const int n = std::max(8, static_cast<int>(length / (2 * part.px_scale)));
    for (int k = 0; k <= n; ++k) {
      const double u = (static_cast<double>(k) / n - 0.5) * length, a = u / bend;
      const double wobble =
          0.5 * part.px_scale * std::sin(u / (6.0 * part.px_scale) + wobble_phase);
      const cv::Point2d p =
          mid + t * (bend * std::sin(a)) + nrm * (bend * (1 - std::cos(a)) + wobble);
      seam.push_back(p);
      lip.push_back(p + nrm * side);
    }
    if (AllOnFace(part, seam, 3)) break;
  }
  Canvas dark(s.height.size(), seam, 2), bright(s.height.size(), seam, 2);
  dark.Stroke(seam, Thin(part));
  bright.Stroke(lip, Thin(part));
  Dent(dark, s, -0.8f, -0.45f);
  Dent(bright, s, 0.7f, 0.35f);
  dark.Mark(mask);
  bright.Mark(mask);
}

// The path of a die vein in the part's frame, px at 300 px from its start, up to `length`: a
// random walk from its own seed, so a longer vein of the same die extends a shorter one.
std::vector<cv::Point2d> VeinPath(const DieVein& vein, double length) {
  Rng rng(vein.shape_seed, 0x7E1);
  std::vector<cv::Point2d> pts{{0, 0}};
  double dir = vein.heading, done = 0;
  while (done < length) {
    const double step = std::min(rng.Uniform(1.5, 3.0), length - done);
    dir += 0.35 * rng.Normal() + 0.3 * (vein.heading - dir);
    pts.push_back(pts.back() + cv::Point2d(step * std::cos(dir), step * std::sin(dir)));
    done += step;
  }
  return pts;
}

}  // namespace

void PaintDieVein(const DieVein& vein, const PartGeometry& part, SurfaceLayers& s, cv::Mat& mask) {
  if (vein.length <= 0) return;
  const double c = std::cos(part.rotation_rad), sn = std::sin(part.rotation_rad);
  std::vector<cv::Point2d> path;
  for (const cv::Point2d& q : VeinPath(vein, vein.length)) {
    const cv::Point2d p = vein.at * part.radius + q * part.px_scale;  // part frame, pixels
    const cv::Point2d img = part.centre + cv::Point2d(p.x * c - p.y * sn, p.x * sn + p.y * c);
    if (!AllOnFace(part, {img}, 2)) break;  // the crack runs out of the cavity's face
    path.push_back(img);
  }
  if (path.size() < 2) return;
  // A fin of metal that filled the crack: raised (its lit side bright, the far side in shadow)
  // and a little brighter than the cast skin around it.
  Canvas canvas(s.height.size(), path, 2);
  canvas.Stroke(path, Thin(part));
  Dent(canvas, s, 1.3f, 0.22f);
  canvas.Mark(mask);
}

void PaintDefect(DefectType type, const PartGeometry& part, Rng& rng, SurfaceLayers& surface,
                 cv::Mat& mask) {
  switch (type) {
    case DefectType::kBlowHole:
      return PaintBlowHole(part, rng, surface, mask);
    case DefectType::kPinHole:
      return PaintPinHoles(part, rng, surface, mask);
    case DefectType::kCrack:
      return PaintCrack(part, rng, surface, mask);
    case DefectType::kFlash:
      return PaintFlash(part, rng, surface, mask);
    case DefectType::kEdgeChip:
      return PaintEdgeChip(part, rng, surface, mask);
    case DefectType::kColdShut:
      return PaintColdShut(part, rng, surface, mask);
    case DefectType::kDieVein: {
      DieVein vein;
      const double r = rng.Uniform(0.45, 0.80);
      const double theta = rng.Uniform(0, 2 * std::numbers::pi);
      vein.at = {r * std::cos(theta), r * std::sin(theta)};
      vein.heading = rng.Uniform(0, 2 * std::numbers::pi);
      vein.length = rng.Uniform(20.0, 60.0);
      vein.shape_seed = rng.Next();
      return PaintDieVein(vein, part, surface, mask);
    }
  }
  throw Error(ErrorCategory::kInput,
              "unknown defect type " + std::to_string(static_cast<int>(type)),
              "pass one of AllDefectTypes()");
}

}  // namespace linesight::sim
