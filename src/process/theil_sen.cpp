// process/theil_sen.cpp: O(n^2) pairwise slopes; callers keep n to a few dozen (binned points).
#include "process/theil_sen.h"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <vector>

#include "core/error.h"
#include "process/median.h"

namespace linesight::process {

SenLine FitSenLine(std::span<const std::pair<double, double>> points, double z) {
  std::vector<double> slopes;
  slopes.reserve(points.size() * points.size() / 2);
  for (size_t i = 0; i < points.size(); ++i) {
    for (size_t j = i + 1; j < points.size(); ++j) {
      const double dx = points[j].first - points[i].first;
      if (dx != 0) slopes.push_back((points[j].second - points[i].second) / dx);
    }
  }
  if (slopes.empty()) {
    throw Error(ErrorCategory::kInput, "a Theil-Sen line needs 2 points with distinct x",
                "Pass more points");
  }
  std::sort(slopes.begin(), slopes.end());
  SenLine line;
  std::vector<double> copy = slopes;
  line.slope = MedianInPlace(copy);
  std::vector<double> residual;
  residual.reserve(points.size());
  for (const auto& [x, y] : points) residual.push_back(y - line.slope * x);
  line.intercept = MedianInPlace(residual);
  // Sen's interval: ranks (N - C) / 2 and (N + C) / 2 + 1 of the sorted slopes, C from the
  // variance of Kendall's S without ties, n (n - 1) (2n + 5) / 18.
  const double n = static_cast<double>(points.size());
  const double big_n = static_cast<double>(slopes.size());
  const double c = z * std::sqrt(n * (n - 1) * (2 * n + 5) / 18);
  const auto rank = [&](double r) {
    return slopes[static_cast<size_t>(std::clamp(r, 1.0, big_n)) - 1];
  };
  line.low = rank(std::floor((big_n - c) / 2));
  line.high = rank(std::ceil((big_n + c) / 2 + 1));
  return line;
}

}  // namespace linesight::process
