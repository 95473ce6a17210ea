#include "inspect/recipe.h"

#include <cmath>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "core/error.h"
#include "testing/test_util.h"

namespace linesight {
namespace {

using testing::Caught;
using testing::Contains;

// Parses `yaml` as file "bad.yaml"; it must fail with a recipe error naming the file. Returns
// the message.
std::string RecipeError(const std::string& yaml) {
  Error e = Caught([&] { ParseRecipe(yaml, "bad.yaml"); });
  EXPECT_EQ(e.category(), ErrorCategory::kRecipe) << yaml << "\n" << e.what();
  EXPECT_EQ(std::string(e.what()).rfind("bad.yaml: ", 0), 0u) << e.what();
  return e.what();
}

constexpr const char* kFullExample = R"(version: 1
name: impeller-A2
part:
  symmetry: rotational      # the part may turn: compare each ring with itself
  layout: rings
  roi: [0.1, 0.05, 0.8, 0.9]
  canvas: 192
  min_radius: 0.25
  max_radius: 0.5
  block: 8
anomaly:
  sensitivity: 1.5
  min_defect_area: 12
  target_false_reject_rate: 0.02
  holdout_fraction: 0.25
regions:
  - name: bore
    ring: [0, 0.16]
    ignore: true
  - name: sealing face
    ring: [0.85, 1.05]
    sensitivity: 2.5
)";

TEST(RecipeTest, Defaults) {
  const Recipe r = DefaultRecipe();
  EXPECT_EQ(r.name, "default");
  EXPECT_EQ(r.symmetry, Symmetry::kRotational);
  EXPECT_EQ(r.layout, CellLayout::kRings);
  EXPECT_EQ(r.locate.method, LocateMethod::kDisc);
  EXPECT_EQ(r.locate.canvas, 320);
  EXPECT_EQ(r.cells.canvas, r.locate.canvas);
  EXPECT_EQ(r.cells.layout, CellLayout::kRings);
  EXPECT_GT(r.cells.support_radius, r.locate.canvas_radius) << "a margin beyond the rim is scored";
  EXPECT_LE(r.cells.support_radius, 0.5);
  EXPECT_EQ(r.locate.roi, cv::Rect2d(0, 0, 1, 1));
  EXPECT_DOUBLE_EQ(r.sensitivity, 1.0);
  EXPECT_DOUBLE_EQ(r.min_defect_area_px, 6);
  EXPECT_DOUBLE_EQ(r.target_false_reject_rate, 0.01);
  EXPECT_DOUBLE_EQ(r.holdout_fraction, 0.1);
  EXPECT_TRUE(r.regions.empty());
}

// Parsing `yaml` fails with Error{kRecipe} whose message holds every one of `words`.
void ExpectRecipeError(const char* yaml, std::initializer_list<const char*> words) {
  try {
    ParseRecipe(yaml, "bad.yaml");
    ADD_FAILURE() << "accepted: " << yaml;
  } catch (const Error& e) {
    EXPECT_EQ(e.category(), ErrorCategory::kRecipe);
    for (const char* w : words) EXPECT_TRUE(Contains(e.what(), w)) << w << " not in " << e.what();
  }
}

TEST(RecipeTest, RoundPartsAreScoredByArcsAndWholeRingsUnlessTheRecipeChoosesOne) {
  const Recipe def = DefaultRecipe();
  EXPECT_EQ(def.round_cells, RoundCells::kArcsAndRings);
  EXPECT_EQ(def.cells.arc_px, 1);
  ASSERT_TRUE(def.companion_cells);
  EXPECT_EQ(def.companion_cells->arc_px, 0) << "the companion is whole rings";
  EXPECT_EQ(def.companion_cells->support_radius, def.cells.support_radius);

  const Recipe arcs = ParseRecipe("part:\n  cells: arcs\n  arc_px: 2\n", "a");
  EXPECT_EQ(arcs.cells.arc_px, 2);
  EXPECT_FALSE(arcs.companion_cells);

  for (const char* rings : {"part:\n  cells: rings\n", "part:\n  arc_px: 0\n"}) {
    const Recipe r = ParseRecipe(rings, "r");
    EXPECT_EQ(r.round_cells, RoundCells::kRings) << rings;
    EXPECT_EQ(r.cells.arc_px, 0) << rings;
    EXPECT_FALSE(r.companion_cells) << rings;
    EXPECT_EQ(RecipeHash(r), RecipeHash(ParseRecipe("part:\n  cells: rings\n", "r")))
        << "arc_px: 0 is the older way to say cells: rings";
  }
  ExpectRecipeError("part:\n  cells: spokes\n", {"part.cells", "spokes", "arcs+rings"});
  ExpectRecipeError("part:\n  cells: arcs\n  arc_px: 0\n", {"part.arc_px", "contradicts"});
  EXPECT_EQ(DescribeCells(def), "arcs+rings (1 px arcs)");
  EXPECT_EQ(DescribeCells(arcs), "arcs (2 px arcs)");
  EXPECT_EQ(DescribeCells(ParseRecipe("part:\n  arc_px: 0\n", "r")), "rings");
  EXPECT_EQ(DescribeCells(ParseRecipe("part:\n  symmetry: none\n", "b")), "blocks of 4 px");
  const Recipe back = RecipeFromJson(RecipeToJson(arcs), "m");
  EXPECT_EQ(back.round_cells, RoundCells::kArcs);
  EXPECT_EQ(RecipeHash(back), RecipeHash(arcs));
}

TEST(RecipeTest, EmptyAndCommentOnlyTextGiveTheDefaults) {
  for (const char* text : {"", "\n", "# nothing here\n", "---\n"}) {
    const Recipe r = ParseRecipe(text, "empty.yaml");
    EXPECT_EQ(RecipeHash(r), RecipeHash(DefaultRecipe())) << "'" << text << "'";
    EXPECT_EQ(r.name, "default");
  }
}

TEST(RecipeTest, FullExample) {
  const Recipe r = ParseRecipe(kFullExample, "impeller.yaml");
  EXPECT_EQ(r.name, "impeller-A2");
  EXPECT_EQ(r.symmetry, Symmetry::kRotational);
  EXPECT_EQ(r.layout, CellLayout::kRings);
  EXPECT_EQ(r.locate.method, LocateMethod::kDisc);
  EXPECT_EQ(r.locate.roi, cv::Rect2d(0.1, 0.05, 0.8, 0.9));
  EXPECT_EQ(r.locate.canvas, 192);
  EXPECT_EQ(r.cells.canvas, 192) << "the model's canvas follows the recipe's";
  EXPECT_DOUBLE_EQ(r.locate.min_radius, 0.25);
  EXPECT_DOUBLE_EQ(r.locate.max_radius, 0.5);
  EXPECT_EQ(r.cells.block, 8);
  EXPECT_DOUBLE_EQ(r.sensitivity, 1.5);
  EXPECT_DOUBLE_EQ(r.min_defect_area_px, 12);
  EXPECT_DOUBLE_EQ(r.target_false_reject_rate, 0.02);
  EXPECT_DOUBLE_EQ(r.holdout_fraction, 0.25);
  ASSERT_EQ(r.regions.size(), 2u);
  EXPECT_EQ(r.regions[0].name, "bore");
  EXPECT_TRUE(r.regions[0].is_ring);
  EXPECT_DOUBLE_EQ(r.regions[0].r0, 0);
  EXPECT_DOUBLE_EQ(r.regions[0].r1, 0.16);
  EXPECT_DOUBLE_EQ(r.regions[0].sensitivity, 0);
  EXPECT_EQ(r.regions[1].name, "sealing face");
  EXPECT_DOUBLE_EQ(r.regions[1].sensitivity, 2.5);
  EXPECT_DOUBLE_EQ(r.regions[1].r1, 1.05);
}

TEST(RecipeTest, FixedPoseAndTextureRecipes) {
  const Recipe plate = ParseRecipe(R"(
name: cover-plate
part:
  symmetry: none
  roi: [0.1, 0.1, 0.8, 0.8]
  block: 16
regions:
  - name: label area
    rect: [0.0, 0.0, 0.25, 0.1]
    ignore: true
  - rect: [0.5, 0.5, 0.5, 0.5]
    sensitivity: 0.5
)",
                                   "plate.yaml");
  EXPECT_EQ(plate.symmetry, Symmetry::kNone);
  EXPECT_EQ(plate.layout, CellLayout::kBlocks) << "symmetry none defaults to blocks";
  EXPECT_EQ(plate.locate.method, LocateMethod::kNone);
  EXPECT_EQ(plate.cells.layout, CellLayout::kBlocks);
  ASSERT_EQ(plate.regions.size(), 2u);
  EXPECT_FALSE(plate.regions[0].is_ring);
  EXPECT_EQ(plate.regions[0].rect, cv::Rect2d(0, 0, 0.25, 0.1));
  EXPECT_EQ(plate.regions[1].name, "region 1");
  EXPECT_DOUBLE_EQ(plate.regions[1].sensitivity, 0.5);

