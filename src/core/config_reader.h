// core/config_reader.h: the one strict YAML reader of linesight's configuration files (recipes,
// station files): unknown or repeated keys, wrong types and out-of-range values are errors that
// name the file, the key and the fix, instead of being read as something else.
#pragma once

#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "core/error.h"

namespace linesight {

class ConfigReader {
 public:
  // `name` is the file's name in messages, `category` that of the errors thrown, `doc` the
  // document that describes the format ("docs/recipe.md").
  ConfigReader(std::string name, ErrorCategory category, std::string doc);

  // Parses `text`; a syntax error names its line. An empty text gives a null node.
  YAML::Node Parse(const std::string& text) const;
  // Reads and parses the file; a folder, or a file that cannot be opened, is an error.
  static std::string ReadFile(const std::filesystem::path& path, const std::string& what);

  [[noreturn]] void Fail(const std::string& where, const std::string& cause,
                         const std::string& fix) const;
  // Fails unless `node` is a mapping whose keys are all in `allowed`, each given once.
  void CheckKeys(const YAML::Node& node, const std::string& where,
                 const std::set<std::string>& allowed) const;
  double Number(const YAML::Node& node, const std::string& where, double lo, double hi) const;
  // A whole number in [lo, hi]: 2.5 for a pixel count is a mistake, not 2.
  int Integer(const YAML::Node& node, const std::string& where, int lo, int hi) const;
  bool Bool(const YAML::Node& node, const std::string& where) const;
  std::string Text(const YAML::Node& node, const std::string& where) const;
  std::vector<double> Numbers(const YAML::Node& node, const std::string& where, size_t count,
                              double lo, double hi) const;
  // `where` joined with `key` as the dotted path of a key ("part.roi").
  static std::string Path(const std::string& where, const std::string& key);
  static std::string Fmt(double v);

 private:
  std::string name_;
  ErrorCategory category_;
  std::string doc_;
};

}  // namespace linesight
