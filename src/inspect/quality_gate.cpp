#include "inspect/quality_gate.h"

#include <algorithm>
#include <cstdio>

namespace linesight {

double QualityRadiusFraction(bool round_part, double canvas_radius) {
  return round_part ? canvas_radius : 0.0;
}

QualityObserved ObserveQuality(const std::vector<cv::Mat>& canvases, double radius_fraction) {
  QualityObserved o;
  GreyHistogram hist;
  for (const cv::Mat& canvas : canvases) {
    const QualityMeasures q = MeasureQuality(canvas, radius_fraction, &hist);
    const double bright = SaturatedShareAfter(hist, kSaturationLimitDrift);
    if (o.images++ == 0) {
      o.focus_min = o.focus_max = q.focus;
      o.exposure_min = o.exposure_max = q.exposure;
      o.saturated_max = q.saturated;
      o.saturated_bright_max = bright;
      continue;
    }
    o.focus_min = std::min(o.focus_min, q.focus);
    o.focus_max = std::max(o.focus_max, q.focus);
    o.exposure_min = std::min(o.exposure_min, q.exposure);
    o.exposure_max = std::max(o.exposure_max, q.exposure);
    o.saturated_max = std::max(o.saturated_max, q.saturated);
    o.saturated_bright_max = std::max(o.saturated_bright_max, bright);
  }
  return o;
}

QualityLimits ResolveQualityLimits(const QualitySettings& s, const QualityObserved& o) {
  QualityLimits l;
  const bool learned = o.images > 0;
  if (s.focus == GateMode::kFixed) {
    l.focus_on = true;
    l.min_focus = s.min_focus;
  } else if (s.focus == GateMode::kAuto && learned) {
    l.focus_on = true;
    l.min_focus = kFocusMargin * o.focus_min;
  }
  if (s.saturation == GateMode::kFixed) {
    l.saturation_on = true;
    l.max_saturated = s.max_saturated;
  } else if (s.saturation == GateMode::kAuto && learned) {
    l.max_saturated = std::min(1.0, std::max(o.saturated_bright_max, o.saturated_max));
    l.saturation_on = l.max_saturated < 1.0;
  }
  if (s.exposure == GateMode::kFixed) {
    l.exposure_on = true;
    l.min_exposure = s.min_exposure;
    l.max_exposure = s.max_exposure;
  } else if (s.exposure == GateMode::kAuto && learned) {
    l.min_exposure = kExposureMargin * LevelAfter(o.exposure_min, kDarkestDrift);
    l.max_exposure = std::min(255.0, LevelAfter(o.exposure_max, kBrightestDrift) / kExposureMargin);
    l.exposure_on = l.min_exposure > 0 || l.max_exposure < 255;
  }
  return l;
}

namespace {

// Sets `out` to a hold for `reason` with a printf-formatted detail (fits the stack buffer).
template <typename... Args>
bool Hold(Verdict& out, HoldReason reason, const char* format, Args... args) {
  char buf[256];
  std::snprintf(buf, sizeof buf, format, args...);
  out.decision = Decision::kHold;
  out.reason = reason;
  out.detail.assign(buf);
  out.findings.clear();
  return true;
}

}  // namespace

bool CheckQuality(const QualityMeasures& q, const QualityLimits& l, Verdict& out) {
  if (l.saturation_on && q.saturated > l.max_saturated)
    return Hold(out, HoldReason::kSaturated,
                "frame saturated: %.1f%% of the part's pixels are clipped (grey %d or more), "
                "accepted up to %.1f%% (lower the exposure or the light)",
                100 * q.saturated, kSaturatedLevel, 100 * l.max_saturated);
  if (l.exposure_on && (q.exposure < l.min_exposure || q.exposure > l.max_exposure))
    return Hold(out, HoldReason::kExposure,
                "exposure out of range: the part's median grey level is %.0f, accepted %.0f to "
                "%.0f (the part is far too %s: check the light and the camera's exposure)",
                q.exposure, l.min_exposure, l.max_exposure,
                q.exposure < l.min_exposure ? "dark" : "bright");
  if (l.focus_on && q.focus < l.min_focus)
    return Hold(out, HoldReason::kOutOfFocus,
                "frame out of focus: focus %.3f, accepted %.3f or more (the part's finest "
                "detail is blurred; check the lens focus and that the part is at its place)",
                q.focus, l.min_focus);
  return false;
}

nlohmann::json QualityObservedToJson(const QualityObserved& o) {
  return {{"images", o.images},
          {"focus", {o.focus_min, o.focus_max}},
          {"exposure", {o.exposure_min, o.exposure_max}},
          {"saturated_max", o.saturated_max},
          {"saturated_bright_max", o.saturated_bright_max}};
}

QualityObserved QualityObservedFromJson(const nlohmann::json& j) {
  QualityObserved o;
  o.images = j.at("images").get<int>();
  o.focus_min = j.at("focus").at(0).get<double>();
  o.focus_max = j.at("focus").at(1).get<double>();
  o.exposure_min = j.at("exposure").at(0).get<double>();
  o.exposure_max = j.at("exposure").at(1).get<double>();
  o.saturated_max = j.at("saturated_max").get<double>();
  o.saturated_bright_max = j.at("saturated_bright_max").get<double>();
  return o;
}

}  // namespace linesight