  const Recipe strip = ParseRecipe("part:\n  symmetry: none\n  layout: texture\n", "strip.yaml");
  EXPECT_EQ(strip.layout, CellLayout::kWhole);
  EXPECT_EQ(strip.cells.layout, CellLayout::kWhole);

  // Rotational with blocks is allowed: centred and scaled, not turned.
  const Recipe odd = ParseRecipe("part:\n  layout: blocks\n", "odd.yaml");
  EXPECT_EQ(odd.symmetry, Symmetry::kRotational);
  EXPECT_EQ(odd.layout, CellLayout::kBlocks);
  EXPECT_EQ(odd.locate.method, LocateMethod::kDisc);
}

TEST(RecipeTest, UnknownKeyNamesItAndListsAllowedKeys) {
  std::string msg = RecipeError("nmae: x\n");
  EXPECT_TRUE(Contains(msg, "nmae")) << msg;
  EXPECT_TRUE(Contains(msg, "unknown key")) << msg;
  for (const char* allowed : {"version", "name", "part", "anomaly", "regions"})
    EXPECT_TRUE(Contains(msg, allowed)) << msg;

  msg = RecipeError("part:\n  symetry: rotational\n");
  EXPECT_TRUE(Contains(msg, "part.symetry")) << msg;
  for (const char* allowed :
       {"symmetry", "layout", "roi", "canvas", "min_radius", "max_radius", "block"})
    EXPECT_TRUE(Contains(msg, allowed)) << msg;

  msg = RecipeError("anomaly:\n  threshold: 3\n");
  EXPECT_TRUE(Contains(msg, "anomaly.threshold")) << msg;
  EXPECT_TRUE(Contains(msg, "target_false_reject_rate")) << msg;

  msg = RecipeError("regions:\n  - ring: [0, 0.1]\n    ignore: true\n    colour: red\n");
  EXPECT_TRUE(Contains(msg, "regions[0].colour")) << msg;
  EXPECT_TRUE(Contains(msg, "sensitivity")) << msg;
}

