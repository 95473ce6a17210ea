// Finding types from place, shape and polarity: see finding_type.h.
#include "inspect/finding_type.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <numbers>

#include "models/cell_stats_model.h"

namespace linesight {
namespace {

// At the rim: the outermost pixel beyond this share of the rim's radius, the centroid beyond
// kRimCentroid. Flash stands out of the rim, a chip bites into it; both straddle it.
constexpr double kRimOuter = 0.96, kRimCentroid = 0.9;
// Long: length / width at least this, and at least kLongShare of the rim radius.
constexpr double kLongRatio = 3, kLongShare = 0.08;
// The core of a finding: its pixels above this share of its peak (or the threshold, if higher).
constexpr float kCoreShare = 0.5f;
// A pixel strays far when its signed deviation is at least this many (calibrated) spreads.
constexpr float kStrayZ = 3;
// A compact dark finding is a blow hole when its stray pixels fill at least this share of the
// ellipse their axes span (one solid cavity: 0.95-1 on simulated parts, a cluster of pin holes
// 0.1-0.6) and it is at least kPinShare of the rim radius long; otherwise pin holes.
constexpr double kSolidFill = 0.8, kPinShare = 0.045;

}  // namespace

namespace {

// Second moments of a set of pixels, accumulated.
struct Moments {
  double n = 0, sx = 0, sy = 0, sxx = 0, syy = 0, sxy = 0;
  void Add(int x, int y) {
    n += 1, sx += x, sy += y, sxx += double(x) * x, syy += double(y) * y, sxy += double(x) * y;
  }
  // Length and width along the principal axes: 4 sqrt of the eigenvalues (a pixel counts 1/12).
  void Axes(double& length, double& width) const {
    if (n == 0) return;
    const double mx = sx / n, my = sy / n;
    const double cxx = sxx / n - mx * mx + 1.0 / 12, cyy = syy / n - my * my + 1.0 / 12;
    const double cxy = sxy / n - mx * my;
    const double half = std::sqrt(std::max(0.0, (cxx - cyy) * (cxx - cyy) / 4 + cxy * cxy));
    length = 4 * std::sqrt(std::max(0.0, (cxx + cyy) / 2 + half));
    width = 4 * std::sqrt(std::max(0.0, (cxx + cyy) / 2 - half));
  }
};

}  // namespace

namespace {

// Marks the 8-connected pixels of `weighted` above `threshold` within `box` that hold the first
// pixel of value `peak` in it (the region's own pixels, not another region's inside its box),
// and lists them in scratch.pixels as y * cols + x.
void FloodRegion(const cv::Mat& weighted, float threshold, const cv::Rect& b, float peak,
                 FindingScratch& scratch) {
  const int cols = weighted.cols;
  scratch.pixels.clear();
  scratch.seen.create(weighted.size(), CV_8UC1);
  for (int y = b.y; y < b.y + b.height; ++y) {
    uint8_t* m = scratch.seen.ptr<uint8_t>(y);
    std::fill(m + b.x, m + b.x + b.width, uint8_t{0});
  }
  for (int y = b.y; y < b.y + b.height && scratch.pixels.empty(); ++y) {
    const float* w = weighted.ptr<float>(y);
    for (int x = b.x; x < b.x + b.width; ++x)
      if (w[x] == peak && w[x] > threshold) {
        scratch.pixels.push_back(y * cols + x);
        scratch.seen.ptr<uint8_t>(y)[x] = 1;
        break;
      }
  }
  for (size_t next = 0; next < scratch.pixels.size(); ++next) {
    const int at = scratch.pixels[next], y = at / cols, x = at % cols;
    for (int dy = -1; dy <= 1; ++dy)
      for (int dx = -1; dx <= 1; ++dx) {
        const int u = x + dx, v = y + dy;
        if (!b.contains({u, v}) || scratch.seen.ptr<uint8_t>(v)[u]) continue;
        if (!(weighted.ptr<float>(v)[u] > threshold)) continue;
        scratch.seen.ptr<uint8_t>(v)[u] = 1;
        scratch.pixels.push_back(v * cols + u);
      }
  }
}

}  // namespace

FindingShape MeasureFinding(const cv::Mat& weighted, float threshold, const cv::Rect& box,
                            float peak, cv::Point2d centre, double rim, const CellStatsModel& model,
                            const CellStatsWorkspace& ws, FindingScratch& scratch) {
  FindingShape s;
  const cv::Rect b = box & cv::Rect(0, 0, weighted.cols, weighted.rows);
  if (b.empty() || !(rim > 0)) return s;
  if (scratch.pixels.capacity() < weighted.total()) scratch.pixels.reserve(weighted.total());
  FloodRegion(weighted, threshold, b, peak, scratch);
  // Where: the finding's core, its pixels above half its peak (a region just above the threshold
  // is as wide as the filters' reach). What: its pixels that stray far from good parts, darker
  // and brighter apart, which keep the defect's own shape (a line stays a line).
  const float level = std::max(threshold, kCoreShare * peak);
  Moments core, dark, bright;
  double outer = 0;
  for (const int at : scratch.pixels) {
    const int y = at / weighted.cols, x = at % weighted.cols;
    if (weighted.ptr<float>(y)[x] > level) {
      core.Add(x, y);
      outer = std::max(outer, std::hypot(x + 0.5 - centre.x, y + 0.5 - centre.y));
    }
    const float z = model.SignedZ(ws, x, y);
    if (z <= -kStrayZ) dark.Add(x, y), s.dark += z * z;
    if (z >= kStrayZ) bright.Add(x, y), s.bright += z * z;
  }
  s.area = core.n;
  if (core.n == 0) return s;
  s.radius = std::hypot(core.sx / core.n + 0.5 - centre.x, core.sy / core.n + 0.5 - centre.y) / rim;
  s.outer = outer / rim;
  const Moments& m = s.dark >= s.bright ? dark : bright;
  m.Axes(s.length, s.width);
  s.stray = m.n;
  const double ellipse = std::numbers::pi / 4 * s.length * s.width;
  s.fill = ellipse > 0 ? s.stray / ellipse : 0;
  s.length /= rim, s.width /= rim;
  return s;
}

std::string_view TypeOfFinding(const FindingShape& s) {
  if (s.area <= 0) return "anomaly";
  // At the rim, where the rim's own edge makes both signs: flash is metal beyond the outline, a
  // chip is metal missing within it.
  if (s.outer >= kRimOuter && s.radius >= kRimCentroid)
    return s.radius >= 1 ? "flash" : "edge_chip";
  if (s.stray <= 0) return "anomaly";
  const bool darker = s.dark >= s.bright;
  if (s.length >= kLongRatio * s.width && s.length >= kLongShare)
    return darker ? "crack" : "raised_line";
  if (!darker) return "anomaly";
  // One solid cavity, or small pits (often several, scattered).
  return s.fill >= kSolidFill && s.length >= kPinShare ? "blow_hole" : "pin_hole";
}

int FindingTypeCode(std::string_view type) {
  for (size_t i = 0; i < std::size(kFindingTypes); ++i)
    if (kFindingTypes[i] == type) return static_cast<int>(i) + 1;
  return 1;
}

cv::Point2d PartFramePlace(cv::Point2d p, cv::Point2d centre, double rim, double turn_rad,
                           int symmetry) {
  const double dx = p.x - centre.x, dy = p.y - centre.y;
  const double r = std::hypot(dx, dy) / rim;
  const double repeat = 2 * std::numbers::pi / std::max(1, symmetry);
  double a = std::fmod(std::atan2(dy, dx) - turn_rad, repeat);
  if (a < 0) a += repeat;
  return {r * std::cos(a), r * std::sin(a)};
}

}  // namespace linesight
