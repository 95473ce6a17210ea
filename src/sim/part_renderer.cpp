// sim/part_renderer.cpp: the image model. A part is a height map, an albedo map and a coverage
// map (built from a radial profile, spiral vanes and cast-skin texture); defects edit those maps;
// then Lambertian shading, a background with the part's shadow, camera gain, gamma, lighting
// gradient, vignetting and sensor noise turn them into 8-bit grey.
#include "sim/part_renderer.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <numbers>
#include <string>
#include <vector>

#include <opencv2/imgproc.hpp>

#include "core/error.h"
#include "sim/defect_painter.h"
#include "sim/rng.h"

namespace linesight::sim {
namespace {

// Random streams; each part of the picture draws from its own so that adding a defect leaves the
// rest of the image bit-identical to the good part.
constexpr uint64_t kPoseStream = 1;
constexpr uint64_t kTextureStream = 2;
constexpr uint64_t kNoiseStream = 3;
constexpr uint64_t kDefectStream = 0x100;

// Shading: flat surfaces facing the camera get kAmbient + kDiffuse * cos(light zenith angle).
constexpr float kAmbient = 0.35f;
constexpr float kDiffuse = 0.75f;
// The table: as bright as the real castings' (grey 180 against the part's 120).
constexpr float kBackgroundAlbedo = 0.77f;

// Height of the part surface (px) against radius (fraction of the outer radius), piecewise linear:
// deep bore, bevelled raised machined hub, a cast cone down to the face, a groove, a rim lip and
// the rounded outer edge.
struct Knot {
  double r;
  double h;
};
constexpr std::array<Knot, 16> kHeightProfile{{{0.000, -14.0},
                                               {kBoreRadius, -14.0},
                                               {0.158, 2.5},
                                               {0.178, 5.0},
                                               {0.270, 5.0},
                                               {0.278, 3.0},
                                               {0.290, 2.5},
                                               {kCastFaceInner, 0.0},
                                               {kCastFaceOuter, 0.0},
                                               {0.905, -1.2},
                                               {0.915, -1.2},
                                               {0.925, 1.5},
                                               {0.975, 1.5},
                                               {1.000, -3.0},
                                               {1.030, kBackgroundHeight},
                                               {9.999, kBackgroundHeight}}};

double ProfileHeight(double r) {
  for (size_t i = 1; i < kHeightProfile.size(); ++i) {
    const Knot& a = kHeightProfile[i - 1];
    const Knot& b = kHeightProfile[i];
    if (r <= b.r) return a.h + (b.h - a.h) * (r - a.r) / (b.r - a.r);
  }
  return kBackgroundHeight;
}

// atan2 to within 2e-6 rad by a fixed polynomial: faster than libm and the same everywhere.
double FastAtan2(double y, double x) {
  const double ax = std::abs(x), ay = std::abs(y);
  const double hi = std::max(ax, ay);
  if (hi == 0) return 0;
  const double a = std::min(ax, ay) / hi, s = a * a;
  double r = a * (0.99997726 +
                  s * (-0.33262347 +
                       s * (0.19354346 + s * (-0.11643287 + s * (0.05265332 + s * -0.01172120)))));
  if (ay > ax) r = std::numbers::pi / 2 - r;
  if (x < 0) r = std::numbers::pi - r;
  return y < 0 ? -r : r;
}

double SmoothStep(double e0, double e1, double x) {
  const double t = std::clamp((x - e0) / (e1 - e0), 0.0, 1.0);
  return t * t * (3 - 2 * t);
}

// The radial profile sampled every 1/kTableStep px, so the per-pixel loop only interpolates.
constexpr double kTableStep = 4.0;
struct RadialTable {
  std::vector<float> height;
  std::vector<float> albedo;  // before texture; the bore gets its own
  std::vector<float> cast;    // 1 on as-cast skin, 0 on machined faces
};

RadialTable BuildRadialTable(double radius, int size) {
  const int n = static_cast<int>(size * kTableStep) + 2;
  RadialTable t;
  t.height.resize(n);
  t.albedo.resize(n);
  t.cast.resize(n);
  const double w = 0.7 / radius;  // material boundaries blend over ~1.4 px
  auto step = [&](double edge, double r) { return SmoothStep(edge - w, edge + w, r); };
  for (int i = 0; i < n; ++i) {
    const double r_px = i / kTableStep, r = r_px / radius;
    // Machined hub with fine turning marks, then cast face, dark groove, smoother rim lip, edge.
    double albedo = 0.72 * (1 + 0.025 * std::sin(2 * std::numbers::pi * r_px / 1.9));
    double cast = 0;
    albedo += (0.50 - albedo) * step(0.285, r);
    cast += (1 - cast) * step(0.285, r);
    albedo += (0.42 - albedo) * step(0.898, r);
    albedo += (0.56 - albedo) * step(0.922, r);
    cast += (0.45 - cast) * step(0.922, r);
    albedo += (0.50 - albedo) * step(0.975, r);
    cast += (1 - cast) * step(0.975, r);
    // The rounded outer edge turns away from the camera and its ring light: it darkens towards
    // the silhouette, as the real castings' rims do, and meets the table in one sharp step.
    albedo *= 1 - 0.30 * SmoothStep(0.90, 0.95, r) - 0.10 * SmoothStep(0.95, 1.0, r);
    t.height[i] = static_cast<float>(ProfileHeight(r));
    t.albedo[i] = static_cast<float>(albedo);
    t.cast[i] = static_cast<float>(cast);
  }
  return t;
}

// Everything about one part that is drawn from the seed but is not a texture.
struct Look {
  PartGeometry geometry;
  double gain = 1;  // exposure
  double gamma = 1;
  cv::Point2d gradient;  // relative brightness change per pixel from the image centre
  double vignette = 0;   // relative darkening at the image corners
  double noise_sigma = 0;
  cv::Point3d light;      // unit vector towards the light
  double vane_twist = 0;  // radians the vanes turn between their inner and outer ends
};

Look DrawLook(const RenderOptions& o, uint64_t seed) {
  Rng rng(seed, kPoseStream);
  Look look;
  const double centre = (o.size - 1) / 2.0;
  look.geometry.centre.x = centre + rng.Uniform(-o.max_shift_px, o.max_shift_px);
  look.geometry.centre.y = centre + rng.Uniform(-o.max_shift_px, o.max_shift_px);
  look.geometry.radius = o.part_radius * o.size * (1 + rng.Uniform(-o.max_scale, o.max_scale));
  look.geometry.rotation_rad =
      rng.Uniform(-o.max_rotation_deg, o.max_rotation_deg) * std::numbers::pi / 180;
  look.gain = 1 + rng.Uniform(-o.exposure_range, o.exposure_range);
  look.gamma = 1 + rng.Uniform(-o.gamma_range, o.gamma_range);
  const double grad_dir = rng.Uniform(0, 2 * std::numbers::pi);
  const double grad = rng.Uniform(0, o.lighting_gradient) / (o.size / 2.0);
  look.gradient = {grad * std::cos(grad_dir), grad * std::sin(grad_dir)};
  look.vignette = rng.Uniform(0.06, 0.14);
  look.noise_sigma = o.noise_sigma * rng.Uniform(0.5, 1.0);
  // The station lamp sits up and to the left; parts and fixtures move it a little.
  const double azimuth = (-135 + rng.Uniform(-20, 20)) * std::numbers::pi / 180;
  const double elevation = rng.Uniform(50, 65) * std::numbers::pi / 180;
  look.geometry.light_dir = {std::cos(azimuth), std::sin(azimuth)};
  look.light = {std::cos(elevation) * std::cos(azimuth), std::cos(elevation) * std::sin(azimuth),
                std::sin(elevation)};
  look.vane_twist = rng.Uniform(0.8, 1.1);
  look.geometry.px_scale = o.size / 300.0;
  return look;
}

// Planes a render needs, kept per thread between renders so that rendering does not spend its
// time faulting in fresh pages (that was half the cost). About 2.5 MB per thread at 300 px.
struct Scratch {
  cv::Mat noise, grain, coarse, blobs, mottle;  // CV_32F
  SurfaceLayers surface;
};

// Planes of images up to this many pixels are kept per thread; larger ones are freed after use.
constexpr int kMaxKeptPixels = 1024 * 1024;

Scratch& ThreadScratch() {
  thread_local Scratch scratch;
  return scratch;
}

// Fills `out` with a smooth random field with about `cells` blobs across, values ~N(0, 1).
void Blobs(Rng& rng, int cells, int size, Scratch& ws, cv::Mat& out) {
  ws.coarse.create(cells, cells, CV_32F);
  for (int y = 0; y < cells; ++y) {
    for (int x = 0; x < cells; ++x) ws.coarse.at<float>(y, x) = static_cast<float>(rng.Normal());
  }
  out.create(size, size, CV_32F);
  cv::resize(ws.coarse, out, out.size(), 0, 0, cv::INTER_CUBIC);
}

// Fills ws.grain with the per-pixel grain of the cast skin (1-2 px), roughly N(0, 1), and
// ws.mottle with blotches tens of pixels across.
void Textures(Rng& rng, int size, Scratch& ws) {
  ws.noise.create(size, size, CV_32F);
  for (int y = 0; y < size; ++y) {
    float* row = ws.noise.ptr<float>(y);
    for (int x = 0; x < size; ++x) row[x] = 2.4f * rng.FastNormal();  // 2.4: undo the blur
  }
  ws.grain.create(size, size, CV_32F);
  cv::GaussianBlur(ws.noise, ws.grain, cv::Size(3, 3), 0.7);
  Blobs(rng, 6, size, ws, ws.mottle);
  Blobs(rng, 18, size, ws, ws.blobs);
  cv::addWeighted(ws.mottle, 0.7, ws.blobs, 0.5, 0, ws.mottle);
}

// Builds the height, albedo and coverage of the good part into `s`.
void BuildSurface(const RenderOptions& o, const Look& look, const cv::Mat& grain,
                  const cv::Mat& mottle, SurfaceLayers& s) {
  const int size = o.size;
  const PartGeometry& g = look.geometry;
  const RadialTable table = BuildRadialTable(g.radius, size);
  const int last = static_cast<int>(table.height.size()) - 2;
  const double vane_period = o.vanes > 0 ? 2 * std::numbers::pi / o.vanes : 0;
  const double vane_half_width = 0.042 * g.radius;
  const double vane_in = kCastFaceInner - 0.01, vane_out = kCastFaceOuter - 0.005;
  const double outside2 = (g.radius * 1.04 + 2) * (g.radius * 1.04 + 2);

  s.height.create(size, size, CV_32F);
  s.albedo.create(size, size, CV_32F);
  s.alpha.create(size, size, CV_32F);
  for (int y = 0; y < size; ++y) {
    float* h_row = s.height.ptr<float>(y);
    float* a_row = s.albedo.ptr<float>(y);
    float* c_row = s.alpha.ptr<float>(y);
    const float* grain_row = grain.ptr<float>(y);
    const float* mottle_row = mottle.ptr<float>(y);
    const double dy = y - g.centre.y;
    for (int x = 0; x < size; ++x) {
      const double dx = x - g.centre.x;
      const double r2 = dx * dx + dy * dy;
      if (r2 > outside2) {  // bare background: flat, and the albedo is never read
        h_row[x] = static_cast<float>(kBackgroundHeight);
        a_row[x] = 0;
        c_row[x] = 0;
        continue;
      }
      const double r_px = std::sqrt(r2), r = r_px / g.radius;
      const double pos = r_px * kTableStep;
      const int i = std::min(static_cast<int>(pos), last);
      const float f = static_cast<float>(std::min(pos - i, 1.0));
      float h = table.height[i] + f * (table.height[i + 1] - table.height[i]);
      float a = table.albedo[i] + f * (table.albedo[i + 1] - table.albedo[i]);
      const float cast = table.cast[i] + f * (table.cast[i + 1] - table.cast[i]);

      if (r < kBoreRadius + 0.01) {
        // Dark bore; its wall away from the lamp catches a little light.
        const double away = r_px > 0 ? -(dx * g.light_dir.x + dy * g.light_dir.y) / r_px : 0;
        const double bore = 0.05 + 0.06 * std::max(away, 0.0) * SmoothStep(0.08, kBoreRadius, r);
        a = static_cast<float>(bore + (a - bore) * SmoothStep(kBoreRadius, kBoreRadius + 0.01, r));
      }
      if (vane_period > 0 && r > vane_in && r < vane_out) {
        const double along = (r - vane_in) / (vane_out - vane_in);
        double d = FastAtan2(dy, dx) - g.rotation_rad - look.vane_twist * along;
        d -= vane_period * std::floor(d / vane_period + 0.5);
        // A rib with a flat top and rounded shoulders, fading out at both ends.
        const double rib = SmoothStep(1.0, 0.5, std::abs(d) * r_px / vane_half_width);
        if (rib > 0) {
          const double ends = SmoothStep(0.0, 0.06, along) * (1 - SmoothStep(0.93, 1.0, along));
          h += static_cast<float>(2.5 * rib * ends);
          a *= static_cast<float>(1 + 0.08 * rib * ends);
        }
      }
      // Cast skin: a fine relief and blotchy colour (a die-cast skin is smooth, Ra 1-3 um: its
      // grain is finer than a sand casting's); machined faces are smoother still.
      const float smooth = 1 - cast;
      h += cast * 0.16f * grain_row[x];
      a *= 1 + cast * (0.05f * grain_row[x] + 0.06f * mottle_row[x]) +
           smooth * (0.012f * grain_row[x] + 0.025f * mottle_row[x]);
      h_row[x] = h;
      a_row[x] = a;
      c_row[x] = static_cast<float>(std::clamp(g.radius + 0.5 - r_px, 0.0, 1.0));
    }
  }
}

// Lookup table for out = in^gamma on [0, 1], sampled finely enough to be exact to 0.1 grey.
struct GammaTable {
  static constexpr int kSteps = 1024;
  std::array<float, kSteps + 2> value;
  explicit GammaTable(double gamma) {
    for (int i = 0; i <= kSteps; ++i) {
      value[i] = static_cast<float>(std::pow(static_cast<double>(i) / kSteps, gamma));
    }
    value[kSteps + 1] = value[kSteps];
  }
  float operator()(float in) const {
    const float pos = std::clamp(in, 0.0f, 1.0f) * kSteps;
    const int i = static_cast<int>(pos);
    return value[i] + (pos - i) * (value[i + 1] - value[i]);
  }
};

// The part's shadow on the table: soft and shallow under the real castings' diffuse light (the
// photos show no more than a thin dark line where the rim meets the table).
constexpr double kShadowPx = 5;
constexpr double kContactPx = 2;

// Shades the surface, lays it over the background and applies the camera.
cv::Mat Expose(const RenderOptions& o, const Look& look, const SurfaceLayers& s,
               const cv::Mat& mottle, uint64_t seed) {
  const int size = o.size;
  const PartGeometry& g = look.geometry;
  const float lx = static_cast<float>(look.light.x), ly = static_cast<float>(look.light.y),
              lz = static_cast<float>(look.light.z);
  const float flat = kAmbient + kDiffuse * lz;
  // The lamp throws the part's shadow away from itself; the contact shadow hugs the rim.
  const cv::Point2d shadow_centre = g.centre - g.light_dir * 4.0;
  const double shadow_reach2 = (g.radius + kShadowPx) * (g.radius + kShadowPx);
  const double contact_reach2 = (g.radius + kContactPx) * (g.radius + kContactPx);
  const double image_centre = (size - 1) / 2.0;
  const double corner2 = 2 * image_centre * image_centre;
  const float noise_sigma = static_cast<float>(look.noise_sigma);
  const GammaTable gamma(look.gamma);
  Rng noise(seed, kNoiseStream);

  cv::Mat image(size, size, CV_8UC1);
  for (int y = 0; y < size; ++y) {
    const float* h_up = s.height.ptr<float>(std::max(y - 1, 0));
    const float* h_row = s.height.ptr<float>(y);
    const float* h_down = s.height.ptr<float>(std::min(y + 1, size - 1));
    const float* a_row = s.albedo.ptr<float>(y);
    const float* c_row = s.alpha.ptr<float>(y);
    const float* mottle_row = mottle.ptr<float>(y);
    uint8_t* out = image.ptr<uint8_t>(y);
    const float dy_scale = (y == 0 || y == size - 1) ? 1.0f : 0.5f;
    const double iy = y - image_centre, sy = y - shadow_centre.y, cy = y - g.centre.y;
    for (int x = 0; x < size; ++x) {
      float value = 0;
      const float alpha = c_row[x];
      if (alpha > 0) {
        const int xl = std::max(x - 1, 0), xr = std::min(x + 1, size - 1);
        const float hx = (h_row[xr] - h_row[xl]) / static_cast<float>(xr - xl);
        const float hy = (h_down[x] - h_up[x]) * dy_scale;
        const float ndl = (lz - hx * lx - hy * ly) / std::sqrt(hx * hx + hy * hy + 1);
        value = alpha * a_row[x] * (kAmbient + kDiffuse * std::max(ndl, 0.0f)) / flat;
      }
      if (alpha < 1) {
        const double sx = x - shadow_centre.x, cx = x - g.centre.x;
        const double s2 = sx * sx + sy * sy, c2 = cx * cx + cy * cy;
        double shadow = 1;
        if (s2 < shadow_reach2) {
          shadow -= 0.12 * (1 - SmoothStep(g.radius, g.radius + kShadowPx, std::sqrt(s2)));
        }
        if (c2 < contact_reach2) {
          shadow -= 0.20 * (1 - SmoothStep(g.radius, g.radius + kContactPx, std::sqrt(c2)));
        }
        // The table is as smooth as the real castings' (docs/simulator.md: no grain of its own
        // beyond the camera's noise, faint blotches); a grainy table hid flash and thin lines.
        value += (1 - alpha) * static_cast<float>(kBackgroundAlbedo * shadow) *
                 (1 + 0.02f * mottle_row[x]);
      }
      const double ix = x - image_centre;
      value *= static_cast<float>(look.gain * (1 + look.gradient.x * ix + look.gradient.y * iy) *
                                  (1 - look.vignette * (ix * ix + iy * iy) / corner2));
      const float grey = 255 * gamma(value) + noise_sigma * noise.FastNormal();
      out[x] = static_cast<uint8_t>(std::clamp(grey, 0.0f, 255.0f) + 0.5f);
    }
  }
  return image;
}

void CheckOptions(const RenderOptions& o) {
  auto require = [](bool ok, const std::string& what) {
    if (!ok) {
      throw Error(ErrorCategory::kInput, "render option out of range: " + what,
                  "use values within the ranges documented in sim/part_renderer.h");
    }
  };
  require(o.size >= 64 && o.size <= 4096, "size must be 64..4096");
  require(o.vanes >= 0 && o.vanes <= 24, "vanes must be 0..24");
  require(o.max_scale >= 0 && o.max_scale < 0.5, "max_scale must be in [0, 0.5)");
  require(o.part_radius >= 0.1 && o.part_radius <= 0.5, "part_radius must be 0.1..0.5");
  require(o.max_shift_px >= 0 && o.max_shift_px <= o.size / 4.0, "max_shift_px must be 0..size/4");
  require(o.max_rotation_deg >= 0 && o.max_rotation_deg <= 360, "max_rotation_deg must be 0..360");
  require(o.exposure_range >= 0 && o.exposure_range < 1, "exposure_range must be in [0, 1)");
  require(o.gamma_range >= 0 && o.gamma_range < 1, "gamma_range must be in [0, 1)");
  require(o.lighting_gradient >= 0 && o.lighting_gradient < 1,
          "lighting_gradient must be in [0, 1)");
  require(o.noise_sigma >= 0 && o.noise_sigma <= 64, "noise_sigma must be 0..64");
}

constexpr std::array<DefectType, 6> kAllDefects{DefectType::kBlowHole, DefectType::kPinHole,
                                                DefectType::kCrack,    DefectType::kFlash,
                                                DefectType::kEdgeChip, DefectType::kColdShut};

}  // namespace

std::string_view DefectName(DefectType type) {
  switch (type) {
    case DefectType::kBlowHole:
      return "blow_hole";
    case DefectType::kPinHole:
      return "pin_hole";
    case DefectType::kCrack:
      return "crack";
    case DefectType::kFlash:
      return "flash";
    case DefectType::kEdgeChip:
      return "edge_chip";
    case DefectType::kColdShut:
      return "cold_shut";
    case DefectType::kDieVein:
      return "die_vein";
  }
  return "unknown";
}

std::optional<DefectType> ParseDefectType(std::string_view name) {
  for (DefectType type : kAllDefects) {
    if (DefectName(type) == name) return type;
  }
  if (name == DefectName(DefectType::kDieVein)) return DefectType::kDieVein;
  return std::nullopt;
}

std::span<const DefectType> AllDefectTypes() { return kAllDefects; }

PartRenderer::PartRenderer(const RenderOptions& options) : options_(options) {
  CheckOptions(options_);
}

RenderedPart PartRenderer::Render(uint64_t seed, std::span<const DefectType> defects) const {
  return Render(seed, defects, {});
}

RenderedPart PartRenderer::Render(uint64_t seed, std::span<const DefectType> defects,
                                  std::span<const DieVein> veins) const {
  const Look look = DrawLook(options_, seed);
  Scratch local;
  Scratch& ws = options_.size * options_.size <= kMaxKeptPixels ? ThreadScratch() : local;
  Rng texture(seed, kTextureStream);
  Textures(texture, options_.size, ws);
  SurfaceLayers& surface = ws.surface;
  BuildSurface(options_, look, ws.grain, ws.mottle, surface);

  RenderedPart part;
  part.mask = cv::Mat::zeros(options_.size, options_.size, CV_8UC1);
  for (size_t i = 0; i < defects.size(); ++i) {
    Rng rng(seed, kDefectStream + 8 * i + static_cast<uint64_t>(defects[i]));
    PaintDefect(defects[i], look.geometry, rng, surface, part.mask);
  }
  for (const DieVein& vein : veins) {
    if (vein.length > 0) PaintDieVein(vein, look.geometry, surface, part.mask);
  }
  part.image = Expose(options_, look, surface, ws.mottle, seed);
  part.defects.assign(defects.begin(), defects.end());
  for (const DieVein& vein : veins) {
    if (vein.length > 0) part.defects.push_back(DefectType::kDieVein);
  }
  part.centre = look.geometry.centre;
  part.radius = look.geometry.radius;
  part.rotation_deg = look.geometry.rotation_rad * 180 / std::numbers::pi;
  return part;
}

}  // namespace linesight::sim
