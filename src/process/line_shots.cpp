// The line's shots as a shot table: see line_shots.h.
#include "process/line_shots.h"

#include <algorithm>
#include <cmath>
#include <map>

namespace linesight::process {
namespace {

// Times of each machine's stops and die changes, oldest first.
std::map<std::string, std::vector<int64_t>> RestartsByMachine(
    std::span<const MachineEvent> events) {
  std::map<std::string, std::vector<int64_t>> out;
  for (const MachineEvent& e : events)
    if (e.state != MachineState::kRunning) out[e.machine].push_back(e.time_ms);
  for (auto& [machine, times] : out) std::sort(times.begin(), times.end());
  return out;
}

// Median gap between one machine's consecutive shots (rows in time order); 0 if fewer than 2.
double MedianCycleMs(const std::vector<int64_t>& times) {
  std::vector<int64_t> gaps;
  for (size_t i = 1; i < times.size(); ++i) gaps.push_back(times[i] - times[i - 1]);
  if (gaps.empty()) return 0;
  std::nth_element(gaps.begin(), gaps.begin() + static_cast<std::ptrdiff_t>(gaps.size() / 2),
                   gaps.end());
  return static_cast<double>(gaps[gaps.size() / 2]);
}

// shots_since_restart for one machine's rows (`times`, oldest first).
std::vector<double> ShotsSinceRestart(const std::vector<int64_t>& times,
                                      const std::vector<int64_t>& restarts) {
  std::vector<double> out(times.size(), std::nan(""));
  const double cycle = MedianCycleMs(times);
  size_t next = 0;  // first restart not yet passed
  double count = std::nan("");
  for (size_t i = 0; i < times.size(); ++i) {
    bool restarted = false;
    int64_t last = 0;
    while (next < restarts.size() && restarts[next] <= times[i]) {
      last = restarts[next++];
      restarted = true;
    }
    if (restarted) {
      // A stop before the first shot: the run may have begun before the period.
      count = i == 0 && cycle > 0 ? std::floor(static_cast<double>(times[i] - last) / cycle) : 0;
    }
    count += 1;
    out[i] = count;
  }
  return out;
}

}  // namespace

ShotTable LineShotTable(std::vector<LineShot> shots, std::span<const MachineEvent> events) {
  std::stable_sort(shots.begin(), shots.end(),
                   [](const LineShot& a, const LineShot& b) { return a.time_ms < b.time_ms; });
  ShotTable t;
  const auto vars = ProcessVariables();
  std::vector<std::vector<double>> cols(vars.size());
  std::vector<double> die_shots;
  std::map<std::string, std::vector<size_t>> rows_of;  // machine -> its rows, oldest first
  for (const LineShot& s : shots) {
    const int8_t label = s.decision == Decision::kReject ? 1
                         : s.decision == Decision::kPass ? 0
                                                         : kLabelUnknown;
    rows_of[s.machine].push_back(t.AddShot(s.time_ms, s.machine, s.die, label));
    for (size_t v = 0; v < vars.size(); ++v) cols[v].push_back(s.process.*vars[v].field);
    die_shots.push_back(s.die_shot > 0 ? static_cast<double>(s.die_shot) : std::nan(""));
  }
  std::vector<double> since(shots.size(), std::nan(""));
  const auto restarts = RestartsByMachine(events);
  for (const auto& [machine, rows] : rows_of) {
    const auto it = restarts.find(machine);
    if (it == restarts.end()) continue;
    std::vector<int64_t> times;
    for (size_t r : rows) times.push_back(t.time_ms[r]);
    const std::vector<double> counts = ShotsSinceRestart(times, it->second);
    for (size_t k = 0; k < rows.size(); ++k) since[rows[k]] = counts[k];
  }
  for (size_t v = 0; v < vars.size(); ++v)
    t.AddFeature(std::string(vars[v].name), std::move(cols[v]));
  t.AddFeature("shots_since_restart", std::move(since));
  t.AddFeature("die_shots", std::move(die_shots));
  t.CheckConsistent();
  return t;
}

}  // namespace linesight::process
