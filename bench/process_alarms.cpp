// bench/process_alarms.cpp: how often the alert watch's process alarm calls a person on the
// simulated cell, and how many of those calls are real excursions. Each machine runs for D days
// per seed (no rendering); every production shot is judged as the watch judges the latest one
// (on-delay 4 of 5 beyond 3 sigma of the long-term spread of the 600 production shots before,
// warm-up shots left out: server/alert_sources.cpp), and, for comparison, as the watch did before
// (any I-MR rule-1 point among the latest 20, short-term limits from the 180 shots before them).
// An alarm episode begins when a variable's alarm turns on; it is on an excursion when that
// variable's excursion (docs/simulator.md) runs then, or ended at most 30 minutes before. An
// excursion is caught when an alarm begins during it (or within 10 minutes after it).
// docs/process.md "Alerts". Progress on stderr; one JSON object on stdout.
//   usage: process_alarms_bench [--seeds N] [--days D] [--first-seed S]
#include <cstdlib>
#include <iostream>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "process/control_chart.h"
#include "process/process_alarm.h"
#include "sim/machine_sim.h"

namespace {

using namespace linesight;
constexpr int kBaseline = 600, kWarmup = 15, kOldRecent = 20, kOldBaseline = 180;
size_t g_min_baseline = 60;  // --min-baseline
bool g_startup = false;      // --startup: judge from the first shots, as a new server does
double g_life_scale = 1;     // --life-scale: die lives as the demo's (0.015)
constexpr int64_t kMinute = 60'000;

struct Point {
  int64_t time_ms;
  double value;
  bool warmup;
};

// The process variable an excursion moves (ProcessVariables() order), or -1 (a refill: normal).
int VariableOf(sim::ExcursionKind k) {
  using K = sim::ExcursionKind;
  switch (k) {
    case K::kBurnerFault:
    case K::kOverheat:
      return 0;
    case K::kAccumulatorLow:
    case K::kShotSpeedHigh:
      return 2;
    case K::kIntensifierLeak:
      return 3;
    case K::kSprayOverdose:
      return 4;
    case K::kVacuumLeak:
      return 5;
    case K::kRefill:
      return -1;
  }
  return -1;
}

struct Counts {
  int64_t episodes = 0, on_excursion = 0, excursions = 0, caught = 0;
};

// The alarm state of each shot from `first` on, under the new rule (true) or the old one.
std::vector<bool> AlarmStates(const std::vector<Point>& s, size_t first, bool new_rule) {
  std::vector<bool> on(s.size(), false);
  for (size_t i = first; i < s.size(); ++i) {
    try {
      if (new_rule) {
        if (s[i].warmup) {
          on[i] = on[i - 1];  // the watch does not judge warm-up shots
          continue;
        }
        std::vector<double> window, base;
        size_t j = i + 1;
        while (j-- > 0 && window.size() < 5)
          if (!s[j].warmup) window.insert(window.begin(), s[j].value);
        while (j-- > 0 && base.size() < kBaseline)
          if (!s[j].warmup) base.push_back(s[j].value);
        on[i] = process::CheckOnDelay(window, process::FitAlarmLimits(base, g_min_baseline))
                    .has_value();
      } else {
        std::vector<double> base;
        const size_t span = kOldRecent + kOldBaseline;
        for (size_t j = i + 1 >= span ? i + 1 - span : 0; j + kOldRecent <= i; ++j)
          base.push_back(s[j].value);
        const auto l = process::FitIndividualsChart(base);
        for (size_t j = i + 1 - kOldRecent; j <= i; ++j)
          on[i] = on[i] || s[j].value > l.ucl || s[j].value < l.lcl;
      }
    } catch (const Error&) {
      // too few or constant: no alarm
    }
  }
  return on;
}

void Judge(const std::vector<Point>& s, const std::vector<sim::Excursion>& excursions, int v,
           bool new_rule, Counts& c) {
  const size_t first = g_startup ? g_min_baseline + 25 : kBaseline + 20;
  if (s.size() <= first) return;
  const std::vector<bool> on = AlarmStates(s, first, new_rule);
  std::vector<int64_t> starts;
  for (size_t i = first; i < s.size(); ++i) {
    if (!on[i] || on[i - 1]) continue;
    starts.push_back(s[i].time_ms);
    ++c.episodes;
    for (const sim::Excursion& e : excursions)
      if (VariableOf(e.kind) == v && s[i].time_ms >= e.start_ms &&
          s[i].time_ms <= e.end_ms + 30 * kMinute) {
        ++c.on_excursion;
        break;
      }
  }
  for (const sim::Excursion& e : excursions) {
    if (VariableOf(e.kind) != v || e.start_ms < s[first].time_ms) continue;
    ++c.excursions;
    for (int64_t t : starts)
      if (t >= e.start_ms && t <= e.end_ms + 10 * kMinute) {
        ++c.caught;
        break;
      }
  }
}

nlohmann::json Json(const std::map<std::string, Counts>& by, double machine_shifts) {
  nlohmann::json out = nlohmann::json::object();
  Counts all;
  for (const auto& [name, c] : by) {
    out[name] = {{"episodes", c.episodes},
                 {"on_excursion", c.on_excursion},
                 {"excursions", c.excursions},
                 {"caught", c.caught}};
    all.episodes += c.episodes, all.on_excursion += c.on_excursion;
    all.excursions += c.excursions, all.caught += c.caught;
  }
  out["episodes_per_machine_shift"] = static_cast<double>(all.episodes) / machine_shifts;
  out["not_on_excursion_per_machine_shift"] =
      static_cast<double>(all.episodes - all.on_excursion) / machine_shifts;
  out["excursions_caught"] =
      all.excursions ? static_cast<double>(all.caught) / static_cast<double>(all.excursions) : 0;
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  int seeds = 3;
  double days = 3;
  uint64_t first_seed = 101;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string f = argv[i];
    if (f == "--seeds")
      seeds = std::atoi(argv[i + 1]);
    else if (f == "--days")
      days = std::atof(argv[i + 1]);
    else if (f == "--min-baseline")
      g_min_baseline = static_cast<size_t>(std::atoi(argv[i + 1]));
    else if (f == "--life-scale")
      g_life_scale = std::atof(argv[i + 1]);
    else if (f == "--startup")
      g_startup = std::atoi(argv[i + 1]) != 0;
    else if (f == "--first-seed")
      first_seed = static_cast<uint64_t>(std::atoll(argv[i + 1]));
    else
      seeds = 0;
  }
  if (argc % 2 == 0 || seeds < 1 || !(days > 0)) {
    std::cerr << "usage: process_alarms_bench [--seeds N] [--days D] [--first-seed S]\n";
    return 2;
  }
  const auto vars = ProcessVariables();
  std::map<std::string, Counts> now, before;
  for (int seed = 0; seed < seeds; ++seed) {
    for (int m = 0; m < 9; ++m) {
      sim::CellOptions o;
      o.seed = first_seed + static_cast<uint64_t>(seed);
      o.die_life_scale = g_life_scale;
      sim::MachineSim machine(o, m);
      const int64_t end = o.start_time_ms + static_cast<int64_t>(days * 24 * 60 * kMinute);
      std::vector<std::vector<Point>> series(vars.size());
      int since_restart = 100;
      while (auto cs = machine.NextShot(end)) {
        for (const MachineEvent& e : machine.TakeEvents())
          if (e.state != MachineState::kRunning) since_restart = 0;
        ++since_restart;
        for (size_t v = 0; v < vars.size(); ++v)
          series[v].push_back(
              {cs->shot.time_ms, cs->shot.process.*vars[v].field, since_restart <= kWarmup});
      }
      const auto& excursions = machine.process().excursions();
      for (size_t v = 0; v < vars.size(); ++v) {
        const std::string name(vars[v].name);
        Judge(series[v], excursions, static_cast<int>(v), true, now[name]);
        Judge(series[v], excursions, static_cast<int>(v), false, before[name]);
      }
      std::cerr << "seed " << o.seed << " " << machine.id() << " done\n";
    }
  }
  const double machine_shifts = seeds * 9 * days * 3;
  const nlohmann::json out = {{"seeds", seeds},
                              {"first_seed", first_seed},
                              {"days", days},
                              {"machine_shifts", machine_shifts},
                              {"on_delay_long_term", Json(now, machine_shifts)},
                              {"imr_rule1_latest_20", Json(before, machine_shifts)}};
  std::cout << out.dump() << "\n";
  return 0;
}
