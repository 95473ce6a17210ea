// inspect/inspection_model.h: everything `linesight train` produces and `inspect` needs, as one
// versioned, checksummed file: the recipe it was trained for, the anomaly model, the calibrated
// threshold and a summary of the training.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "inspect/part_match.h"
#include "inspect/recipe.h"
#include "models/cell_stats_model.h"

namespace linesight {

// One image given to training, for tracing a verdict back to the data behind its model.
struct TrainingImage {
  // Stored as text (see StatusName): never rename.
  enum class Status : uint8_t { kUsed, kOutlierKept, kOutlierDropped, kSkipped };
  std::string name;    // the path as given to train (or the caller's name for in-memory images)
  std::string sha256;  // of the file's bytes (of the pixels for in-memory images); "" if unread
  float score = 0;     // out-of-fold decision score (used and outlier images)
  Status status = Status::kUsed;
  std::string reason;  // why it was skipped or dropped
};

std::string_view StatusName(TrainingImage::Status s);  // "used", "outlier_kept", ...

// How the model was trained (shown by `inspect`, `eval` and the dashboard).
struct TrainingSummary {
  int good_images = 0;         // images the statistics were learned from
  int calibration_images = 0;  // good images whose out-of-fold scores set the threshold
  int skipped_images = 0;      // unreadable or part not found
  double seconds = 0;
  std::string created;  // UTC, ISO 8601
  std::string linesight_version;
  std::vector<std::string> warnings;    // outliers, too few images: shown whenever it is used
  std::vector<TrainingImage> manifest;  // every image given, in order: used, then skipped
};

struct InspectionModel {
  Recipe recipe;
  std::string recipe_hash;
  // The operating point: a part is rejected when its decision score (inspect/decision.h, with
  // recipe.min_defect_area_px) exceeds the threshold. Both can be changed after training
  // (`linesight model set`); threshold_source says how the threshold was last set.
  float threshold = 0;
  std::string threshold_source;
  TrainingSummary training;
  CellStatsModel anomaly;
  // A second opinion (recipe.companion_cells: whole rings beside arcs): inspection averages the
  // two models' anomaly maps before the decision rule. anomaly finds the part's turn.
  std::optional<CellStatsModel> companion;
  // Learned from the good parts: their outer radius as a fraction of the search region's short
  // side (round parts; 0 = not learned). Inspection looks for the rim near it.
  double part_radius = 0;
  // Learned from the good parts: the least and greatest scale at which they were seen (canvas
  // pixels per image pixel, PartPose::scale; 0 = not learned, in older models). A part seen far
  // outside it comes from a camera whose resolution, binning or distance changed: inspection
  // holds it (kScaleTolerance in inspector.h) instead of judging a blurred or shrunken copy.
  double scale_min = 0, scale_max = 0;
  // Round parts: the rim radius, image px, of the smallest and largest part training saw.
  std::pair<double, double> TrainingRimRadiusPx() const {
    const double rim = recipe.locate.canvas_radius * recipe.locate.canvas;
    return {rim / scale_max, rim / scale_min};
  }
  // Parts without symmetry: thumbnails of the good parts, so that a part unlike all of them (a
  // turned or wrong part, an empty fixture) is held, not scored (not learned for round parts,
  // whose rim, turn and anomaly model already tell another part apart).
  PartMatch match{};
  // Learned from the good parts: the focus, clipping and exposure they showed, from which the
  // recipe's `auto` quality gates take their limits.
  QualityObserved quality = {};
  // Round parts: the outline check (vision/outline.h). A part's largest bulge (in spreads of its
  // own outline) times outline_scale joins its decision score, so one threshold rules both and
  // `linesight model set` moves both alike; at the calibrated threshold a bulge over
  // outline_threshold rejects (outline_scale = that threshold / outline_threshold, fixed at
  // training). 0 = off: the recipe turned it off, the good parts' rims did not stand out from
  // the table all round, or an older model.
  float outline_threshold = 0;
  float outline_scale = 0;
  float outline_good_max = 0;           // the largest bulge the good parts showed, spreads
  std::string outline_off_reason = {};  // why `auto` left it off a round part (OutlineLearned)

  // The locator settings inspection uses: the recipe's, narrowed by what training learned.
  LocateOptions Locate() const {
    LocateOptions o = recipe.locate;
    o.expected_radius = part_radius;
    return o;
  }

  // Short identity for verdicts and logs: "<recipe hash>@<created>/<operating point>", where the
  // last part is 8 hex digits of the threshold and minimum area, so a verdict names the
  // operating point that made it.
  std::string Id() const;
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
