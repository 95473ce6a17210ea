// inspect/decision.h: the one rule that decides a part, shared by the line (Inspector), threshold
// calibration (trainer), eval, tune and the demo: a part is rejected when its decision score — the
// highest anomaly level reached by a region of at least the minimum defect area — is above the
// threshold. A figure counted any other way is one the line would not reproduce.
#pragma once

#include <opencv2/core.hpp>

#include "models/cell_stats_model.h"
#include "vision/area_peak.h"

namespace linesight {

// The smallest region, in canvas pixels, that counts as a defect of at least `min_area_px` image
// pixels when the image is mapped onto the canvas at `scale` canvas pixels per image pixel
// (a region of a canvas pixels covers a / scale^2 image pixels). At least 1.
int CanvasMinArea(double min_area_px, double scale);

// Scores `canvas` with the companion model into `map`, after `first` scored it with `first_ws`:
// from first's features where the companion shares them (CellStatsModel::SharesFeaturesOf).
void ScoreCompanion(const CellStatsModel& companion, const CellStatsModel& first,
                    const cv::Mat& canvas, const CellStatsWorkspace& first_ws,
                    CellStatsWorkspace& ws, cv::Mat& map);

// Two anomaly models' maps of one part (same size, CV_32F) made one: `map` becomes their mean,
// so a place must stray in both opinions, or far in one, to count. Allocates nothing.
void AverageMaps(cv::Mat& map, const cv::Mat& other);

// How far from the frame's edge, in canvas pixels, a scored place must lie: three sigmas of the
// widest single blur the ring channels read (the roughness window or the fine band's outer
// blur). Chained filters and the ring windows reach further; this margin removes what the
// frame's edge made score (measured: docs/algorithm.md, section 5), not every trace of it.
double FrameMarginCanvasPx(const BandOptions& bands);

// Sets to 0 the pixels of `weighted` (CV_32F canvas) that lie within `margin_canvas_px` of the
// edge of the `frame` they were warped from by `image_to_canvas`. There the warp repeats the
// frame's edge pixels, and a filter reading them scores a texture the part's surroundings do not
// have (a smooth table then shows flat streaks). A no-op where the whole canvas is well inside;
// a transform with a non-finite entry clears everything.
void ClearNearFrameEdge(cv::Mat& weighted, const cv::Matx23d& image_to_canvas, cv::Size frame,
                        double margin_canvas_px);

// The decision score of a weighted anomaly map (CV_32F, >= 0): AreaPeak over `canvas_min_area`.
// The part is rejected iff this is > the threshold. Allocates nothing once `scratch` is sized.
float DecisionScore(const cv::Mat& weighted, int canvas_min_area, AreaPeakScratch& scratch);

// True if `score` rejects at `threshold` (the comparison every counter must use). A score that is
// not a number rejects: a part whose inspection went wrong must never pass.
inline bool Rejects(float score, double threshold) { return !(score <= threshold); }

}  // namespace linesight
