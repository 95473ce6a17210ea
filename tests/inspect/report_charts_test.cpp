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

TEST(ReportChartsTest, RocFalseRejectAxisIsLogarithmic) {
  std::vector<float> good(1000), defect(200);
  for (int i = 0; i < 1000; ++i) good[i] = 0.001f * static_cast<float>(i);
  for (int i = 0; i < 200; ++i) defect[i] = 0.99f + 0.01f * static_cast<float>(i);
  const std::string svg = RocCurveSvg(good, defect, 1.0);
  EXPECT_NE(svg.find("log scale"), std::string::npos);
  for (const char* tick : {">0<", ">0.1%<", ">1%<", ">10%<", ">100%<"})
    EXPECT_NE(svg.find(tick), std::string::npos) << tick;
  EXPECT_FALSE(HasBadNumber(svg));
  // The line's own counts place the mark: all good passed, all defects caught -> (0, 100%).
  Confusion line;
  line.good_passed = 1000;
  line.defect_rejected = 200;
  const std::string marked = RocCurveSvg(good, defect, 1.0, &line);
  EXPECT_NE(marked.find("<circle class=\"thr\" cx=\"64\" cy=\"34\""), std::string::npos) << marked;
}

TEST(ReportChartsTest, HistogramCountsOnALogAxisAndZooms) {
  std::vector<float> good(3000, 1.0f);
  good.push_back(5.f);
  const std::vector<float> defect = {4.f, 6.f, 50.f};
  const std::string all = ScoreHistogramSvg(good, defect, 5.5);
  EXPECT_NE(all.find("parts (log scale)"), std::string::npos);
  EXPECT_NE(all.find(">1000<"), std::string::npos);
  EXPECT_NE(all.find("<title>3000</title>"), std::string::npos);
  const std::string zoom = ScoreHistogramSvg(good, defect, 5.5, std::make_pair(3.0, 8.0));
  EXPECT_NE(zoom.find("≤3"), std::string::npos);
  EXPECT_NE(zoom.find("≥8"), std::string::npos);
  EXPECT_NE(zoom.find("<title>3000</title>"), std::string::npos) << "counted in the first bin";
  EXPECT_FALSE(HasBadNumber(zoom));
}

TEST(ReportChartsTest, OverlapRangeCoversTheMixedScores) {
  std::vector<float> good(1000), defect(1000);
  for (int i = 0; i < 1000; ++i) {
    good[i] = 0.01f * static_cast<float>(i);         // 0 .. 9.99
    defect[i] = 8.f + 0.1f * static_cast<float>(i);  // 8 .. 108
  }
  const auto [lo, hi] = OverlapRange(good, defect, 9.0);
  EXPECT_LT(lo, 8.1);
  EXPECT_GT(hi, 9.9);
  EXPECT_GT(lo, 5.0) << "zoomed, not the whole range";
  EXPECT_LT(hi, 20.0);
  // Far apart: at least 20% of the threshold each side.
  const auto [lo2, hi2] = OverlapRange(std::vector<float>{1.f}, std::vector<float>{100.f}, 10.0);
  EXPECT_LE(lo2, 8.0);
  EXPECT_GE(hi2, 12.0);
  const auto [lo3, hi3] = OverlapRange({}, {}, 2.0);
  EXPECT_LT(lo3, 2.0);
  EXPECT_GT(hi3, 2.0);
}

}  // namespace
}  // namespace linesight
