#include "inspect/decision.h"

#include <algorithm>
#include <cmath>

#include <opencv2/imgproc.hpp>

namespace linesight {

int CanvasMinArea(double min_area_px, double scale) {
  if (!(min_area_px > 0) || !(scale > 0)) return 1;
  // The same comparison the findings use (area * image pixels per canvas pixel >= min area), so
  // rounding cannot make the score and the findings disagree.
  const double px_per_canvas = 1.0 / (scale * scale);
  double a = std::max(1.0, std::ceil(min_area_px * scale * scale));
  if (a > 1e9) return 1000000000;
  while (a > 1 && (a - 1) * px_per_canvas >= min_area_px) --a;
  while (a * px_per_canvas < min_area_px) ++a;
  return static_cast<int>(a);
}

void ScoreCompanion(const CellStatsModel& companion, const CellStatsModel& first,
                    const cv::Mat& canvas, const CellStatsWorkspace& first_ws,
                    CellStatsWorkspace& ws, cv::Mat& map) {
  if (companion.SharesFeaturesOf(first))
    companion.ScoreShared(first_ws, ws, map);
  else
    companion.Score(canvas, ws, map);
}

void AverageMaps(cv::Mat& map, const cv::Mat& other) {
  CV_Assert(map.type() == CV_32F && other.type() == CV_32F && map.size() == other.size());
  cv::addWeighted(map, 0.5, other, 0.5, 0.0, map);
}

double FrameMarginCanvasPx(const BandOptions& bands) {
  return 3 * std::max(bands.mid_sigma, bands.rough_sigma);
}

namespace {

// Narrows [lo, hi] to the x where lower <= c * x + d <= upper.
void Narrow(double c, double d, double lower, double upper, double& lo, double& hi) {
  if (c == 0) {
    if (d < lower || d > upper) lo = 1, hi = 0;
    return;
  }
  double a = (lower - d) / c, b = (upper - d) / c;
  if (c < 0) std::swap(a, b);
  lo = std::max(lo, a);
  hi = std::min(hi, b);
}

}  // namespace

void ClearNearFrameEdge(cv::Mat& weighted, const cv::Matx23d& image_to_canvas, cv::Size frame,
                        double margin_canvas_px) {
  CV_Assert(weighted.type() == CV_32F);
  cv::Matx23d inv;  // canvas -> image
  cv::invertAffineTransform(image_to_canvas, inv);
  // Canvas pixels per image pixel along the image's axes turn the margin into image pixels.
  const double scale = std::sqrt(std::abs(image_to_canvas(0, 0) * image_to_canvas(1, 1) -
                                          image_to_canvas(0, 1) * image_to_canvas(1, 0)));
  // A transform that gives no number places nothing inside the frame: nothing is scored.
  bool finite = std::isfinite(scale) && scale > 0 && std::isfinite(margin_canvas_px);
  for (int i = 0; i < 6; ++i) finite = finite && std::isfinite(inv.val[i]);
  if (!finite) {
    weighted.setTo(0);
    return;
  }
  const double m = margin_canvas_px / scale;
  const double x_lo = m - 0.5, x_hi = frame.width - 0.5 - m;
  const double y_lo = m - 0.5, y_hi = frame.height - 0.5 - m;
  for (int y = 0; y < weighted.rows; ++y) {
    double lo = 0, hi = weighted.cols - 1;
    Narrow(inv(0, 0), inv(0, 1) * y + inv(0, 2), x_lo, x_hi, lo, hi);
    Narrow(inv(1, 0), inv(1, 1) * y + inv(1, 2), y_lo, y_hi, lo, hi);
    float* row = weighted.ptr<float>(y);
    if (!(lo <= hi)) {
      std::fill(row, row + weighted.cols, 0.0f);
      continue;
    }
    const int keep_from = static_cast<int>(std::clamp(std::ceil(lo), 0.0, double(weighted.cols)));
    const int keep_to =
        static_cast<int>(std::clamp(std::floor(hi) + 1, 0.0, double(weighted.cols)));
    if (keep_from >= keep_to) {
      std::fill(row, row + weighted.cols, 0.0f);
      continue;
    }
    std::fill(row, row + keep_from, 0.0f);
    std::fill(row + keep_to, row + weighted.cols, 0.0f);
  }
}

float DecisionScore(const cv::Mat& weighted, int canvas_min_area, AreaPeakScratch& scratch) {
  return AreaPeak(weighted, std::max(1, canvas_min_area), scratch);
}

}  // namespace linesight
