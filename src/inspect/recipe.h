// inspect/recipe.h: how a station inspects one part type, parsed from a versioned YAML file:
// where the part is, its symmetry, regions to ignore or weigh, and the reject policy.
// See docs/recipe.md for every key.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <opencv2/core.hpp>

#include "inspect/quality_gate.h"
#include "models/cell_stats_model.h"
#include "vision/part_locator.h"

namespace linesight {

// Version of the recipe schema this build writes and reads.
inline constexpr int kRecipeVersion = 1;

// The part's symmetry. Stored: never renumber.
enum class Symmetry : uint8_t {
  kNone = 0,        // fixed pose or free texture: compare each place with the same place
  kRotational = 1,  // wheels, discs, impellers: compare each ring with itself
};

// What training does with good images that score like defective parts. Stored: never renumber.
enum class OutlierPolicy : uint8_t {
  kWarn = 0,    // name them; warn when they are more than max_outlier_fraction
  kRefuse = 1,  // name them; refuse to train when they are more than max_outlier_fraction
  kDrop = 2,    // name them and train without them
};

// Round parts: the outline check (vision/outline.h), which rejects a part whose outline bulges
// beyond its rim (flash). Stored as numbers: never renumber.
enum class OutlineCheck : uint8_t {
  kAuto = 0,  // on when the good parts' rims stand out from the table all round (training decides)
  kOn = 1,    // on; training refuses if the rim cannot be measured on the good parts
  kOff = 2,
};

// Which cells score a round part (`part.cells`). Stored: never renumber.
enum class RoundCells : uint8_t {
  kRings = 0,         // whole rings: every place of a ring against the ring's statistics
  kArcs = 1,          // arcs of arc_px along each ring, turned with the part
  kArcsAndRings = 2,  // both, their anomaly maps averaged (docs/algorithm.md, "Two opinions")
};

// A region of the canvas with its own sensitivity (0 = ignored).
struct RecipeRegion {
  std::string name;
  double sensitivity = 0;  // multiplies the anomaly there; 0 ignores the region
  // Exactly one shape: a ring (fractions of the part's radius) or a rect (fractions of canvas).
  bool is_ring = false;
  double r0 = 0, r1 = 0;
  cv::Rect2d rect;
};

struct Recipe {
  std::string name = "default";
  Symmetry symmetry = Symmetry::kRotational;
  CellLayout layout = CellLayout::kRings;  // derived from symmetry unless set
  LocateOptions locate;
  CellStatsOptions cells;  // the (first) anomaly model's options, derived
  // The second model's, when round_cells is kArcsAndRings (whole rings beside the arcs).
  std::optional<CellStatsOptions> companion_cells;
  // Round parts: arcs find thin cracks and cold shuts against the part's own structure, whole
  // rings judge porosity and rim defects from more samples per cell; together they separate real
  // castings better than either (docs/algorithm.md, "Two opinions").
  RoundCells round_cells = RoundCells::kArcsAndRings;
  double arc_px = 1;              // arc length along each ring, pixels (round_cells with arcs)
  double sensitivity = 1.0;       // global: multiplies the anomaly map
  double min_defect_area_px = 6;  // findings smaller than this (image pixels) are ignored
  double target_false_reject_rate = 0.01;
  // Share of the good images in each calibration fold (1 / this folds). 10 folds: each fold model
  // learns from 90% of the images, near the final model; arcs, one sample per cell and part, score
  // new parts far higher when they learn from fewer (3 folds set a threshold 60% too high).
  double holdout_fraction = 0.1;
  OutlineCheck outline = OutlineCheck::kAuto;  // `anomaly.outline`: auto, on or off
  OutlierPolicy outlier_policy = OutlierPolicy::kWarn;
  double max_outlier_fraction = 0.01;
  std::vector<RecipeRegion> regions;
  QualitySettings quality;   // image quality gates (`quality:`)
  double pixel_size_mm = 0;  // mm per image pixel at the part (`part.pixel_size_mm`); 0 = unknown
};

// What scores the part, for people: "arcs+rings (1 px arcs)", "rings", "blocks of 4 px", ...
std::string DescribeCells(const Recipe& recipe);

// The recipe used when none is given: a round part, defaults everywhere.
Recipe DefaultRecipe();

// Parses YAML text. Throws Error{kRecipe} naming `name`, the key and the allowed range for an
// unknown key, a wrong type, an out-of-range value or a newer recipe version.
Recipe ParseRecipe(const std::string& yaml_text, const std::string& name);

// Reads and parses a recipe file. Throws Error{kIo} if unreadable, else as ParseRecipe.
Recipe LoadRecipe(const std::filesystem::path& path);

// Canonical JSON of everything in the recipe (stored in models).
nlohmann::json RecipeToJson(const Recipe& recipe);
// Inverse of RecipeToJson. Throws Error{kModel} naming `name` if malformed.
Recipe RecipeFromJson(const nlohmann::json& j, const std::string& name);

// Stable hash of what a model learns from `recipe`, as 16 hex digits. The name and the minimum
// defect area (part of the model's operating point, changeable without retraining) are left out.
std::string RecipeHash(const Recipe& recipe);

// Per-canvas-pixel weight (CV_32F): sensitivity x region sensitivity, 0 where ignored or not
// scored. `support` is the model's scored-pixel mask.
cv::Mat BuildWeightMap(const Recipe& recipe, const cv::Mat& support);

}  // namespace linesight
