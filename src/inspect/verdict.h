// inspect/verdict.h: what inspecting one part decides: pass, reject or hold (could not inspect,
// which the line treats as reject), with the score, the defect regions found and timings.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>
#include <opencv2/core.hpp>

#include "vision/image_quality.h"
#include "vision/part_geometry.h"

namespace linesight {

// Stored and sent to PLCs: never renumber.
enum class Decision : uint8_t { kPass = 0, kReject = 1, kHold = 2 };

// Why a part was held. Stored: never renumber.
enum class HoldReason : uint8_t {
  kNone = 0,
  kBadImage = 1,      // the frame is unusable (wrong size, empty, undecodable)
  kPartNotFound = 2,  // alignment could not find the part
  kDeadline = 3,      // the result would be too late for the line
  kNoModel = 4,       // no usable model loaded
  kInternal = 5,      // an unexpected error inside inspection
  kOutOfFocus = 6,    // the frame is blurred beyond what the good parts showed
  kSaturated = 7,     // too much of the part is clipped white
  kExposure = 8,      // the part is far too dark or too bright
  kPartAtEdge = 9,    // the frame cuts the part, or the defect seen is where the frame cuts it
};

std::string_view DecisionName(Decision d);      // "pass", "reject", "hold"
std::string_view HoldReasonName(HoldReason r);  // "none", "bad_image", "part_not_found", ...,
                                                // "out_of_focus", "saturated", "exposure"

// One defect region, in image pixels.
struct Finding {
  cv::Rect box;
  double area_px = 0;  // pixels above the threshold
  float peak = 0;      // highest anomaly in the region
  float severity = 0;  // peak / threshold: > 1 means it alone rejects the part
  std::string type = "anomaly";
};

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