TEST(RecipeTest, WrongTypes) {
  std::string msg = RecipeError("part:\n  canvas: big\n");
  EXPECT_TRUE(Contains(msg, "part.canvas")) << msg;
  EXPECT_TRUE(Contains(msg, "expected a number")) << msg;
  EXPECT_TRUE(Contains(msg, "64")) << msg;
  EXPECT_TRUE(Contains(msg, "1024")) << msg;

  msg = RecipeError("part: 5\n");
  EXPECT_TRUE(Contains(msg, "part")) << msg;
  msg = RecipeError("name: [a, b]\n");
  EXPECT_TRUE(Contains(msg, "name")) << msg;
  msg = RecipeError("anomaly:\n  sensitivity: [1, 2]\n");
  EXPECT_TRUE(Contains(msg, "anomaly.sensitivity")) << msg;
  msg = RecipeError("part:\n  roi: [0, 0, 1]\n");
  EXPECT_TRUE(Contains(msg, "part.roi")) << msg;
  msg = RecipeError("part:\n  roi: 0.5\n");
  EXPECT_TRUE(Contains(msg, "part.roi")) << msg;
  msg = RecipeError("part:\n  roi: [0, 0, a, 1]\n");
  EXPECT_TRUE(Contains(msg, "part.roi[2]")) << msg;
  msg = RecipeError("regions: {a: 1}\n");
  EXPECT_TRUE(Contains(msg, "regions")) << msg;
  msg = RecipeError("regions:\n  - 7\n");
  EXPECT_TRUE(Contains(msg, "regions[0]")) << msg;
  msg = RecipeError("part:\n  symmetry: rotatonal\n");
  EXPECT_TRUE(Contains(msg, "rotatonal")) << msg;
  msg = RecipeError("part:\n  layout: grid\n");
  EXPECT_TRUE(Contains(msg, "part.layout")) << msg;
  msg = RecipeError("- just\n- a list\n");
  msg = RecipeError("just a scalar\n");
}

TEST(RecipeTest, RemovedKeyIsRefusedByName) {
  // anomaly.exposure_augment existed in a draft; the documented format has no such key.
  const std::string msg = RecipeError("anomaly:\n  exposure_augment: false\n");
  EXPECT_TRUE(Contains(msg, "exposure_augment")) << msg;
}

TEST(RecipeTest, WrongTypeForIgnore) {
  // `ignore` must be `true`; a list or a mapping there is a wrong type like any other.
  for (const char* yaml : {"regions:\n  - ring: [0, 0.1]\n    ignore: [true]\n",
                           "regions:\n  - ring: [0, 0.1]\n    ignore: {a: 1}\n"}) {
    try {
      ParseRecipe(yaml, "bad.yaml");
      ADD_FAILURE() << "accepted: " << yaml;
    } catch (const Error& e) {
      EXPECT_EQ(e.category(), ErrorCategory::kRecipe);
      EXPECT_TRUE(Contains(e.what(), "bad.yaml")) << e.what();
    } catch (const std::exception& e) {
      ADD_FAILURE() << "a yaml-cpp exception escaped instead of Error{kRecipe}: " << e.what();
    }
  }
}

