#include "inspect/eval_report.h"

#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "core/error.h"
#include "testing/test_util.h"

namespace linesight {
namespace {

std::string ReadText(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

EvalReport SampleReport() {
  EvalReport r;
  r.model_path = "models/bracket.lsm";
  r.model_kind = "patchcore";
  r.model_version = "0.1.0";
  r.recipe_name = "bracket-top";
  r.trained_images = 200;
  r.good_scores = {0.1f, 0.2f, 0.3f, 0.4f, 0.5f, 0.6f, 0.7f, 0.8f, 0.9f, 1.0f};
  r.defect_scores = {0.55f, 0.85f, 0.95f, 1.5f};
  r.threshold = 0.8f;  // compared in double: 0.8 would reject the good part at 0.8f
  FillImageMetrics(r);
  return r;
}

TEST(EvalReportTest, FillImageMetrics) {
  const EvalReport r = SampleReport();
  EXPECT_NEAR(r.image_auroc, (5 + 8 + 9 + 10) / 40.0, 1e-12);
  EXPECT_DOUBLE_EQ(r.frr_at_escape_1pct, 0.5);   // no escape: reject everything above 0.5
  EXPECT_DOUBLE_EQ(r.escape_at_frr_2pct, 0.75);  // no false reject: only 1.5 is caught
  EXPECT_EQ(r.confusion.good_rejected, 2);
  EXPECT_EQ(r.confusion.defect_passed, 1);
}

TEST(EvalReportTest, JsonHasMetricKeysAndOmitsAbsentOnes) {
  EvalReport r = SampleReport();
  nlohmann::json j = ToJson(r);
  for (const char* key : {"image_auroc", "frr_at_escape_1pct", "escape_at_frr_2pct", "n_good",
                          "n_defect", "threshold", "confusion", "model", "worst_parts"}) {
    EXPECT_TRUE(j.contains(key)) << key;
  }
  EXPECT_EQ(j["n_good"], 10);
  EXPECT_EQ(j["n_defect"], 4);
  EXPECT_EQ(j["confusion"]["good_rejected"], 2);
  EXPECT_EQ(j["confusion"]["defect_rejected"], 3);
  EXPECT_EQ(j["model"]["kind"], "patchcore");
  EXPECT_FALSE(j.contains("pixel_auroc"));
  EXPECT_FALSE(j.contains("aupro"));

  r.pixel_auroc = 0.97;
  r.aupro = 0.91;
  r.worst_parts.push_back({"good_007.png", false, 1.0f, "reject", cv::Mat()});
  j = ToJson(r);
  EXPECT_DOUBLE_EQ(j["pixel_auroc"].get<double>(), 0.97);
  EXPECT_DOUBLE_EQ(j["aupro"].get<double>(), 0.91);
  ASSERT_EQ(j["worst_parts"].size(), 1u);
  EXPECT_EQ(j["worst_parts"][0]["verdict"], "reject");
}

TEST(EvalReportTest, WritesSelfContainedHtml) {
  testing::TempDir dir;
  EvalReport r = SampleReport();
  r.pixel_auroc = 0.97;
  cv::Mat overlay(64, 48, CV_8UC3, cv::Scalar(40, 120, 220));
  r.worst_parts.push_back({"good_<9>.png", false, 1.0f, "reject", overlay});
  r.worst_parts.push_back({"crack_1.png", true, 0.55f, "pass", cv::Mat()});
  const auto path = dir / "report.html";
  WriteHtmlReport(r, path);
  const std::string html = ReadText(path);
  EXPECT_EQ(html.rfind("<!DOCTYPE html>", 0), 0u);
  EXPECT_NE(html.find("<svg"), std::string::npos);
  EXPECT_NE(html.find("data:image/png;base64,"), std::string::npos);
  EXPECT_NE(html.find("good_&lt;9&gt;.png"), std::string::npos);  // names are escaped
  EXPECT_EQ(html.find("good_<9>"), std::string::npos);
  EXPECT_NE(html.find("patchcore"), std::string::npos);
  EXPECT_NE(html.find("Pixel AUROC"), std::string::npos);
  EXPECT_EQ(html.find("AUPRO"), std::string::npos);
  // Self-contained: no links to anything outside the file.
  EXPECT_EQ(html.find("src=\"http"), std::string::npos);
  EXPECT_EQ(html.find("<script"), std::string::npos);
  EXPECT_EQ(html.find("<link"), std::string::npos);
}

TEST(EvalReportTest, LargeOverlaysAreShrunk) {
  testing::TempDir dir;
  EvalReport r = SampleReport();
  cv::Mat overlay(1000, 1000, CV_8UC3);
  cv::randu(overlay, 0, 255);  // incompressible: a full-size PNG would be ~3 MB
  r.worst_parts.push_back({"big.png", false, 1.0f, "reject", overlay});
  WriteHtmlReport(r, dir / "r.html");
  EXPECT_LT(std::filesystem::file_size(dir / "r.html"), 600'000u);
}

TEST(EvalReportTest, WithoutScoresOrOverlaysStillWrites) {
  testing::TempDir dir;
  EvalReport r;
  r.good_scores = {0.2f, 0.3f};
  WriteHtmlReport(r, dir / "r.html");
  const std::string html = ReadText(dir / "r.html");
  EXPECT_NE(html.find("No ROC curve"), std::string::npos);
  EXPECT_NE(html.find("<svg"), std::string::npos);  // the histogram is still drawn
  EXPECT_EQ(html.find("data:image/png;base64,"), std::string::npos);
}

TEST(EvalReportTest, UnwritablePathThrowsIo) {
  testing::TempDir dir;
  try {
    WriteHtmlReport(SampleReport(), dir / "no_such_folder" / "r.html");
    FAIL() << "did not throw";
  } catch (const Error& e) {
    EXPECT_EQ(e.category(), ErrorCategory::kIo);
    EXPECT_NE(e.cause().find("no_such_folder"), std::string::npos);
  }
}

TEST(EvalReportTest, BadOverlayTypeThrowsInputAndWritesNothing) {
  testing::TempDir dir;
  EvalReport r = SampleReport();
  r.worst_parts.push_back({"x.png", false, 1.0f, "reject", cv::Mat::zeros(8, 8, CV_32FC1)});
  try {
    WriteHtmlReport(r, dir / "r.html");
    FAIL() << "did not throw";
  } catch (const Error& e) {
    EXPECT_EQ(e.category(), ErrorCategory::kInput);
  }
  EXPECT_FALSE(std::filesystem::exists(dir / "r.html"));
}

}  // namespace
}  // namespace linesight
