// inspect/outline_check.h: the outline check of round parts (vision/outline.h) as training learns
// it: whether it can serve this part, and the bulge above which inspection rejects it as flash.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include <opencv2/core.hpp>

#include "inspect/recipe.h"

namespace linesight {

struct OutlineLearned {
  float threshold = 0;  // spreads at the calibrated operating point; 0 = off
  float good_max = 0;   // the largest bulge of the good parts, spreads
  std::string warning;  // why a check the recipe asked for is weak; "" if none
  // Why `auto` left the check off a round part (threshold 0), for `linesight model show`; "" if
  // it is on, or the recipe turned it off, or the part is not round.
  std::string off_reason;
};

// The bulge threshold is the larger of kOutlineFloor and kOutlineMargin x the good parts'
// largest: their bulges are the noise of a smooth rim (up to 6-8 spreads among 120-150 simulated
// impellers, and a part beyond them may reach 1.26 x their largest), a fin stands 10-26 out
// (docs/algorithm.md, "The outline check").
inline constexpr float kOutlineFloor = 8.0f;
inline constexpr float kOutlineMargin = 1.5f;
inline constexpr float kOutlineCeiling = 1e4f;
// `auto` turns the check on only when the rim could be measured on at least this share of the
// good parts and none of them bulged more than kOutlineNoisy spreads (a rim that merges with the
// table on part of its turn, as the real castings' bright rim does, reads up to ~100).
inline constexpr double kOutlineMeasuredShare = 0.95;
inline constexpr float kOutlineNoisy = 10.0f;

// The directions of one part the outline check leaves out (vision/outline.h): those any of whose
// samples (kOutlineInnerStep to kOutlineOuterStep) lies where `weights` is 0 (a region the recipe
// ignores, outside the scored area: the inspector's weight map, CV_32F, canvas-sized) and those
// whose band reaches beyond the camera's frame (`frame`, through `image_to_canvas`), where the
// warp repeats the frame's edge pixels.
void OutlineSkips(const cv::Mat& weights, const cv::Matx23d& image_to_canvas, cv::Size frame,
                  double rim, std::vector<uint8_t>& skip);

// One good part as training saw it.
struct OutlineSample {
  const cv::Mat* canvas;
  cv::Matx23d image_to_canvas;
  cv::Size frame;
};

// From the good parts (round parts; rim at recipe.locate.canvas_radius; `weights` the recipe's
// weight map). Off for other parts and for `anomaly.outline: off`. Throws Error{kInput} when the
// recipe says `on` and the rim cannot be measured on the good parts.
OutlineLearned LearnOutlineCheck(const Recipe& recipe, const cv::Mat& weights,
                                 std::span<const OutlineSample> parts);

}  // namespace linesight
