// inspect/outline_check.h: the outline check of round parts (vision/outline.h) as training learns
// it: whether it can serve this part, and the bulge above which inspection rejects it as flash.
#pragma once

#include <span>
#include <string>

#include <opencv2/core.hpp>

#include "inspect/recipe.h"

namespace linesight {

struct OutlineLearned {
  float threshold = 0;  // spreads; 0 = off
  float good_max = 0;   // the largest bulge of the good parts, spreads
  std::string warning;  // why a check the recipe asked for is weak; "" if none
};

// The bulge threshold is the larger of kOutlineFloor and kOutlineMargin x the good parts'
// largest: their bulges are the noise of a smooth rim (about 2-7 spreads on the simulated
// impeller), a fin stands 8-25 out (docs/algorithm.md, "The outline check").
inline constexpr float kOutlineFloor = 8.0f;
inline constexpr float kOutlineMargin = 1.25f;
// `auto` turns the check on only when the rim could be measured on at least this share of the
// good parts and none of them bulged more than kOutlineNoisy spreads (a rim that merges with the
// table on part of its turn, as the real castings' bright rim does, reads up to ~100).
inline constexpr double kOutlineMeasuredShare = 0.95;
inline constexpr float kOutlineNoisy = 10.0f;

// From the good parts' canvases (round parts; rim at recipe.locate.canvas_radius). Off for other
// parts and for `anomaly.outline: off`. Throws Error{kInput} when the recipe says `on` and the rim
// cannot be measured on the good parts.
OutlineLearned LearnOutlineCheck(const Recipe& recipe, std::span<const cv::Mat> canvases);

}  // namespace linesight
