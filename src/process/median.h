// process/median.h: the median of a sample, the robust statistics' building block. Reorders its
// argument (std::nth_element), so it runs in linear time.
#pragma once

#include <algorithm>
#include <cstddef>
#include <vector>

namespace linesight::process {

// The median of `v` (the mean of the two middle values for an even count); reorders `v`.
// REQUIRES: !v.empty().
inline double MedianInPlace(std::vector<double>& v) {
  const size_t mid = v.size() / 2;
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(mid), v.end());
  const double upper = v[mid];
  if (v.size() % 2 == 1) return upper;
  const double lower = *std::max_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(mid));
  return lower / 2 + upper / 2;  // halves first: no overflow near the largest doubles
}

}  // namespace linesight::process
