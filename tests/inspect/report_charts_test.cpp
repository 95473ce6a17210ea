#include "inspect/report_charts.h"

#include <cmath>
#include <limits>
#include <vector>

#include <gtest/gtest.h>

namespace linesight {
namespace {

// True if some SVG attribute got a NaN or infinite number.
bool HasBadNumber(const std::string& svg) {
  for (const char* bad : {"\"nan", "\"-nan", "\"inf", "\"-inf", " nan", " inf"}) {
    if (svg.find(bad) != std::string::npos) return true;
  }
  return false;
}

TEST(ReportChartsTest, RocCurveMarksThreshold) {
  const std::vector<float> good = {0.1f, 0.2f, 0.3f};
  const std::vector<float> defect = {0.6f, 0.9f};
  const std::string svg = RocCurveSvg(good, defect, 0.5);
  EXPECT_EQ(svg.rfind("<svg", 0), 0u);
  EXPECT_NE(svg.find("<polyline class=\"roc\""), std::string::npos);
  EXPECT_NE(svg.find("class=\"diag\""), std::string::npos);
  EXPECT_NE(svg.find("threshold 0.5"), std::string::npos);
  EXPECT_NE(svg.find("AUROC 1.0000"), std::string::npos);
  EXPECT_FALSE(HasBadNumber(svg));
}

TEST(ReportChartsTest, RocCurveNeedsBothClasses) {
  const std::string svg = RocCurveSvg(std::vector<float>{0.1f}, {}, 0.5);
  EXPECT_EQ(svg.find("<svg"), std::string::npos);
  EXPECT_NE(svg.find("No ROC curve"), std::string::npos);
}

TEST(ReportChartsTest, HistogramClipsFarOutliers) {
  std::vector<float> good(500);
  for (int i = 0; i < 500; ++i) good[i] = 1.0f + 0.001f * i;
  good.push_back(1000.0f);
  const std::string svg = ScoreHistogramSvg(good, std::vector<float>{1.6f, 1.7f}, 1.55);
  EXPECT_NE(svg.find("≥"), std::string::npos);
  EXPECT_NE(svg.find("class=\"thr-line\""), std::string::npos);
  EXPECT_NE(svg.find("good (501)"), std::string::npos);
  EXPECT_FALSE(HasBadNumber(svg));
}

TEST(ReportChartsTest, HistogramSurvivesDegenerateScores) {
  const float inf = std::numeric_limits<float>::infinity();
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const std::vector<std::vector<float>> cases = {
      {0.5f, 0.5f, 0.5f}, {1e30f, 1e30f}, {0.f, inf, 2.f}, {nan, 1.f}, {-inf, 3.f}};
  for (const auto& scores : cases) {
    for (double threshold : {0.5, std::nan(""), 1e9}) {
      const std::string svg = ScoreHistogramSvg(scores, {}, threshold);
      EXPECT_EQ(svg.rfind("<svg", 0), 0u);
      EXPECT_FALSE(HasBadNumber(svg)) << scores[0] << " " << threshold << "\n" << svg;
    }
  }
  EXPECT_NE(ScoreHistogramSvg(std::vector<float>{inf, nan}, {}, 0.5).find("No finite"),
            std::string::npos);
  EXPECT_NE(ScoreHistogramSvg({}, {}, 0.5).find("No finite"), std::string::npos);
}

}  // namespace
}  // namespace linesight
