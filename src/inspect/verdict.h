// inspect/verdict.h: what inspecting one part decides: pass, reject or hold (could not inspect,
// which the line treats as reject), with the score, the defect regions found and timings.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>
#include <opencv2/core.hpp>

#include "core/outcome.h"
#include "vision/image_quality.h"
#include "vision/part_geometry.h"

namespace linesight {

// Time spent per stage, milliseconds.
struct StageTimes {
  double align_ms = 0;
  double score_ms = 0;
};

struct Verdict {
  Decision decision = Decision::kHold;    // the default is the safe answer
  HoldReason reason = HoldReason::kNone;  // set iff decision == kHold
  std::string detail;                     // human-readable reason for a hold
  float score = 0;                        // peak anomaly; compare with threshold
  float threshold = 0;
  std::vector<Finding> findings;  // sorted by severity, highest first
  StageTimes times;
  std::string model_id;  // recipe hash + training time of the model used
  // Set once the part is found (also on quality holds, which they explain).
  PartGeometry geometry;  // measured = false unless a round part was found
  bool quality_measured = false;
  QualityMeasures quality;   // focus, clipped share and exposure of the part
  double pixel_size_mm = 0;  // the recipe's scale: mm per image pixel, 0 = not known
};

// A verdict that holds the part for `reason`.
Verdict HoldVerdict(HoldReason reason, std::string detail);

// JSON for one verdict: decision, reason, detail, score, threshold, findings, times, model, and
// once the part was found its quality measures and (round parts) geometry; with a pixel size, the
// findings' boxes and areas and the geometry in mm too (docs/guide.md, "JSON output").
nlohmann::json VerdictToJson(const Verdict& v);

}  // namespace linesight
