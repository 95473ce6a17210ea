#include "core/part_record.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>

#include "core/error.h"

namespace linesight {
namespace {

using nlohmann::json;

constexpr std::array<ProcessVariable, 7> kVariables = {{
    {"melt_temp_c", "degC", &ProcessValues::melt_temp_c},
    {"die_temp_c", "degC", &ProcessValues::die_temp_c},
    {"fast_shot_mps", "m/s", &ProcessValues::fast_shot_mps},
    {"intensification_bar", "bar", &ProcessValues::intensification_bar},
    {"spray_s", "s", &ProcessValues::spray_s},
    {"vacuum_mbar", "mbar", &ProcessValues::vacuum_mbar},
    {"cycle_s", "s", &ProcessValues::cycle_s},
}};

constexpr std::array<std::string_view, 3> kStateNames = {"running", "stopped", "die_change"};

[[noreturn]] void Bad(std::string_view what, std::string_view field, std::string_view expected) {
  throw Error(ErrorCategory::kInput,
              std::string(what) + ": field '" + std::string(field) + "' is missing or not " +
                  std::string(expected),
              "send records as docs/records.md describes them");
}

const json& Field(const json& j, std::string_view what, const char* key) {
  if (!j.is_object() || !j.contains(key)) Bad(what, key, "present");
  return j.at(key);
}

std::string Str(const json& j, std::string_view what, const char* key) {
  const json& v = Field(j, what, key);
  if (!v.is_string()) Bad(what, key, "a string");
  return v.get<std::string>();
}

int64_t Int(const json& j, std::string_view what, const char* key) {
  const json& v = Field(j, what, key);
  if (!v.is_number_integer()) Bad(what, key, "an integer");
  return v.get<int64_t>();
}

double Num(const json& j, std::string_view what, const char* key) {
  const json& v = Field(j, what, key);
  if (!v.is_number() || !std::isfinite(v.get<double>())) Bad(what, key, "a finite number");
  return v.get<double>();
}

// Optional keys default to `fallback` when absent.
std::string OptStr(const json& j, std::string_view what, const char* key, std::string fallback) {
  return j.contains(key) ? Str(j, what, key) : fallback;
}

double OptNum(const json& j, std::string_view what, const char* key, double fallback) {
  return j.contains(key) ? Num(j, what, key) : fallback;
}

json NumOrNull(double v) { return std::isfinite(v) ? json(v) : json(nullptr); }

Decision DecisionField(const json& j, std::string_view what) {
  const auto d = ParseDecision(Str(j, what, "decision"));
  if (!d) Bad(what, "decision", "one of pass, reject, hold");
  return *d;
}

HoldReason ReasonField(const json& j, std::string_view what) {
  if (!j.contains("reason")) return HoldReason::kNone;
  const auto r = ParseHoldReason(Str(j, what, "reason"));
  if (!r) Bad(what, "reason", "a hold reason of docs/records.md");
  return *r;
}

Finding FindingFromJson(const json& j) {
  constexpr std::string_view what = "finding";
  Finding f;
  f.type = Str(j, what, "type");
  const json& box = Field(j, what, "box");
  if (!box.is_array() || box.size() != 4) Bad(what, "box", "an array [x, y, width, height]");
  for (const auto& b : box)
    if (!b.is_number_integer()) Bad(what, "box", "an array of 4 integers");
  f.box = cv::Rect(box[0].get<int>(), box[1].get<int>(), box[2].get<int>(), box[3].get<int>());
  f.area_px = Num(j, what, "area_px");
  f.peak = static_cast<float>(OptNum(j, what, "peak", 0));
  f.severity = static_cast<float>(Num(j, what, "severity"));
  if (j.contains("place")) {
    const json& at = j["place"];
    if (!at.is_object()) Bad(what, "place", "an object {x, y, size}");
    f.place_x = Num(at, "finding place", "x");
    f.place_y = Num(at, "finding place", "y");
    f.place_size = Num(at, "finding place", "size");
    f.placed = true;
  }
  return f;
}

ViewResult ViewFromJson(const json& j) {
  constexpr std::string_view what = "view";
  ViewResult v;
  v.view = Str(j, what, "view");
  v.decision = DecisionField(j, what);
  v.reason = ReasonField(j, what);
  v.detail = OptStr(j, what, "detail", "");
  v.score = static_cast<float>(Num(j, what, "score"));
  v.threshold = static_cast<float>(Num(j, what, "threshold"));
  const json& fs = Field(j, what, "findings");
  if (!fs.is_array()) Bad(what, "findings", "an array");
  for (const auto& f : fs) v.findings.push_back(FindingFromJson(f));
  v.model_id = Str(j, what, "model_id");
  v.inspect_ms = OptNum(j, what, "inspect_ms", 0);
  v.image = OptStr(j, what, "image", "");
  v.heatmap = OptStr(j, what, "heatmap", "");
  if (j.contains("die_mark") && !j["die_mark"].is_null()) {
    const json& m = j["die_mark"];
    if (!m.is_object()) Bad(what, "die_mark", "an object {x, y, size, sigma}");
    constexpr std::string_view mark = "die mark";
    v.die_mark = DieMarkSeen{Num(m, mark, "x"), Num(m, mark, "y"), Num(m, mark, "size"),
                             Num(m, mark, "sigma")};
  }
  if (j.contains("recurring_mark") && !j["recurring_mark"].is_null()) {
    const json& m = j["recurring_mark"];
    if (!m.is_object()) Bad(what, "recurring_mark", "an object {x, y, size, parts, window}");
    constexpr std::string_view mark = "recurring mark";
    const auto count = [&](const char* key) {
      const int64_t n = Int(m, mark, key);
      if (n < 1 || n > 100000) Bad(mark, key, "a whole number from 1 to 100000");
      return static_cast<int>(n);
    };
    v.recurring_mark = RecurringMarkSeen{Num(m, mark, "x"), Num(m, mark, "y"), Num(m, mark, "size"),
                                         count("parts"), count("window")};
  }
  return v;
}

}  // namespace

std::span<const ProcessVariable> ProcessVariables() { return kVariables; }

std::string PartId(std::string_view machine, int64_t shot) {
  char digits[32];
  std::snprintf(digits, sizeof digits, "%09lld", static_cast<long long>(shot));
  return std::string(machine) + "-" + digits;
}

bool RejectedForRecurringMark(const PartRecord& part) {
  if (part.decision != Decision::kReject) return false;
  for (const ViewResult& v : part.views)
    if (v.decision == Decision::kReject && !(v.recurring_mark && v.score <= v.threshold))
      return false;
  return true;
}

void CombineViews(PartRecord& part) {
  part.decision = part.views.empty() ? Decision::kHold : Decision::kPass;
  part.reason = part.views.empty() ? HoldReason::kInternal : HoldReason::kNone;
  for (const auto& v : part.views) {
    if (v.decision == Decision::kHold && part.decision != Decision::kHold) {
      part.decision = Decision::kHold;
      part.reason = v.reason;
    } else if (v.decision == Decision::kReject && part.decision == Decision::kPass) {
      part.decision = Decision::kReject;
    }
  }
}

std::string_view MachineStateName(MachineState s) {
  const auto i = static_cast<size_t>(s);
  return i < kStateNames.size() ? kStateNames[i] : "stopped";
}

json ToJson(const ProcessValues& p) {
  json j = json::object();
  for (const auto& v : kVariables) j[std::string(v.name)] = NumOrNull(p.*v.field);
  return j;
}

json ToJson(const Shot& s) {
  return {{"machine", s.machine},   {"die", s.die},         {"shot", s.shot},
          {"die_shot", s.die_shot}, {"time_ms", s.time_ms}, {"process", ToJson(s.process)}};
}

json ToJson(const Finding& f) {
  json j = {{"type", f.type},
            {"box", {f.box.x, f.box.y, f.box.width, f.box.height}},
            {"area_px", f.area_px},
            {"peak", f.peak},
            {"severity", f.severity}};
  if (f.placed) j["place"] = {{"x", f.place_x}, {"y", f.place_y}, {"size", f.place_size}};
  return j;
}

json ToJson(const ViewResult& v) {
  json findings = json::array();
  for (const auto& f : v.findings) findings.push_back(ToJson(f));
  json j = {{"view", v.view},
            {"decision", DecisionName(v.decision)},
            {"score", v.score},
            {"threshold", v.threshold},
            {"findings", findings},
            {"model_id", v.model_id},
            {"inspect_ms", v.inspect_ms},
            {"image", v.image}};
  if (!v.heatmap.empty()) j["heatmap"] = v.heatmap;
  if (v.decision == Decision::kHold) {
    j["reason"] = HoldReasonName(v.reason);
    j["detail"] = v.detail;
  }
  if (v.die_mark)
    j["die_mark"] = {{"x", v.die_mark->x},
                     {"y", v.die_mark->y},
                     {"size", v.die_mark->size},
                     {"sigma", v.die_mark->sigma}};
  if (v.recurring_mark)
    j["recurring_mark"] = {{"x", v.recurring_mark->x},
                           {"y", v.recurring_mark->y},
                           {"size", v.recurring_mark->size},
                           {"parts", v.recurring_mark->parts},
                           {"window", v.recurring_mark->window}};
  return j;
}

json ToJson(const PartRecord& r) {
  json views = json::array();
  for (const auto& v : r.views) views.push_back(ToJson(v));
  json j = {{"part_id", r.part_id},
            {"station", r.station},
            {"shot", ToJson(r.shot)},
            {"decision", DecisionName(r.decision)},
            {"views", views},
            {"trigger_time_ms", r.trigger_time_ms},
            {"latency_ms", r.latency_ms}};
  if (r.decision == Decision::kHold) j["reason"] = HoldReasonName(r.reason);
  if (std::isfinite(r.risk)) j["risk"] = r.risk;
  if (!r.risk_model.empty()) j["risk_model"] = r.risk_model;
  return j;
}

json ToJson(const MachineEvent& e) {
  return {{"machine", e.machine}, {"time_ms", e.time_ms}, {"state", MachineStateName(e.state)},
          {"planned", e.planned}, {"reason", e.reason},   {"die", e.die},
          {"detail", e.detail}};
}

ProcessValues ProcessValuesFromJson(const json& j) {
  if (!j.is_object()) Bad("process values", "process", "an object");
  ProcessValues p;
  for (const auto& v : kVariables) {
    const std::string key(v.name);
    if (!j.contains(key) || j.at(key).is_null()) continue;
    p.*v.field = Num(j, "process values", key.c_str());
  }
  return p;
}

Shot ShotFromJson(const json& j) {
  constexpr std::string_view what = "shot";
  Shot s;
  s.machine = Str(j, what, "machine");
  s.die = Str(j, what, "die");
  s.shot = Int(j, what, "shot");
  s.die_shot = Int(j, what, "die_shot");
  s.time_ms = Int(j, what, "time_ms");
  if (s.machine.empty()) Bad(what, "machine", "a non-empty string");
  if (s.shot <= 0) Bad(what, "shot", "a positive integer");
  if (j.contains("process")) s.process = ProcessValuesFromJson(j.at("process"));
  return s;
}

PartRecord PartRecordFromJson(const json& j) {
  constexpr std::string_view what = "part";
  PartRecord r;
  r.part_id = Str(j, what, "part_id");
  if (r.part_id.empty()) Bad(what, "part_id", "a non-empty string");
  r.station = Str(j, what, "station");
  r.shot = ShotFromJson(Field(j, what, "shot"));
  r.decision = DecisionField(j, what);
  r.reason = ReasonField(j, what);
  const json& views = Field(j, what, "views");
  if (!views.is_array()) Bad(what, "views", "an array");
  for (const auto& v : views) r.views.push_back(ViewFromJson(v));
  r.trigger_time_ms = Int(j, what, "trigger_time_ms");
  r.latency_ms = Num(j, what, "latency_ms");
  if (j.contains("risk") && !j["risk"].is_null()) {
    r.risk = Num(j, what, "risk");
    if (!(r.risk >= 0 && r.risk <= 1)) Bad(what, "risk", "a probability from 0 to 1, or null");
  }
  r.risk_model = OptStr(j, what, "risk_model", "");
  return r;
}

void CheckIncomingPart(const PartRecord& r) {
  constexpr std::string_view what = "part";
  // It names the part in URLs (/api/v1/parts/{id}), file names and logs: plain printable ASCII
  // without a slash, backslash or space, and short.
  const bool plain = !r.part_id.empty() && r.part_id.size() <= 128 &&
                     std::all_of(r.part_id.begin(), r.part_id.end(), [](char c) {
                       return c > ' ' && c < 127 && c != '/' && c != '\\';
                     });
  if (!plain)
    Bad(what, "part_id",
        "1 to 128 printable ASCII characters without space, '/' or '\\' (e.g. M3-000001234)");
  // A part passes only if each of its views was inspected and passed (docs/records.md).
  if (r.decision == Decision::kPass &&
      (r.views.empty() || std::any_of(r.views.begin(), r.views.end(), [](const ViewResult& v) {
         return v.decision != Decision::kPass;
       })))
    Bad(what, "views", "at least one view, each passed, for a part that passed");
}

MachineEvent MachineEventFromJson(const json& j) {
  constexpr std::string_view what = "machine event";
  MachineEvent e;
  e.machine = Str(j, what, "machine");
  e.time_ms = Int(j, what, "time_ms");
  const std::string state = Str(j, what, "state");
  bool known = false;
  for (size_t i = 0; i < kStateNames.size(); ++i)
    if (kStateNames[i] == state) {
      e.state = static_cast<MachineState>(i);
      known = true;
    }
  if (!known) Bad(what, "state", "one of running, stopped, die_change");
  const json& planned = Field(j, what, "planned");
  if (!planned.is_boolean()) Bad(what, "planned", "true or false");
  e.planned = planned.get<bool>();
  e.reason = Str(j, what, "reason");
  e.die = OptStr(j, what, "die", "");
  e.detail = OptStr(j, what, "detail", "");
  return e;
}

}  // namespace linesight
