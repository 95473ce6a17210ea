#include "inspect/quality_gate.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <opencv2/imgproc.hpp>

#include "inspect/inspector.h"
#include "inspect/trainer.h"
#include "sim/part_renderer.h"
#include "testing/test_util.h"
#include "vision/exposure.h"

namespace linesight {
namespace {

using testing::Contains;

QualityObserved Observed() {
  QualityObserved o;
  o.images = 30;
  o.focus_min = 0.1;
  o.focus_max = 0.2;
  o.exposure_min = 120;
  o.exposure_max = 160;
  o.saturated_max = 0.01;
  o.saturated_bright_max = 0.4;
  return o;
}

TEST(QualityGateTest, AutoLimitsWidenWhatTheGoodImagesShowedByTheNormalDrift) {
  const QualityLimits l = ResolveQualityLimits(QualitySettings(), Observed());
  EXPECT_TRUE(l.focus_on && l.saturation_on && l.exposure_on);
  EXPECT_DOUBLE_EQ(l.min_focus, kFocusMargin * 0.1);
  EXPECT_DOUBLE_EQ(l.max_saturated, 0.4);
  EXPECT_DOUBLE_EQ(l.min_exposure, kExposureMargin * LevelAfter(120, kDarkestDrift));
  EXPECT_LT(l.min_exposure, LevelAfter(120, kDarkestDrift));
  EXPECT_EQ(l.max_exposure, 255) << "the brightest drift of 160 already clips";
  // Nothing learned: the auto gates are off, fixed ones still apply.
  QualitySettings fixed;
  fixed.exposure = GateMode::kFixed;
  fixed.min_exposure = 30;
  fixed.max_exposure = 220;
  const QualityLimits none = ResolveQualityLimits(fixed, QualityObserved());
  EXPECT_FALSE(none.focus_on || none.saturation_on);
  EXPECT_TRUE(none.exposure_on);
  EXPECT_EQ(none.min_exposure, 30);
  EXPECT_EQ(none.max_exposure, 220);
  QualitySettings off;
  off.focus = off.saturation = off.exposure = GateMode::kOff;
  const QualityLimits o = ResolveQualityLimits(off, Observed());
  EXPECT_FALSE(o.focus_on || o.saturation_on || o.exposure_on);
}

TEST(QualityGateTest, CheckNamesTheMeasuredValueAndTheAcceptedRange) {
  const QualityLimits l = ResolveQualityLimits(QualitySettings(), Observed());
  Verdict v;
  v.decision = Decision::kPass;
  EXPECT_FALSE(CheckQuality({0.15, 0.0, 140}, l, v));
  EXPECT_EQ(v.decision, Decision::kPass) << "a fit frame is left alone";
  struct Case {
    QualityMeasures q;
    HoldReason reason;
    std::vector<std::string> words;
  };
  for (const Case& c :
       std::vector<Case>{{{0.02, 0, 140}, HoldReason::kOutOfFocus, {"0.020", "0.050", "focus"}},
                         {{0.15, 0.75, 250}, HoldReason::kSaturated, {"75.0%", "40.0%", "clipped"}},
                         {{0.15, 0, 12}, HoldReason::kExposure, {"12", "dark", "to 255"}}}) {
    Verdict h;
    h.findings.emplace_back();
    EXPECT_TRUE(CheckQuality(c.q, l, h));
    EXPECT_EQ(h.decision, Decision::kHold);
    EXPECT_EQ(h.reason, c.reason);
    EXPECT_TRUE(h.findings.empty());
    for (const std::string& w : c.words) EXPECT_TRUE(Contains(h.detail, w)) << h.detail;
  }
  EXPECT_EQ(HoldReasonName(HoldReason::kOutOfFocus), "out_of_focus");
  EXPECT_EQ(HoldReasonName(HoldReason::kSaturated), "saturated");
  EXPECT_EQ(HoldReasonName(HoldReason::kExposure), "exposure");
}

TEST(QualityGateTest, ObservedJsonRoundTrip) {
  const QualityObserved o = Observed();
  const QualityObserved back = QualityObservedFromJson(QualityObservedToJson(o));
  EXPECT_EQ(QualityObservedToJson(back), QualityObservedToJson(o));
  EXPECT_THROW(QualityObservedFromJson(nlohmann::json::object()), nlohmann::json::exception);
}

// A model trained on rendered good parts, with the recipe's quality settings.
InspectionModel Train(const std::string& recipe_yaml) {
  std::vector<cv::Mat> good;
  std::vector<std::string> names;
  for (int i = 0; i < 16; ++i) {
    good.push_back(sim::PartRenderer().Render(1 + static_cast<uint64_t>(i)).image);
    names.push_back("good_" + std::to_string(i));
  }
  // Three calibration folds: the quality limits come from every good image however many folds
  // calibrate the threshold, and three keep training quick under the sanitizers.
  return TrainFromImages(ParseRecipe("anomaly:\n  holdout_fraction: 0.3\n" + recipe_yaml, "q.yaml"),
                         good, names, TrainOptions());
}

cv::Mat Blurred(const cv::Mat& img) {
  cv::Mat out;
  cv::GaussianBlur(img, out, cv::Size(0, 0), 2.5);
  return out;
}

cv::Mat Exposed(const cv::Mat& img, ExposureChange change) {
  cv::Mat out = img.clone();
  ApplyExposure(change, out);
  return out;
}

// Blurred, blown-out and nearly black frames are held with their reason and never judged; the
// lighting drift a line sees as normal is never held.
TEST(QualityGateTest, UnfitFramesAreHeldAndNormalDriftIsNot) {
  const InspectionModel model = Train("");
  EXPECT_EQ(model.quality.images, 16);
  EXPECT_GT(model.quality.focus_min, 0);
  // Rendered parts are bright: the brightest normal drift clips most of them, so the learned
  // saturation limit is high; a recipe's own limit shows that gate.
  const InspectionModel strict = Train("quality:\n  saturation: 0.3\n");
  const Inspector inspector(model), strict_inspector(strict);
  Workspace ws;
  const cv::Mat good = sim::PartRenderer().Render(5001).image;
  struct Case {
    std::string what;
    const Inspector* inspector;
    cv::Mat image;
    HoldReason reason;
  };
  for (const Case& c :
       {Case{"blurred", &inspector, Blurred(good), HoldReason::kOutOfFocus},
        Case{"gain 0.12", &inspector, Exposed(good, {0.12, 1.0}), HoldReason::kExposure},
        Case{"gain 3", &strict_inspector, Exposed(good, {3.0, 1.0}), HoldReason::kSaturated}}) {
    const Verdict v = c.inspector->Inspect(c.image, ws);
    EXPECT_EQ(v.decision, Decision::kHold) << c.what;
    EXPECT_EQ(v.reason, c.reason) << c.what << ": " << HoldReasonName(v.reason) << " " << v.detail;
    EXPECT_TRUE(v.findings.empty()) << c.what;
    EXPECT_TRUE(v.quality_measured) << c.what;
    EXPECT_TRUE(v.geometry.measured) << c.what << ": the part was found";
    const nlohmann::json j = VerdictToJson(v);
    EXPECT_EQ(j["reason"], std::string(HoldReasonName(c.reason))) << c.what;
    EXPECT_TRUE(j.contains("quality") && j.contains("part")) << j.dump();
  }
  // A held frame after a reject: its overlay must not show the reject's heatmap.
  const sim::DefectType type = sim::DefectType::kBlowHole;
  const cv::Mat defect = sim::PartRenderer().Render(7301, std::span(&type, 1)).image;
  ASSERT_EQ(inspector.Inspect(defect, ws).decision, Decision::kReject);
  ASSERT_EQ(inspector.Inspect(Blurred(good), ws).reason, HoldReason::kOutOfFocus);
  EXPECT_TRUE(ws.pose.found) << "the part was found";
  EXPECT_EQ(cv::countNonZero(inspector.HeatmapInImage(good.size(), ws)), 0);
  for (uint64_t seed = 5001; seed < 5005; ++seed) {
    const cv::Mat part = sim::PartRenderer().Render(seed).image;
    for (const ExposureChange change : {kDarkestDrift, kBrightestDrift, ExposureChange{0.6, 0.7},
                                        ExposureChange{1.5, 1.4}, ExposureChange{1.0, 1.0}}) {
      const Verdict v = inspector.Inspect(Exposed(part, change), ws);
      EXPECT_NE(v.decision, Decision::kHold) << "seed " << seed << " gain " << change.gain
                                             << " gamma " << change.gamma << ": " << v.detail;
    }
  }
}

TEST(QualityGateTest, RecipeSetsOrTurnsOffEachGate) {
  const cv::Mat good = sim::PartRenderer().Render(5002).image;
  Workspace ws;
  {
    const InspectionModel off =
        Train("quality:\n  focus: off\n  saturation: off\n  exposure: off\n");
    const Inspector inspector(off);
    for (const cv::Mat& frame : {Blurred(good), Exposed(good, {4.0, 1.0})}) {
      const Verdict v = inspector.Inspect(frame, ws);
      EXPECT_TRUE(v.reason != HoldReason::kOutOfFocus && v.reason != HoldReason::kSaturated &&
                  v.reason != HoldReason::kExposure)
          << v.detail;
    }
  }
  {
    // A recipe's own exposure range, narrower than anything auto would allow.
    const InspectionModel fixed = Train("quality:\n  exposure: [200, 255]\n");
    const Inspector inspector(fixed);
    const Verdict v = inspector.Inspect(good, ws);
    EXPECT_EQ(v.reason, HoldReason::kExposure) << v.detail;
    EXPECT_TRUE(Contains(v.detail, "200 to 255")) << v.detail;
  }
}

// With a pixel size, findings and geometry are reported in mm as well.
TEST(QualityGateTest, VerdictReportsGeometryAndMillimetres) {
  const InspectionModel model = Train("part:\n  pixel_size_mm: 0.1\n");
  const Inspector inspector(model);
  Workspace ws;
  const sim::DefectType type = sim::DefectType::kBlowHole;
  const sim::RenderedPart part = sim::PartRenderer().Render(7301, std::span(&type, 1));
  const Verdict v = inspector.Inspect(part.image, ws);
  ASSERT_TRUE(v.geometry.measured) << v.detail;
  EXPECT_NEAR(v.geometry.centre.x, part.centre.x, 2);
  EXPECT_NEAR(v.geometry.diameter, 2 * part.radius, 0.03 * 2 * part.radius);
  EXPECT_DOUBLE_EQ(v.pixel_size_mm, 0.1);
  const nlohmann::json j = VerdictToJson(v);
  EXPECT_DOUBLE_EQ(j["part"]["diameter_mm"].get<double>(), 0.1 * v.geometry.diameter);
  EXPECT_DOUBLE_EQ(j["pixel_size_mm"].get<double>(), 0.1);
  ASSERT_EQ(v.decision, Decision::kReject);
  ASSERT_FALSE(v.findings.empty());
  const auto& f = j["findings"][0];
  EXPECT_DOUBLE_EQ(f["area_mm2"].get<double>(), v.findings[0].area_px * 0.01);
  EXPECT_DOUBLE_EQ(f["box_mm"][2].get<double>(), v.findings[0].box.width * 0.1);
  // Without a pixel size: pixels only.
  const InspectionModel plain = Train("");
  const nlohmann::json p = VerdictToJson(Inspector(plain).Inspect(part.image, ws));
  EXPECT_FALSE(p.contains("pixel_size_mm"));
  EXPECT_FALSE(p["part"].contains("diameter_mm"));
  EXPECT_TRUE(p["part"].contains("diameter_px"));
}

}  // namespace
}  // namespace linesight
