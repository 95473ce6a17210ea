#include "inspect/inspector.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string_view>

#include <opencv2/imgproc.hpp>

#include "inspect/finding_type.h"
#include "inspect/outline_check.h"
#include "inspect/overlay.h"

namespace linesight {

namespace {

// Findings a verdict makes room for on its first reject, so that later rejects do not grow it.
constexpr size_t kFindingsReserved = 64;

cv::Point2d Apply(const cv::Matx23d& m, cv::Point2d p) {
  return {m(0, 0) * p.x + m(0, 1) * p.y + m(0, 2), m(1, 0) * p.x + m(1, 1) * p.y + m(1, 2)};
}

// Resets every field of `v`, keeping the capacity of its strings and findings.
void Clear(Verdict& v) {
  v.decision = Decision::kHold;
  v.reason = HoldReason::kNone;
  v.detail.clear();
  v.score = 0;
  v.threshold = 0;
  v.findings.clear();
  v.times = StageTimes();
  v.model_id.clear();
  v.geometry = PartGeometry();
  v.quality_measured = false;
  v.quality = QualityMeasures();
  v.pixel_size_mm = 0;
}

// Turns `v` into a hold for `reason`; other fields are left to the caller.
void SetHold(Verdict& v, HoldReason reason, std::string_view detail) {
  v.decision = Decision::kHold;
  v.reason = reason;
  v.detail.assign(detail);
  v.findings.clear();
}

// A part not found in a frame largely clipped white was most likely washed out, not missing: the
// hold says so, since the quality gates (which name clipping) only run on a part that was found.
void AddClippingHint(const cv::Mat& image, Verdict& v) {
  int64_t clipped = 0;
  for (int y = 0; y < image.rows; ++y) {
    const uint8_t* row = image.ptr<uint8_t>(y);
    for (int x = 0; x < image.cols; ++x) clipped += row[x] == 255;
  }
  const double share = static_cast<double>(clipped) / static_cast<double>(image.total());
  if (share < 0.1) return;
  v.detail += "; " + std::to_string(static_cast<int>(std::lround(100 * share))) +
              "% of the frame is clipped white: lower the exposure or gain if the part is there";
}

}  // namespace

Inspector::Inspector(const InspectionModel& model)
    : model_(model),
      model_id_(model.Id()),
      weights_(BuildWeightMap(model.recipe, model.anomaly.support())),
      locate_(model.Locate()),
      quality_(ResolveQualityLimits(model.recipe.quality, model.quality)),
      quality_radius_(QualityRadiusFraction(model.recipe.locate.method == LocateMethod::kDisc,
                                            model.recipe.locate.canvas_radius)) {
  if (locate_.method != LocateMethod::kDisc) return;
  frame_margin_ = FrameMarginCanvasPx(model.anomaly.options().bands);
  const double c = (weights_.cols - 1) / 2.0;
  for (int y = 0; y < weights_.rows; ++y)
    for (int x = 0; x < weights_.cols; ++x)
      if (weights_.at<float>(y, x) > 0)
        inspected_radius_ = std::max(inspected_radius_, std::hypot(x - c, y - c) + 0.5);
}

Verdict Inspector::Inspect(const cv::Mat& image, Workspace& ws, Deadline deadline) const noexcept {
  Verdict v;
  Inspect(image, ws, deadline, v);
  return v;
}

void Inspector::Inspect(const cv::Mat& image, Workspace& ws, Deadline deadline,
                        Verdict& v) const noexcept {
  Clear(v);
  v.pixel_size_mm = model_.recipe.pixel_size_mm;
  // Overlay() and HeatmapInImage() must not show the previous frame's pose if this one fails.
  ws.pose.found = false;
  ws.outline_score = 0;  // nor the last part's outline (ScoresAtAreas reads it)
  try {
    if (image.empty() || image.type() != CV_8UC1)
      return SetHold(v, HoldReason::kBadImage, "frame is empty or not 8-bit grey");
    if (image.cols < 32 || image.rows < 32)
      return SetHold(v, HoldReason::kBadImage, "frame is smaller than 32x32 pixels");
    auto t0 = SteadyClock::now();
    ws.pose = LocatePart(image, locate_, ws.locate);
    v.times.align_ms = MillisSince(t0);
    if (!ws.pose.found) {
      SetHold(v, ws.pose.cut_off_px > 0 ? HoldReason::kPartAtEdge : HoldReason::kPartNotFound,
              ws.pose.failure);
      AddClippingHint(image, v);
      v.model_id = model_id_;
      v.threshold = model_.threshold;
      return;
    }
    if (deadline.Passed()) {
      Clear(v);
      if (!ws.weighted.empty()) ws.weighted.setTo(0);  // the last part's map is not this one's
      return SetHold(v, HoldReason::kDeadline, "deadline passed while aligning");
    }
    if (CheckScale(image.size(), ws, v)) return;

    auto t1 = SteadyClock::now();
    const int n = model_.recipe.locate.canvas;
    v.geometry = MeasurePartGeometry(ws.pose, locate_.method, locate_.canvas_radius * n);
    WarpToCanvas(image, ws.pose, n, ws.canvas, ws.locate);
    // A blurred, clipped or badly exposed frame gets no verdict: its score would judge the
    // camera, not the part.
    v.quality = MeasureQuality(ws.canvas, quality_radius_);
    v.quality_measured = true;
    if (CheckQuality(v.quality, quality_, v) || CheckMatch(ws, v)) {
      NotScored(ws, v);
      v.times.score_ms = MillisSince(t1);
      return;
    }
    ScoreCanvas(image.size(), ws, v);
    if (v.decision == Decision::kReject) CheckFrameEdge(image.size(), ws.pose, v);
    v.times.score_ms = MillisSince(t1);
    if (deadline.Passed()) {
      // Score, threshold, times and model stay for the record; the findings go with the pass.
      SetHold(v, HoldReason::kDeadline, "inspection finished after the deadline");
      return;
    }
  } catch (const std::exception& e) {
    Clear(v);
    SetHold(v, HoldReason::kInternal, "inspection failed: ");
    v.detail.append(e.what());
  } catch (...) {
    Clear(v);
    SetHold(v, HoldReason::kInternal, "inspection failed with an unknown error");
  }
}

bool Inspector::CheckScale(const cv::Size& size, Workspace& ws, Verdict& v) const {
  const PartPose& pose = ws.pose;
  if (!(model_.scale_min > 0) || !(pose.scale > 0)) return false;  // an older model: no range
  const double lo = model_.scale_min / kScaleTolerance, hi = model_.scale_max * kScaleTolerance;
  if (pose.scale >= lo && pose.scale <= hi) return false;
  // Scale is canvas pixels per image pixel: the part looks smaller when it is larger.
  const double ref = pose.scale > hi ? model_.scale_max : model_.scale_min;
  char times[32];
  std::snprintf(times, sizeof times, "%.2f", ref / pose.scale);
  std::string detail = std::string("the part appears at ") + times +
                       " times its size in the training images (frame " +
                       std::to_string(size.width) + " x " + std::to_string(size.height) + " px";
  if (locate_.method == LocateMethod::kDisc) {
    const auto [lo_px, hi_px] = model_.TrainingRimRadiusPx();
    detail += ", rim radius " + std::to_string(std::lround(pose.radius)) + " px against " +
              std::to_string(std::lround(lo_px)) + "-" + std::to_string(std::lround(hi_px)) +
              " px in training";
  }
  detail +=
      "): the camera's resolution, binning, lens or distance changed. Restore the camera's "
      "settings, or train a model on good parts as the camera now sees them";
  SetHold(v, HoldReason::kBadImage, detail);
  NotScored(ws, v);
  return true;
}

bool Inspector::CheckMatch(Workspace& ws, Verdict& v) const {
  if (!model_.match.learned()) return false;
  const float match = model_.match.Match(ws.canvas, ws.thumb);
  if (model_.match.Accepts(match)) return false;
  char text[240];
  std::snprintf(text, sizeof text,
                "the part does not look like the parts this model was trained on: it matches the "
                "nearest good part %.2f, where good parts match at least %.2f",
                match, model_.match.min_match());
  SetHold(v, HoldReason::kPartNotFound, text);
  v.detail +=
      " (a wrong or turned part, or an empty fixture). Check the part and how it lies; if it "
      "is a good part, train again with images like it";
  return true;
}

void Inspector::NotScored(Workspace& ws, Verdict& v) const {
  // The overlay shows where the part was found, but no heatmap: the last part's map is not this
  // one's.
  if (!ws.weighted.empty()) ws.weighted.setTo(0);
  v.model_id = model_id_;
  v.threshold = model_.threshold;
}

void Inspector::CheckFrameEdge(const cv::Size& size, const PartPose& pose, Verdict& v) const {
  // The inspected area includes a margin beyond the rim (flash sticks out of it). Where that
  // margin leaves the frame, the warp repeats the frame's edge pixels, which can score as a
  // defect that has no pixel in the image (a box cut down to nothing). The part itself is in view
  // (the locator refuses a cut rim), so a pass stands; a reject must rest on what is in view.
  // ClearNearFrameEdge already leaves those places unscored; this stays for a canvas so much
  // larger than the image that its margin is under a pixel there.
  cv::Matx22d a(pose.image_to_canvas(0, 0), pose.image_to_canvas(0, 1), pose.image_to_canvas(1, 0),
                pose.image_to_canvas(1, 1));
  a = a.inv();  // canvas offsets to image offsets
  const double hx = inspected_radius_ * std::hypot(a(0, 0), a(0, 1));
  const double hy = inspected_radius_ * std::hypot(a(1, 0), a(1, 1));
  const double over[4] = {-0.5 - (pose.centre.x - hx), -0.5 - (pose.centre.y - hy),
                          pose.centre.x + hx - (size.width - 0.5),
                          pose.centre.y + hy - (size.height - 0.5)};
  const int side = static_cast<int>(std::max_element(over, over + 4) - over);
  if (!(over[side] > 0.5)) return;
  const cv::Rect frame(0, 0, size.width, size.height);
  auto at_edge = [&](const Finding& f) {
    return f.box.empty() || f.box.x <= 0 || f.box.y <= 0 || f.box.br().x >= frame.width ||
           f.box.br().y >= frame.height;
  };
  std::erase_if(v.findings, [](const Finding& f) { return f.box.empty(); });
  if (std::any_of(v.findings.begin(), v.findings.end(),
                  [&](const Finding& f) { return !at_edge(f); }))
    return;
  static constexpr const char* kSide[4] = {"left", "top", "right", "bottom"};
  SetHold(v, HoldReason::kPartAtEdge,
          std::string("part too near the frame's ") + kSide[side] +
              " edge: the inspected area around it reaches " +
              std::to_string(static_cast<int>(std::lround(over[side]))) +
              " px beyond the frame, and what scored above the threshold lies only at that edge; "
              "centre the part in the camera's view");
}

void Inspector::ScoreCanvas(const cv::Size& image_size, Workspace& ws, Verdict& v) const {
  v.model_id = model_id_;
  v.threshold = model_.threshold;
  model_.anomaly.Score(ws.canvas, ws.cell, ws.map);
  if (model_.companion) {
    ScoreCompanion(*model_.companion, model_.anomaly, ws.canvas, ws.cell, ws.companion_cell,
                   ws.companion_map);
    AverageMaps(ws.map, ws.companion_map);
  }
  CV_Assert(ws.map.size() == weights_.size());
  ws.weighted.create(ws.map.size(), CV_32F);
  cv::multiply(ws.map, weights_, ws.weighted);
  if (inspected_radius_ > 0)
    ClearNearFrameEdge(ws.weighted, ws.pose.image_to_canvas, image_size, frame_margin_);
  const int min_area = CanvasMinArea(model_.recipe.min_defect_area_px, ws.pose.scale);
  // Always the area-aware score, even far below the threshold: eval and tune read operating
  // points at other thresholds off it, and the line must reproduce each of them.
  double peak = 0;  // the map and the weights are >= 0
  if (min_area <= 1) cv::minMaxLoc(ws.weighted, nullptr, &peak);
  v.score =
      min_area <= 1 ? static_cast<float>(peak) : DecisionScore(ws.weighted, min_area, ws.area);
  const OutlineBulge bulge = ScoreOutline(image_size, ws, v);
  v.decision = Decision::kPass;
  v.findings.clear();
  if (!Rejects(v.score, model_.threshold)) return;
  v.decision = Decision::kReject;  // whatever the findings: the score alone decides
  const int count = FindRegions(ws.weighted, model_.threshold, ws.regions);
  const double px_per_canvas = 1.0 / (ws.pose.scale * ws.pose.scale);
  cv::Matx23d inv;
  cv::invertAffineTransform(ws.pose.image_to_canvas, inv);
  if (v.findings.capacity() < kFindingsReserved) v.findings.reserve(kFindingsReserved);
  for (int i = 0; i < count; ++i) {
    const Region& region = ws.regions.regions[static_cast<size_t>(i)];
    if (region.area < min_area) continue;
    const double area = region.area * px_per_canvas;
    const cv::Rect& cb = region.box;
    const cv::Point2d a = Apply(inv, cb.tl()), b = Apply(inv, cb.br());
    Finding& f = v.findings.emplace_back();
    f.box = cv::Rect(cv::Point(static_cast<int>(std::floor(std::min(a.x, b.x))),
                               static_cast<int>(std::floor(std::min(a.y, b.y)))),
                     cv::Point(static_cast<int>(std::ceil(std::max(a.x, b.x))),
                               static_cast<int>(std::ceil(std::max(a.y, b.y))))) &
            cv::Rect(0, 0, image_size.width, image_size.height);
    f.area_px = area;
    f.peak = region.peak;
    f.severity = static_cast<float>(static_cast<double>(region.peak) / model_.threshold);
    if (locate_.method == LocateMethod::kDisc) DescribeOnDisc(cb, region.peak, ws, f);
  }
  if (bulge.measured) AddOutlineFinding(bulge, image_size, ws, v);
  // Ties in severity are broken by position, so the order never depends on the labelling.
  std::sort(v.findings.begin(), v.findings.end(), [](const Finding& x, const Finding& y) {
    if (x.severity != y.severity) return x.severity > y.severity;
    if (x.box.y != y.box.y) return x.box.y < y.box.y;
    return x.box.x < y.box.x;
  });
}

OutlineBulge Inspector::ScoreOutline(const cv::Size& image_size, Workspace& ws, Verdict& v) const {
  ws.outline_score = 0;
  if (!(model_.outline_scale > 0) || locate_.method != LocateMethod::kDisc) return {};
  const double rim = locate_.canvas_radius * ws.canvas.cols;
  OutlineSkips(weights_, ws.pose.image_to_canvas, image_size, rim, ws.outline_skip);
  const OutlineBulge b = MeasureOutlineBulge(ws.canvas, rim, ws.outline, ws.outline_skip);
  if (!b.measured) return {};
  ws.outline_score = b.z * model_.outline_scale;
  v.score = std::max(v.score, ws.outline_score);
  return Rejects(ws.outline_score, model_.threshold) ? b : OutlineBulge{};
}

void Inspector::AddOutlineFinding(const OutlineBulge& b, const cv::Size& image_size, Workspace& ws,
                                  Verdict& v) const {
  const double n = ws.canvas.cols, rim = locate_.canvas_radius * n;
  const double out = rim + std::max(2.0, static_cast<double>(b.width_px)) + 2;
  cv::Matx23d inv;
  cv::invertAffineTransform(ws.pose.image_to_canvas, inv);
  // The arc's corners in the image and on the canvas (cv::Rect's | drops an empty rect, so the
  // extents are kept by hand).
  cv::Point2d lo(1e9, 1e9), hi(-1e9, -1e9), clo(1e9, 1e9), chi(-1e9, -1e9);
  for (int i = 0; i <= 8; ++i) {
    const double a = b.angle_rad + b.half_span * (i / 4.0 - 1);
    for (double r : {rim, out}) {
      const cv::Point2d c((n - 1) / 2 + r * std::cos(a), (n - 1) / 2 + r * std::sin(a));
      const cv::Point2d p = Apply(inv, c);
      lo = {std::min(lo.x, p.x), std::min(lo.y, p.y)};
      hi = {std::max(hi.x, p.x), std::max(hi.y, p.y)};
      clo = {std::min(clo.x, c.x), std::min(clo.y, c.y)};
      chi = {std::max(chi.x, c.x), std::max(chi.y, c.y)};
    }
  }
  const cv::Rect2d box(lo, hi), canvas_box(clo, chi);
  const cv::Rect in_image =
      cv::Rect(cv::Point(static_cast<int>(std::floor(box.x)), static_cast<int>(std::floor(box.y))),
               cv::Point(static_cast<int>(std::ceil(box.br().x)),
                         static_cast<int>(std::ceil(box.br().y)))) &
      cv::Rect(0, 0, image_size.width, image_size.height);
  // The map may have found the same fin (and typed it flash, or edge chip): one defect, one
  // finding, since the die watch counts them.
  for (const Finding& g : v.findings)
    if ((g.box & in_image).area() > 0) return;
  Finding& f = v.findings.emplace_back();
  f.box = in_image;
  f.area_px = 2 * b.half_span * rim * b.width_px / (ws.pose.scale * ws.pose.scale);
  f.peak = ws.outline_score;
  f.severity = static_cast<float>(static_cast<double>(ws.outline_score) / model_.threshold);
  f.type = "flash";
  const FaintPlace at = PlaceOnDisc(cv::Rect(canvas_box), ws);
  f.placed = true;
  f.place_x = at.x;
  f.place_y = at.y;
  f.place_size = at.size;
}

FaintPlace Inspector::PlaceOnDisc(const cv::Rect& cb, const Workspace& ws) const {
  const double n = ws.weighted.cols, rim = locate_.canvas_radius * n;
  const cv::Point2d at =
      PartFramePlace({cb.x + cb.width / 2.0, cb.y + cb.height / 2.0}, {n / 2, n / 2}, rim,
                     model_.anomaly.TurnRadians(ws.cell), model_.anomaly.symmetry());
  return {at.x, at.y, std::max(cb.width, cb.height) / rim, 0};
}

void Inspector::DescribeOnDisc(const cv::Rect& cb, float peak, Workspace& ws, Finding& f) const {
  const double n = ws.weighted.cols, rim = locate_.canvas_radius * n;
  f.type = TypeOfFinding(MeasureFinding(ws.weighted, model_.threshold, cb, peak, {n / 2, n / 2},
                                        rim, model_.anomaly, ws.cell, ws.finding));
  const FaintPlace at = PlaceOnDisc(cb, ws);
  f.placed = true;
  f.place_x = at.x;
  f.place_y = at.y;
  f.place_size = at.size;
}

void Inspector::FaintPlaces(Workspace& ws, double share, std::vector<FaintPlace>& out) const {
  out.clear();
  if (!ws.pose.found || ws.weighted.empty() || locate_.method != LocateMethod::kDisc ||
      !(share > 0))
    return;
  const float level = static_cast<float>(share * model_.threshold);
  const int count = FindRegions(ws.weighted, level, ws.regions);
  const int min_area = CanvasMinArea(model_.recipe.min_defect_area_px, ws.pose.scale);
  for (int i = 0; i < count; ++i) {
    const Region& region = ws.regions.regions[static_cast<size_t>(i)];
    if (region.area < min_area) continue;
    FaintPlace& f = out.emplace_back(PlaceOnDisc(region.box, ws));
    f.level = static_cast<float>(region.peak / model_.threshold);
  }
}

void Inspector::ScoresAtAreas(const Workspace& ws, std::span<const double> min_areas_px,
                              std::span<float> scores, AreaPeakScratch& scratch) const {
  CV_Assert(min_areas_px.size() == scores.size() && min_areas_px.size() <= 64);
  std::fill(scores.begin(), scores.end(), 0.0f);
  if (!ws.pose.found || ws.weighted.empty()) return;
  int areas[64];
  for (size_t i = 0; i < min_areas_px.size(); ++i)
    areas[i] = CanvasMinArea(min_areas_px[i], ws.pose.scale);
  AreaPeaks(ws.weighted, std::span<const int>(areas, min_areas_px.size()), scores, scratch);
  for (float& s : scores) s = std::max(s, ws.outline_score);  // the outline's needs no area
}

cv::Mat Inspector::HeatmapInImage(const cv::Size& size, const Workspace& ws, double scale) const {
  cv::Mat out = cv::Mat::zeros(size, CV_32F);
  if (!ws.pose.found || ws.weighted.empty()) return out;
  // Output pixel o shows image point (o + 0.5) / scale - 0.5: pixel centres stay in place.
  cv::Matx23d m = ws.pose.image_to_canvas;
  const double d = 0.5 / scale - 0.5;
  for (int r = 0; r < 2; ++r) {
    m(r, 2) += (m(r, 0) + m(r, 1)) * d;
    m(r, 0) /= scale;
    m(r, 1) /= scale;
  }
  cv::warpAffine(ws.weighted, out, cv::Mat(m), size, cv::INTER_LINEAR | cv::WARP_INVERSE_MAP,
                 cv::BORDER_CONSTANT, 0);
  out *= 1.0 / model_.threshold;
  return out;
}

cv::Mat Inspector::Overlay(const cv::Mat& image, const Verdict& verdict,
                           const Workspace& ws) const {
  return DrawOverlay(*this, image, verdict, ws);
}

}  // namespace linesight
