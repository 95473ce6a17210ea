#include "server/api_json.h"

#include <charconv>
#include <cmath>

namespace linesight::server {
namespace {

int64_t ParseInt(const std::string& text, const char* name) {
  int64_t v = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size())
    throw BadRequest(std::string(name) + ": not an integer: \"" + text.substr(0, 40) + "\"");
  return v;
}

double ParseDouble(const std::string& text, const char* name) {
  size_t used = 0;
  double v = 0;
  try {
    v = std::stod(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  // Decimal only: std::stod would also take hexadecimal ("0x10" as 16) and "inf".
  const bool decimal = text.find_first_not_of("0123456789.eE+-") == std::string::npos;
  if (!decimal || used == 0 || used != text.size() || !std::isfinite(v))
    throw BadRequest(std::string(name) + ": not a number: \"" + text.substr(0, 40) + "\"");
  return v;
}

// Names in filters are ids: short, printable. Anything else is a mistake or an attack.
std::string IdParam(const io::HttpRequest& request, const char* name) {
  std::string v = request.Param(name);
  if (v.size() > 100) throw BadRequest(std::string(name) + ": longer than 100 characters");
  for (unsigned char c : v)
    if (c < 0x20 || c == 0x7f) throw BadRequest(std::string(name) + ": control character");
  return v;
}

}  // namespace

nlohmann::json ToJson(const store::Alert& a) {
  nlohmann::json detail = nlohmann::json::parse(a.input.detail, nullptr, false);
  if (detail.is_discarded()) detail = a.input.detail;
  nlohmann::json j = {{"id", a.id},
                      {"key", a.input.key},
                      {"kind", a.input.kind},
                      {"severity", store::SeverityName(a.input.severity)},
                      {"machine", a.input.machine},
                      {"die", a.input.die},
                      {"title", a.input.title},
                      {"detail", std::move(detail)},
                      {"first_ms", a.first_ms},
                      {"last_ms", a.last_ms},
                      {"count", a.count},
                      {"occurrences", a.occurrences},
                      {"evidence_ms", a.input.evidence_ms},
                      {"acked", a.acked},
                      {"acked_by", nullptr},
                      {"acked_ms", nullptr},
                      {"ack_note", nullptr}};
  if (a.acked) {
    j["acked_by"] = a.acked_by;
    j["acked_ms"] = a.acked_ms;
    j["ack_note"] = a.ack_note;
  }
  return j;
}

nlohmann::json ToJson(const store::Review& r) {
  return {{"id", r.id},
          {"part_id", r.part_id},
          {"user", r.user},
          {"time_ms", r.time_ms},
          {"verdict", DecisionName(r.verdict)},
          {"defect_type", r.defect_type},
          {"note", r.note}};
}

nlohmann::json ToJson(const store::PartSummary& p) {
  return {{"seq", p.seq},
          {"part_id", p.part_id},
          {"station", p.station},
          {"machine", p.machine},
          {"die", p.die},
          {"shot", p.shot},
          {"die_shot", p.die_shot},
          {"time_ms", p.time_ms},
          {"decision", DecisionName(p.decision)},
          {"reason", HoldReasonName(p.reason)},
          {"score", p.score},
          {"threshold", p.threshold},
          {"defect_type", p.defect_type},
          {"image", p.image},
          {"model_id", p.model_id},
          {"latency_ms", p.latency_ms},
          {"review", p.review ? ToJson(*p.review) : nlohmann::json(nullptr)}};
}

nlohmann::json ToJson(const store::MachineStatus& m) {
  return {{"machine", m.machine},
          {"station", m.station},
          {"die", m.die},
          {"state", MachineStateName(m.state)},
          {"state_since_ms", m.state_since_ms},
          {"reason", m.reason},
          {"planned", m.planned},
          {"last_part_ms", m.last_part_ms},
          {"parts", m.parts},
          {"passes", m.passes},
          {"rejects", m.rejects},
          {"holds", m.holds},
          {"yield", m.parts > 0 ? double(m.passes) / double(m.parts) : 0.0}};
}

nlohmann::json ToJson(const store::YieldRow& y) {
  return {{"key", y.key},
          {"parts", y.parts},
          {"passes", y.passes},
          {"rejects", y.rejects},
          {"holds", y.holds},
          {"good", y.good},
          {"first_pass_yield", y.first_pass_yield},
          {"yield", y.yield}};
}

nlohmann::json ToJson(const store::AuditEntry& a) {
  return {{"id", a.id},         {"time_ms", a.time_ms}, {"user", a.user},
          {"action", a.action}, {"target", a.target},   {"detail", a.detail}};
}

double DoubleParam(const io::HttpRequest& request, const char* name, double fallback, double lo,
                   double hi) {
  if (!request.HasParam(name)) return fallback;
  const double v = ParseDouble(request.Param(name), name);
  if (v < lo || v > hi)
    throw BadRequest(std::string(name) + ": " + request.Param(name) + " is outside [" +
                     JsonText(lo) + ", " + JsonText(hi) + "]");
  return v;
}

int64_t IntParam(const io::HttpRequest& request, const char* name, int64_t fallback, int64_t lo,
                 int64_t hi) {
  if (!request.HasParam(name)) return fallback;
  const int64_t v = ParseInt(request.Param(name), name);
  if (v < lo || v > hi)
    throw BadRequest(std::string(name) + ": " + std::to_string(v) + " is outside [" +
                     std::to_string(lo) + ", " + std::to_string(hi) + "]");
  return v;
}

store::PartFilter FilterOf(const io::HttpRequest& request) {
  store::PartFilter f;
  f.machine = IdParam(request, "machine");
  f.die = IdParam(request, "die");
  f.station = IdParam(request, "station");
  f.defect_type = IdParam(request, "defect_type");
  f.from_ms = IntParam(request, "from_ms", f.from_ms, f.from_ms, f.to_ms);
  f.to_ms = IntParam(request, "to_ms", f.to_ms, f.from_ms, f.to_ms);
  if (request.HasParam("decision")) {
    f.decision = ParseDecision(request.Param("decision"));
    if (!f.decision) throw BadRequest("decision: use pass, reject or hold");
  }
  if (request.HasParam("min_score"))
    f.min_score = ParseDouble(request.Param("min_score"), "min_score");
  if (request.HasParam("max_score"))
    f.max_score = ParseDouble(request.Param("max_score"), "max_score");
  const std::string unreviewed = request.Param("unreviewed");
  if (!unreviewed.empty() && unreviewed != "0" && unreviewed != "1")
    throw BadRequest("unreviewed: use 1 or 0");
  f.unreviewed_only = unreviewed == "1";
  return f;
}

store::PartPage PageOf(const io::HttpRequest& request) {
  store::PartPage page;
  page.limit = static_cast<int>(IntParam(request, "limit", 100, 1, 1000));
  if (request.HasParam("before_time_ms")) {
    page.before_time_ms = IntParam(request, "before_time_ms", 0, INT64_MIN, INT64_MAX);
    page.before_part_id = IdParam(request, "before_part_id");
  }
  return page;
}

nlohmann::json BodyObject(const io::HttpRequest& request) {
  nlohmann::json body = nlohmann::json::parse(request.body, nullptr, false);
  if (body.is_discarded()) throw BadRequest("the body is not valid JSON");
  if (!body.is_object()) throw BadRequest("the body must be a JSON object");
  return body;
}

std::string StringMember(const nlohmann::json& body, const char* name, bool required,
                         size_t max_len) {
  const auto it = body.find(name);
  if (it == body.end() || it->is_null()) {
    if (required) throw BadRequest(std::string(name) + ": missing");
    return "";
  }
  if (!it->is_string()) throw BadRequest(std::string(name) + ": must be a string");
  std::string v = it->get<std::string>();
  if (v.size() > max_len)
    throw BadRequest(std::string(name) + ": longer than " + std::to_string(max_len) + " bytes");
  return v;
}

nlohmann::json NumberOrNull(double v) {
  return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json();
}

io::HttpResponse JsonAnswer(const nlohmann::json& body, int status) {
  return io::HttpResponse{status, "application/json", JsonText(body)};
}

}  // namespace linesight::server
