// inspect/inspection_model.h: everything `linesight train` produces and `inspect` needs, as one
// versioned, checksummed file: the recipe it was trained for, the anomaly model, the calibrated
// threshold and a summary of the training.
#pragma once

#include <filesystem>
#include <string>

#include "inspect/recipe.h"
#include "models/cell_stats_model.h"

namespace linesight {

// How the model was trained (shown by `inspect`, `eval` and the dashboard).
struct TrainingSummary {
  int good_images = 0;         // images the statistics were learned from
  int calibration_images = 0;  // good images whose out-of-fold scores set the threshold
  int skipped_images = 0;      // unreadable or part not found
  double seconds = 0;
  std::string created;  // UTC, ISO 8601
  std::string linesight_version;
};

struct InspectionModel {
  Recipe recipe;
  std::string recipe_hash;
  float threshold = 0;  // a part whose score exceeds it is rejected
  TrainingSummary training;
  CellStatsModel anomaly;
  // Learned from the good parts: their outer radius as a fraction of the search region's short
  // side (round parts; 0 = not learned). Inspection looks for the rim near it.
  double part_radius = 0;
  // Learned from the good parts: the focus, clipping and exposure they showed, from which the
  // recipe's `auto` quality gates take their limits.
  QualityObserved quality = {};

  // The locator settings inspection uses: the recipe's, narrowed by what training learned.
  LocateOptions Locate() const {
    LocateOptions o = recipe.locate;
    o.expected_radius = part_radius;
    return o;
  }

  // Short identity for verdicts and logs: "<recipe hash>@<created>".
  std::string Id() const { return recipe_hash + "@" + training.created; }
};

// Writes `model` to `path` (atomic). Throws Error{kIo}.
void SaveInspectionModel(const InspectionModel& model, const std::filesystem::path& path);

// Loads and verifies a model file. Throws Error{kModel} naming the file for a missing, truncated,
// foreign, corrupt or incompatible file.
InspectionModel LoadInspectionModel(const std::filesystem::path& path);

// Throws Error{kModel} if `model` was trained for a different recipe than `recipe`.
void CheckRecipeMatches(const InspectionModel& model, const Recipe& recipe,
                        const std::string& recipe_name);

}  // namespace linesight
