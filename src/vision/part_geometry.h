// vision/part_geometry.h: the measured shape of a round part (centre, diameter, ovality, angle of
// its long axis) from the pose the locator found. Pure and allocation-free.
#pragma once

#include <opencv2/core.hpp>

#include "vision/part_locator.h"

namespace linesight {

// A round part's rim as an ellipse, in image pixels.
struct PartGeometry {
  bool measured = false;  // false unless a round part (disc locator) was found
  cv::Point2d centre;     // image pixels
  double diameter = 0;    // 2 sqrt(a b): the diameter of the circle of the same area
  double major = 0;       // longest diameter (2 a)
  double minor = 0;       // shortest diameter (2 b)
  double ovality = 0;     // (major - minor) / diameter: 0 for a circle
  double angle_deg = 0;   // direction of the longest diameter from the image x axis (towards +y),
                          // degrees in [0, 180); 0 for a circle
};

// The rim `pose` found, recovered from its image-to-canvas map (which turns the rim's ellipse into
// a circle of `canvas_radius_px`). Returns measured=false for a pose not found or a locator that
// does not fit a rim (`method` kNone).
PartGeometry MeasurePartGeometry(const PartPose& pose, LocateMethod method,
                                 double canvas_radius_px);

}  // namespace linesight
