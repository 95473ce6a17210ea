// inspect/inspector.h: turns one frame into one Verdict: locate the part, map it onto the canvas,
// hold it if the frame is unfit to judge (quality gates), score it against the model, find defect
// regions, decide. Immutable once built; Inspect() may
// run on many threads at once, each with its own Workspace.
#pragma once

#include <span>
#include <string>

#include <opencv2/core.hpp>

#include "core/clock.h"
#include "inspect/decision.h"
#include "inspect/finding_type.h"
#include "inspect/inspection_model.h"
#include "inspect/verdict.h"
#include "models/cell_stats_model.h"
#include "vision/outline.h"
#include "vision/part_locator.h"
#include "vision/regions.h"

namespace linesight {

// A place of a round part (its own frame, rim radii: Finding::place_*) where the anomaly map rose
// above a share of the threshold over the minimum defect area: too faint to reject one part, but
// evidence when it recurs at one place of a die's parts.
struct FaintPlace {
  double x = 0, y = 0, size = 0;
  float level = 0;  // the region's peak / the threshold
};

// Per-thread scratch; after the first frame of a given size no buffer grows.
struct Workspace {
  CellStatsWorkspace cell;
  CellStatsWorkspace companion_cell;  // the model's companion's scratch (two opinions)
  cv::Mat canvas, map, companion_map, weighted;
  RegionScratch regions;
  FindingScratch finding;
  AreaPeakScratch area;
  LocateScratch locate;
  PartPose pose;                      // pose of the last inspected frame (for overlays)
  PartMatch::Thumb thumb;             // the part match's thumbnail of the canvas
  OutlineScratch outline;             // the outline check's (round parts)
  std::vector<uint8_t> outline_skip;  // its directions left out for this part
  float outline_score = 0;            // the last part's bulge x the model's outline_scale
};

// How far outside the good parts' scales (InspectionModel::scale_min / max) a part may be seen
// before it is held as kBadImage: a camera a few percent nearer or farther is inspected, one with
// half the resolution (or binning 2x2, or another lens) is not: its canvas would be an upsampled,
// blurred copy whose thin defects the model never learned to miss or see.
inline constexpr double kScaleTolerance = 1.25;

class Inspector {
 public:
  // `model` must outlive the Inspector.
  explicit Inspector(const InspectionModel& model);

  // Never throws. Returns kHold with the reason set if the image is unusable, the part is not
  // found, the frame fails a quality gate (blurred, saturated, exposure out of range), anything
  // fails, or `deadline` passes; never kPass after an error.
  // REQUIRES: `ws` is used by one thread at a time.
  [[nodiscard]] Verdict Inspect(const cv::Mat& image, Workspace& ws,
                                Deadline deadline = Deadline::Never()) const noexcept;

  // As above, into `out`: every field is overwritten, but its strings and findings keep their
  // capacity. With `ws` and `out` reused frame after frame, inspecting a pass or reject allocates
  // nothing once warmed up (a reject with more findings than `out` has held may grow it); a hold
  // may allocate its reason text (tests/inspect/inspect_no_alloc_test.cpp).
  void Inspect(const cv::Mat& image, Workspace& ws, Deadline deadline, Verdict& out) const noexcept;

  // The part of Inspect() after alignment, for tests and benchmarks of scoring alone: scores
  // ws.canvas (the frame mapped onto the canvas by ws.pose) and sets out's score (the decision
  // score of inspect/decision.h), decision (reject iff score > threshold), findings (the regions
  // above the threshold of at least the minimum defect area, boxes in a frame of `image_size`),
  // threshold and model id. Throws cv::Exception on a canvas of the wrong size or type.
  // REQUIRES: ws.pose.found.
  void ScoreCanvas(const cv::Size& image_size, Workspace& ws, Verdict& out) const;

  // The picture of the last Inspect() on `ws` with default OverlayOptions: DrawOverlay() in
  // inspect/overlay.h, which says what it shows. REQUIRES: `image` is what was inspected.
  cv::Mat Overlay(const cv::Mat& image, const Verdict& verdict, const Workspace& ws) const;

