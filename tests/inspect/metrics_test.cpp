#include "inspect/metrics.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <vector>

#include <gtest/gtest.h>
#include <opencv2/imgproc.hpp>

#include "core/error.h"
#include "testing/test_util.h"

namespace linesight {
namespace {

// O(n*m) Mann-Whitney.
double BruteAuroc(const std::vector<float>& good, const std::vector<float>& defect) {
  double u = 0;
  for (float d : defect) {
    for (float g : good) u += d > g ? 1.0 : d == g ? 0.5 : 0.0;
  }
  return u / (static_cast<double>(good.size()) * defect.size());
}

TEST(MetricsTest, AurocKnownCases) {
  EXPECT_DOUBLE_EQ(Auroc(std::vector<float>{0.1f, 0.2f, 0.3f}, std::vector<float>{0.5f, 0.9f}), 1);
  EXPECT_DOUBLE_EQ(Auroc(std::vector<float>{0.5f, 0.9f}, std::vector<float>{0.1f, 0.2f, 0.3f}), 0);
  EXPECT_DOUBLE_EQ(Auroc(std::vector<float>(5, 0.7f), std::vector<float>(3, 0.7f)), 0.5);
  // By hand: defect 0.35 beats 0.1 and ties 0.35 (1.5); 0.9 beats all four (4); 0.4 beats 0.1
  // and 0.35 and ties 0.4 (2.5). U = 8 of 12 pairs.
  const std::vector<float> good = {0.1f, 0.4f, 0.35f, 0.8f};
  const std::vector<float> defect = {0.35f, 0.9f, 0.4f};
  EXPECT_DOUBLE_EQ(Auroc(good, defect), 8.0 / 12.0);
}

TEST(MetricsTest, AurocMatchesBruteForceWithTies) {
  std::mt19937 rng(7767517);
  std::normal_distribution<float> n(0.f, 1.f);
  for (int sizes : {1, 7, 13, 120}) {
    std::vector<float> good, defect;
    for (int i = 0; i < sizes * 3; ++i) good.push_back(std::round(n(rng) * 4) / 4);
    for (int i = 0; i < sizes; ++i) defect.push_back(std::round((n(rng) + 1) * 4) / 4);
    EXPECT_NEAR(Auroc(good, defect), BruteAuroc(good, defect), 1e-12) << sizes;
  }
}

TEST(MetricsTest, AurocErrors) {
  const std::vector<float> some = {0.5f};
  const std::vector<float> none;
  EXPECT_EQ(testing::ThrownCategory([&] { (void)Auroc(none, some); }), ErrorCategory::kData);
  EXPECT_EQ(testing::ThrownCategory([&] { (void)Auroc(some, none); }), ErrorCategory::kData);
  const std::vector<float> nan = {std::numeric_limits<float>::quiet_NaN()};
  EXPECT_EQ(testing::ThrownCategory([&] { (void)Auroc(some, nan); }), ErrorCategory::kData);
  EXPECT_EQ(testing::ThrownCategory([&] { (void)RocCurve(none, some); }), ErrorCategory::kData);
  EXPECT_EQ(testing::ThrownCategory([&] { (void)FrrAtEscape(some, none, 0.01); }),
            ErrorCategory::kData);
  EXPECT_EQ(testing::ThrownCategory([&] { (void)EscapeAtFrr(none, some, 0.02); }),
            ErrorCategory::kData);
  EXPECT_EQ(testing::ThrownCategory([&] { (void)ConfusionAt(nan, some, 0.5); }),
            ErrorCategory::kData);
}

TEST(MetricsTest, RocCurveHandMade) {
  const std::vector<float> good = {1, 2, 3};
  const std::vector<float> defect = {2, 4};
  const std::vector<RocPoint> roc = RocCurve(good, defect);
  ASSERT_EQ(roc.size(), 5u);  // 4 distinct scores + the origin
  const double expected[5][3] = {
      {4, 0, 0}, {3, 0, 0.5}, {2, 1.0 / 3, 0.5}, {1, 2.0 / 3, 1}, {1, 1, 1}};
  for (int i = 0; i < 5; ++i) {
    EXPECT_NEAR(roc[i].threshold, expected[i][0], 1e-6) << i;
    EXPECT_DOUBLE_EQ(roc[i].fpr, expected[i][1]) << i;
    EXPECT_DOUBLE_EQ(roc[i].tpr, expected[i][2]) << i;
  }
  // The last threshold is strictly below the lowest score, so it rejects everything.
  EXPECT_LT(roc.back().threshold, 1.0);
  const Confusion c = ConfusionAt(good, defect, roc.back().threshold);
  EXPECT_EQ(c.good_passed + c.defect_passed, 0);
}

TEST(MetricsTest, RocCurvePointsMatchConfusion) {
  std::mt19937 rng(42);
  std::uniform_int_distribution<int> u(0, 20);
  std::vector<float> good, defect;
  for (int i = 0; i < 37; ++i) good.push_back(u(rng) * 0.1f);
  for (int i = 0; i < 11; ++i) defect.push_back(u(rng) * 0.1f + 0.5f);
  const std::vector<RocPoint> roc = RocCurve(good, defect);
  for (size_t i = 0; i < roc.size(); ++i) {
    const Confusion c = ConfusionAt(good, defect, roc[i].threshold);
    EXPECT_DOUBLE_EQ(roc[i].fpr, c.good_rejected / 37.0);
    EXPECT_DOUBLE_EQ(roc[i].tpr, c.defect_rejected / 11.0);
    if (i > 0) {
      EXPECT_LT(roc[i].threshold, roc[i - 1].threshold);
      EXPECT_GE(roc[i].fpr, roc[i - 1].fpr);
      EXPECT_GE(roc[i].tpr, roc[i - 1].tpr);
    }
  }
}

// Ten good parts at 0.1 .. 1.0, four defects.
const std::vector<float> kGood = {0.1f, 0.2f, 0.3f, 0.4f, 0.5f, 0.6f, 0.7f, 0.8f, 0.9f, 1.0f};
const std::vector<float> kDefect = {0.55f, 0.85f, 0.95f, 1.5f};

TEST(MetricsTest, FrrAtEscapeHandMade) {
  // One escape allowed: threshold 0.8 rejects 0.9 and 1.0 (FRR 0.2) and passes only 0.55.
  // Threshold 0.85 has the same FRR but lets 0.85 escape too, so the tie goes to 0.8.
  OperatingPoint p = FrrAtEscape(kGood, kDefect, 0.25);
  EXPECT_NEAR(p.threshold, 0.8, 1e-6);
  EXPECT_DOUBLE_EQ(p.false_reject_rate, 0.2);
  EXPECT_DOUBLE_EQ(p.escape_rate, 0.25);
  // No escape: everything above 0.5 is rejected.
  p = FrrAtEscape(kGood, kDefect, 0.0);
  EXPECT_NEAR(p.threshold, 0.5, 1e-6);
  EXPECT_DOUBLE_EQ(p.false_reject_rate, 0.5);
  EXPECT_DOUBLE_EQ(p.escape_rate, 0.0);
  // Everything may escape: reject nothing.
  p = FrrAtEscape(kGood, kDefect, 1.0);
  EXPECT_DOUBLE_EQ(p.false_reject_rate, 0.0);
}

TEST(MetricsTest, EscapeAtFrrHandMade) {
  // One false reject allowed: threshold 0.9 rejects 1.0, 0.95 and 1.5.
  OperatingPoint p = EscapeAtFrr(kGood, kDefect, 0.1);
  EXPECT_NEAR(p.threshold, 0.9, 1e-6);
  EXPECT_DOUBLE_EQ(p.false_reject_rate, 0.1);
  EXPECT_DOUBLE_EQ(p.escape_rate, 0.5);
  p = EscapeAtFrr(kGood, kDefect, 0.0);
  EXPECT_NEAR(p.threshold, 1.0, 1e-6);
  EXPECT_DOUBLE_EQ(p.false_reject_rate, 0.0);
  EXPECT_DOUBLE_EQ(p.escape_rate, 0.75);
  // Two false rejects allowed: threshold 0.8 also rejects 0.85.
  p = EscapeAtFrr(kGood, kDefect, 0.2);
  EXPECT_NEAR(p.threshold, 0.8, 1e-6);
  EXPECT_DOUBLE_EQ(p.false_reject_rate, 0.2);
  EXPECT_DOUBLE_EQ(p.escape_rate, 0.25);
}

TEST(MetricsTest, OperatingPointRateLimits) {
  // 29 of 100 is within 29% although 0.29 * 100 == 28.999999999999996 in doubles.
  std::vector<float> good(100);
  for (int i = 0; i < 100; ++i) good[i] = static_cast<float>(i);
  const std::vector<float> defect = {70.5f};
  const OperatingPoint p = EscapeAtFrr(good, defect, 0.29);
  EXPECT_DOUBLE_EQ(p.false_reject_rate, 0.29);
  EXPECT_DOUBLE_EQ(p.escape_rate, 0.0);
  EXPECT_EQ(testing::ThrownCategory([&] { (void)FrrAtEscape(kGood, kDefect, -0.1); }),
            ErrorCategory::kInput);
  EXPECT_EQ(testing::ThrownCategory([&] { (void)EscapeAtFrr(kGood, kDefect, 1.5); }),
            ErrorCategory::kInput);
  EXPECT_EQ(testing::ThrownCategory([&] { (void)EscapeAtFrr(kGood, kDefect, std::nan("")); }),
            ErrorCategory::kInput);
}

TEST(MetricsTest, ConfusionCounts) {
  const Confusion c =
      ConfusionAt(kGood, kDefect, 0.8f);  // the float score 0.8f, not the double 0.8 below it
  EXPECT_EQ(c.good_passed, 8);
  EXPECT_EQ(c.good_rejected, 2);
  EXPECT_EQ(c.defect_passed, 1);
  EXPECT_EQ(c.defect_rejected, 3);
  // A score equal to the threshold passes.
  const Confusion eq = ConfusionAt(std::vector<float>{0.5f}, std::vector<float>{0.5f}, 0.5);
  EXPECT_EQ(eq.good_passed, 1);
  EXPECT_EQ(eq.defect_passed, 1);
  const Confusion empty = ConfusionAt({}, {}, 0.5);
  EXPECT_EQ(empty.good_passed + empty.good_rejected + empty.defect_passed + empty.defect_rejected,
            0);
}

// ---- PixelMetrics ----

// All pixels added so far, kept for the brute-force references.
struct Reference {
  std::vector<float> scores;
  std::vector<int> region;   // 0 = normal, else a global region id
  std::vector<double> area;  // by region id
  int regions = 0;

