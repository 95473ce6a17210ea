// process/csv_mapping.cpp: the column mapping of csv_import.h: parsing it from YAML or JSON, and
// the built-in mappings for known public data sets.
#include <algorithm>
#include <fstream>
#include <initializer_list>
#include <sstream>

#include <yaml-cpp/yaml.h>

#include "core/error.h"
#include "process/csv_import.h"

namespace linesight::process {
namespace {

// The KAMP "casting process optimisation" shots (shared/data/diecasting_process/shots.csv).
// Times are Korean local time; faults per the data's README.
constexpr std::string_view kKampShots = R"(# KAMP casting process data: one line, dies taking turns.
time: {column: registration_time, format: iso, utc_offset_minutes: 540}
machine: {constant: kamp-line}
die: {column: mold_code}
label: {column: passorfail, scrap: ["1"], pass: ["0"]}
stopped: {column: working, values: ["정지"]}
try_shot: {column: tryshot_signal, values: ["D"]}
features:
  - {column: count, name: shots_since_restart}
  - {column: molten_temp, faults: [0]}
  - facility_operation_cycleTime
  - production_cycletime
  - {column: low_section_speed, faults: [65534]}
  - {column: high_section_speed, faults: [65534]}
  - molten_volume
  - cast_pressure
  - biscuit_thickness
  - {column: upper_mold_temp1, faults: [1449]}
  - {column: upper_mold_temp2, faults: [1449]}
  - {column: upper_mold_temp3, faults: [1449]}
  - {column: lower_mold_temp1, faults: [1449]}
  - {column: lower_mold_temp2, faults: [1449]}
  - {column: lower_mold_temp3, faults: [1449]}
  - sleeve_temperature
  - {column: physical_strength, faults: [0]}
  - Coolant_temperature
  - EMS_operation_time
  - {column: heating_furnace, categories: {A: 0, B: 1}}
)";

[[noreturn]] void Bad(const std::string& key, const std::string& what) {
  throw Error(ErrorCategory::kInput, "column mapping: '" + key + "' " + what,
              "See docs/process.md, \"CSV import\", for the mapping format");
}

std::vector<std::string> Strings(const YAML::Node& n, const std::string& key) {
  if (!n) return {};
  if (n.IsScalar()) return {n.as<std::string>()};
  if (!n.IsSequence()) Bad(key, "must be a text or a list of texts");
  std::vector<std::string> out;
  for (const auto& v : n) out.push_back(v.as<std::string>());
  return out;
}

// A {column: X} map or a plain column name; `constant` filled from {constant: Y}.
std::string Column(const YAML::Node& n, const std::string& key, std::string* constant = nullptr) {
  if (!n || n.IsNull()) return "";
  if (n.IsScalar()) return n.as<std::string>();
  if (!n.IsMap()) Bad(key, "must be a column name or a map with 'column'");
  if (n["constant"] && constant) {
    *constant = n["constant"].as<std::string>();
    return "";
  }
  if (!n["column"]) Bad(key, "has no 'column'");
  return n["column"].as<std::string>();
}

FeatureColumn Feature(const YAML::Node& n, const std::string& key) {
  FeatureColumn f;
  f.column = Column(n, key);
  f.name = f.column;
  if (n.IsMap()) {
    if (n["name"]) f.name = n["name"].as<std::string>();
    if (n["faults"]) {
      if (!n["faults"].IsSequence()) Bad(key + ".faults", "must be a list of numbers");
      for (const auto& v : n["faults"]) f.faults.push_back(v.as<double>());
    }
    if (n["categories"]) {
      if (!n["categories"].IsMap()) Bad(key + ".categories", "must map text to numbers");
      for (const auto& kv : n["categories"])
        f.categories[kv.first.as<std::string>()] = kv.second.as<double>();
    }
  }
  if (f.column.empty()) Bad(key, "names no column");
  return f;
}

std::vector<FeatureColumn> Features(const YAML::Node& n, const std::string& key) {
  std::vector<FeatureColumn> out;
  if (!n) return out;
  if (!n.IsSequence()) Bad(key, "must be a list");
  for (std::size_t i = 0; i < n.size(); ++i) {
    out.push_back(Feature(n[i], key + "[" + std::to_string(i) + "]"));
    for (std::size_t j = 0; j + 1 < out.size(); ++j)
      if (out[j].name == out.back().name)
        Bad(key + "[" + std::to_string(i) + "]", "is named '" + out.back().name + "' like " + key +
                                                     "[" + std::to_string(j) +
                                                     "]: give each a name of its own (name: ...)");
  }
  return out;
}

FlagColumn Flag(const YAML::Node& n, const std::string& key) {
  FlagColumn f;
  f.column = Column(n, key);
  if (n && n.IsMap()) f.values = Strings(n["values"], key + ".values");
  if (!f.column.empty() && f.values.empty()) Bad(key, "lists no 'values'");
  return f;
}

TimeFormat ParseTimeFormat(const std::string& s) {
  if (s == "iso") return TimeFormat::kIso;
  if (s == "epoch_s") return TimeFormat::kEpochSeconds;
  if (s == "epoch_ms") return TimeFormat::kEpochMillis;
  Bad("time.format", "is '" + s + "': use iso, epoch_s or epoch_ms");
}

// A misspelt key would be ignored and change what is imported without a word (a mapping with
// `featurez:` fitted a model of no process value): each map may hold only its own keys.
void OnlyKeys(const YAML::Node& n, const std::string& where,
              std::initializer_list<std::string_view> allowed) {
  if (!n || !n.IsMap()) return;
  for (const auto& kv : n) {
    const std::string key = kv.first.as<std::string>();
    if (std::find(allowed.begin(), allowed.end(), key) != allowed.end()) continue;
    std::string list;
    for (std::string_view a : allowed) list += (list.empty() ? "" : ", ") + std::string(a);
    Bad(where.empty() ? key : where + "." + key,
        "is not a key of the mapping here; allowed: " + list);
  }
}

void CheckKeys(const YAML::Node& root) {
  OnlyKeys(root, "",
           {"time", "machine", "die", "label", "stopped", "try_shot", "features", "defects",
            "blank_values", "delimiter"});
  OnlyKeys(root["time"], "time", {"column", "format", "utc_offset_minutes"});
  OnlyKeys(root["machine"], "machine", {"column", "constant"});
  OnlyKeys(root["die"], "die", {"column", "constant"});
  OnlyKeys(root["label"], "label", {"column", "scrap", "pass"});
  OnlyKeys(root["stopped"], "stopped", {"column", "values"});
  OnlyKeys(root["try_shot"], "try_shot", {"column", "values"});
  for (const char* list : {"features", "defects"})
    if (root[list] && root[list].IsSequence())
      for (size_t i = 0; i < root[list].size(); ++i)
        OnlyKeys(root[list][i], std::string(list) + "[" + std::to_string(i) + "]",
                 {"column", "name", "faults", "categories"});
}

void Fill(const YAML::Node& root, CsvMapping& m) {
  CheckKeys(root);
  const YAML::Node time = root["time"];
  m.time_column = Column(time, "time");
  if (m.time_column.empty()) Bad("time", "is required (the column with each shot's time)");
  if (time.IsMap() && time["format"])
    m.time_format = ParseTimeFormat(time["format"].as<std::string>());
  if (time.IsMap() && time["utc_offset_minutes"])
    m.utc_offset_minutes = time["utc_offset_minutes"].as<int>();
  m.machine_column = Column(root["machine"], "machine", &m.machine_constant);
  m.die_column = Column(root["die"], "die", &m.die_constant);
  const YAML::Node label = root["label"];
  m.label_column = Column(label, "label");
  if (label && label.IsMap()) {
    if (label["scrap"]) m.scrap_values = Strings(label["scrap"], "label.scrap");
    if (label["pass"]) m.pass_values = Strings(label["pass"], "label.pass");
    for (const std::string& v : m.scrap_values)
      if (std::find(m.pass_values.begin(), m.pass_values.end(), v) != m.pass_values.end())
        Bad("label", "lists '" + v + "' as both a scrap and a pass value");
  }
  m.stopped = Flag(root["stopped"], "stopped");
  m.try_shot = Flag(root["try_shot"], "try_shot");
  m.features = Features(root["features"], "features");
  m.defects = Features(root["defects"], "defects");
  if (root["blank_values"]) m.blank_values = Strings(root["blank_values"], "blank_values");
  if (root["delimiter"]) {
    const std::string d = root["delimiter"].as<std::string>();
    if (d.size() != 1) Bad("delimiter", "must be one character");
    m.delimiter = d[0];
  }
}

}  // namespace

