// process/ranking_metrics.h: how well a per-shot risk score ranks scrap shots above good ones:
// AUROC and average precision. Pure functions; safe on any thread. (inspect/metrics.h has an
// image AUROC, but process may not depend on inspect, see DESIGN.md.)
#pragma once

#include <cstdint>
#include <span>

namespace linesight::process {

// Area under the ROC curve of `scores` against `labels` (1 scrap, 0 good; other labels are
// skipped), ties counting one half (Mann-Whitney U / n1 n0). NaN if either class is empty.
// REQUIRES: scores.size() == labels.size().
[[nodiscard]] double Auroc(std::span<const double> scores, std::span<const std::int8_t> labels);

// Average precision, sum over distinct score thresholds (high to low) of (recall step) x
// precision, as scikit-learn's average_precision_score. NaN if there is no scrap shot.
[[nodiscard]] double AveragePrecision(std::span<const double> scores,
                                      std::span<const std::int8_t> labels);

}  // namespace linesight::process
