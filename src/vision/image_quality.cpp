#include "vision/image_quality.h"

#include <algorithm>
#include <cmath>

namespace linesight {

QualityMeasures MeasureQuality(const cv::Mat& canvas, double radius_fraction,
                               GreyHistogram* histogram) {
  CV_Assert(canvas.type() == CV_8UC1 && canvas.rows >= 3 && canvas.cols >= 3 &&
            canvas.cols <= 16384);
  GreyHistogram local;
  GreyHistogram& hist = histogram ? *histogram : local;
  hist.fill(0);
  const double cx = (canvas.cols - 1) / 2.0, cy = (canvas.rows - 1) / 2.0;
  const double r = radius_fraction * std::min(canvas.cols, canvas.rows);
  // Sums of squared differences in integers: exact, so identical on every machine.
  uint64_t near = 0, far = 0;
  // The differences need a neighbour on each side: the outermost rows and columns only count in
  // the histogram of rows and columns inside them.
  for (int y = 1; y + 1 < canvas.rows; ++y) {
    int x0 = 1, x1 = canvas.cols - 2;
    if (radius_fraction > 0) {
      const double dy = y - cy, h2 = r * r - dy * dy;
      if (h2 < 0) continue;
      const double h = std::sqrt(h2);
      x0 = std::max(x0, static_cast<int>(std::ceil(cx - h)));
      x1 = std::min(x1, static_cast<int>(std::floor(cx + h)));
    }
    const uint8_t* up = canvas.ptr<uint8_t>(y - 1);
    const uint8_t* p = canvas.ptr<uint8_t>(y);
    const uint8_t* down = canvas.ptr<uint8_t>(y + 1);
    for (int x = x0; x <= x1; ++x) ++hist[p[x]];
    // One row's sums fit 32 bits (2 x 255^2 x 16384 < 2^31): a loop the compiler vectorises.
    int32_t row_near = 0, row_far = 0;
    for (int x = x0; x <= x1; ++x) {
      const int32_t dx1 = p[x + 1] - p[x], dy1 = down[x] - p[x];
      const int32_t dx2 = p[x + 1] - p[x - 1], dy2 = down[x] - up[x];
      row_near += dx1 * dx1 + dy1 * dy1;
      row_far += dx2 * dx2 + dy2 * dy2;
    }
    near += static_cast<uint64_t>(row_near);
    far += static_cast<uint64_t>(row_far);
  }
  QualityMeasures q;
  uint64_t count = 0;
  for (uint32_t h : hist) count += h;
  if (count == 0) return q;
  q.focus = far > 0 ? 4.0 * static_cast<double>(near) / static_cast<double>(far) - 1.0 : 0.0;
  uint64_t clipped = 0, below = 0;
  for (int v = kSaturatedLevel; v < 256; ++v) clipped += hist[static_cast<size_t>(v)];
  q.saturated = static_cast<double>(clipped) / static_cast<double>(count);
  int median = 0;
  for (; median < 255; ++median) {
    below += hist[static_cast<size_t>(median)];
    if (2 * below >= count) break;
  }
  q.exposure = median;
  return q;
}

double LevelAfter(double level, const ExposureChange& change) {
  return 255.0 * change.gain * std::pow(std::clamp(level, 0.0, 255.0) / 255.0, change.gamma);
}

double SaturatedShareAfter(const GreyHistogram& histogram, const ExposureChange& change) {
  uint64_t count = 0, clipped = 0;
  for (size_t v = 0; v < histogram.size(); ++v) {
    count += histogram[v];
    // Rounded as ApplyExposure rounds, so the share matches what the changed image would show.
    if (cvRound(LevelAfter(static_cast<double>(v), change)) >= kSaturatedLevel)
      clipped += histogram[v];
  }
  return count ? static_cast<double>(clipped) / static_cast<double>(count) : 0.0;
}

}  // namespace linesight
