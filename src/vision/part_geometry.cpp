#include "vision/part_geometry.h"

#include <cmath>

namespace linesight {

PartGeometry MeasurePartGeometry(const PartPose& pose, LocateMethod method,
                                 double canvas_radius_px) {
  PartGeometry g;
  if (!pose.found || method != LocateMethod::kDisc || !(canvas_radius_px > 0)) return g;
  // The linear part of the map is M = R diag(k/a, k/b) R^T, symmetric: its eigenvalues give the
  // semi-axes (a = k / smaller eigenvalue), the eigenvector of the smaller one the long axis.
  const double p = pose.image_to_canvas(0, 0), q = pose.image_to_canvas(0, 1),
               s = pose.image_to_canvas(1, 1);
  const double mean = (p + s) / 2, half = std::hypot((p - s) / 2, q);
  const double small = mean - half, large = mean + half;
  if (!(small > 0)) return g;
  const double a = canvas_radius_px / small, b = canvas_radius_px / large;
  g.measured = true;
  g.centre = pose.centre;
  g.major = 2 * a;
  g.minor = 2 * b;
  g.diameter = 2 * std::sqrt(a * b);
  g.ovality = (g.major - g.minor) / g.diameter;
  if (half > 1e-12 * mean) {
    // 0.5 atan2(2q, p - s) is the direction of the larger eigenvalue (the short axis).
    double deg = 0.5 * std::atan2(2 * q, p - s) * 180 / CV_PI + 90;
    deg = std::fmod(deg + 360, 180);
    g.angle_deg = deg;
  }
  return g;
}

}  // namespace linesight