TEST(RecipeTest, OutOfRangeGivesTheRange) {
  struct Case {
    const char* yaml;
    const char* key;
    const char* lo;
    const char* hi;
  };
  const Case cases[] = {
      {"part:\n  canvas: 32\n", "part.canvas", "64", "1024"},
      {"part:\n  canvas: 4096\n", "part.canvas", "64", "1024"},
      {"part:\n  min_radius: 0.01\n", "part.min_radius", "0.05", "1"},
      {"part:\n  max_radius: 1.5\n", "part.max_radius", "0.05", "1"},
      {"part:\n  block: 2\n", "part.block", "4", "128"},
      {"part:\n  roi: [0, 0, 1.5, 1]\n", "part.roi[2]", "0", "1"},
      {"anomaly:\n  sensitivity: 20\n", "anomaly.sensitivity", "0.1", "10"},
      {"anomaly:\n  sensitivity: -1\n", "anomaly.sensitivity", "0.1", "10"},
      {"anomaly:\n  min_defect_area: -1\n", "anomaly.min_defect_area", "0", "1e+06"},
      {"anomaly:\n  target_false_reject_rate: 0.9\n", "anomaly.target_false_reject_rate", "0.0001",
       "0.5"},
      {"anomaly:\n  holdout_fraction: 0.01\n", "anomaly.holdout_fraction", "0.05", "0.8"},
      {"anomaly:\n  holdout_fraction: .nan\n", "anomaly.holdout_fraction", "0.05", "0.8"},
      {"regions:\n  - ring: [0, 0.5]\n    sensitivity: 11\n", "regions[0].sensitivity", "0", "10"},
      {"regions:\n  - ring: [0, 2]\n    ignore: true\n", "regions[0].ring[1]", "0", "1.2"},
  };
  for (const Case& c : cases) {
    const std::string msg = RecipeError(c.yaml);
    EXPECT_TRUE(Contains(msg, c.key)) << msg;
    EXPECT_TRUE(Contains(msg, std::string("between ") + c.lo + " and " + c.hi)) << msg;
  }
}

TEST(RecipeTest, InconsistentValues) {
  std::string msg = RecipeError("part:\n  min_radius: 0.5\n  max_radius: 0.4\n");
  EXPECT_TRUE(Contains(msg, "max_radius")) << msg;
  msg = RecipeError("part:\n  symmetry: none\n  roi: [0.5, 0, 0.6, 1]\n");
  EXPECT_TRUE(Contains(msg, "part.roi")) << msg;
  msg = RecipeError("regions:\n  - ring: [0.5, 0.2]\n    ignore: true\n");
  EXPECT_TRUE(Contains(msg, "regions[0].ring")) << msg;
  msg = RecipeError("regions:\n  - ignore: true\n");
  EXPECT_TRUE(Contains(msg, "ring")) << msg;
  msg = RecipeError(
      "part:\n  symmetry: none\nregions:\n  - rect: [0, 0, 0.5, 0.5]\n    ring: [0, 1]\n    "
      "ignore: true\n");
  EXPECT_TRUE(Contains(msg, "regions[0]")) << msg;
  msg = RecipeError("regions:\n  - ring: [0, 0.5]\n");
  EXPECT_TRUE(Contains(msg, "ignore")) << msg;
  msg = RecipeError(
      "part:\n  symmetry: none\nregions:\n  - rect: [0, 0, 0, 0.5]\n    ignore: true\n");
  EXPECT_TRUE(Contains(msg, "regions[0].rect")) << msg;
}

TEST(RecipeTest, NewerVersionNamesBothVersions) {
  const std::string msg = RecipeError("version: " + std::to_string(kRecipeVersion + 1) + "\n");
  EXPECT_TRUE(Contains(msg, "newer")) << msg;
  EXPECT_TRUE(Contains(msg, "version " + std::to_string(kRecipeVersion + 1))) << msg;
  EXPECT_TRUE(Contains(msg, "(" + std::to_string(kRecipeVersion) + ")")) << msg;
  EXPECT_NO_THROW(ParseRecipe("version: " + std::to_string(kRecipeVersion) + "\n", "ok.yaml"));
  RecipeError("version: 0\n");
  RecipeError("version: one\n");
}

TEST(RecipeTest, InvalidYamlSyntax) {
  for (const char* yaml :
       {"part: [0, 1\n", "a: b: c\n", "part:\n  canvas: 1\n canvas: 2\n\t- x", "{unclosed: 1\n"}) {
    const std::string msg = RecipeError(yaml);
    EXPECT_TRUE(Contains(msg, "YAML")) << msg;
    EXPECT_TRUE(Contains(msg, "line")) << msg;
  }
}

