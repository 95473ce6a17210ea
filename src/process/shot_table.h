// process/shot_table.h: a column-oriented table of shots for process analytics (risk models,
// cause ranking): one row per shot, generic named feature columns. Plain data; not thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace linesight::process {

inline constexpr double kMissing = std::numeric_limits<double>::quiet_NaN();

// Scrap label of a shot. -1 means not known (e.g. the plant did not record it).
inline constexpr std::int8_t kLabelUnknown = -1;

// Shots as columns. Every per-shot vector has size() elements; feature and defect columns are
// addressed by name. The sim's ProcessValues and the store's parts convert into it.
struct ShotTable {
  std::vector<std::int64_t> time_ms;  // UTC, milliseconds since the Unix epoch
  std::vector<std::string> machine;
  std::vector<std::string> die;
  std::vector<std::int8_t> label;      // 1 scrap, 0 pass, kLabelUnknown
  std::vector<std::uint8_t> try_shot;  // 1 = a try shot (setting up), not normal production
  std::vector<std::uint8_t> stopped;   // 1 = made while the machine reported it was stopped

  std::vector<std::string> feature_names;
  std::vector<std::vector<double>> features;  // features[f][shot]; NaN = not measured
  std::vector<std::string> defect_names;
  std::vector<std::vector<std::int8_t>> defects;  // defects[d][shot]: 1, 0 or kLabelUnknown

  [[nodiscard]] std::size_t size() const { return time_ms.size(); }

  // A normal production shot: neither a try shot nor made while stopped.
  [[nodiscard]] bool Normal(std::size_t shot) const { return !try_shot[shot] && !stopped[shot]; }

  // Index of a feature column, or -1 if there is none of that name.
  [[nodiscard]] int FeatureIndex(std::string_view name) const;
  // The column named `name`. Throws Error{kInput} listing the table's feature names if absent.
  [[nodiscard]] std::span<const double> Feature(std::string_view name) const;
  // Index of a defect column, or -1.
  [[nodiscard]] int DefectIndex(std::string_view name) const;

  // Adds a row with all features and defects unknown (NaN, kLabelUnknown); returns its index.
  std::size_t AddShot(std::int64_t time_ms, std::string machine, std::string die,
                      std::int8_t label);
  // Adds a feature column. Throws Error{kInput} if the name is taken or the size is not size().
  void AddFeature(std::string name, std::vector<double> values);

  // Checks that every column has size() rows; throws Error{kInternal} naming the one that differs.
  void CheckConsistent() const;
};

// Rows of `table` for which keep[i] is true, all columns kept, in order.
[[nodiscard]] ShotTable SelectRows(const ShotTable& table, const std::vector<bool>& keep);

}  // namespace linesight::process
