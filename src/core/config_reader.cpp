#include "core/config_reader.h"

#include <cmath>
#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>

namespace linesight {

ConfigReader::ConfigReader(std::string name, ErrorCategory category, std::string doc)
    : name_(std::move(name)), category_(category), doc_(std::move(doc)) {}

YAML::Node ConfigReader::Parse(const std::string& text) const {
  try {
    return YAML::Load(text);
  } catch (const YAML::Exception& e) {
    throw Error(
        category_,
        name_ + ": not valid YAML (" + e.msg + " at line " + std::to_string(e.mark.line + 1) + ")",
        "Fix the YAML syntax; see " + doc_ + " for an example");
  }
}

std::string ConfigReader::ReadFile(const std::filesystem::path& path, const std::string& what) {
  // An ifstream opens a folder and reads nothing from it, which would parse as the defaults.
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec))
    throw Error(ErrorCategory::kInput, path.string() + ": is a folder, not a " + what + " file",
                "Give the " + what + "'s YAML file, e.g. " + (path / (what + ".yaml")).string());
  std::ifstream in(path);
  if (!in)
    throw Error(ErrorCategory::kIo, path.string() + ": " + what + " file cannot be opened",
                "Check the path and its permissions");
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void ConfigReader::Fail(const std::string& where, const std::string& cause,
                        const std::string& fix) const {
  throw Error(category_, name_ + ": " + where + ": " + cause, fix);
}

void ConfigReader::CheckKeys(const YAML::Node& node, const std::string& where,
                             const std::set<std::string>& allowed) const {
  if (!node.IsMap())
    Fail(where.empty() ? "top level" : where, "expected a mapping of keys", "See " + doc_);
  // YAML forbids a key twice in one mapping, but yaml-cpp keeps both and looks up the first,
  // so a second value would be silently ignored.
  std::map<std::string, int> lines;
  for (const auto& kv : node) {
    std::string key = kv.first.as<std::string>();
    const int line = kv.first.Mark().line + 1;
    if (auto [it, inserted] = lines.emplace(key, line); !inserted)
      Fail(Path(where, key),
           "key given twice (lines " + std::to_string(it->second) + " and " + std::to_string(line) +
               ")",
           "Keep one of the two");
    if (!allowed.count(key)) {
      std::string list;
      for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
      Fail(Path(where, key), "unknown key", "Remove it or fix its spelling; allowed here: " + list);
    }
  }
}

double ConfigReader::Number(const YAML::Node& node, const std::string& where, double lo,
                            double hi) const {
  double v;
  try {
    v = node.as<double>();
  } catch (const YAML::Exception&) {
    Fail(where, "expected a number", "Write a number between " + Fmt(lo) + " and " + Fmt(hi));
  }
  if (!(v >= lo && v <= hi))
    Fail(where, "value " + Fmt(v) + " is out of range",
         "Use a value between " + Fmt(lo) + " and " + Fmt(hi));
  return v;
}

int ConfigReader::Integer(const YAML::Node& node, const std::string& where, int lo, int hi) const {
  const double v = Number(node, where, lo, hi);
  if (v != std::floor(v))
    Fail(where, "value " + Fmt(v) + " is not a whole number",
         "Write a whole number between " + std::to_string(lo) + " and " + std::to_string(hi));
  return static_cast<int>(v);
}

bool ConfigReader::Bool(const YAML::Node& node, const std::string& where) const {
  try {
    if (node.IsScalar()) return node.as<bool>();
  } catch (const YAML::Exception&) {
  }
  Fail(where, "expected true or false", "Write true or false");
}

std::string ConfigReader::Text(const YAML::Node& node, const std::string& where) const {
  if (!node.IsScalar()) Fail(where, "expected a text value", "See " + doc_);
  return node.as<std::string>();
}

std::vector<double> ConfigReader::Numbers(const YAML::Node& node, const std::string& where,
                                          size_t count, double lo, double hi) const {
  if (!node.IsSequence() || node.size() != count)
    Fail(where, "expected a list of " + std::to_string(count) + " numbers",
         "Write it as [a, b, ...] with values between " + Fmt(lo) + " and " + Fmt(hi));
  std::vector<double> out;
  for (size_t i = 0; i < count; ++i)
    out.push_back(Number(node[i], where + "[" + std::to_string(i) + "]", lo, hi));
  return out;
}

std::string ConfigReader::Path(const std::string& where, const std::string& key) {
  return where.empty() ? key : where + "." + key;
}

std::string ConfigReader::Fmt(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

}  // namespace linesight
