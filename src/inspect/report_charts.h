// inspect/report_charts.h: the charts of the evaluation report, drawn as inline SVG so that the
// HTML needs no script or external file. Styled by the report's CSS classes (roc, thr, bar-good,
// bar-defect...). Pure functions.
#pragma once

#include <span>
#include <string>

namespace linesight {

// The ROC curve of `good` vs `defect` scores, with the diagonal, axis labels, the AUROC and the
// point of `threshold` marked. If either set is empty, returns a <p> saying so instead.
// Throws Error{kData} if a score is NaN.
[[nodiscard]] std::string RocCurveSvg(std::span<const float> good, std::span<const float> defect,
                                      double threshold);

// Overlaid histograms of the good and defect scores (each as a share of its class, 40 bins) with
// a line at `threshold`. Far outliers (past twice the 99.5th-percentile range) are counted in the
// last bin, labelled "≥". If both sets are empty, returns a <p> saying so instead.
[[nodiscard]] std::string ScoreHistogramSvg(std::span<const float> good,
                                            std::span<const float> defect, double threshold);

}  // namespace linesight
