// process/shot_risk.h: the defect risk of one shot as a station knows it before its part is
// inspected: a RiskModel fitted on the line's own shots (the factory server's GET
// /api/v1/risk/model) applied to the shot's process values, its die's shot count and the shots
// since the machine last restarted, which the station counts itself from the shots' cycle times.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "core/part_record.h"
#include "process/risk_model.h"

namespace linesight::process {

class ShotRisk {
 public:
  // Loads a model file (RiskModel::SaveJson's text). Throws Error{kModel} naming the file and
  // what is wrong with it (missing, unreadable, not a risk model, broken).
  static ShotRisk Load(const std::filesystem::path& path);
  ShotRisk(RiskModel model, std::string id);

  // Probability (0..1) that `shot` makes scrap; NaN when none of its process values is measured
  // (the model would only echo its base rate). May run on several threads.
  [[nodiscard]] double Risk(const Shot& shot, double shots_since_restart) const;

  // "<file name>@<12 hex digits of its SHA-256>": which model gave a risk.
  const std::string& id() const { return id_; }

 private:
  RiskModel model_;
  std::string id_;
};

// Counts the shots since a machine last restarted the way the server's shot table counts them
// from stop events, from what a station sees: a shot whose cycle time (seconds since the
// machine's previous shot) is over kRestartFactor times the median of the recent ones follows a
// stop, and is shot 1. Unknown (NaN) until the first such shot: a station started while its
// machine runs does not know how long it has run.
class RestartCounter {
 public:
  static constexpr double kRestartFactor = 3;
  static constexpr size_t kRecentCycles = 31;

  // The count of the next shot, given its cycle time (NaN: not measured, counts on).
  double Next(double cycle_s);

 private:
  double count_ = std::numeric_limits<double>::quiet_NaN();
  std::vector<double> recent_;  // the latest cycle times, a ring of kRecentCycles
  std::vector<double> sorted_;  // Next()'s scratch for their median
  size_t next_ = 0;
};

}  // namespace linesight::process
