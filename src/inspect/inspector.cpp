#include "inspect/inspector.h"

#include <algorithm>
#include <cmath>

#include <opencv2/imgproc.hpp>

namespace linesight {

Inspector::Inspector(const InspectionModel& model)
    : model_(model),
      weights_(BuildWeightMap(model.recipe, model.anomaly.support())),
      locate_(model.Locate()) {}

Verdict Inspector::Inspect(const cv::Mat& image, Workspace& ws, Deadline deadline) const noexcept {
  try {
    if (image.empty() || image.type() != CV_8UC1)
      return HoldVerdict(HoldReason::kBadImage, "frame is empty or not 8-bit grey");
    if (image.cols < 32 || image.rows < 32)
      return HoldVerdict(HoldReason::kBadImage, "frame is smaller than 32x32 pixels");
    auto t0 = SteadyClock::now();
    ws.pose = LocatePart(image, locate_, ws.locate);
    Verdict v;
    v.model_id = model_.Id();
    v.threshold = model_.threshold;
    v.times.align_ms = MillisSince(t0);
    if (!ws.pose.found) {
      Verdict h = HoldVerdict(HoldReason::kPartNotFound, ws.pose.failure);
      h.model_id = v.model_id;
      h.threshold = v.threshold;
      h.times = v.times;
      return h;
    }
    if (deadline.Passed())
      return HoldVerdict(HoldReason::kDeadline, "deadline passed while aligning");

    auto t1 = SteadyClock::now();
    const int n = model_.recipe.locate.canvas;
    WarpToCanvas(image, ws.pose, n, ws.canvas, ws.locate);
    model_.anomaly.Score(ws.canvas, ws.cell, ws.map);
    cv::multiply(ws.map, weights_, ws.weighted);
    double peak = 0;
    cv::minMaxLoc(ws.weighted, nullptr, &peak);
    v.score = static_cast<float>(peak);
    v.decision = Decision::kPass;
    if (peak > model_.threshold) {
      cv::compare(ws.weighted, model_.threshold, ws.above, cv::CMP_GT);
      int count =
          cv::connectedComponentsWithStats(ws.above, ws.labels, ws.stats, ws.centroids, 8, CV_32S);
      const double px_per_canvas = 1.0 / (ws.pose.scale * ws.pose.scale);
      cv::Matx23d inv;
      cv::invertAffineTransform(ws.pose.image_to_canvas, inv);
      for (int i = 1; i < count; ++i) {
        double area = ws.stats.at<int>(i, cv::CC_STAT_AREA) * px_per_canvas;
        if (area < model_.recipe.min_defect_area_px) continue;
        cv::Rect cb(ws.stats.at<int>(i, cv::CC_STAT_LEFT), ws.stats.at<int>(i, cv::CC_STAT_TOP),
                    ws.stats.at<int>(i, cv::CC_STAT_WIDTH),
                    ws.stats.at<int>(i, cv::CC_STAT_HEIGHT));
        double region_peak = 0;
        cv::compare(ws.labels(cb), i, ws.region, cv::CMP_EQ);
        cv::minMaxLoc(ws.weighted(cb), nullptr, &region_peak, nullptr, nullptr, ws.region);
        cv::Point2d a = cv::Point2d(inv(0, 0) * cb.x + inv(0, 1) * cb.y + inv(0, 2),
                                    inv(1, 0) * cb.x + inv(1, 1) * cb.y + inv(1, 2));
        cv::Point2d b = cv::Point2d(inv(0, 0) * cb.br().x + inv(0, 1) * cb.br().y + inv(0, 2),
                                    inv(1, 0) * cb.br().x + inv(1, 1) * cb.br().y + inv(1, 2));
        Finding f;
        f.box = cv::Rect(cv::Point(static_cast<int>(std::floor(std::min(a.x, b.x))),
                                   static_cast<int>(std::floor(std::min(a.y, b.y)))),
                         cv::Point(static_cast<int>(std::ceil(std::max(a.x, b.x))),
                                   static_cast<int>(std::ceil(std::max(a.y, b.y))))) &
                cv::Rect(0, 0, image.cols, image.rows);
        f.area_px = area;
        f.peak = static_cast<float>(region_peak);
        f.severity = static_cast<float>(region_peak / model_.threshold);
        v.findings.push_back(f);
      }
      std::sort(v.findings.begin(), v.findings.end(),
                [](const Finding& x, const Finding& y) { return x.severity > y.severity; });
      if (!v.findings.empty()) v.decision = Decision::kReject;
    }
    v.times.score_ms = MillisSince(t1);
    if (deadline.Passed()) {
      Verdict late = HoldVerdict(HoldReason::kDeadline, "inspection finished after the deadline");
      late.score = v.score;
      late.threshold = v.threshold;
      late.times = v.times;
      late.model_id = v.model_id;
      return late;
    }
    return v;
  } catch (const std::exception& e) {
    return HoldVerdict(HoldReason::kInternal, std::string("inspection failed: ") + e.what());
  } catch (...) {
    return HoldVerdict(HoldReason::kInternal, "inspection failed with an unknown error");
  }
}

cv::Mat Inspector::HeatmapInImage(const cv::Size& size, const Workspace& ws) const {
  cv::Mat out = cv::Mat::zeros(size, CV_32F);
  if (!ws.pose.found || ws.weighted.empty()) return out;
  cv::warpAffine(ws.weighted, out, cv::Mat(ws.pose.image_to_canvas), size,
                 cv::INTER_LINEAR | cv::WARP_INVERSE_MAP, cv::BORDER_CONSTANT, 0);
  out *= 1.0 / model_.threshold;
  return out;
}

cv::Mat Inspector::Overlay(const cv::Mat& image, const Verdict& verdict,
                           const Workspace& ws) const {
  cv::Mat bgr;
  cv::cvtColor(image, bgr, cv::COLOR_GRAY2BGR);
  cv::Mat heat = HeatmapInImage(image.size(), ws);
  // 0.5x threshold and below stays clear; 2x threshold is full red.
  cv::Mat scaled, heat8, colour;
  heat.convertTo(scaled, CV_32F, 255.0 / 1.5, -0.5 * 255.0 / 1.5);
  scaled.convertTo(heat8, CV_8U);
  cv::applyColorMap(heat8, colour, cv::COLORMAP_JET);
  cv::Mat alpha;
  cv::threshold(heat, alpha, 0.5, 0, cv::THRESH_TOZERO);
  alpha = cv::min(alpha, 1.0) * 0.6;
  for (int y = 0; y < bgr.rows; ++y) {
    auto* p = bgr.ptr<cv::Vec3b>(y);
    const auto* c = colour.ptr<cv::Vec3b>(y);
    const float* a = alpha.ptr<float>(y);
    for (int x = 0; x < bgr.cols; ++x)
      for (int k = 0; k < 3; ++k)
        p[x][k] = cv::saturate_cast<uint8_t>((1 - a[x]) * p[x][k] + a[x] * c[x][k]);
  }
  for (const auto& f : verdict.findings)
    cv::rectangle(bgr, f.box, cv::Scalar(0, 0, 255), std::max(1, image.cols / 300));
  if (ws.pose.found && ws.pose.radius > 0)
    cv::circle(bgr, ws.pose.centre, static_cast<int>(ws.pose.radius), cv::Scalar(0, 200, 0), 1);
  return bgr;
}

}  // namespace linesight
