#include "inspect/outline_check.h"

#include <algorithm>
#include <cstdio>

#include "core/error.h"
#include "vision/outline.h"

namespace linesight {

OutlineLearned LearnOutlineCheck(const Recipe& recipe, std::span<const cv::Mat> canvases) {
  OutlineLearned out;
  if (recipe.outline == OutlineCheck::kOff || recipe.symmetry != Symmetry::kRotational ||
      recipe.locate.method != LocateMethod::kDisc || canvases.empty())
    return out;
  const double rim = recipe.locate.canvas_radius * recipe.locate.canvas;
  OutlineScratch scratch;
  size_t measured = 0;
  for (const cv::Mat& canvas : canvases) {
    const OutlineBulge b = MeasureOutlineBulge(canvas, rim, scratch);
    if (!b.measured) continue;
    ++measured;
    out.good_max = std::max(out.good_max, b.z);
  }
  const double share = static_cast<double>(measured) / canvases.size();
  const bool usable = share >= kOutlineMeasuredShare;
  if (recipe.outline == OutlineCheck::kOn && !usable) {
    char text[64];
    std::snprintf(text, sizeof text, "%.0f%%", 100 * share);
    throw Error(ErrorCategory::kInput,
                std::string("anomaly.outline is on, but the rim stands out from the table all "
                            "round on only ") +
                    text + " of the good parts",
                "Light the part so its rim contrasts with the table, or set anomaly.outline: "
                "auto or off");
  }
  if (!usable || (recipe.outline == OutlineCheck::kAuto && out.good_max > kOutlineNoisy)) {
    out.good_max = 0;
    return out;
  }
  out.threshold = std::max(kOutlineFloor, kOutlineMargin * out.good_max);
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
