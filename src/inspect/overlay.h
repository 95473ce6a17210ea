// inspect/overlay.h: the picture of one inspection that people look at: the frame with the anomaly
// heatmap, the findings, the rim and the recipe's ignored regions, a banner with the verdict and a
// colour legend; for a held part, where the search for the part went. Pure functions.
#pragma once

#include <vector>

#include <opencv2/core.hpp>

#include "inspect/inspector.h"
#include "inspect/verdict.h"

namespace linesight {

struct OverlayOptions {
  // Longest side of the frame in the picture, pixels: larger frames are scaled down, smaller ones
  // are kept. 0 = full size. Lines and text are sized for the picture, so they stay visible.
  int max_side = 1024;
  // A strip above the frame with the decision, score and threshold (and a hold's reason).
  bool banner = true;
  // A strip below the frame: the colour scale in units of the threshold and what each mark means.
  bool legend = true;
  // Optional ground truth: CV_8UC1 of the frame's size, non-zero on defect pixels. Its outline is
  // drawn (magenta), to compare with the heatmap. Empty = none.
  cv::Mat truth_mask;
};

// Draws the last Inspect() on `ws`. Returns CV_8UC3: the banner (if any), the frame scaled by
// OverlayScale() and padded to a readable width when narrow, then the legend (if any).
// Drawn for a pass or reject: the heatmap (clear below half the threshold, deep red at twice it),
// findings boxed (overlapping boxes merged) with their severity, the rim found, ignored regions
// hatched. For a hold: the reason, and when the part was not found the search region, the edges
// the locator saw and the rim it tried and rejected. Never shows an earlier frame's results.
// Throws Error{kInput} if `image` is not 8-bit grey or the mask's size differs from the image's.
// REQUIRES: `image` and `verdict` are the frame and result of the last Inspect() on `ws`.
[[nodiscard]] cv::Mat DrawOverlay(const Inspector& inspector, const cv::Mat& image,
                                  const Verdict& verdict, const Workspace& ws,
                                  const OverlayOptions& options = OverlayOptions());

// The anomaly heatmap alone, for a viewer that lays it over the frame (the dashboard blends it
// with CSS "screen"): CV_8UC3 of the frame's size scaled by OverlayScale(size, max_side), black
// below half the threshold, then DrawOverlay()'s colour scale, brighter up to the threshold.
// All black if the part was not located. REQUIRES: `ws` holds the last Inspect() of a frame of
// `size`.
[[nodiscard]] cv::Mat HeatmapLayer(const Inspector& inspector, const cv::Size& size,
                                   const Workspace& ws, int max_side);

// The scale DrawOverlay() gives a frame of `size`: min(1, max_side / longest side); 1 if
// max_side <= 0.
[[nodiscard]] double OverlayScale(const cv::Size& size, int max_side);

// Boxes for drawing: boxes that overlap or are fewer than `gap` pixels apart are replaced by
// their union, until no two are. Order: by top, then left. Empty boxes are dropped.
[[nodiscard]] std::vector<cv::Rect> MergeBoxes(std::vector<cv::Rect> boxes, int gap);

}  // namespace linesight
