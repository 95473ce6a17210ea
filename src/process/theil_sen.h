// process/theil_sen.h: the Theil-Sen line (median of pairwise slopes), robust to outliers, with
// Sen's confidence interval for the slope. Pure function; safe on any thread.
//
// Source: P. K. Sen, "Estimates of the regression coefficient based on Kendall's tau", JASA 63
// (1968) 1379-1389; the interval as given by Gilbert, Statistical Methods for Environmental
// Pollution Monitoring (1987), section 16.5.
#pragma once

#include <span>
#include <utility>

namespace linesight::process {

struct SenLine {
  double slope = 0;      // median of the pairwise slopes
  double intercept = 0;  // median of y - slope * x
  double low = 0;        // the slope's confidence interval (both ends are pairwise slopes)
  double high = 0;
};

// Fits (x, y) points. `z` is the normal quantile of the interval (1.645: 90% two-sided).
// REQUIRES: at least 2 points with distinct x (pairs with equal x are skipped).
[[nodiscard]] SenLine FitSenLine(std::span<const std::pair<double, double>> points,
                                 double z = 1.645);

}  // namespace linesight::process
