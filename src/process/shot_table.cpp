// process/shot_table.cpp: ShotTable lookups, row adds and row selection.
#include "process/shot_table.h"

#include <algorithm>

#include "core/error.h"

namespace linesight::process {
namespace {

template <typename T>
int IndexOf(const std::vector<std::string>& names, T name) {
  auto it = std::find(names.begin(), names.end(), name);
  return it == names.end() ? -1 : static_cast<int>(it - names.begin());
}

std::string Join(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
  return out.empty() ? "(none)" : out;
}

template <typename V>
std::vector<V> Keep(const std::vector<V>& v, const std::vector<bool>& keep) {
  std::vector<V> out;
  for (std::size_t i = 0; i < v.size(); ++i)
    if (keep[i]) out.push_back(v[i]);
  return out;
}

}  // namespace

int ShotTable::FeatureIndex(std::string_view name) const { return IndexOf(feature_names, name); }

int ShotTable::DefectIndex(std::string_view name) const { return IndexOf(defect_names, name); }

std::span<const double> ShotTable::Feature(std::string_view name) const {
  const int f = FeatureIndex(name);
  if (f < 0) {
    throw Error(ErrorCategory::kInput, "no feature column '" + std::string(name) + "'",
                "Use one of: " + Join(feature_names));
  }
  return features[f];
}

std::size_t ShotTable::AddShot(std::int64_t t, std::string m, std::string d, std::int8_t l) {
  time_ms.push_back(t);
  machine.push_back(std::move(m));
  die.push_back(std::move(d));
  label.push_back(l);
  try_shot.push_back(0);
  stopped.push_back(0);
  for (auto& f : features) f.push_back(kMissing);
  for (auto& d2 : defects) d2.push_back(kLabelUnknown);
  return size() - 1;
}

void ShotTable::AddFeature(std::string name, std::vector<double> values) {
  if (FeatureIndex(name) >= 0) {
    throw Error(ErrorCategory::kInput, "feature column '" + name + "' exists twice",
                "Give each feature column its own name");
  }
  if (values.size() != size()) {
    throw Error(ErrorCategory::kInput,
                "feature column '" + name + "' has " + std::to_string(values.size()) +
                    " values for " + std::to_string(size()) + " shots",
                "Give one value per shot (NaN when not measured)");
  }
  feature_names.push_back(std::move(name));
  features.push_back(std::move(values));
}

void ShotTable::CheckConsistent() const {
  const std::size_t n = size();
  auto check = [n](std::size_t got, const std::string& what) {
    if (got != n) {
      throw Error(ErrorCategory::kInternal,
                  "shot table column '" + what + "' has " + std::to_string(got) + " rows, not " +
                      std::to_string(n),
                  "This is a bug: report it");
    }
  };
  check(machine.size(), "machine");
  check(die.size(), "die");
  check(label.size(), "label");
  check(try_shot.size(), "try_shot");
  check(stopped.size(), "stopped");
  check(features.size() == feature_names.size() ? n : features.size(), "feature count");
  for (std::size_t f = 0; f < features.size(); ++f) check(features[f].size(), feature_names[f]);
  check(defects.size() == defect_names.size() ? n : defects.size(), "defect count");
  for (std::size_t d = 0; d < defects.size(); ++d) check(defects[d].size(), defect_names[d]);
}

ShotTable SelectRows(const ShotTable& t, const std::vector<bool>& keep) {
  ShotTable out;
  out.time_ms = Keep(t.time_ms, keep);
  out.machine = Keep(t.machine, keep);
  out.die = Keep(t.die, keep);
  out.label = Keep(t.label, keep);
  out.try_shot = Keep(t.try_shot, keep);
  out.stopped = Keep(t.stopped, keep);
  out.feature_names = t.feature_names;
  for (const auto& f : t.features) out.features.push_back(Keep(f, keep));
  out.defect_names = t.defect_names;
  for (const auto& d : t.defects) out.defects.push_back(Keep(d, keep));
  return out;
}

}  // namespace linesight::process
