// vision/part_locator.h: finds the part in a frame and returns the similarity transform that
// maps it onto the model's canonical canvas, or says why it could not. Pure and thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include <opencv2/core.hpp>

#include "vision/affine_warp.h"
#include "vision/locate_kernels.h"

namespace linesight {

// How a part is located. Stored in recipes and models: never renumber.
enum class LocateMethod : uint8_t {
  kNone = 0,  // the region of interest is the part: stretch it onto the canvas
  kDisc = 1,  // a round part: find its outer rim, centre it and normalise its radius
};

// Settings of the locator (part of the recipe; they change results).
struct LocateOptions {
  LocateMethod method = LocateMethod::kDisc;
  cv::Rect2d roi{0, 0, 1, 1};     // search region, fractions of the image
  int canvas = 320;               // canonical canvas side, pixels
  double canvas_radius = 0.43;    // disc: outer radius on the canvas, fraction of `canvas`
  double min_radius = 0.20;       // disc: smallest outer radius, fraction of the image's short side
  double max_radius = 0.55;       // disc: largest outer radius, same unit
  double min_rim_support = 0.35;  // disc: fraction of rays that must agree on the rim
  // disc: outer radius learned from good parts (fraction of the short side; 0 = not known).
  // When known, the rim is only searched within `radius_tolerance` of it, so an inner ring is
  // never mistaken for the rim when the rim itself is washed out.
  double expected_radius = 0;
  double radius_tolerance = 0.2;
};

// Where the part was found.
struct PartPose {
  bool found = false;
  std::string failure;          // why not, when !found (names the likely cause)
  cv::Matx23d image_to_canvas;  // affine map from image pixels to canvas pixels
  cv::Point2d centre;           // disc: centre in image pixels
  double radius = 0;            // disc: outer radius in image pixels
  double radius_fraction = 0;   // disc: radius / short side of the search region
  double rim_support = 0;       // disc: fraction of rays on the fitted rim, 0..1
  double scale = 1;             // canvas pixels per image pixel
  // When !found because the rim was found but the frame cuts it: how far the rim reaches beyond
  // the frame (image pixels) and which edge ("left", "top", "right", "bottom"). 0 / "" otherwise.
  double cut_off_px = 0;
  const char* cut_edge = "";
};

// How far the rim may reach beyond the frame's outer pixel edge before the part counts as cut
// off, in image pixels: room for the fit's sub-pixel noise, not for a missing piece of the part.
inline constexpr double kRimEdgeTolerancePx = 1.0;

// Buffers LocatePart and WarpToCanvas reuse from call to call, so that locating and warping
// allocate nothing once they have grown to the frame size. One per thread.
struct LocateScratch {
  cv::Mat work, small, smooth, blurred16, mag, mag8;  // grow-only pixel buffers
  AreaScratch area;
  WarpScratch warp;
  std::vector<std::vector<cv::Point2d>> cand;  // edge candidates per ray
  std::vector<std::vector<int8_t>> cand_sign;  // +1: brighter outside the candidate, -1: darker
  std::vector<float> profile, step;
  std::vector<std::pair<float, int>> peaks;
  std::vector<int> hist;
  std::vector<uint8_t> seen;
  std::vector<cv::Point2f> inliers;
  // Where the last search looked, for pictures of a part that was not found. `cand` and
  // `tried_circle` are in working pixels: image pixel = working pixel / work_scale + work_origin.
  cv::Point2d work_origin;
  double work_scale = 1;
  cv::Vec3d tried_circle;  // centre x, y and radius of the last rim tried; radius 0 = none
};

// Locates the part in the 8-bit grey `image`. Never throws for image content: returns
// found=false with a reason instead; a round part whose rim leaves the frame by more than
// kRimEdgeTolerancePx is not found, with cut_off_px and cut_edge set. REQUIRES: image is CV_8UC1
// and non-empty; `scratch` used by one thread at a time.
PartPose LocatePart(const cv::Mat& image, const LocateOptions& options, LocateScratch& scratch);

// As above, with buffers of its own (allocates on every call).
PartPose LocatePart(const cv::Mat& image, const LocateOptions& options);

// Sets `canvas` to the canvas_side x canvas_side view of `image` through pose.image_to_canvas:
// bilinear, with the frame's edge pixels repeated outside it (bit-exact with cv::warpAffine,
// INTER_LINEAR, BORDER_REPLICATE). Allocates nothing once `canvas` and `scratch` have that size.
// REQUIRES: image CV_8UC1 and non-empty; pose.found; `canvas` does not share data with `image`.
void WarpToCanvas(const cv::Mat& image, const PartPose& pose, int canvas_side, cv::Mat& canvas,
                  LocateScratch& scratch);

}  // namespace linesight
