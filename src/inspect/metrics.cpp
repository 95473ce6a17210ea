#include "inspect/metrics.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

#include <opencv2/imgproc.hpp>

#include "core/error.h"

namespace linesight {
namespace {

// Throws Error{kData} if `scores` is empty (when required) or holds a NaN.
void CheckScores(std::span<const float> scores, const char* which, bool require_nonempty) {
  if (require_nonempty && scores.empty()) {
    throw Error(ErrorCategory::kData, std::string("there are no ") + which + " scores",
                std::string("evaluate on a data set with at least one ") + which + " part");
  }
  for (size_t i = 0; i < scores.size(); ++i) {
    if (std::isnan(scores[i])) {
      throw Error(ErrorCategory::kData,
                  std::string(which) + " score #" + std::to_string(i) + " is NaN",
                  "the model produced an invalid score; check the image and retrain the model");
    }
  }
}

std::vector<float> Sorted(std::span<const float> scores) {
  std::vector<float> v(scores.begin(), scores.end());
  std::sort(v.begin(), v.end());
  return v;
}

void CheckRate(double rate, const char* name) {
  if (!(rate >= 0.0 && rate <= 1.0)) {
    throw Error(ErrorCategory::kInput, std::string(name) + " is " + std::to_string(rate),
                std::string("give ") + name + " as a fraction between 0 and 1");
  }
}

// The ROC curve in counts: parts with score > threshold are rejected.
struct CountPoint {
  double threshold;
  int64_t good_rejected;
  int64_t defect_rejected;
};

// See RocCurve() for the order and the end points.
std::vector<CountPoint> CountCurve(std::span<const float> good, std::span<const float> defect) {
  CheckScores(good, "good", true);
  CheckScores(defect, "defect", true);
  const std::vector<float> g = Sorted(good);
  const std::vector<float> d = Sorted(defect);
  const int64_t n_good = static_cast<int64_t>(g.size());
  const int64_t n_defect = static_cast<int64_t>(d.size());
  constexpr float kNone = -std::numeric_limits<float>::infinity();
  // Parts at [gi, end) and [di, end) have score > the current threshold.
  size_t gi = g.size();
  size_t di = d.size();
  auto next_score = [&] {
    return std::max(gi > 0 ? g[gi - 1] : kNone, di > 0 ? d[di - 1] : kNone);
  };
  std::vector<CountPoint> curve;
  curve.reserve(g.size() + d.size() + 1);
  curve.push_back({next_score(), 0, 0});
  while (gi > 0 || di > 0) {
    const float v = next_score();
    while (gi > 0 && g[gi - 1] == v) --gi;
    while (di > 0 && d[di - 1] == v) --di;
    // All parts scoring >= v are now rejected; the threshold that rejects exactly those is the
    // next lower score, or just below v once none is left.
    const float below = (gi > 0 || di > 0) ? next_score() : std::nextafter(v, kNone);
    curve.push_back(
        {below, n_good - static_cast<int64_t>(gi), n_defect - static_cast<int64_t>(di)});
  }
  return curve;
}

OperatingPoint ToOperatingPoint(const CountPoint& p, int64_t n_good, int64_t n_defect) {
  return {p.threshold, static_cast<double>(p.good_rejected) / static_cast<double>(n_good),
          static_cast<double>(n_defect - p.defect_rejected) / static_cast<double>(n_defect)};
}

// `count` of `total` is within the rate `max_rate`, forgiving rounding in max_rate * total.
bool WithinRate(int64_t count, int64_t total, double max_rate) {
  return static_cast<double>(count) <= max_rate * static_cast<double>(total) + 1e-9;
}

}  // namespace

double Auroc(std::span<const float> good, std::span<const float> defect) {
  CheckScores(good, "good", true);
  CheckScores(defect, "defect", true);
  const std::vector<float> g = Sorted(good);
  // Twice the Mann-Whitney U, kept in integers so that it is exact.
  int64_t twice_u = 0;
  for (float s : defect) {
    const auto lo = std::lower_bound(g.begin(), g.end(), s);
    const auto hi = std::upper_bound(lo, g.end(), s);
    twice_u += 2 * (lo - g.begin()) + (hi - lo);
  }
  return static_cast<double>(twice_u) /
         (2.0 * static_cast<double>(good.size()) * static_cast<double>(defect.size()));
}

std::vector<RocPoint> RocCurve(std::span<const float> good, std::span<const float> defect) {
  const std::vector<CountPoint> counts = CountCurve(good, defect);
  std::vector<RocPoint> curve;
  curve.reserve(counts.size());
  for (const CountPoint& p : counts) {
    curve.push_back({p.threshold, static_cast<double>(p.good_rejected) / good.size(),
                     static_cast<double>(p.defect_rejected) / defect.size()});
  }
  return curve;
}

OperatingPoint FrrAtEscape(std::span<const float> good, std::span<const float> defect,
                           double max_escape) {
  CheckRate(max_escape, "max_escape");
  const std::vector<CountPoint> curve = CountCurve(good, defect);
  const int64_t n_good = static_cast<int64_t>(good.size());
  const int64_t n_defect = static_cast<int64_t>(defect.size());
  const CountPoint* best = nullptr;
  for (const CountPoint& p : curve) {
    if (!WithinRate(n_defect - p.defect_rejected, n_defect, max_escape)) continue;
    if (best == nullptr || p.good_rejected < best->good_rejected ||
        (p.good_rejected == best->good_rejected && p.defect_rejected > best->defect_rejected)) {
      best = &p;
    }
  }
  return ToOperatingPoint(*best, n_good, n_defect);  // the last point always qualifies
}

OperatingPoint EscapeAtFrr(std::span<const float> good, std::span<const float> defect,
                           double max_frr) {
  CheckRate(max_frr, "max_frr");
  const std::vector<CountPoint> curve = CountCurve(good, defect);
  const int64_t n_good = static_cast<int64_t>(good.size());
  const int64_t n_defect = static_cast<int64_t>(defect.size());
  const CountPoint* best = nullptr;
  for (const CountPoint& p : curve) {
    if (!WithinRate(p.good_rejected, n_good, max_frr)) continue;
    if (best == nullptr || p.defect_rejected > best->defect_rejected ||
        (p.defect_rejected == best->defect_rejected && p.good_rejected < best->good_rejected)) {
      best = &p;
    }
  }
  return ToOperatingPoint(*best, n_good, n_defect);  // the first point always qualifies
}

Confusion ConfusionAt(std::span<const float> good, std::span<const float> defect,
                      double threshold) {
  CheckScores(good, "good", false);
  CheckScores(defect, "defect", false);
  Confusion c;
  for (float s : good) (s > threshold ? c.good_rejected : c.good_passed)++;
  for (float s : defect) (s > threshold ? c.defect_rejected : c.defect_passed)++;
  return c;
}

// ---- PixelMetrics ----

namespace {

constexpr int kBins = PixelMetrics::kBins;
// Log bins per unit of natural log of the score, over [kMinScore, kMaxScore] in bins 1..kBins-1.
const double kBinsPerLog =
    (kBins - 1) / std::log(PixelMetrics::kMaxScore / PixelMetrics::kMinScore);

// REQUIRES: !isnan(v).
inline uint16_t BinOf(float v) {
  if (!(v >= PixelMetrics::kMinScore)) return 0;
  const double b = 1.0 + std::floor(std::log(v / PixelMetrics::kMinScore) * kBinsPerLog);
  return b >= kBins - 1 ? uint16_t{kBins - 1} : static_cast<uint16_t>(b);
}
static_assert(kBins - 1 <= 0xffff, "bins must fit in uint16_t");

std::string TypeName(const cv::Mat& m) { return cv::typeToString(m.type()); }

}  // namespace

PixelMetrics::PixelMetrics() : normal_(kBins, 0), defect_(kBins, 0), region_frac_(kBins, 0.0) {}

void PixelMetrics::Add(const cv::Mat& anomaly_map, const cv::Mat& mask) {
  if (anomaly_map.empty()) {
    throw Error(ErrorCategory::kInput, "the anomaly map is empty",
                "pass the map the model produced for this image");
  }
  if (anomaly_map.type() != CV_32FC1) {
    throw Error(ErrorCategory::kInput, "the anomaly map has type " + TypeName(anomaly_map),
                "pass a one-channel float map (CV_32FC1)");
  }
  if (!mask.empty() && mask.type() != CV_8UC1) {
    throw Error(ErrorCategory::kInput, "the ground-truth mask has type " + TypeName(mask),
                "load masks as 8-bit grey (CV_8UC1), non-zero on defect pixels");
  }

  // Bin every score first, so that a NaN leaves the accumulator untouched.
  const int rows = anomaly_map.rows;
  const int cols = anomaly_map.cols;
  std::vector<uint16_t> bins(static_cast<size_t>(rows) * cols);
  for (int y = 0; y < rows; ++y) {
    const float* row = anomaly_map.ptr<float>(y);
    uint16_t* out = bins.data() + static_cast<size_t>(y) * cols;
    for (int x = 0; x < cols; ++x) {
      if (std::isnan(row[x])) {
        throw Error(
            ErrorCategory::kData,
            "the anomaly map has NaN at (" + std::to_string(x) + ", " + std::to_string(y) + ")",
            "the model produced an invalid map; check the image and retrain the model");
      }
      out[x] = BinOf(row[x]);
    }
  }

  if (mask.empty()) {
    for (uint16_t b : bins) ++normal_[b];
    normal_pixels_ += static_cast<int64_t>(bins.size());
    return;
  }
  cv::Mat binary;
  if (mask.size() != anomaly_map.size()) {
    cv::Mat resized;
    cv::resize(mask, resized, anomaly_map.size(), 0, 0, cv::INTER_NEAREST);
    binary = resized != 0;
  } else {
    binary = mask != 0;
  }
  cv::Mat labels;
  const int n_labels = cv::connectedComponents(binary, labels, 8, CV_32S);
  std::vector<int64_t> area(n_labels, 0);
  for (int y = 0; y < rows; ++y) {
    const int* row = labels.ptr<int>(y);
    for (int x = 0; x < cols; ++x) ++area[row[x]];
  }
  std::vector<double> weight(n_labels, 0.0);
  for (int i = 1; i < n_labels; ++i) weight[i] = 1.0 / static_cast<double>(area[i]);

  for (int y = 0; y < rows; ++y) {
    const int* row = labels.ptr<int>(y);
    const uint16_t* b = bins.data() + static_cast<size_t>(y) * cols;
    for (int x = 0; x < cols; ++x) {
      if (row[x] == 0) {
        ++normal_[b[x]];
      } else {
        ++defect_[b[x]];
        region_frac_[b[x]] += weight[row[x]];
      }
    }
  }
  normal_pixels_ += area[0];
  defect_pixels_ += static_cast<int64_t>(bins.size()) - area[0];
  regions_ += n_labels - 1;
}

void PixelMetrics::Merge(const PixelMetrics& other) {
  for (int b = 0; b < kBins; ++b) {
    normal_[b] += other.normal_[b];
    defect_[b] += other.defect_[b];
    region_frac_[b] += other.region_frac_[b];
  }
  normal_pixels_ += other.normal_pixels_;
  defect_pixels_ += other.defect_pixels_;
  regions_ += other.regions_;
}

double PixelMetrics::Auroc() const {
  if (normal_pixels_ == 0 || defect_pixels_ == 0) {
    throw Error(ErrorCategory::kData,
                "pixel AUROC needs normal and defect pixels, got " +
                    std::to_string(normal_pixels_) + " normal and " +
                    std::to_string(defect_pixels_) + " defect",
                "evaluate on defect images that have ground-truth masks");
  }
  // Mann-Whitney over bins: each defect pixel beats the normal pixels of lower bins and ties
  // with half of those in its own bin.
  double u = 0;
  double below = 0;
  for (int b = 0; b < kBins; ++b) {
    const double n = static_cast<double>(normal_[b]);
    u += static_cast<double>(defect_[b]) * (below + 0.5 * n);
    below += n;
  }
  return u / (static_cast<double>(normal_pixels_) * static_cast<double>(defect_pixels_));
}

double PixelMetrics::Aupro(double max_fpr) const {
  if (!(max_fpr > 0.0 && max_fpr <= 1.0)) {
    throw Error(ErrorCategory::kInput, "AUPRO max_fpr is " + std::to_string(max_fpr),
                "give a false-positive-rate limit in (0, 1], usually 0.3");
  }
  if (normal_pixels_ == 0 || regions_ == 0) {
    throw Error(ErrorCategory::kData,
                "AUPRO needs normal pixels and defect regions, got " +
                    std::to_string(normal_pixels_) + " normal pixels and " +
                    std::to_string(regions_) + " regions",
                "evaluate on defect images that have ground-truth masks");
  }
  // Walk thresholds from the top bin down; each bin adds one point (fpr, pro) to the curve.
  const double n_normal = static_cast<double>(normal_pixels_);
  const double n_regions = static_cast<double>(regions_);
  int64_t false_pos = 0;
  double overlap = 0;  // sum of 1 / region area over defect pixels above the threshold
  double fpr_prev = 0, pro_prev = 0, area = 0;
  for (int b = kBins - 1; b >= 0; --b) {
    if (normal_[b] == 0 && defect_[b] == 0) continue;
    false_pos += normal_[b];
    overlap += region_frac_[b];
    const double fpr = static_cast<double>(false_pos) / n_normal;
    const double pro = std::min(1.0, overlap / n_regions);
    if (fpr >= max_fpr) {  // fpr_prev < max_fpr <= fpr: interpolate the last piece
      const double pro_at = pro_prev + (pro - pro_prev) * (max_fpr - fpr_prev) / (fpr - fpr_prev);
      area += (max_fpr - fpr_prev) * (pro_prev + pro_at) / 2;
      break;
    }
    area += (fpr - fpr_prev) * (pro_prev + pro) / 2;
    fpr_prev = fpr;
    pro_prev = pro;
  }
  return area / max_fpr;  // the loop always breaks: fpr reaches 1 at bin 0
}

}  // namespace linesight
