// inspect/finding_type.h: names what a finding on a round part probably is, from where it lies,
// its shape and whether it is darker or brighter than good parts there: flash, edge chip, crack,
// raised line (a die's vein), pin hole, blow hole. A rule on geometry, not a trained
// classifier: a person's review corrects it, and "anomaly" stays where no rule fits.
#pragma once

#include <string_view>
#include <vector>

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
  // Sums of z squared over its stray pixels, darker and brighter (the stronger side is its
  // polarity; squares let the strongest pixels speak, not the filters' rings around them).
  double dark = 0, bright = 0;
};

// Buffers of MeasureFinding, reused from finding to finding and part to part.
struct FindingScratch {
  cv::Mat seen;             // CV_8UC1: pixels already taken into the region
  std::vector<int> pixels;  // the region's pixels, y * cols + x
};

// Measures the finding of `weighted` (CV_32F, the canvas's weighted anomaly map) whose region
// above `threshold` has its peak `peak` within `box` (canvas px), on a part centred at `centre`
// with rim radius `rim` (canvas px): only that region's own pixels, not another's inside its box.
// The signed deviations come from `model` and the canvas it last scored in `ws`. Allocates
// nothing once `scratch` has served a map of this size.
FindingShape MeasureFinding(const cv::Mat& weighted, float threshold, const cv::Rect& box,
                            float peak, cv::Point2d centre, double rim, const CellStatsModel& model,
                            const CellStatsWorkspace& ws, FindingScratch& scratch);

// Where canvas point `p` lies in the part's own frame, in rim radii (x right, y down, the part's
// centre at 0): turned back by the part's turn `turn_rad` (CellStatsModel::TurnRadians) and, for
// a part that repeats itself `symmetry` times a turn, folded into the first repeat (angles 0 to
// 2 pi / symmetry), since the turn is known only up to one repeat. The same place of a die then
// reads the same on each of its parts, however each was turned.
cv::Point2d PartFramePlace(cv::Point2d p, cv::Point2d centre, double rim, double turn_rad,
                           int symmetry);

// The type a shape suggests, one of kFindingTypes, for a round part. Rules, in order: at the rim
// (outermost core pixel beyond 0.96 of its radius, centroid beyond 0.9), centroid beyond the rim:
// flash (metal beyond the outline), within: edge chip (metal missing). Elsewhere, by its stray
// pixels: long (length at least 3 times the width and 8% of the rim radius), darker: a crack (a
// cold shut, a dark seam, reads as one); brighter: a raised line. Compact and darker: a blow hole
// when they fill the ellipse of their axes (one solid cavity) and span 4.5% of the rim radius,
// else pin holes. Anything else: "anomaly".
std::string_view TypeOfFinding(const FindingShape& shape);

// Every type TypeOfFinding() gives, in the order of their PLC codes (docs/plc.md): code i + 1;
// then "die_mark", which no finding has: a part rejected because findings recur at one place of
// its die's parts (station/recurring_mark.h). Codes are added at the end, never renumbered.
inline constexpr std::string_view kFindingTypes[] = {
    "anomaly", "flash", "edge_chip", "crack", "raised_line", "pin_hole", "blow_hole", "die_mark"};

// The PLC code of a finding type: 1 + its index in kFindingTypes; 1 (anomaly) for any other.
int FindingTypeCode(std::string_view type);

}  // namespace linesight