  void Add(const cv::Mat& map, const cv::Mat& mask) {
    cv::Mat labels;
    int n = 1;
    if (!mask.empty()) n = cv::connectedComponents(mask != 0, labels, 8, CV_32S);
    std::vector<double> local(n, 0);
    for (int y = 0; y < map.rows; ++y) {
      for (int x = 0; x < map.cols; ++x) {
        const int l = mask.empty() ? 0 : labels.at<int>(y, x);
        scores.push_back(map.at<float>(y, x));
        region.push_back(l == 0 ? 0 : regions + l);
        local[l] += 1;
      }
    }
    area.resize(regions + n, 0);
    for (int l = 1; l < n; ++l) area[regions + l] = local[l];
    regions += n - 1;
  }

  double Auroc() const {
    std::vector<float> good, defect;
    for (size_t i = 0; i < scores.size(); ++i) (region[i] ? defect : good).push_back(scores[i]);
    return linesight::Auroc(good, defect);  // exact, checked against BruteAuroc above
  }

  // MVTec AD's compute_pro + trapezoid: one point per distinct score, descending.
  double Aupro(double max_fpr) const {
    std::vector<size_t> order(scores.size());
    for (size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::sort(order.begin(), order.end(),
              [&](size_t a, size_t b) { return scores[a] > scores[b]; });
    double n_normal = 0;
    for (int r : region) n_normal += r == 0;
    std::vector<std::pair<double, double>> curve = {{0, 0}};
    double fp = 0, pro = 0;
    for (size_t k = 0; k < order.size(); ++k) {
      const size_t i = order[k];
      if (region[i] == 0) {
        fp += 1;
      } else {
        pro += 1.0 / area[region[i]];
      }
      if (k + 1 == order.size() || scores[order[k + 1]] != scores[i]) {
        curve.push_back({fp / n_normal, pro / regions});
      }
    }
    double integral = 0;
    for (size_t k = 1; k < curve.size(); ++k) {
      auto [x0, y0] = curve[k - 1];
      auto [x1, y1] = curve[k];
      if (x1 >= max_fpr) {
        const double y = y0 + (y1 - y0) * (max_fpr - x0) / (x1 - x0);
        integral += (max_fpr - x0) * (y0 + y) / 2;
        break;
      }
      integral += (x1 - x0) * (y0 + y1) / 2;
    }
    return integral / max_fpr;
  }
};

// A random map with 0-3 random blobs as ground truth; `scale` stretches the scores.
void RandomCase(std::mt19937& rng, int rows, int cols, double scale, cv::Mat& map, cv::Mat& mask) {
  std::normal_distribution<float> normal(0.3f, 0.2f), defect(0.7f, 0.3f);
  std::uniform_int_distribution<int> blobs(0, 3), px(0, cols - 1), py(0, rows - 1), r(1, 6);
  mask = cv::Mat::zeros(rows, cols, CV_8UC1);
  const int n = blobs(rng);
  for (int i = 0; i < n; ++i) {
    if (i % 2 == 0) {
      cv::circle(mask, {px(rng), py(rng)}, r(rng), cv::Scalar(255), cv::FILLED);
    } else {
      const cv::Point a(px(rng), py(rng));
      cv::rectangle(mask, a, a + cv::Point(r(rng), r(rng)), cv::Scalar(1), cv::FILLED);
    }
  }
  map.create(rows, cols, CV_32FC1);
  for (int y = 0; y < rows; ++y) {
    for (int x = 0; x < cols; ++x) {
      const float v = mask.at<uint8_t>(y, x) ? defect(rng) : normal(rng);
      map.at<float>(y, x) = static_cast<float>(std::max(0.f, v) * scale);
    }
  }
  if (n == 0 && rows % 2 == 0) mask = cv::Mat();  // good parts often come without a mask
}

TEST(PixelMetricsTest, MatchesBruteForceOnRandomMaps) {
  std::mt19937 rng(7767517);
  const int sizes[][2] = {{37, 23}, {24, 12}, {13, 64}, {48, 48}, {1, 31}, {29, 1}};
  for (double scale : {1.0, 0.01, 250.0}) {
    PixelMetrics metrics;
    Reference ref;
    for (int rep = 0; rep < 4; ++rep) {
      for (const auto& s : sizes) {
        cv::Mat map, mask;
        RandomCase(rng, s[0], s[1], scale, map, mask);
        metrics.Add(map, mask);
        ref.Add(map, mask);
      }
    }
    ASSERT_GT(ref.regions, 5);
    EXPECT_EQ(metrics.regions(), ref.regions);
    EXPECT_EQ(metrics.pixels(), static_cast<int64_t>(ref.scores.size()));
    EXPECT_NEAR(metrics.Auroc(), ref.Auroc(), 1e-3) << "scale " << scale;
    for (double max_fpr : {0.3, 0.05, 1.0}) {
      EXPECT_NEAR(metrics.Aupro(max_fpr), ref.Aupro(max_fpr), 1e-3)
          << "scale " << scale << " max_fpr " << max_fpr;
    }
  }
}

TEST(PixelMetricsTest, PerfectMapsScoreOne) {
  cv::Mat mask = cv::Mat::zeros(16, 16, CV_8UC1);
  mask(cv::Rect(2, 2, 3, 3)) = 255;
  mask(cv::Rect(10, 10, 5, 4)) = 255;
  cv::Mat map;
  mask.convertTo(map, CV_32F, 1.0 / 255);
  PixelMetrics m;
  m.Add(map, mask);
  EXPECT_EQ(m.regions(), 2);
  EXPECT_DOUBLE_EQ(m.Auroc(), 1.0);
  EXPECT_NEAR(m.Aupro(), 1.0, 1e-12);
}

TEST(PixelMetricsTest, RegionsAreEightConnected) {
  cv::Mat mask = cv::Mat::zeros(8, 8, CV_8UC1);
  mask.at<uint8_t>(1, 1) = 255;
  mask.at<uint8_t>(2, 2) = 255;  // touches the first diagonally: one region
  mask.at<uint8_t>(6, 6) = 7;    // any non-zero value is a defect
  PixelMetrics m;
  m.Add(cv::Mat(8, 8, CV_32FC1, cv::Scalar(0.5)), mask);
  EXPECT_EQ(m.regions(), 2);
  EXPECT_EQ(m.pixels(), 64);
}

TEST(PixelMetricsTest, ResizesMaskToMap) {
  cv::Mat mask = cv::Mat::zeros(40, 40, CV_8UC1);
  mask(cv::Rect(0, 0, 20, 40)) = 255;  // left half
  cv::Mat map = cv::Mat::zeros(20, 20, CV_32FC1);
  map(cv::Rect(0, 0, 10, 20)) = 2.0f;
  PixelMetrics m;
  m.Add(map, mask);
  EXPECT_EQ(m.pixels(), 400);
  EXPECT_EQ(m.regions(), 1);
  EXPECT_DOUBLE_EQ(m.Auroc(), 1.0);
}

TEST(PixelMetricsTest, MergeEqualsAddingToOne) {
  std::mt19937 rng(1);
  PixelMetrics all, a, b;
  for (int i = 0; i < 6; ++i) {
    cv::Mat map, mask;
    RandomCase(rng, 20 + i, 30 - i, 1.0, map, mask);
    all.Add(map, mask);
    (i % 2 ? a : b).Add(map, mask);
  }
  a.Merge(b);
  EXPECT_EQ(a.pixels(), all.pixels());
  EXPECT_EQ(a.regions(), all.regions());
  EXPECT_DOUBLE_EQ(a.Auroc(), all.Auroc());
  EXPECT_NEAR(a.Aupro(), all.Aupro(), 1e-12);
}

TEST(PixelMetricsTest, ExtremeScoresAreClamped) {
  cv::Mat map = (cv::Mat_<float>(1, 4) << 0.f, -3.f, 1e9f, std::numeric_limits<float>::infinity());
  cv::Mat mask = (cv::Mat_<uint8_t>(1, 4) << 0, 0, 255, 255);
  PixelMetrics m;
  m.Add(map, mask);
  EXPECT_DOUBLE_EQ(m.Auroc(), 1.0);
}

TEST(PixelMetricsTest, BadInputThrowsAndAddsNothing) {
  PixelMetrics m;
  const cv::Mat mask = cv::Mat::zeros(4, 4, CV_8UC1);
  EXPECT_EQ(testing::ThrownCategory([&] { m.Add(cv::Mat(), mask); }), ErrorCategory::kInput);
  EXPECT_EQ(testing::ThrownCategory([&] { m.Add(cv::Mat::zeros(4, 4, CV_8UC1), mask); }),
            ErrorCategory::kInput);
  EXPECT_EQ(testing::ThrownCategory(
                [&] { m.Add(cv::Mat::zeros(4, 4, CV_32FC1), cv::Mat::zeros(4, 4, CV_32F)); }),
            ErrorCategory::kInput);
  cv::Mat nan = cv::Mat::zeros(4, 4, CV_32FC1);
  nan.at<float>(3, 2) = std::numeric_limits<float>::quiet_NaN();
  EXPECT_EQ(testing::ThrownCategory([&] { m.Add(nan, mask); }), ErrorCategory::kData);
  EXPECT_EQ(m.pixels(), 0);
  // Nothing or only normal pixels: both metrics need defects.
  EXPECT_EQ(testing::ThrownCategory([&] { (void)m.Auroc(); }), ErrorCategory::kData);
  m.Add(cv::Mat::zeros(4, 4, CV_32FC1), mask);
  EXPECT_EQ(testing::ThrownCategory([&] { (void)m.Auroc(); }), ErrorCategory::kData);
  EXPECT_EQ(testing::ThrownCategory([&] { (void)m.Aupro(); }), ErrorCategory::kData);
  EXPECT_EQ(testing::ThrownCategory([&] { (void)m.Aupro(0.0); }), ErrorCategory::kInput);
}

}  // namespace
}  // namespace linesight
