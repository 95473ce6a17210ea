// process/ranking_metrics.cpp: AUROC and average precision over tie groups of equal scores.
#include "process/ranking_metrics.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <vector>

namespace linesight::process {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// Indices of the labelled (0/1) shots, highest score first.
std::vector<std::size_t> RankedLabelled(std::span<const double> scores,
                                        std::span<const std::int8_t> labels) {
  std::vector<std::size_t> idx;
  for (std::size_t i = 0; i < scores.size(); ++i)
    if (labels[i] == 0 || labels[i] == 1) idx.push_back(i);
  std::stable_sort(idx.begin(), idx.end(),
                   [&scores](std::size_t a, std::size_t b) { return scores[a] > scores[b]; });
  return idx;
}

}  // namespace

double Auroc(std::span<const double> scores, std::span<const std::int8_t> labels) {
  const std::vector<std::size_t> idx = RankedLabelled(scores, labels);
  double pos = 0, neg = 0, u = 0;
  // Walk tie groups from the top: each positive beats every negative below its group and ties
  // half of the negatives inside it.
  for (std::size_t i = 0; i < idx.size();) {
    std::size_t j = i;
    double p = 0, n = 0;
    while (j < idx.size() && scores[idx[j]] == scores[idx[i]]) {
      (labels[idx[j]] == 1 ? p : n) += 1;
      ++j;
    }
    u += n * pos + 0.5 * p * n;  // negatives here rank below all positives seen so far
    pos += p;
    neg += n;
    i = j;
  }
  if (pos == 0 || neg == 0) return kNaN;
  return u / (pos * neg);
}

double AveragePrecision(std::span<const double> scores, std::span<const std::int8_t> labels) {
  const std::vector<std::size_t> idx = RankedLabelled(scores, labels);
  double total_pos = 0;
  for (std::size_t i : idx) total_pos += labels[i] == 1;
  if (total_pos == 0) return kNaN;
  double tp = 0, seen = 0, ap = 0;
  for (std::size_t i = 0; i < idx.size();) {
    std::size_t j = i;
    double p = 0;
    while (j < idx.size() && scores[idx[j]] == scores[idx[i]]) {
      p += labels[idx[j]] == 1;
      ++j;
    }
    tp += p;
    seen += static_cast<double>(j - i);
    ap += (p / total_pos) * (tp / seen);
    i = j;
  }
  return ap;
}

}  // namespace linesight::process