TEST(RecipeTest, RingNeedsRotationalSymmetry) {
  const std::string msg =
      RecipeError("part:\n  symmetry: none\nregions:\n  - ring: [0, 0.2]\n    ignore: true\n");
  EXPECT_TRUE(Contains(msg, "regions[0].ring")) << msg;
  EXPECT_TRUE(Contains(msg, "rotational")) << msg;
  // And a rings layout needs it too.
  const std::string layout = RecipeError("part:\n  symmetry: none\n  layout: rings\n");
  EXPECT_TRUE(Contains(layout, "part.layout")) << layout;
}

TEST(RecipeTest, RectOnARotationalPartIsRefused) {
  const std::string msg = RecipeError("regions:\n  - rect: [0, 0, 0.5, 0.5]\n    ignore: true\n");
  EXPECT_TRUE(Contains(msg, "regions[0].rect")) << msg;
  EXPECT_TRUE(Contains(msg, "ring")) << msg;
}

TEST(RecipeTest, RegionWithBothIgnoreAndSensitivity) {
  const std::string msg =
      RecipeError("regions:\n  - ring: [0, 0.2]\n    ignore: true\n    sensitivity: 2\n");
  EXPECT_TRUE(Contains(msg, "regions[0]")) << msg;
  EXPECT_TRUE(Contains(msg, "both")) << msg;
}

TEST(RecipeTest, LoadRecipeNamesThePath) {
  testing::TempDir dir;
  testing::WriteFile(dir / "r.yaml", "part:\n  canvas: 8\n");
  Error e = Caught([&] { LoadRecipe(dir / "r.yaml"); });
  EXPECT_EQ(e.category(), ErrorCategory::kRecipe);
  EXPECT_TRUE(Contains(e.what(), (dir / "r.yaml").string())) << e.what();
  e = Caught([&] { LoadRecipe(dir / "missing.yaml"); });
  EXPECT_EQ(e.category(), ErrorCategory::kIo);
  EXPECT_TRUE(Contains(e.what(), "missing.yaml")) << e.what();
  testing::WriteFile(dir / "ok.yaml", kFullExample);
  EXPECT_EQ(RecipeHash(LoadRecipe(dir / "ok.yaml")), RecipeHash(ParseRecipe(kFullExample, "x")));
}

TEST(RecipeTest, KeyGivenTwiceIsRefusedWithBothLines) {
  // yaml-cpp accepts a duplicate key and reads the first value; the second would be ignored.
  std::string msg = RecipeError("version: 1\npart:\n  canvas: 192\n  block: 8\n  canvas: 256\n");
  EXPECT_TRUE(Contains(msg, "part.canvas")) << msg;
  EXPECT_TRUE(Contains(msg, "twice")) << msg;
  EXPECT_TRUE(Contains(msg, "lines 3 and 5")) << msg;
  msg = RecipeError("name: a\nname: b\n");
  EXPECT_TRUE(Contains(msg, "name: key given twice")) << msg;
  msg = RecipeError("regions:\n  - ring: [0, 0.2]\n    ignore: true\n    ring: [0.3, 0.4]\n");
  EXPECT_TRUE(Contains(msg, "regions[0].ring")) << msg;
  msg = RecipeError("anomaly:\n  sensitivity: 1\npart:\n  block: 8\nanomaly:\n  sensitivity: 2\n");
  EXPECT_TRUE(Contains(msg, "anomaly")) << msg;
}

TEST(RecipeTest, FractionalWholeNumberIsRefused) {
  for (const char* yaml :
       {"part:\n  canvas: 192.5\n", "part:\n  block: 12.5\n", "version: 1.5\n"}) {
    const std::string msg = RecipeError(yaml);
    EXPECT_TRUE(Contains(msg, "not a whole number")) << msg;
  }
  EXPECT_EQ(ParseRecipe("part:\n  canvas: 192.0\n  block: 16\n", "x").locate.canvas, 192);
}

TEST(RecipeTest, FolderGivenAsRecipeIsRefused) {
  testing::TempDir dir;
  const Error e = Caught([&] { LoadRecipe(dir.path()); });
  EXPECT_EQ(e.category(), ErrorCategory::kInput);
  EXPECT_TRUE(Contains(e.what(), "is a folder, not a recipe file")) << e.what();
}

