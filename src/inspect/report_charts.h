// inspect/report_charts.h: the charts of the evaluation report, drawn as inline SVG so that the
// HTML needs no script or external file. Styled by the report's CSS classes (roc, thr, bar-good,
// bar-defect...). Pure functions.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <utility>

#include "inspect/metrics.h"

namespace linesight {

// The ROC curve of `good` vs `defect` scores, with the chance line, axis labels, the AUROC and
// the point of `threshold` marked. The false-reject axis is logarithmic, from below
// 1 / (number of good parts) to 100%, with 0 at its left end, so that a curve hugging the corner
// (AUROC 0.99 and up) stays readable. `line`, when given, places the threshold's mark at the
// line's own counts rather than at score > threshold. If either set is empty, returns a <p>
// saying so instead. Throws Error{kData} if a score is NaN.
[[nodiscard]] std::string RocCurveSvg(std::span<const float> good, std::span<const float> defect,
                                      double threshold, const Confusion* line = nullptr);

// Overlaid histograms of the good and defect scores (40 bins) with a line at `threshold`. Counts
// are on a logarithmic axis, so that a few parts on the wrong side of the threshold show beside
// thousands on the right side. Without `range`, the bins cover every score, and far outliers
// (past twice the 99.5th-percentile range) are counted in the last bin, labelled "≥". With
// `range` (lo < hi), the bins cover it alone and scores outside are counted in the end bins,
// labelled "≤" and "≥": a zoom. If both sets are empty, returns a <p> saying so instead.
[[nodiscard]] std::string ScoreHistogramSvg(
    std::span<const float> good, std::span<const float> defect, double threshold,
    std::optional<std::pair<double, double>> range = std::nullopt);

// The range of scores around `threshold` where good and defect parts mix, for a zoomed histogram:
// from the lower of the threshold and the 1st percentile of the defect scores to the higher of
// the threshold and the 99th percentile of the good scores, widened by 15% each side and to at
// least 20% of the threshold each side. NaN and infinite scores are left out.
[[nodiscard]] std::pair<double, double> OverlapRange(std::span<const float> good,
                                                     std::span<const float> defect,
                                                     double threshold);

}  // namespace linesight