CsvMapping ParseCsvMapping(std::string_view text) {
  CsvMapping m;
  try {
    const YAML::Node root = YAML::Load(std::string(text));
    if (!root.IsMap()) Bad("(top level)", "must be a map with time, die, label, features");
    Fill(root, m);
  } catch (const YAML::BadConversion& e) {
    throw Error(ErrorCategory::kInput,
                std::string("column mapping has a value of the wrong type (") + e.what() +
                    "): faults are numbers, names and columns text, utc_offset_minutes a whole "
                    "number",
                "Fix the mapping file (docs/process.md, \"CSV import\")");
  } catch (const YAML::Exception& e) {
    throw Error(ErrorCategory::kInput, std::string("column mapping is not valid YAML: ") + e.what(),
                "Fix the mapping file (docs/process.md, \"CSV import\")");
  }
  return m;
}

std::string_view BuiltinCsvMappingText(std::string_view name) {
  if (name == "kamp-shots") return kKampShots;
  throw Error(ErrorCategory::kInput, "no built-in column mapping '" + std::string(name) + "'",
              "Use kamp-shots, or the path of a mapping file");
}

CsvMapping ResolveCsvMapping(const std::string& name_or_path) {
  if (name_or_path == "kamp-shots") return ParseCsvMapping(BuiltinCsvMappingText(name_or_path));
  std::ifstream in(name_or_path, std::ios::binary);
  if (!in) {
    throw Error(ErrorCategory::kInput, "cannot read column mapping '" + name_or_path + "'",
                "Give kamp-shots or the path of a YAML/JSON mapping file");
  }
  std::ostringstream text;
  text << in.rdbuf();
  return ParseCsvMapping(text.str());
}

}  // namespace linesight::process
