#include "inspect/outline_check.h"

#include <cstdint>
#include <filesystem>
#include <vector>

#include <gtest/gtest.h>

#include "core/error.h"
#include "core/model_file.h"
#include "inspect/inspector.h"
#include "sim/part_renderer.h"
#include "testing/sim_part_model.h"
#include "testing/test_util.h"

namespace linesight {
namespace {

const InspectionModel& Model() {
  static const InspectionModel m =
      LoadInspectionModel(testing::SimulatedPartModelFile("inspect_test_data"));
  return m;
}

TEST(OutlineCheckTest, TrainingTurnsItOnForTheSimulatedImpellerWhoseRimStandsOut) {
  const InspectionModel& m = Model();
  EXPECT_GE(m.outline_threshold, kOutlineFloor);
  EXPECT_GT(m.outline_good_max, 0.0f);
  EXPECT_LE(m.outline_good_max, kOutlineNoisy);
  EXPECT_FLOAT_EQ(m.outline_threshold,
                  std::max(kOutlineFloor, kOutlineMargin * m.outline_good_max));
}

TEST(OutlineCheckTest, FlashIsRejectedAndNamedWhereTheOutlineBulges) {
  const sim::PartRenderer renderer;
  const InspectionModel& m = Model();
  const Inspector inspector(m);
  InspectionModel off = m;
  off.outline_threshold = off.outline_scale = 0;
  const Inspector without(off);
  const double rim = m.recipe.locate.canvas_radius * m.recipe.locate.canvas;
  Workspace ws, ws_without;
  OutlineScratch scratch;
  int bulged = 0;
  for (uint64_t seed = 500; seed < 510; ++seed) {
    const sim::DefectType flash[] = {sim::DefectType::kFlash};
    const Verdict v = inspector.Inspect(renderer.Render(seed, flash).image, ws);
    EXPECT_EQ(v.decision, Decision::kReject) << "seed " << seed;
    const OutlineBulge b = MeasureOutlineBulge(ws.canvas, rim, scratch, ws.outline_skip);
    EXPECT_FLOAT_EQ(ws.outline_score, b.z * m.outline_scale);
    if (b.z <= m.outline_threshold) continue;
    ++bulged;
    EXPECT_GE(v.score, ws.outline_score) << "seed " << seed;
    // One fin, one finding: the outline adds its own only where the map found no flash.
    const Verdict map_only = without.Inspect(renderer.Render(seed, flash).image, ws_without);
    bool map_flash = false;
    for (const Finding& f : map_only.findings) map_flash |= f.type == "flash";
    std::string boxes;
    for (const Verdict* x : {&v, &map_only}) {
      for (const Finding& f : x->findings)
        boxes += f.type + " " + std::to_string(f.box.x) + "," + std::to_string(f.box.y) + " " +
                 std::to_string(f.box.width) + "x" + std::to_string(f.box.height) + "; ";
      boxes += " | ";
    }
    EXPECT_EQ(v.findings.size(), map_only.findings.size() + (map_flash ? 0 : 1))
        << "seed " << seed << ": " << boxes;
    if (!map_flash) {
      bool placed = false;
      for (const Finding& f : v.findings)
        placed |= f.type == "flash" && f.placed && f.box.width >= 3 && f.box.height >= 3;
      EXPECT_TRUE(placed) << "seed " << seed << ": the outline's finding spans its arc: " << boxes;
    }
    // What eval and tune read at other operating points carries the outline too.
    float at_area = 0;
    AreaPeakScratch area;
    const double min_area[] = {m.recipe.min_defect_area_px};
    inspector.ScoresAtAreas(ws, min_area, {&at_area, 1}, area);
    EXPECT_GE(at_area, ws.outline_score) << "seed " << seed;
  }
  EXPECT_GE(bulged, 7) << "most fins stand out of the outline";
  for (uint64_t seed = 600; seed < 620; ++seed) {
    ASSERT_TRUE(inspector.Inspect(renderer.Render(seed).image, ws).score >= 0);
    EXPECT_LT(MeasureOutlineBulge(ws.canvas, rim, scratch, ws.outline_skip).z, m.outline_threshold)
        << "good part " << seed;
  }
}

TEST(OutlineCheckTest, ARimThatCannotBeMeasuredLeavesItOffOrRefusesOn) {
  const cv::Mat flat(320, 320, CV_8UC1, cv::Scalar(120));
  const cv::Mat weights(320, 320, CV_32F, cv::Scalar(1));
  const cv::Matx23d same(1, 0, 0, 0, 1, 0);
  const std::vector<OutlineSample> parts(5, OutlineSample{&flat, same, {320, 320}});
  Recipe r = DefaultRecipe();
  const OutlineLearned off = LearnOutlineCheck(r, weights, parts);
  EXPECT_EQ(off.threshold, 0.0f) << "auto: off";
  EXPECT_TRUE(testing::Contains(off.off_reason, "on 0% of the good parts (auto needs 95%)"))
      << off.off_reason;
  EXPECT_TRUE(off.warning.empty()) << "auto was not asked for the check: no warning";
  r.outline = OutlineCheck::kOn;
  const Error e = testing::Caught([&] { LearnOutlineCheck(r, weights, parts); });
  EXPECT_EQ(e.category(), ErrorCategory::kInput);
  EXPECT_TRUE(testing::Contains(e.what(), "0%")) << e.what();
  EXPECT_TRUE(testing::Contains(e.fix(), "anomaly.outline")) << e.fix();
  r.outline = OutlineCheck::kOff;
  EXPECT_EQ(LearnOutlineCheck(r, weights, parts).threshold, 0.0f);
  EXPECT_TRUE(LearnOutlineCheck(r, weights, parts).off_reason.empty()) << "the recipe's choice";
  Recipe tile = ParseRecipe("part:\n  symmetry: none\n", "tile");
  EXPECT_EQ(LearnOutlineCheck(tile, weights, parts).threshold, 0.0f) << "not a round part";
}

TEST(OutlineCheckTest, IgnoredRegionsAndPlacesBeyondTheFrameAreLeftOut) {
  const double rim = 0.43 * 320;
  cv::Mat weights(320, 320, CV_32F, cv::Scalar(1));
  // An ignored ring round the rim's right half, as `ignore: true` leaves it (weight 0).
  weights(cv::Rect(160, 0, 160, 320)).setTo(0);
  const cv::Matx23d same(1, 0, 0, 0, 1, 0);
  std::vector<uint8_t> skip;
  OutlineSkips(weights, same, {320, 320}, rim, skip);
  ASSERT_EQ(skip.size(), static_cast<size_t>(kOutlineDirections));
  EXPECT_TRUE(skip[0]) << "direction 0 points right, into the ignored half";
  EXPECT_FALSE(skip[kOutlineDirections / 2]) << "left";
  // A frame that ends just beyond the rim on the left (x < 20 is not in the image): the part's
  // left directions read repeated edge pixels there.
  const cv::Matx23d shifted(1, 0, 20, 0, 1, 0);  // image x = canvas x - 20
  OutlineSkips(cv::Mat(320, 320, CV_32F, cv::Scalar(1)), shifted, {300, 320}, rim, skip);
  EXPECT_TRUE(skip[kOutlineDirections / 2]) << "left: beyond the frame";
  EXPECT_FALSE(skip[0]) << "right: inside";
  EXPECT_FALSE(skip[kOutlineDirections / 4]) << "down: inside";
}

TEST(OutlineCheckTest, TheModelFileKeepsItAndRefusesAnInvalidOne) {
  const testing::TempDir dir;
  const auto path = dir / "m.lsm";
  SaveInspectionModel(Model(), path);
  EXPECT_FLOAT_EQ(LoadInspectionModel(path).outline_threshold, Model().outline_threshold);
  ModelFile f = ReadModelFile(path);
  f.header["outline"]["scale"] = -1;
  WriteModelFile(path, f);
  const Error e = testing::Caught([&] { LoadInspectionModel(path); });
  EXPECT_EQ(e.category(), ErrorCategory::kModel);
  EXPECT_TRUE(testing::Contains(e.what(), "outline")) << e.what();
  f.header.erase("outline");
  WriteModelFile(path, f);
  EXPECT_EQ(LoadInspectionModel(path).outline_threshold, 0.0f) << "older models: off";
  EXPECT_TRUE(LoadInspectionModel(path).outline_off_reason.empty());
  // A model `auto` left without the check keeps why.
  InspectionModel off = Model();
  off.outline_threshold = off.outline_scale = off.outline_good_max = 0;
  off.outline_off_reason = "the good parts' outlines bulged by up to 12.0 spreads";
  SaveInspectionModel(off, path);
  EXPECT_EQ(LoadInspectionModel(path).outline_off_reason, off.outline_off_reason);
}

}  // namespace
}  // namespace linesight
