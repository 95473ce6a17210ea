#include "vision/ring_residual.h"

#include <algorithm>
#include <cmath>
#include <cstring>

namespace linesight {

RingResidual::RingResidual(int canvas, double max_radius, int angles, std::vector<int> windows)
    : canvas_(canvas),
      radii_(static_cast<int>(std::ceil(max_radius)) + 2),
      angles_(angles),
      windows_(std::move(windows)) {
  for (int w : windows_) CV_Assert(w >= 1 && w % 2 == 1 && w <= angles / 2);
  const double c = (canvas - 1) / 2.0;
  cv::Mat px(radii_, angles, CV_32F), py(radii_, angles, CV_32F);
  for (int r = 0; r < radii_; ++r)
    for (int a = 0; a < angles; ++a) {
      double t = 2 * CV_PI * a / angles;
      px.at<float>(r, a) = static_cast<float>(c + r * std::cos(t));
      py.at<float>(r, a) = static_cast<float>(c + r * std::sin(t));
    }
  to_polar_ = RemapTable(px, py, cv::Size(canvas, canvas), RemapBorder::kReplicate);
  cv::Mat cx(canvas, canvas, CV_32F), cy(canvas, canvas, CV_32F);
  for (int y = 0; y < canvas; ++y)
    for (int x = 0; x < canvas; ++x) {
      double t = std::atan2(y - c, x - c);
      if (t < 0) t += 2 * CV_PI;
      cx.at<float>(y, x) = static_cast<float>(t / (2 * CV_PI) * angles);
      cy.at<float>(y, x) = static_cast<float>(std::hypot(x - c, y - c));
    }
  // One extra column repeats angle 0, so pixels near 360 degrees interpolate with it.
  to_canvas_ = RemapTable(cx, cy, cv::Size(angles + 1, radii_), RemapBorder::kZero);
}

void RingResidual::Compute(const cv::Mat& image, RingResidualScratch& s, cv::Mat* residuals,
                           float scale) const {
  CV_Assert(image.type() == CV_32F && image.rows == canvas_ && image.cols == canvas_);
  to_polar_.Pad(image, s.padded_canvas);
  to_polar_.Apply(s.padded_canvas, s.polar);
  // Windows go back to the canvas two at a time: one pass over the table for both.
  const size_t n = windows_.size();
  for (size_t k = 0; k < n; k += 2) {
    WindowResidual(windows_[k], s, s.padded_residual[0]);
    if (k + 1 == n) {
      to_canvas_.Apply(s.padded_residual[0], residuals[k], scale);
      break;
    }
    WindowResidual(windows_[k + 1], s, s.padded_residual[1]);
    to_canvas_.Apply2(s.padded_residual[0], s.padded_residual[1], residuals[k], residuals[k + 1],
                      scale);
  }
}

void RingResidual::WindowResidual(int w, RingResidualScratch& s, cv::Mat& padded) const {
  padded.create(to_canvas_.padded_size(), CV_32F);
  const int n = angles_, reach = w - 1;  // an opening sees `reach` samples either side
  int max_window = 1;
  for (int v : windows_) max_window = std::max(max_window, v);
  // Per ring: the ring wrapped by a window at each end, the opening's and closing's first and
  // second stages, and the sliding filters' scratch.
  const size_t wrapped_len = static_cast<size_t>(n + 2 * (max_window - 1));
  const size_t need = 3 * wrapped_len + 2 * static_cast<size_t>(n) + 2 * wrapped_len;
  if (s.row.size() < need) s.row.resize(need);
  float* wrapped = s.row.data();
  float* eroded = wrapped + wrapped_len;
  float* dilated = eroded + wrapped_len;
  float* opened = dilated + wrapped_len;
  float* closed = opened + n;
  float* tmp = closed + n;
  for (int r = 0; r < radii_; ++r) {
    // Rings are closed: wrap the angle so the seam at 0 degrees is not an edge.
    const float* ring = s.polar.ptr<float>(r);
    std::memcpy(wrapped, ring + n - reach, sizeof(float) * reach);
    std::memcpy(wrapped + reach, ring, sizeof(float) * n);
    std::memcpy(wrapped + reach + n, ring, sizeof(float) * reach);
    // Opening (erode, then dilate) and closing (dilate, then erode) along the ring.
    SlidingMin(wrapped, n + reach, w, tmp, eroded);
    SlidingMax(eroded, n, w, tmp, opened);
    SlidingMax(wrapped, n + reach, w, tmp, dilated);
    SlidingMin(dilated, n, w, tmp, closed);
    // residual = value - midpoint of opening and closing: dark pits go negative, bright
    // burrs positive, anything wider than the window cancels.
    float* out = padded.ptr<float>(r + 1) + 1;
    for (int a = 0; a < n; ++a) out[a] = (opened[a] * -0.5f + closed[a] * -0.5f) + ring[a];
    out[n] = out[0];
  }
  to_canvas_.FillFrame(padded);
}

}  // namespace linesight
