// vision/ring_residual.h: compares a round part with itself. Unwraps the canvas into rings
// (polar coordinates about the canvas centre), subtracts from each pixel the level of its
// angular neighbours on the same ring (a morphological top-hat along the ring), and maps the
// residual back. Small defects stand out; the part's own rings, glare that varies slowly around
// the part and the part's rotation do not. Const after construction; scratch is caller-owned.
#pragma once

#include <vector>

#include <opencv2/core.hpp>

namespace linesight {

struct RingResidualScratch {
  cv::Mat polar, wrapped, opened, closed, residual_polar, extended;
};

class RingResidual {
 public:
  // `canvas`: side of the square canvas; `max_radius`: outermost ring, pixels; `angles`: samples
  // per ring; `windows`: angular neighbourhoods in samples, one residual each (features narrower
  // than a window stand out in its residual).
  RingResidual(int canvas, double max_radius, int angles, std::vector<int> windows);

  // Residuals (CV_32F, canvas size), one per window, of `image` (CV_32F, canvas size) into
  // residuals[0..windows). REQUIRES: scratch used by one thread at a time.
  void Compute(const cv::Mat& image, RingResidualScratch& scratch, cv::Mat* residuals) const;

  size_t windows() const { return windows_.size(); }

 private:
  int canvas_;
  std::vector<int> windows_;
  std::vector<cv::Mat> kernels_;
  cv::Mat to_polar_x_, to_polar_y_;    // polar (rows = radius, cols = angle) <- canvas
  cv::Mat to_canvas_x_, to_canvas_y_;  // canvas <- polar
};

}  // namespace linesight
