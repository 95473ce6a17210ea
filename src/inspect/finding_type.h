// inspect/finding_type.h: names what a finding on a round part probably is, from where it lies,
// its shape and whether it is darker or brighter than good parts there: flash, edge chip, crack,
// raised line (a die's vein), pin hole, blow hole. A rule on geometry, not a trained
// classifier: a person's review corrects it, and "anomaly" stays where no rule fits.
#pragma once

#include <string_view>

#include <opencv2/core.hpp>

namespace linesight {

class CellStatsModel;
struct CellStatsWorkspace;

// A finding's region measured on the canvas.
struct FindingShape {
  double area = 0;  // canvas px of its core (above half its peak)
  // Of its pixels that stray far from good parts on its stronger side (darker or brighter): how
  // many, and their extent along and across their long axis (4 sqrt of the second moments'
  // eigenvalues) / the rim radius.
  double stray = 0;
  double length = 0, width = 0;
  double fill = 0;    // stray pixels / the area of the ellipse of those axes (1: one solid blob)
  double radius = 0;  // centroid's distance from the part's centre / the rim's radius
  double outer = 0;   // the outermost pixel's distance / the rim's radius
  double dark = 0, bright = 0;  // sums of the negative (as a positive number) and positive
                                // signed deviations over its pixels
};

// Measures the pixels of `weighted` (CV_32F, the canvas's weighted anomaly map) above
// `threshold` within `box` (canvas px) on a part centred at `centre` with rim radius `rim`
// (canvas px); the signed deviations come from `model` and the canvas it last scored in `ws`.
// Allocates nothing.
FindingShape MeasureFinding(const cv::Mat& weighted, float threshold, const cv::Rect& box,
                            cv::Point2d centre, double rim, const CellStatsModel& model,
                            const CellStatsWorkspace& ws);

// The type a shape suggests, one of kFindingTypes, for a round part. Rules, in order: at the rim
// (outermost core pixel beyond 0.96 of its radius, centroid beyond 0.9), centroid beyond the rim:
// flash (metal beyond the outline), within: edge chip (metal missing). Elsewhere, by its stray
// pixels: long (length at least 3 times the width and 8% of the rim radius), darker: a crack (a
// cold shut, a dark seam, reads as one); brighter: a raised line. Compact and darker: a blow hole
// when they fill the ellipse of their axes (one solid cavity) and span 4.5% of the rim radius,
// else pin holes. Anything else: "anomaly".
std::string_view TypeOfFinding(const FindingShape& shape);

// Every type TypeOfFinding() gives, in the order of their PLC codes (docs/plc.md): code i + 1.
inline constexpr std::string_view kFindingTypes[] = {
    "anomaly", "flash", "edge_chip", "crack", "raised_line", "pin_hole", "blow_hole"};

// The PLC code of a finding type: 1 + its index in kFindingTypes; 1 (anomaly) for any other.
int FindingTypeCode(std::string_view type);

}  // namespace linesight
