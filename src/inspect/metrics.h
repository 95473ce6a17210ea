// inspect/metrics.h: how well anomaly scores separate good parts from defects: image AUROC, the ROC
// curve, operating points, confusion counts, and pixel-level AUROC and AUPRO from anomaly maps.
// Everything here is a pure function or a plain accumulator; PixelMetrics is not thread-safe
// (give each thread its own and Merge() them).
//
// Convention throughout: a higher score means more anomalous, and a part is rejected when
// score > threshold (a score equal to the threshold passes). Scores are float, thresholds double,
// compared as C++ does (in double): thresholds returned here are float values, exact either way.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include <opencv2/core.hpp>

namespace linesight {

// Area under the ROC curve: the probability that a random defect scores higher than a random good
// part, ties counting one half (Mann-Whitney U / (n_good * n_defect)). Exact, O(n log n).
// Throws Error{kData} if either set is empty or a score is NaN.
[[nodiscard]] double Auroc(std::span<const float> good, std::span<const float> defect);

// One point of the ROC curve: rejecting parts with score > threshold.
struct RocPoint {
  double threshold = 0;  // a score value of the data (or just below the lowest score)
  double fpr = 0;        // fraction of good parts rejected (false-reject rate)
  double tpr = 0;        // fraction of defects rejected (1 - escape rate)
};

// The full ROC curve, one point per distinct score plus the origin, ordered by decreasing
// threshold (so fpr and tpr never decrease). The first point, at the highest score, rejects
// nothing (0, 0); the last, at a threshold just below the lowest score, rejects all (1, 1).
// Throws Error{kData} if either set is empty or a score is NaN.
[[nodiscard]] std::vector<RocPoint> RocCurve(std::span<const float> good,
                                             std::span<const float> defect);

// A threshold with the error rates it gives.
struct OperatingPoint {
  double threshold = 0;
  double false_reject_rate = 0;  // fraction of good parts rejected
  double escape_rate = 0;        // fraction of defects passed
};

// Among the ROC thresholds whose escape rate is <= max_escape, the one with the lowest
// false-reject rate (ties: lowest escape rate, then highest threshold). Always exists: rejecting
// everything escapes nothing. Throws Error{kData} as RocCurve, Error{kInput} unless
// 0 <= max_escape <= 1.
[[nodiscard]] OperatingPoint FrrAtEscape(std::span<const float> good, std::span<const float> defect,
                                         double max_escape);

// Among the ROC thresholds whose false-reject rate is <= max_frr, the one with the lowest escape
// rate (ties: lowest false-reject rate, then highest threshold). Always exists: rejecting nothing
// has no false rejects. Throws as FrrAtEscape, with max_frr in place of max_escape.
[[nodiscard]] OperatingPoint EscapeAtFrr(std::span<const float> good, std::span<const float> defect,
                                         double max_frr);

// Counts of parts on each side of a threshold.
struct Confusion {
  int64_t good_passed = 0;
  int64_t good_rejected = 0;  // false rejects
  int64_t defect_passed = 0;  // escapes
  int64_t defect_rejected = 0;
};

// Counts good and defect parts rejected (score > threshold) and passed. Empty sets give zeros.
// Throws Error{kData} if a score is NaN.
[[nodiscard]] Confusion ConfusionAt(std::span<const float> good, std::span<const float> defect,
                                    double threshold);

// Accumulates pixel-level AUROC and AUPRO (MVTec AD's per-region overlap) over many anomaly maps
// in bounded memory (1.5 MB, whatever the number of maps).
//
// Scores are quantised into kBins bins: bin 0 takes scores below kMinScore (and negative ones);
// bins 1..kBins-1 are log-spaced over [kMinScore, kMaxScore], each 0.035% wide in relative terms,
// the last also taking everything above. Pixels in one bin count as ties, so both metrics are
// exact for the quantised scores and differ from the exact values only through pixels that share
// a bin. Measured against the exact computation on 300 maps of 128x128 (metrics_test.cpp checks
// 1e-3 on small maps): error < 1e-5 when scores spread over more than ~10% of their magnitude
// (e.g. background 1 +- 0.3, or 10 +- 0.3); 7e-4 (AUROC) and 2e-3 (AUPRO) when they sit on a
// large offset (100 +- 0.3). Subtract such an offset before adding maps.
//
// AUPRO needs no per-region state: a region's overlap at a threshold is the fraction of its
// pixels above it, so the mean overlap over R regions is the sum, over defect pixels above the
// threshold, of 1 / (R * area of the pixel's region). One histogram of defect pixels weighted by
// 1 / area therefore gives the PRO curve exactly (up to quantisation).
class PixelMetrics {
 public:
  static constexpr int kBins = 65536;
  static constexpr double kMinScore = 1e-4;
  static constexpr double kMaxScore = 1e6;

  PixelMetrics();

  // Adds one map. `anomaly_map` is CV_32FC1 with scores >= 0 (unbounded above); `mask` is CV_8UC1,
  // non-zero on defect pixels, resized to the map with nearest-neighbour if sizes differ; an empty
  // mask means the whole map is normal (a good part). Ground-truth regions are the 8-connected
  // components of the mask. Throws Error{kInput} for an empty map or wrong types, Error{kData}
  // if the map holds NaN; nothing is added then.
  void Add(const cv::Mat& anomaly_map, const cv::Mat& mask);

  // Adds everything `other` has accumulated (for per-thread accumulators).
  void Merge(const PixelMetrics& other);

  // Pixel AUROC over all pixels added, ties (same bin) counting one half.
  // Throws Error{kData} unless both normal and defect pixels were added.
  [[nodiscard]] double Auroc() const;

  // Area under the per-region-overlap curve for false-positive rates in [0, max_fpr], divided by
  // max_fpr (1 is perfect). The curve is integrated with the trapezoid rule and interpolated at
  // max_fpr, as in the MVTec AD evaluation code. FPR counts normal pixels of all maps.
  // Throws Error{kData} unless normal pixels and at least one region were added, Error{kInput}
  // unless 0 < max_fpr <= 1.
  [[nodiscard]] double Aupro(double max_fpr = 0.3) const;

  // Number of pixels added (normal and defect).
  int64_t pixels() const { return normal_pixels_ + defect_pixels_; }
  // Number of ground-truth regions added.
  int regions() const { return regions_; }

 private:
  std::vector<int64_t> normal_;      // per bin: normal pixels
  std::vector<int64_t> defect_;      // per bin: defect pixels
  std::vector<double> region_frac_;  // per bin: sum over defect pixels of 1 / region area
  int64_t normal_pixels_ = 0;
  int64_t defect_pixels_ = 0;
  int regions_ = 0;
};

}  // namespace linesight
