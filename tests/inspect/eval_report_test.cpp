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

// Parts whose decisions disagree with score > threshold, as the line's area rule can make them.
EvalReport DecidedReport() {
  EvalReport r;
  r.threshold = 1.0;
  auto part = [](std::string name, std::string cls, bool defect, float score, Decision d,
                 HoldReason reason = HoldReason::kNone) {
    EvaluatedPart p;
    p.name = name;
    p.path = "/data/" + name;
    p.defect_class = cls;
    p.is_defect = defect;
    p.score = score;
    p.decision = d;
    p.reason = reason;
    return p;
  };
  for (int i = 0; i < 8; ++i)
    r.parts.push_back(
        part("good_" + std::to_string(i) + ".png", "", false, 0.1f * i, Decision::kPass));
  r.parts.push_back(
      part("good_held.png", "", false, 10.f, Decision::kHold, HoldReason::kPartNotFound));
  r.parts.push_back(part("good_small.png", "", false, 1.2f, Decision::kPass));  // area rule
  r.parts.push_back(part("crack_1.png", "crack", true, 2.f, Decision::kReject));
  r.parts.push_back(part("crack_2.png", "crack", true, 1.5f, Decision::kPass));  // area rule
  r.parts.push_back(
      part("crack_3.png", "crack", true, 10.f, Decision::kHold, HoldReason::kDeadline));
  r.parts.push_back(part("pore_1.png", "pore", true, 0.5f, Decision::kPass));
  r.parts.push_back(part("pore_2.png", "pore", true, 3.f, Decision::kReject));
  FillImageMetrics(r);
  return r;
}

TEST(EvalReportTest, CountsTheLinesDecisionsNotTheScores) {
  const EvalReport r = DecidedReport();
  EXPECT_EQ(r.good_scores.size(), 10u);
  EXPECT_EQ(r.defect_scores.size(), 5u);
  EXPECT_EQ(r.confusion.good_passed, 9);    // good_small passes though its score is above
  EXPECT_EQ(r.confusion.good_rejected, 1);  // the held one
  EXPECT_EQ(r.confusion.defect_passed, 2);  // crack_2 escapes though its score is above
  EXPECT_EQ(r.confusion.defect_rejected, 3);
  EXPECT_EQ(r.good_held, 1);
  EXPECT_EQ(r.defect_held, 1);
  const nlohmann::json j = ToJson(r);
  EXPECT_EQ(j["held"]["good"], 1);
  EXPECT_EQ(j["held"]["defect"], 1);
  ASSERT_EQ(j["by_class"].size(), 2u);
  EXPECT_EQ(j["by_class"][0]["class"], "crack");
  EXPECT_EQ(j["by_class"][0]["escaped"], 1);
  EXPECT_EQ(j["by_class"][0]["held"], 1);
}

TEST(EvalReportTest, DefectClassTableCountsAndRanksEachClass) {
  const std::vector<DefectClassStats> t = DefectClassTable(DecidedReport());
  ASSERT_EQ(t.size(), 2u);
  EXPECT_EQ(t[0].name, "crack");
  EXPECT_EQ(t[0].parts, 3);
  EXPECT_EQ(t[0].rejected, 1);
  EXPECT_EQ(t[0].held, 1);
  EXPECT_EQ(t[0].escaped, 1);
  // Cracks (2, 1.5, 10) against good (0..0.7, 10, 1.2): above 8 goods each, against the held
  // good one: below, below, tie.
  EXPECT_NEAR(t[0].auroc, (3 * 9 + 0.5) / 30.0, 1e-12);
  EXPECT_EQ(t[1].name, "pore");
  EXPECT_EQ(t[1].escaped, 1);
}

TEST(EvalReportTest, DefectClassFromSubfolderOrName) {
  EXPECT_EQ(DefectClassOf("/d/Crack/exp1_7.jpg", "/d"), "Crack");
  EXPECT_EQ(DefectClassOf("/d/Crack_exp1_num_7.jpg", "/d"), "Crack");
  EXPECT_EQ(DefectClassOf("/d/part_61_blow_hole.png", "/d"), "blow_hole");
  EXPECT_EQ(DefectClassOf("/d/cast_def_0_12.jpeg", "/d/"), "cast");
  EXPECT_EQ(DefectClassOf("/d/scratch.png", "/d"), "unlabelled");
  EXPECT_EQ(DefectClassOf("/d/_x.png", "/d"), "unlabelled");
  EXPECT_EQ(DefectClassOf("rel/pore_1.png", "rel"), "pore");
}

TEST(EvalReportTest, EveryWrongVerdictIsListedInPagesWithLinks) {
  testing::TempDir dir;
  EvalReport r;
  r.threshold = 1.0;
  for (int i = 0; i < 250; ++i) {  // 250 escapes: three pages
    EvaluatedPart p;
    p.name = "pore " + std::to_string(i) + ".png";
    p.path = (dir / "defect" / p.name).string();
    p.defect_class = "pore";
    p.is_defect = true;
    p.score = 0.5f + 0.001f * static_cast<float>(i);
    p.decision = Decision::kPass;
    r.parts.push_back(p);
  }
  EvaluatedPart good;
  good.name = "good.png";
  good.score = 0.1f;
  good.decision = Decision::kPass;
  r.parts.push_back(good);
  r.scores_csv = (dir / "scores.csv").string();
  FillImageMetrics(r);
  WriteHtmlReport(r, dir / "report.html");
  const std::string html = ReadText(dir / "report.html");
  for (int i = 0; i < 250; ++i) {
    EXPECT_NE(html.find(">pore " + std::to_string(i) + ".png</a>"), std::string::npos) << i;
  }
  EXPECT_NE(html.find("href=\"defect/pore%200.png\""), std::string::npos) << "relative link";
  EXPECT_NE(html.find("href=\"scores.csv\""), std::string::npos);
  EXPECT_NE(html.find("201–250 of 250"), std::string::npos);
  EXPECT_EQ(html.find("good.png"), std::string::npos) << "a right verdict is not listed";
  EXPECT_NE(html.find("Defect classes"), std::string::npos);
}

TEST(EvalReportTest, HeldPartsAreLabelledAndLeftOutOfTheHistograms) {
  testing::TempDir dir;
  EvalReport r = DecidedReport();
  r.worst_parts.push_back({"good_held.png", false, 10.f, "hold", cv::Mat(), "no part visible"});
  WriteHtmlReport(r, dir / "r.html");
  const std::string html = ReadText(dir / "r.html");
  EXPECT_NE(html.find("2 held parts are not in the histograms"), std::string::npos);
  EXPECT_NE(html.find("false reject (held)"), std::string::npos);
  EXPECT_NE(html.find("no part visible"), std::string::npos);
  EXPECT_NE(html.find("held: part_not_found"), std::string::npos);
  EXPECT_NE(html.find("2 of them held"), std::string::npos);
}

}  // namespace
}  // namespace linesight
