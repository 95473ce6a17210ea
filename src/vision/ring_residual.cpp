#include "vision/ring_residual.h"

#include <algorithm>
#include <cmath>

#include <opencv2/imgproc.hpp>

namespace linesight {

RingResidual::RingResidual(int canvas, double max_radius, int angles, std::vector<int> windows)
    : canvas_(canvas), windows_(std::move(windows)) {
  const int radii = static_cast<int>(std::ceil(max_radius)) + 2;
  const double c = (canvas - 1) / 2.0;
  to_polar_x_.create(radii, angles, CV_32F);
  to_polar_y_.create(radii, angles, CV_32F);
  for (int r = 0; r < radii; ++r)
    for (int a = 0; a < angles; ++a) {
      double t = 2 * CV_PI * a / angles;
      to_polar_x_.at<float>(r, a) = static_cast<float>(c + r * std::cos(t));
      to_polar_y_.at<float>(r, a) = static_cast<float>(c + r * std::sin(t));
    }
  to_canvas_x_.create(canvas, canvas, CV_32F);
  to_canvas_y_.create(canvas, canvas, CV_32F);
  for (int y = 0; y < canvas; ++y)
    for (int x = 0; x < canvas; ++x) {
      double t = std::atan2(y - c, x - c);
      if (t < 0) t += 2 * CV_PI;
      to_canvas_x_.at<float>(y, x) = static_cast<float>(t / (2 * CV_PI) * angles);
      to_canvas_y_.at<float>(y, x) = static_cast<float>(std::hypot(x - c, y - c));
    }
  for (int w : windows_)
    kernels_.push_back(cv::getStructuringElement(cv::MORPH_RECT, cv::Size(w, 1)));
}

void RingResidual::Compute(const cv::Mat& image, RingResidualScratch& s, cv::Mat* residuals) const {
  CV_Assert(image.type() == CV_32F && image.rows == canvas_ && image.cols == canvas_);
  cv::remap(image, s.polar, to_polar_x_, to_polar_y_, cv::INTER_LINEAR, cv::BORDER_REPLICATE);
  // Rings are closed: wrap the angle so the seam at 0 degrees is not an edge.
  int pad = 0;
  for (int w : windows_) pad = std::max(pad, w);
  cv::copyMakeBorder(s.polar, s.wrapped, 0, 0, pad, pad, cv::BORDER_WRAP);
  for (size_t k = 0; k < windows_.size(); ++k) {
    cv::morphologyEx(s.wrapped, s.opened, cv::MORPH_OPEN, kernels_[k]);
    cv::morphologyEx(s.wrapped, s.closed, cv::MORPH_CLOSE, kernels_[k]);
    // residual = value - midpoint of opening and closing: dark pits go negative, bright burrs
    // positive, anything wider than the window cancels.
    cv::Mat core_o = s.opened.colRange(pad, pad + s.polar.cols);
    cv::Mat core_c = s.closed.colRange(pad, pad + s.polar.cols);
    cv::addWeighted(core_o, -0.5, core_c, -0.5, 0, s.residual_polar);
    s.residual_polar += s.polar;
    // Map back; wrap the angle column so pixels near 360 degrees interpolate with 0.
    cv::copyMakeBorder(s.residual_polar, s.extended, 0, 0, 0, 1, cv::BORDER_WRAP);
    cv::remap(s.extended, residuals[k], to_canvas_x_, to_canvas_y_, cv::INTER_LINEAR,
              cv::BORDER_CONSTANT, 0);
  }
}

}  // namespace linesight
