// inspect/quality_gate.h: holds a frame that is not fit to be judged (blurred, clipped, far too
// dark or bright) instead of giving it a verdict. The accepted ranges are learned from the good
// training images, widened by the lighting drift a line sees as normal; a recipe may set or turn
// off each gate (docs/recipe.md, `quality:`). Pure; Check() allocates only a hold's text.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <opencv2/core.hpp>

#include "inspect/verdict.h"
#include "vision/exposure.h"
#include "vision/image_quality.h"

namespace linesight {

// The lighting drift the gates treat as normal: the range `linesight eval --vary-exposure` tests.
inline constexpr ExposureChange kDarkestDrift{0.6, 1.4};
inline constexpr ExposureChange kBrightestDrift{1.5, 0.7};

// How one gate is set in the recipe. Stored in recipes: never renumber.
enum class GateMode : uint8_t {
  kAuto = 0,   // limits learned from the good training images
  kOff = 1,    // never holds
  kFixed = 2,  // the recipe's own limit(s)
};

// The recipe's `quality:` section.
struct QualitySettings {
  GateMode focus = GateMode::kAuto;
  double min_focus = 0;  // kFixed: a frame whose focus is below this is held
  GateMode saturation = GateMode::kAuto;
  double max_saturated = 1;  // kFixed: share of clipped part pixels above which a frame is held
  GateMode exposure = GateMode::kAuto;
  double min_exposure = 0, max_exposure = 255;  // kFixed: accepted median grey level of the part
};

// What the good training images showed (stored in the model file).
struct QualityObserved {
  int images = 0;  // 0: nothing learned (auto gates then never hold)
  double focus_min = 0, focus_max = 0;
  double exposure_min = 0, exposure_max = 0;  // median grey level of the part
  double saturated_max = 0;                   // as photographed
  double saturated_bright_max = 0;            // with kSaturationLimitDrift applied
};

// The limits a frame is checked against; a gate that is off has the widest possible range.
struct QualityLimits {
  double min_focus = 0;
  double max_saturated = 1;
  double min_exposure = 0, max_exposure = 255;
  bool focus_on = false, saturation_on = false, exposure_on = false;
};

// Margins of the auto gates, beyond the good images under the normal drift.
inline constexpr double kFocusMargin = 0.5;  // held below half the focus of the least sharp good
                                             // image (a clipped or dark frame keeps most of it)
// The saturation limit is the share the brightest good image would clip one stop (x2 gain)
// beyond the brightest normal drift: held only when more of the part is clipped than that.
inline constexpr ExposureChange kSaturationLimitDrift{2 * kBrightestDrift.gain,
                                                      kBrightestDrift.gamma};
inline constexpr double kExposureMargin = 0.6;  // held below 0.6 x the darkest drift's level,
                                                // or above the brightest drift's level / 0.6

// Where on the canvas the measures are taken: the part's disc for round parts, else all of it.
double QualityRadiusFraction(bool round_part, double canvas_radius);

// Measures each good canvas (CV_8UC1) as MeasureQuality(canvas, radius_fraction) does.
QualityObserved ObserveQuality(const std::vector<cv::Mat>& canvases, double radius_fraction);

// The limits for `settings` given what training observed.
QualityLimits ResolveQualityLimits(const QualitySettings& settings,
                                   const QualityObserved& observed);

// If `q` is outside `limits`, turns `out` into a hold (reason kOutOfFocus, kSaturated or
// kExposure; detail names the measured value and the accepted range) and returns true. Checks
// saturation, then exposure, then focus (a clipped or dark frame also loses detail: it is named
// for its cause). Allocates nothing when the frame passes.
bool CheckQuality(const QualityMeasures& q, const QualityLimits& limits, Verdict& out);

nlohmann::json QualityObservedToJson(const QualityObserved& o);
// Throws nlohmann::json::exception if a key is missing or of the wrong type.
QualityObserved QualityObservedFromJson(const nlohmann::json& j);

}  // namespace linesight
