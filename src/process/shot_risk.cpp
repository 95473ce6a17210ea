#include "process/shot_risk.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <limits>
#include <sstream>

#include "core/error.h"
#include "core/sha256.h"

namespace linesight::process {

ShotRisk ShotRisk::Load(const std::filesystem::path& path) {
  const std::string name = path.string();
  std::ifstream in(path, std::ios::binary);
  if (!in)
    throw Error(ErrorCategory::kModel, "cannot read the risk model " + name,
                "Check the path, or download a model from the factory server: GET "
                "/api/v1/risk/model (docs/api.md)");
  std::stringstream text;
  text << in.rdbuf();
  const std::string body = text.str();
  try {
    const std::string digest =
        Sha256Hex(std::span(reinterpret_cast<const uint8_t*>(body.data()), body.size()));
    return ShotRisk(RiskModel::LoadJson(body, 1),
                    path.filename().string() + "@" + digest.substr(0, 12));
  } catch (const Error& e) {
    throw Error(ErrorCategory::kModel, "the risk model " + name + " is unusable: " + e.cause(),
                "Download it again from the factory server (GET /api/v1/risk/model)");
  }
}

ShotRisk::ShotRisk(RiskModel model, std::string id)
    : model_(std::move(model)), id_(std::move(id)) {}

double ShotRisk::Risk(const Shot& shot, double shots_since_restart) const {
  ShotTable t;
  t.AddShot(shot.time_ms, shot.machine, shot.die, kLabelUnknown);
  bool measured = false;
  for (const ProcessVariable& v : ProcessVariables()) {
    const double value = shot.process.*v.field;
    measured = measured || std::isfinite(value);
    t.AddFeature(std::string(v.name), {value});
  }
  if (!measured) return std::numeric_limits<double>::quiet_NaN();
  t.AddFeature("shots_since_restart", {shots_since_restart});
  t.AddFeature("die_shots", {shot.die_shot > 0 ? static_cast<double>(shot.die_shot)
                                               : std::numeric_limits<double>::quiet_NaN()});
  return model_.Predict(t).at(0);
}

double RestartCounter::Next(double cycle_s) {
  if (std::isfinite(cycle_s) && cycle_s > 0) {
    if (recent_.size() >= 5) {
      sorted_.assign(recent_.begin(), recent_.end());  // no allocation once both are full
      std::nth_element(sorted_.begin(), sorted_.begin() + sorted_.size() / 2, sorted_.end());
      if (cycle_s > kRestartFactor * sorted_[sorted_.size() / 2]) count_ = 0;
    }
    // A stop's gap is not a cycle: it would raise the median the next stop is judged by.
    if (count_ != 0) {
      if (recent_.size() < kRecentCycles) {
        recent_.push_back(cycle_s);
      } else {
        recent_[next_] = cycle_s;
        next_ = (next_ + 1) % kRecentCycles;
      }
    }
  }
  count_ += 1;  // NaN stays NaN
  return count_;
}

}  // namespace linesight::process
