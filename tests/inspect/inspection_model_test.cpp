#include "inspect/inspection_model.h"

#include <functional>
#include <limits>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "core/error.h"
#include "core/model_file.h"
#include "inspect/trainer.h"
#include "sim/part_renderer.h"
#include "testing/test_util.h"

namespace linesight {
namespace {

using testing::Caught;
using testing::Contains;
using testing::TempDir;

// One small model of rendered round parts, shared by the tests in this file.
class InspectionModelTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    const sim::PartRenderer renderer;
    std::vector<cv::Mat> images;
    std::vector<std::string> names;
    for (uint64_t seed = 301; seed < 307; ++seed) {
      images.push_back(renderer.Render(seed).image);
      names.push_back("good_" + std::to_string(seed));
    }
    model_ = new InspectionModel(TrainFromImages(DefaultRecipe(), images, names, TrainOptions()));
  }
  static void TearDownTestSuite() {
    delete model_;
    model_ = nullptr;
  }

  static const InspectionModel& model() { return *model_; }

  // Saves the model, edits the header of the file and seals it again with a valid checksum.
  static void SaveEdited(const std::filesystem::path& path,
                         const std::function<void(nlohmann::json&)>& edit) {
    SaveInspectionModel(model(), path);
    ModelFile f = ReadModelFile(path);
    edit(f.header);
    WriteModelFile(path, f);
  }

  static InspectionModel* model_;
};

InspectionModel* InspectionModelTest::model_ = nullptr;

TEST_F(InspectionModelTest, PartRadiusSurvivesSaveAndLoad) {
  ASSERT_GT(model().part_radius, 0.3);
  ASSERT_LT(model().part_radius, 0.5);
  TempDir dir;
  SaveInspectionModel(model(), dir / "m.lsm");
  const InspectionModel loaded = LoadInspectionModel(dir / "m.lsm");
  EXPECT_EQ(loaded.part_radius, model().part_radius);
  EXPECT_EQ(loaded.Locate().expected_radius, model().part_radius);
  EXPECT_EQ(ReadModelFile(dir / "m.lsm").header.at("part").at("radius").get<double>(),
            model().part_radius);
  // Exactly, whatever the value (0 = not learned, and the range's ends).
  for (double r : {0.0, 0.123456789012345678, 1.0}) {
    InspectionModel m = model();
    m.part_radius = r;
    SaveInspectionModel(m, dir / "r.lsm");
    EXPECT_EQ(LoadInspectionModel(dir / "r.lsm").part_radius, r);
  }
}

TEST_F(InspectionModelTest, LocateUsesTheLearnedRadius) {
  InspectionModel m = model();
  m.part_radius = 0.37;
  const LocateOptions o = m.Locate();
  EXPECT_EQ(o.expected_radius, 0.37);
  EXPECT_EQ(o.radius_tolerance, m.recipe.locate.radius_tolerance);
  EXPECT_EQ(o.min_radius, m.recipe.locate.min_radius);
  EXPECT_EQ(o.max_radius, m.recipe.locate.max_radius);
  EXPECT_EQ(o.canvas, m.recipe.locate.canvas);
  EXPECT_EQ(m.recipe.locate.expected_radius, 0);
  m.part_radius = 0;
  EXPECT_EQ(m.Locate().expected_radius, 0);
}

TEST_F(InspectionModelTest, ModelWithoutPartRadiusLoads) {
  // Models written before the radius was learned have no "part" in their header.
  TempDir dir;
  SaveEdited(dir / "old.lsm", [](nlohmann::json& h) {
    ASSERT_TRUE(h.contains("part"));
    h.erase("part");
  });
  const InspectionModel loaded = LoadInspectionModel(dir / "old.lsm");
  EXPECT_EQ(loaded.part_radius, 0);
  EXPECT_EQ(loaded.Locate().expected_radius, 0);
  EXPECT_EQ(loaded.threshold, model().threshold);
  EXPECT_EQ(loaded.recipe_hash, model().recipe_hash);
}

TEST_F(InspectionModelTest, InvalidPartRadiusIsRefused) {
  TempDir dir;
  const double inf = std::numeric_limits<double>::infinity();
  const std::vector<std::pair<std::string, std::function<void(nlohmann::json&)>>> edits = {
      {"negative", [](nlohmann::json& h) { h["part"]["radius"] = -0.1; }},
      {"above 1", [](nlohmann::json& h) { h["part"]["radius"] = 1.5; }},
      {"huge", [](nlohmann::json& h) { h["part"]["radius"] = 1e300; }},
      {"infinite", [&](nlohmann::json& h) { h["part"]["radius"] = inf; }},
      {"NaN",
       [](nlohmann::json& h) { h["part"]["radius"] = std::numeric_limits<double>::quiet_NaN(); }},
      {"null", [](nlohmann::json& h) { h["part"]["radius"] = nullptr; }},
      {"text", [](nlohmann::json& h) { h["part"]["radius"] = "0.4"; }},
      {"no radius", [](nlohmann::json& h) { h["part"] = nlohmann::json::object(); }},
      {"part not an object", [](nlohmann::json& h) { h["part"] = 0.4; }},
      {"part an array", [](nlohmann::json& h) { h["part"] = nlohmann::json::array({0.4}); }},
  };
  for (const auto& [what, edit] : edits) {
    SaveEdited(dir / "edited.lsm", edit);
    Error e = Caught([&] { LoadInspectionModel(dir / "edited.lsm"); });
    EXPECT_EQ(e.category(), ErrorCategory::kModel) << what << ": " << e.what();
    EXPECT_TRUE(Contains(e.what(), "edited.lsm")) << what << ": " << e.what();
  }
}

}  // namespace
}  // namespace linesight