TEST(RecipeTest, JsonRoundTripKeepsTheHash) {
  const char* plate =
      "name: plate\npart:\n  symmetry: none\n  layout: blocks\n  roi: [0.1, 0.2, 0.7, 0.6]\n"
      "regions:\n  - rect: [0, 0, 0.25, 0.1]\n    ignore: true\n";
  for (const Recipe& r :
       {DefaultRecipe(), ParseRecipe(kFullExample, "a.yaml"), ParseRecipe(plate, "b.yaml"),
        ParseRecipe("part:\n  symmetry: none\n  layout: texture\n", "c.yaml")}) {
    const nlohmann::json j = nlohmann::json::parse(RecipeToJson(r).dump());
    const Recipe back = RecipeFromJson(j, "model.lsm");
    EXPECT_EQ(RecipeHash(back), RecipeHash(r)) << r.name;
    EXPECT_EQ(back.name, r.name);
    EXPECT_EQ(RecipeToJson(back), RecipeToJson(r));
    EXPECT_EQ(back.locate.method, r.locate.method);
    EXPECT_EQ(back.cells.layout, r.cells.layout);
    EXPECT_EQ(back.cells.canvas, r.cells.canvas);
    EXPECT_DOUBLE_EQ(back.cells.support_radius, r.cells.support_radius);
    ASSERT_EQ(back.regions.size(), r.regions.size());
  }
}

TEST(RecipeTest, QualityGatesAndPixelSize) {
  const Recipe d = DefaultRecipe();
  EXPECT_EQ(d.quality.focus, GateMode::kAuto);
  EXPECT_EQ(d.quality.saturation, GateMode::kAuto);
  EXPECT_EQ(d.quality.exposure, GateMode::kAuto);
  EXPECT_EQ(d.pixel_size_mm, 0);
  const Recipe r = ParseRecipe(
      "part:\n  pixel_size_mm: 0.05\nquality:\n  focus: 0.04\n  saturation: off\n"
      "  exposure: [30, 220]\n",
      "q.yaml");
  EXPECT_DOUBLE_EQ(r.pixel_size_mm, 0.05);
  EXPECT_EQ(r.quality.focus, GateMode::kFixed);
  EXPECT_DOUBLE_EQ(r.quality.min_focus, 0.04);
  EXPECT_EQ(r.quality.saturation, GateMode::kOff);
  EXPECT_EQ(r.quality.exposure, GateMode::kFixed);
  EXPECT_DOUBLE_EQ(r.quality.min_exposure, 30);
  EXPECT_DOUBLE_EQ(r.quality.max_exposure, 220);
  EXPECT_EQ(ParseRecipe("quality:\n  focus: auto\n", "a").quality.focus, GateMode::kAuto);
  const Recipe back = RecipeFromJson(RecipeToJson(r), "m.lsm");
  EXPECT_EQ(RecipeToJson(back), RecipeToJson(r));
  EXPECT_EQ(RecipeHash(back), RecipeHash(r));
  // Each mistake names the key and what it accepts.
  for (const auto& [yaml, words] : std::vector<std::pair<std::string, std::string>>{
           {"quality:\n  focus: of\n", "'auto', 'off'"},
           {"quality:\n  focus: 5\n", "between 0 and 3"},
           {"quality:\n  saturation: 1.5\n", "between 0 and 1"},
           {"quality:\n  exposure: [200, 100]\n", "darkest"},
           {"quality:\n  exposure: 100\n", "list of 2"},
           {"quality:\n  sharpness: 1\n", "focus, saturation"},
           {"part:\n  pixel_size_mm: 0\n", "part.pixel_size_mm"},
           {"part:\n  pixel_size_mm: big\n", "expected a number"}}) {
    const Error e = Caught([&] { ParseRecipe(yaml, "q.yaml"); });
    EXPECT_EQ(e.category(), ErrorCategory::kRecipe) << yaml;
    EXPECT_TRUE(Contains(e.what(), words)) << yaml << ": " << e.what();
  }
}

TEST(RecipeTest, RecipeFromJsonRefusesMalformedJson) {
  const nlohmann::json good = RecipeToJson(ParseRecipe(kFullExample, "a.yaml"));
  std::vector<nlohmann::json> bad;
  for (const char* key : {"name", "symmetry", "layout", "roi", "canvas", "regions"}) {
    nlohmann::json j = good;
    j.erase(key);
    bad.push_back(j);
  }
  nlohmann::json j = good;
  j["layout"] = 9;
  bad.push_back(j);
  j = good;
  j["symmetry"] = 5;
  bad.push_back(j);
  j = good;
  j["roi"] = {0, 0, 1};
  bad.push_back(j);
  j = good;
  j["canvas"] = 8;
  bad.push_back(j);
  j = good;
  j["canvas"] = "big";
  bad.push_back(j);
  j = good;
  j["regions"][0]["ring"] = {0.1};
  bad.push_back(j);
  bad.push_back(nlohmann::json::array());
  bad.push_back(nlohmann::json());
  for (const auto& b : bad) {
    Error e = Caught([&] { RecipeFromJson(b, "model.lsm"); });
    EXPECT_EQ(e.category(), ErrorCategory::kModel) << b.dump();
    EXPECT_TRUE(Contains(e.what(), "model.lsm")) << e.what();
  }
}

