#include "process/telemetry.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>

#include <nlohmann/json.hpp>

#include "core/error.h"

namespace linesight::process {
namespace {

using nlohmann::json;

// Wide enough for any die-casting cell (PROCESS.md's windows lie well inside), narrow enough to
// catch the sentinels of the KAMP data (0, 1449, 65534).
constexpr std::array<PlausibleRange, 7> kRanges = {{
    {"melt_temp_c", 400, 950},
    {"die_temp_c", 1, 600},  // 0 exactly: a dead thermocouple (KAMP); no die runs at 0 C
    {"fast_shot_mps", 0, 15},
    {"intensification_bar", 0, 3000},
    {"spray_s", 0, 120},
    {"vacuum_mbar", 0, 1100},
    {"cycle_s", 0, 7200},
}};

[[noreturn]] void Bad(const std::string& what, const std::string& fix) {
  throw Error(ErrorCategory::kInput, "telemetry: " + what, fix);
}

// "linesight/v1/<site>/<line>/<machine>/telemetry" -> machine.
std::string MachineOfTopic(std::string_view topic) {
  std::vector<std::string_view> levels;
  for (size_t at = 0;;) {
    const size_t slash = topic.find('/', at);
    levels.push_back(topic.substr(at, slash - at));
    if (slash == std::string_view::npos) break;
    at = slash + 1;
  }
  if (levels.size() != 6 || levels[0] != "linesight" || levels[1] != "v1" ||
      levels[5] != "telemetry" || levels[4].empty())
    Bad("topic '" + std::string(topic) + "' is not linesight/v1/<site>/<line>/<machine>/telemetry",
        "publish each machine's shots on its own telemetry topic");
  return std::string(levels[4]);
}

int64_t IntField(const json& j, const char* key, bool required, int64_t fallback) {
  const auto it = j.find(key);
  if (it == j.end() || it->is_null()) {
    if (required) Bad(std::string("'") + key + "' is missing", "send it as an integer");
    return fallback;
  }
  if (!it->is_number_integer())
    Bad(std::string("'") + key + "' is " + it->dump() + ", not an integer", "send an integer");
  return it->get<int64_t>();
}

bool Plausible(std::string_view variable, double x) {
  for (const PlausibleRange& r : kRanges)
    if (r.variable == variable) return x >= r.lo && x <= r.hi;
  return std::isfinite(x);
}

void ReadProcess(const json& process, Telemetry& t) {
  if (!process.is_object()) Bad("'process' is not an object", "send {\"melt_temp_c\": 681.5, …}");
  for (const auto& [key, value] : process.items()) {
    const ProcessVariable* var = nullptr;
    for (const ProcessVariable& v : ProcessVariables())
      if (v.name == key) var = &v;
    if (!var) {
      t.ignored.push_back(key);
      continue;
    }
    if (value.is_null()) continue;  // not measured
    if (!value.is_number())
      Bad("process value '" + key + "' is " + value.dump() + ", not a number",
          "send a number, or null when the sensor gave nothing");
    const double x = value.get<double>();
    if (Plausible(key, x))
      t.shot.process.*(var->field) = x;
    else
      t.implausible.push_back(key + "=" + value.dump());  // a sensor fault: not measured
  }
}

}  // namespace

std::span<const PlausibleRange> PlausibleRanges() { return kRanges; }

std::vector<std::string> ClearImplausible(ProcessValues& p) {
  std::vector<std::string> out;
  for (const ProcessVariable& v : ProcessVariables()) {
    double& x = p.*(v.field);
    if (std::isnan(x) || Plausible(v.name, x)) continue;
    char text[32];
    std::snprintf(text, sizeof text, "%.10g", x);
    out.push_back(std::string(v.name) + "=" + text);
    x = std::nan("");
  }
  return out;
}

Telemetry ParseTelemetry(std::string_view topic, std::string_view payload, int64_t now_ms) {
  Telemetry t;
  t.shot.machine = MachineOfTopic(topic);
  json j;
  // A key given twice in one object ("shot": 125 … "shot": 999) would keep the last without a
  // word: which one the machine meant is not known, so the message is refused.
  std::vector<std::vector<std::string>> keys;  // of each object open while parsing
  std::string repeated;
  const json::parser_callback_t note_keys = [&](int, json::parse_event_t event, json& parsed) {
    if (event == json::parse_event_t::object_start) keys.emplace_back();
    if (event == json::parse_event_t::object_end && !keys.empty()) keys.pop_back();
    if (event == json::parse_event_t::key && !keys.empty()) {
      const std::string key = parsed.get<std::string>();
      if (std::find(keys.back().begin(), keys.back().end(), key) != keys.back().end() &&
          repeated.empty())
        repeated = key;
      keys.back().push_back(key);
    }
    return true;
  };
  try {
    j = json::parse(payload, note_keys);
  } catch (const json::exception& e) {
    Bad(std::string("payload is not JSON: ") + e.what(), "send one JSON object per shot");
  }
  if (!repeated.empty())
    Bad("'" + repeated + "' appears twice in one object of the message", "send each field once");
  if (!j.is_object()) Bad("payload is not a JSON object", "send one JSON object per shot");
  if (const auto m = j.find("machine"); m != j.end() && *m != t.shot.machine)
    Bad("machine " + m->dump() + " differs from the topic's '" + t.shot.machine + "'",
        "publish on the machine's own topic");
  t.shot.shot = IntField(j, "shot", true, 0);
  if (t.shot.shot <= 0)
    Bad("shot " + std::to_string(t.shot.shot) + " is not positive",
        "send the machine's shot counter");
  t.shot.time_ms = IntField(j, "time_ms", true, 0);
  if (t.shot.time_ms < 946684800000)  // 2000-01-01
    Bad("time_ms " + std::to_string(t.shot.time_ms) + " is before 2000",
        "send UTC milliseconds since 1970 (set the machine's clock)");
  if (t.shot.time_ms > now_ms + kMaxClockAheadMs)
    Bad("time_ms " + std::to_string(t.shot.time_ms) + " is " +
            std::to_string((t.shot.time_ms - now_ms) / 1000) + " s ahead of this server's clock",
        "synchronise the machine's clock (NTP)");
  const auto die = j.find("die");
  if (die == j.end() || !die->is_string() || die->get<std::string>().empty())
    Bad("'die' is missing or not a non-empty string", "send the id of the die on the machine");
  t.shot.die = die->get<std::string>();
  for (const char c : t.shot.die)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F)
      Bad("'die' holds a control character", "send the die's id as plain text");
  t.shot.die_shot = IntField(j, "die_shot", false, 0);
  if (t.shot.die_shot < 0)
    Bad("die_shot is negative", "send the die's shot counter, or leave it out");
  if (const auto p = j.find("process"); p != j.end()) ReadProcess(*p, t);
  return t;
}

}  // namespace linesight::process
