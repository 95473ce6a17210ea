#include "inspect/outline_check.h"

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
  const double rim = m.recipe.locate.canvas_radius * m.recipe.locate.canvas;
  Workspace ws;
  OutlineScratch scratch;
  int bulged = 0;
  for (uint64_t seed = 500; seed < 510; ++seed) {
    const sim::DefectType flash[] = {sim::DefectType::kFlash};
    const Verdict v = inspector.Inspect(renderer.Render(seed, flash).image, ws);
    EXPECT_EQ(v.decision, Decision::kReject) << "seed " << seed;
    const OutlineBulge b = MeasureOutlineBulge(ws.canvas, rim, scratch);
    if (b.z <= m.outline_threshold) continue;
    ++bulged;
    EXPECT_GE(v.score, m.threshold * b.z / m.outline_threshold * 0.999f) << "seed " << seed;
    bool named = false;
    for (const Finding& f : v.findings)
      named |= f.type == "flash" && f.placed && f.severity >= b.z / m.outline_threshold * 0.999f;
    EXPECT_TRUE(named) << "seed " << seed;
  }
  EXPECT_GE(bulged, 7) << "most fins stand out of the outline";
  for (uint64_t seed = 600; seed < 620; ++seed) {
    ASSERT_TRUE(inspector.Inspect(renderer.Render(seed).image, ws).score >= 0);
    EXPECT_LT(MeasureOutlineBulge(ws.canvas, rim, scratch).z, m.outline_threshold)
        << "good part " << seed;
  }
}

TEST(OutlineCheckTest, ARimThatCannotBeMeasuredLeavesItOffOrRefusesOn) {
  const std::vector<cv::Mat> flat(5, cv::Mat(320, 320, CV_8UC1, cv::Scalar(120)));
  Recipe r = DefaultRecipe();
  EXPECT_EQ(LearnOutlineCheck(r, flat).threshold, 0.0f) << "auto: off";
  r.outline = OutlineCheck::kOn;
  const Error e = testing::Caught([&] { LearnOutlineCheck(r, flat); });
  EXPECT_EQ(e.category(), ErrorCategory::kInput);
  EXPECT_TRUE(testing::Contains(e.what(), "0%")) << e.what();
  EXPECT_TRUE(testing::Contains(e.fix(), "anomaly.outline")) << e.fix();
  r.outline = OutlineCheck::kOff;
  EXPECT_EQ(LearnOutlineCheck(r, flat).threshold, 0.0f);
  Recipe tile = ParseRecipe("part:\n  symmetry: none\n", "tile");
  EXPECT_EQ(LearnOutlineCheck(tile, flat).threshold, 0.0f) << "not a round part";
}

TEST(OutlineCheckTest, TheModelFileKeepsItAndRefusesAnInvalidOne) {
  const testing::TempDir dir;
  const auto path = dir / "m.lsm";
  SaveInspectionModel(Model(), path);
  EXPECT_FLOAT_EQ(LoadInspectionModel(path).outline_threshold, Model().outline_threshold);
  ModelFile f = ReadModelFile(path);
  f.header["outline"]["threshold"] = -1;
  WriteModelFile(path, f);
  const Error e = testing::Caught([&] { LoadInspectionModel(path); });
  EXPECT_EQ(e.category(), ErrorCategory::kModel);
  EXPECT_TRUE(testing::Contains(e.what(), "outline")) << e.what();
  f.header.erase("outline");
  WriteModelFile(path, f);
  EXPECT_EQ(LoadInspectionModel(path).outline_threshold, 0.0f) << "older models: off";
}

}  // namespace
}  // namespace linesight
