// core/outcome.h: the codes of an inspection's outcome (pass, reject, hold and why) and one
// defect region: what the line, the station's outbox, the store and the dashboard all share.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <opencv2/core.hpp>

namespace linesight {

// Stored and sent to PLCs: never renumber.
enum class Decision : uint8_t { kPass = 0, kReject = 1, kHold = 2 };

// Why a part was held. Stored and sent to PLCs: never renumber.
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
  kCamera = 10,       // no frame came from the camera (lost, timed out, wrong format)
  kOutbox = 11,       // the result could not be stored durably (disk full, store broken)
};

std::string_view DecisionName(Decision d);      // "pass", "reject", "hold"
std::string_view HoldReasonName(HoldReason r);  // "none", "bad_image", "part_not_found", ...,
                                                // "camera", "outbox"
// Inverses of the names above; nullopt for an unknown name.
std::optional<Decision> ParseDecision(std::string_view name);
std::optional<HoldReason> ParseHoldReason(std::string_view name);

// One defect region, in image pixels.
struct Finding {
  cv::Rect box;
  double area_px = 0;  // pixels above the threshold
  float peak = 0;      // highest anomaly in the region
  float severity = 0;  // peak / threshold: > 1 means it alone rejects the part
  std::string type = "anomaly";
  // Round parts: where it lies in the part's own frame, so that one place of a die reads the same
  // on every part it makes: its box's centre (x right, y down, the part's centre at 0) and longest
  // side, in rim radii, turned back by the part's turn when the model finds it and folded into
  // one repeat of a part that repeats itself around the turn (PartFramePlace, finding_type.h).
  bool placed = false;
  double place_x = 0, place_y = 0, place_size = 0;
};

}  // namespace linesight
