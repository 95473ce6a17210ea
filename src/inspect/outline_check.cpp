#include "inspect/outline_check.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <numbers>

#include <opencv2/imgproc.hpp>

#include "core/error.h"
#include "vision/outline.h"

namespace linesight {

void OutlineSkips(const cv::Mat& weights, const cv::Matx23d& image_to_canvas, cv::Size frame,
                  double rim, std::vector<uint8_t>& skip) {
  CV_Assert(weights.type() == CV_32FC1 && weights.rows == weights.cols);
  skip.resize(kOutlineDirections);
  cv::Matx23d inv;
  cv::invertAffineTransform(image_to_canvas, inv);
  // The far samples' bilinear neighbours must lie in the frame too, hence the pixel's margin.
  const cv::Rect2d inside(1, 1, frame.width - 3, frame.height - 3);
  const double centre = (weights.cols - 1) / 2.0, step = rim / kOutlineRefRim;
  for (int k = 0; k < kOutlineDirections; ++k) {
    const double a = 2 * std::numbers::pi * k / kOutlineDirections, c = std::cos(a),
                 sn = std::sin(a);
    bool out = false;
    for (int i = kOutlineInnerStep; i <= kOutlineOuterStep + 1 && !out; ++i) {
      const double r = rim + i * step;
      const cv::Point p(static_cast<int>(std::lround(centre + r * c)),
                        static_cast<int>(std::lround(centre + r * sn)));
      out = p.x < 0 || p.y < 0 || p.x >= weights.cols || p.y >= weights.rows ||
            !(weights.at<float>(p) > 0);
    }
    const double r = rim + (kOutlineOuterStep + 1) * step;
    const cv::Point2d far(centre + r * c, centre + r * sn);
    const cv::Point2d in_image(inv(0, 0) * far.x + inv(0, 1) * far.y + inv(0, 2),
                               inv(1, 0) * far.x + inv(1, 1) * far.y + inv(1, 2));
    skip[static_cast<size_t>(k)] = out || !inside.contains(in_image);
  }
}

OutlineLearned LearnOutlineCheck(const Recipe& recipe, const cv::Mat& weights,
                                 std::span<const OutlineSample> parts) {
  OutlineLearned out;
  if (recipe.outline == OutlineCheck::kOff || recipe.symmetry != Symmetry::kRotational ||
      recipe.locate.method != LocateMethod::kDisc || parts.empty())
    return out;
  const double rim = recipe.locate.canvas_radius * recipe.locate.canvas;
  OutlineScratch scratch;
  std::vector<uint8_t> skip;
  size_t measured = 0;
  for (const OutlineSample& part : parts) {
    OutlineSkips(weights, part.image_to_canvas, part.frame, rim, skip);
    const OutlineBulge b = MeasureOutlineBulge(*part.canvas, rim, scratch, skip);
    if (!b.measured) continue;
    ++measured;
    out.good_max = std::max(out.good_max, b.z);
  }
  const double share = static_cast<double>(measured) / static_cast<double>(parts.size());
  const bool usable = share >= kOutlineMeasuredShare;
  if (recipe.outline == OutlineCheck::kOn && !usable) {
    char text[64];
    std::snprintf(text, sizeof text, "%.0f%%", std::floor(100 * share));
    throw Error(ErrorCategory::kInput,
                std::string("anomaly.outline is on, but the rim stands out from the table all "
                            "round on only ") +
                    text + " of the good parts",
                "Light the part so its rim contrasts with the table, or set anomaly.outline: "
                "auto or off");
  }
  if (!usable || (recipe.outline == OutlineCheck::kAuto && out.good_max > kOutlineNoisy)) {
    char text[200];
    if (!usable)
      std::snprintf(text, sizeof text,  // rounded down: never "95% (auto needs 95%)"
                    "the rim stood out from the table all round on %.0f%% of the good parts "
                    "(auto needs %.0f%%)",
                    std::floor(100 * share), 100 * kOutlineMeasuredShare);
    else
      std::snprintf(text, sizeof text,
                    "the good parts' outlines bulged by up to %.2f spreads (auto leaves it off "
                    "above %.0f)",
                    out.good_max, kOutlineNoisy);
    out.off_reason = text;
    out.good_max = 0;
    return out;
  }
  // Kept within what a model file may hold (inspection_model.cpp): a rim so rough that its good
  // parts bulge by thousands of spreads gains nothing from the check anyway.
  out.threshold = std::min(kOutlineCeiling, std::max(kOutlineFloor, kOutlineMargin * out.good_max));
  if (out.good_max > kOutlineNoisy) {
    char text[160];
    std::snprintf(text, sizeof text,
                  "the good parts' outlines bulge by up to %.1f spreads, so the outline check "
                  "rejects only flash above %.1f",
                  out.good_max, out.threshold);
    out.warning = std::string(text) +
                  ": check the rim's lighting, or set anomaly.outline: auto to leave it off";
  }
  return out;
}

}  // namespace linesight
