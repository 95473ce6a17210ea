#include "inspect/verdict.h"

namespace linesight {

Verdict HoldVerdict(HoldReason reason, std::string detail) {
  Verdict v;
  v.decision = Decision::kHold;
  v.reason = reason;
  v.detail = std::move(detail);
  return v;
}

nlohmann::json VerdictToJson(const Verdict& v) {
  const double mm = v.pixel_size_mm;
  nlohmann::json findings = nlohmann::json::array();
  for (const auto& f : v.findings) {
    nlohmann::json jf = {{"type", f.type},
                         {"box", {f.box.x, f.box.y, f.box.width, f.box.height}},
                         {"area_px", f.area_px},
                         {"severity", f.severity}};
    if (mm > 0) {
      jf["box_mm"] = {f.box.x * mm, f.box.y * mm, f.box.width * mm, f.box.height * mm};
      jf["area_mm2"] = f.area_px * mm * mm;
    }
    if (f.placed) jf["place"] = {{"x", f.place_x}, {"y", f.place_y}, {"size", f.place_size}};
    findings.push_back(std::move(jf));
  }
  nlohmann::json j = {{"decision", DecisionName(v.decision)},
                      {"score", v.score},
                      {"threshold", v.threshold},
                      {"findings", findings},
                      {"align_ms", v.times.align_ms},
                      {"score_ms", v.times.score_ms},
                      {"model", v.model_id}};
  if (v.decision == Decision::kHold) {
    j["reason"] = HoldReasonName(v.reason);
    j["detail"] = v.detail;
  }
  if (v.quality_measured)
    j["quality"] = {{"focus", v.quality.focus},
                    {"saturated", v.quality.saturated},
                    {"exposure", v.quality.exposure}};
  if (v.geometry.measured) {
    const PartGeometry& g = v.geometry;
    nlohmann::json jg = {{"centre_px", {g.centre.x, g.centre.y}},
                         {"diameter_px", g.diameter},
                         {"major_px", g.major},
                         {"minor_px", g.minor},
                         {"ovality", g.ovality},
                         {"angle_deg", g.angle_deg}};
    if (mm > 0) {
      jg["centre_mm"] = {g.centre.x * mm, g.centre.y * mm};
      jg["diameter_mm"] = g.diameter * mm;
      jg["major_mm"] = g.major * mm;
      jg["minor_mm"] = g.minor * mm;
    }
    j["part"] = std::move(jg);
  }
  if (mm > 0) j["pixel_size_mm"] = mm;
  return j;
}

}  // namespace linesight