TEST(RecipeTest, HashIgnoresTheNameAndTheMinimumArea) {
  const Recipe base = ParseRecipe(kFullExample, "a.yaml");
  const std::string h = RecipeHash(base);
  EXPECT_EQ(h.size(), 16u);
  EXPECT_EQ(h.find_first_not_of("0123456789abcdef"), std::string::npos) << h;
  Recipe renamed = base;
  renamed.name = "something else entirely";
  EXPECT_EQ(RecipeHash(renamed), h);
  EXPECT_EQ(RecipeHash(base), h) << "stable across calls";

  // Every result-affecting key changes it.
  std::vector<std::string> edits = {"part:\n  canvas: 200\n",
                                    "part:\n  roi: [0, 0, 0.9, 1]\n",
                                    "part:\n  min_radius: 0.3\n",
                                    "part:\n  max_radius: 0.45\n",
                                    "part:\n  block: 32\n",
                                    "part:\n  layout: texture\n",
                                    "anomaly:\n  sensitivity: 2\n",
                                    "training:\n  outliers: drop\n",
                                    "part:\n  arc_px: 2\n",
                                    "part:\n  cells: arcs\n",
                                    "part:\n  cells: rings\n",
                                    "training:\n  max_outlier_fraction: 0.1\n",
                                    "anomaly:\n  target_false_reject_rate: 0.05\n",
                                    "anomaly:\n  holdout_fraction: 0.4\n",
                                    "regions:\n  - ring: [0, 0.2]\n    ignore: true\n",
                                    "part:\n  symmetry: none\n",
                                    "part:\n  pixel_size_mm: 0.05\n",
                                    "quality:\n  focus: off\n",
                                    "quality:\n  saturation: 0.2\n",
                                    "quality:\n  exposure: [20, 240]\n"};
  const std::string def = RecipeHash(DefaultRecipe());
  EXPECT_EQ(ParseRecipe("part:\n  arc_px: 2\n", "a").cells.arc_px, 2);
  EXPECT_EQ(ParseRecipe("part:\n  symmetry: none\n  arc_px: 2\n", "a").cells.arc_px, 0)
      << "arcs are for rings only";
  EXPECT_FALSE(ParseRecipe("part:\n  symmetry: none\n", "a").companion_cells);
  EXPECT_THROW(ParseRecipe("part:\n  arc_px: 0.3\n", "a"), Error);
  // The minimum defect area belongs to the model's operating point (`linesight model set`).
  EXPECT_EQ(RecipeHash(ParseRecipe("anomaly:\n  min_defect_area: 7\n", "e.yaml")), def);
  for (const std::string& yaml : edits)
    EXPECT_NE(RecipeHash(ParseRecipe(yaml, "e.yaml")), def) << yaml;
  EXPECT_NE(RecipeHash(ParseRecipe("regions:\n  - ring: [0, 0.2]\n    ignore: true\n", "a")),
            RecipeHash(ParseRecipe("regions:\n  - ring: [0, 0.25]\n    ignore: true\n", "a")));
  EXPECT_NE(RecipeHash(ParseRecipe("regions:\n  - ring: [0, 0.2]\n    sensitivity: 2\n", "a")),
            RecipeHash(ParseRecipe("regions:\n  - ring: [0, 0.2]\n    sensitivity: 3\n", "a")));
  // Region names are for people, like the recipe name... but they are stored; only the
  // recipe's own name is documented as hash-free, so just check that the hash is defined.
  EXPECT_EQ(RecipeHash(ParseRecipe("name: a\n", "x")), RecipeHash(ParseRecipe("name: b\n", "y")));
}

TEST(RecipeTest, WeightMapZeroInIgnoredRing) {
  const Recipe r = ParseRecipe(kFullExample, "a.yaml");  // canvas 192
  const int n = r.locate.canvas;
  std::vector<int32_t> cell_of;
  cv::Mat support;
  BuildCells(r.cells, cell_of, support);
  const cv::Mat w = BuildWeightMap(r, support);
  ASSERT_EQ(w.type(), CV_32F);
  ASSERT_EQ(w.size(), cv::Size(n, n));
  const double c = (n - 1) / 2.0, part_r = r.locate.canvas_radius * n;
  int checked[4] = {0, 0, 0, 0};
  for (int y = 0; y < n; ++y)
    for (int x = 0; x < n; ++x) {
      const double rr = std::hypot(x - c, y - c) / part_r;
      const float v = w.at<float>(y, x);
      if (!support.at<uint8_t>(y, x)) {
        EXPECT_EQ(v, 0) << "not scored: " << x << "," << y;
        ++checked[0];
      } else if (rr < 0.16 - 0.02) {
        EXPECT_EQ(v, 0) << "in the ignored bore: " << x << "," << y;
        ++checked[1];
      } else if (rr > 0.87 && rr < 1.03) {
        EXPECT_FLOAT_EQ(v, 1.5f * 2.5f) << "sealing face: " << x << "," << y;
        ++checked[2];
      } else if (rr > 0.18 && rr < 0.83) {
        EXPECT_FLOAT_EQ(v, 1.5f) << "rest of the part: " << x << "," << y;
        ++checked[3];
      }
    }
  for (int k = 0; k < 4; ++k) EXPECT_GT(checked[k], 100) << k;
}

