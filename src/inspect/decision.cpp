#include "inspect/decision.h"

#include <algorithm>
#include <cmath>

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

float DecisionScore(const cv::Mat& weighted, int canvas_min_area, AreaPeakScratch& scratch) {
  return AreaPeak(weighted, std::max(1, canvas_min_area), scratch);
}

}  // namespace linesight
