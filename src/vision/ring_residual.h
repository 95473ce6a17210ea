// vision/ring_residual.h: compares a round part with itself. Unwraps the canvas into rings
// (polar coordinates about the canvas centre), subtracts from each pixel the level of its
// angular neighbours on the same ring (a morphological top-hat along the ring), and maps the
// residual back. Small defects stand out; the part's own rings, glare that varies slowly around
// the part and the part's rotation do not. Const after construction; scratch is caller-owned.
#pragma once

#include <vector>

#include <opencv2/core.hpp>

#include "vision/filters.h"

namespace linesight {

// Buffers of RingResidual::Compute; sized on first use, then reused without allocating.
struct RingResidualScratch {
  cv::Mat padded_canvas;       // the input inside a one-pixel frame (see RemapTable)
  cv::Mat polar;               // rows = radius, cols = angle
  cv::Mat padded_residual[2];  // two windows' residuals in polar form, framed, seam column added
  std::vector<float> row;      // one ring, wrapped at both ends, and the ring filters' stages
};

class RingResidual {
 public:
  // `canvas`: side of the square canvas; `max_radius`: outermost ring, pixels; `angles`: samples
  // per ring; `windows`: angular neighbourhoods in samples (odd, at most angles / 2), one
  // residual each (features narrower than a window stand out in its residual).
  RingResidual(int canvas, double max_radius, int angles, std::vector<int> windows);

  // Residuals (CV_32F, canvas size), one per window, of `image` (CV_32F, canvas size) into
  // residuals[0..windows), each multiplied by `scale` on the way back to the canvas.
  // Allocates nothing once `scratch` and the residuals are sized.
  // REQUIRES: scratch used by one thread at a time.
  void Compute(const cv::Mat& image, RingResidualScratch& scratch, cv::Mat* residuals,
               float scale = 1.f) const;

  size_t windows() const { return windows_.size(); }

 private:
  // The residual of window `w` of the polar image in s.polar, into `padded` (framed).
  void WindowResidual(int w, RingResidualScratch& s, cv::Mat& padded) const;

  int canvas_;
  int radii_, angles_;
  std::vector<int> windows_;
  RemapTable to_polar_;   // polar (rows = radius, cols = angle) <- canvas, edges replicated
  RemapTable to_canvas_;  // canvas <- polar with the seam column, zero beyond the last ring
};

}  // namespace linesight