TEST(RecipeTest, WeightMapIgnoredRingFromZeroCoversTheCentre) {
  const Recipe r = ParseRecipe("regions:\n  - ring: [0, 0.16]\n    ignore: true\n", "a.yaml");
  const int n = r.locate.canvas;
  std::vector<int32_t> cell_of;
  cv::Mat support;
  BuildCells(r.cells, cell_of, support);
  const cv::Mat w = BuildWeightMap(r, support);
  int centre_nonzero = 0;
  for (int y = n / 2 - 1; y <= n / 2; ++y)
    for (int x = n / 2 - 1; x <= n / 2; ++x) centre_nonzero += w.at<float>(y, x) != 0;
  EXPECT_EQ(centre_nonzero, 0) << "the middle of an ignored bore must not be inspected";
}

TEST(RecipeTest, WeightMapRectsAndOverlap) {
  const Recipe r = ParseRecipe(
      "part:\n  symmetry: none\n  canvas: 64\nregions:\n"
      "  - rect: [0, 0, 0.5, 0.5]\n    ignore: true\n"
      "  - rect: [0.25, 0.25, 0.5, 0.5]\n    sensitivity: 3\n",
      "p.yaml");
  std::vector<int32_t> cell_of;
  cv::Mat support;
  BuildCells(r.cells, cell_of, support);
  const cv::Mat w = BuildWeightMap(r, support);
  EXPECT_EQ(w.at<float>(5, 5), 0);    // only in the ignored rect
  EXPECT_EQ(w.at<float>(20, 20), 3);  // in both: the later region wins
  EXPECT_EQ(w.at<float>(40, 40), 3);  // only in the second
  EXPECT_EQ(w.at<float>(60, 60), 1);  // in neither
  EXPECT_EQ(w.at<float>(5, 60), 1);
  EXPECT_EQ(w.at<float>(60, 5), 1);
  // Sensitivity 0 is the same as ignore.
  const Recipe zero = ParseRecipe(
      "part:\n  symmetry: none\n  canvas: 64\nregions:\n  - rect: [0, 0, 1, 1]\n    sensitivity: "
      "0\n",
      "z.yaml");
  EXPECT_EQ(cv::countNonZero(BuildWeightMap(zero, support)), 0);
}

}  // namespace
}  // namespace linesight

namespace linesight {
namespace {

TEST(RecipeTest, TheOutlineCheckIsAutoOnOrOffAndAutoLeavesTheHashAsItWas) {
  EXPECT_EQ(DefaultRecipe().outline, OutlineCheck::kAuto);
  EXPECT_FALSE(RecipeToJson(DefaultRecipe()).contains("outline"))
      << "auto is not written: models trained before the check keep their recipe hash";
  EXPECT_EQ(RecipeHash(ParseRecipe("anomaly:\n  outline: auto\n", "a")),
            RecipeHash(DefaultRecipe()));
  const Recipe on = ParseRecipe("anomaly:\n  outline: on\n", "on");
  const Recipe off = ParseRecipe("anomaly:\n  outline: off\n", "off");
  EXPECT_EQ(on.outline, OutlineCheck::kOn);
  EXPECT_EQ(off.outline, OutlineCheck::kOff);
  EXPECT_NE(RecipeHash(on), RecipeHash(off));
  EXPECT_NE(RecipeHash(off), RecipeHash(DefaultRecipe()));
  for (const Recipe& r : {on, off}) {
    const Recipe back = RecipeFromJson(RecipeToJson(r), "m.lsm");
    EXPECT_EQ(back.outline, r.outline);
    EXPECT_EQ(RecipeHash(back), RecipeHash(r));
  }
  ExpectRecipeError("anomaly:\n  outline: yes please\n",
                    {"anomaly.outline", "'auto', 'on' or 'off'"});
  ExpectRecipeError("part:\n  symmetry: none\nanomaly:\n  outline: on\n",
                    {"anomaly.outline", "round part"});
  nlohmann::json bad = RecipeToJson(on);
  bad["outline"] = 7;
  EXPECT_THROW(RecipeFromJson(bad, "m.lsm"), Error);
}

}  // namespace
}  // namespace linesight
