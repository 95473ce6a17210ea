// sim/defect_painter.h: draws one casting defect into the surface layers of a part being rendered
// and marks its pixels in the defect mask. Used by PartRenderer; stateless and thread-safe.
#pragma once

#include <opencv2/core.hpp>

#include "sim/part_renderer.h"
#include "sim/rng.h"

namespace linesight::sim {

// Where the part lies in the image.
struct PartGeometry {
  cv::Point2d centre;           // pixels
  double radius = 0;            // outer radius, pixels
  double rotation_rad = 0;      // rotation of the design about the centre
  cv::Point2d light_dir{0, 0};  // unit image-plane direction the light comes from
  double px_scale = 1;          // image size / 300: defect sizes are given for 300 px images
};

// Radii of the design as fractions of the outer radius, shared by the renderer and the painter.
inline constexpr double kBoreRadius = 0.150;       // edge of the dark central bore
inline constexpr double kCastFaceInner = 0.340;    // as-cast face (where vanes run) starts
inline constexpr double kCastFaceOuter = 0.895;    // as-cast face ends at the groove
inline constexpr double kBackgroundHeight = -5.0;  // height of the table the part lies on, px

// The part before shading, all CV_32F and size x size. Heights are in pixels (the slope gives
// the shading); albedo is reflectance 0..1; alpha is how much of each pixel the part covers.
struct SurfaceLayers {
  cv::Mat height;
  cv::Mat albedo;
  cv::Mat alpha;
};

// Draws a defect of `type`, placed and sized from `rng`, into `surface` and sets the pixels it
// changes to 255 in `mask` (CV_8UC1). Defects on the face stay on the as-cast face; flash and
// edge chips sit on the outer rim. Throws Error{kInput} for a DefectType outside the enum.
// kDieVein drawn this way gets a random place and a length of 20-60 px.
void PaintDefect(DefectType type, const PartGeometry& part, Rng& rng, SurfaceLayers& surface,
                 cv::Mat& mask);

// Draws `vein` (a raised ridge 1-3 px wide at 300 px, its path fixed by vein.shape_seed) at its
// place in part coordinates, and marks its pixels in `mask`. Draws nothing if vein.length <= 0.
void PaintDieVein(const DieVein& vein, const PartGeometry& part, SurfaceLayers& surface,
                  cv::Mat& mask);

}  // namespace linesight::sim
