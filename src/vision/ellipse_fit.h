// vision/ellipse_fit.h: least-squares ellipse through 2-D points, the fit of cv::fitEllipse done
// with fixed-size algebra on the stack, so that it allocates nothing. Pure and thread-safe.
#pragma once

#include <span>

#include <opencv2/core.hpp>

namespace linesight {

// Fits an ellipse to `points` as cv::fitEllipse does for more than 5 points (the algebraic fit
// of a general conic for the centre, then of its axes about that centre) and returns it in
// cv::RotatedRect's convention. Returns false, `out` untouched, for fewer than 5 points or a
// degenerate set (collinear, coincident, or too ill-conditioned to fit), where OpenCV would
// jitter the points at random.
[[nodiscard]] bool FitEllipse(std::span<const cv::Point2f> points, cv::RotatedRect& out);

}  // namespace linesight