  // The anomaly map of the last Inspect() on `ws` (CV_32F, in units of the threshold: 1.0 = at the
  // reject threshold), in image pixels, or in the pixels of the image scaled by `scale` (then
  // `size` is the scaled image's size). Zero everywhere if the part was not located.
  cv::Mat HeatmapInImage(const cv::Size& size, const Workspace& ws, double scale = 1.0) const;

  // After an Inspect() on `ws` that scored the part: the decision score the part would have under
  // each minimum defect area in `min_areas_px` (image pixels, ascending), into `scores` (same
  // size). For tuning the operating point without inspecting again. Zeros if nothing was scored.
  void ScoresAtAreas(const Workspace& ws, std::span<const double> min_areas_px,
                     std::span<float> scores, AreaPeakScratch& scratch) const;

  // After an Inspect() on `ws` that scored a round part: the places where its weighted anomaly
  // map rises above `share` x the threshold (0 < share <= 1) over at least the minimum defect area,
  // into `out` (cleared first; keeps its capacity). Empty if nothing was scored or the part is
  // not round. Reuses ws.regions.
  void FaintPlaces(Workspace& ws, double share, std::vector<FaintPlace>& out) const;

  const InspectionModel& model() const { return model_; }

 private:
  const InspectionModel& model_;
  std::string model_id_;   // model_.Id(), built once
  cv::Mat weights_;        // per canvas pixel: sensitivity, 0 = not inspected
  LocateOptions locate_;   // the recipe's, with the part radius learned in training
  QualityLimits quality_;  // the recipe's quality gates, resolved against what training saw
  double quality_radius_;  // where on the canvas quality is measured (QualityRadiusFraction)
  // Round parts: distance from the canvas centre to the outer edge of the farthest inspected
  // canvas pixel (0 for parts that are stretched onto the canvas: those never leave the frame).
  double inspected_radius_ = 0;
  // Round parts: places this close to the frame's edge are not scored (ClearNearFrameEdge).
  double frame_margin_ = 0;
  // Rejects of a part whose inspected area leaves the frame: findings cut away by the frame go,
  // and a part whose only findings lie at that edge is held (see Inspect()).
  void CheckFrameEdge(const cv::Size& image_size, const PartPose& pose, Verdict& v) const;
  // Holds `v` as kBadImage (NotScored), and returns true, if the part located in ws.pose is seen
  // at a scale far from the training images' (kScaleTolerance).
  bool CheckScale(const cv::Size& image_size, Workspace& ws, Verdict& v) const;
  // Holds `v` as kPartNotFound, and returns true, if the canvas matches none of the good parts'
  // thumbnails as well as they match each other (InspectionModel::match).
  bool CheckMatch(Workspace& ws, Verdict& v) const;
  // For a part held after it was located: no heatmap in ws, and the model named in `v`.
  void NotScored(Workspace& ws, Verdict& v) const;
  // Round parts: the type of finding `f` (canvas box `cb`, peak `peak`) and its place in the
  // part's own frame.
  void DescribeOnDisc(const cv::Rect& cb, float peak, Workspace& ws, Finding& f) const;
  // Round parts with the outline check: measures the outline's largest bulge (leaving out the
  // directions of ignored regions and beyond the frame), sets ws.outline_score to it times the
  // model's outline_scale and raises v.score to that if higher. Returns the bulge if it rejects
  // the part, else an unmeasured one.
  OutlineBulge ScoreOutline(const cv::Size& image_size, Workspace& ws, Verdict& v) const;
  // Adds the finding of a bulge that rejects the part: flash, on the arc it spans.
  void AddOutlineFinding(const OutlineBulge& b, const cv::Size& image_size, Workspace& ws,
                         Verdict& v) const;
  // Round parts: the place in the part's own frame of canvas box `cb` (level left 0).
  FaintPlace PlaceOnDisc(const cv::Rect& cb, const Workspace& ws) const;
};

}  // namespace linesight
