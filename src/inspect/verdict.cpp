#include "inspect/verdict.h"

namespace linesight {

std::string_view DecisionName(Decision d) {
  switch (d) {
    case Decision::kPass:
      return "pass";
    case Decision::kReject:
      return "reject";
    case Decision::kHold:
      return "hold";
  }
  return "hold";
}

std::string_view HoldReasonName(HoldReason r) {
  switch (r) {
    case HoldReason::kNone:
      return "none";
    case HoldReason::kBadImage:
      return "bad_image";
    case HoldReason::kPartNotFound:
      return "part_not_found";
    case HoldReason::kDeadline:
      return "deadline";
    case HoldReason::kNoModel:
      return "no_model";
    case HoldReason::kInternal:
      return "internal";
    case HoldReason::kPartAtEdge:
      return "part_at_edge";
  }
  return "internal";
}

Verdict HoldVerdict(HoldReason reason, std::string detail) {
  Verdict v;
  v.decision = Decision::kHold;
  v.reason = reason;
  v.detail = std::move(detail);
  return v;
}

nlohmann::json VerdictToJson(const Verdict& v) {
  nlohmann::json findings = nlohmann::json::array();
  for (const auto& f : v.findings)
    findings.push_back({{"type", f.type},
                        {"box", {f.box.x, f.box.y, f.box.width, f.box.height}},
                        {"area_px", f.area_px},
                        {"severity", f.severity}});
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
  return j;
}

}  // namespace linesight
