// bench/process_causes.cpp: cause ranking (process/cause_ranking.h) judged against the simulated
// cell's ground truth. Each machine's shots over many simulated weeks become a shot table with
// what a plant records (the process values, shots since the last restart, shots on the die); an
// episode is one (machine, defect type, week) with at least --min-rejects rejects of that type,
// and its true cause is the cause the simulator drew for most of them. The episode counts as hit
// when the ranking's first supported condition is that cause's variable on the side the cause
// lies (cold metal: melt_temp_c low; warm-up: shots_since_restart low; ...), or, for defects of
// no process cause, when no cause is claimed. docs/process.md "Causes on the simulator".
// Progress on stderr; one JSON object on stdout.
//   usage: process_causes_bench [--seeds N] [--weeks W] [--first-seed S] [--min-rejects N]
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/clock.h"
#include "process/cause_ranking.h"
#include "sim/machine_sim.h"

namespace {

using namespace linesight;
namespace lp = linesight::process;

struct Args {
  int seeds = 3, weeks = 26, min_rejects = 20;
  uint64_t first_seed = 301;
};

// The variable and side that name each cause; kRandom has none (the right answer is no cause).
struct Expected {
  const char* variable;
  lp::Cause::Kind kind;
};
const std::map<sim::Cause, Expected>& CauseVariables() {
  using K = lp::Cause::Kind;
  static const std::map<sim::Cause, Expected> m{
      {sim::Cause::kColdMetal, {"melt_temp_c", K::kBelow}},
      {sim::Cause::kColdDie, {"die_temp_c", K::kBelow}},
      {sim::Cause::kSlowFill, {"fast_shot_mps", K::kBelow}},
      {sim::Cause::kHotMetal, {"melt_temp_c", K::kAbove}},
      {sim::Cause::kFastFill, {"fast_shot_mps", K::kAbove}},
      {sim::Cause::kHeavySpray, {"spray_s", K::kAbove}},
      {sim::Cause::kPoorVacuum, {"vacuum_mbar", K::kAbove}},
      {sim::Cause::kLowIntensification, {"intensification_bar", K::kBelow}},
      {sim::Cause::kDieWear, {"die_shots", K::kAbove}},
      {sim::Cause::kDieCrack, {"die_shots", K::kAbove}},
      {sim::Cause::kWarmup, {"shots_since_restart", K::kBelow}},
  };
  return m;
}

// One machine's shots: the table the ranking sees, and per shot the truth it must not see.
struct MachineRun {
  lp::ShotTable table;
  std::vector<std::map<sim::DefectType, sim::Cause>> truth;  // per shot: type -> its cause
};

// Runs machine `index` of the cell for `weeks`; the table's machine column is "M3 week 07", so
// grouping by machine groups by episode window.
MachineRun RunMachine(uint64_t seed, int index, int weeks) {
  sim::CellOptions o;
  o.seed = seed;
  sim::MachineSim m(o, index);
  const int64_t end_ms = o.start_time_ms + weeks * kWeekMs;
  MachineRun run;
  const auto vars = ProcessVariables();
  std::vector<std::vector<double>> cols(vars.size() + 2);
  int64_t since_restart = 100;
  const auto types = sim::AllDefectTypes();
  run.table.defect_names.clear();
  for (sim::DefectType t : types) run.table.defect_names.emplace_back(sim::DefectName(t));
  run.table.defect_names.emplace_back(sim::DefectName(sim::DefectType::kDieVein));
  run.table.defects.assign(run.table.defect_names.size(), {});
  while (auto cs = m.NextShot(end_ms)) {
    for (const MachineEvent& e : m.TakeEvents())
      if (e.state != MachineState::kRunning) since_restart = 0;
    ++since_restart;
    const int64_t week = (cs->shot.time_ms - o.start_time_ms) / kWeekMs;
    char window[32];
    std::snprintf(window, sizeof window, "%s week %02lld", m.id().c_str(),
                  static_cast<long long>(week + 1));
    run.table.AddShot(cs->shot.time_ms, window, cs->shot.die, cs->truth.good() ? 0 : 1);
    for (size_t v = 0; v < vars.size(); ++v) cols[v].push_back(cs->shot.process.*vars[v].field);
    cols[vars.size()].push_back(static_cast<double>(since_restart));
    cols[vars.size() + 1].push_back(static_cast<double>(cs->shot.die_shot));
    std::map<sim::DefectType, sim::Cause> truth;
    for (const sim::DefectTruth& d : cs->truth.defects) truth.emplace(d.type, d.cause);
    for (size_t k = 0; k < run.table.defect_names.size(); ++k) {
      const auto type = sim::ParseDefectType(run.table.defect_names[k]);
      run.table.defects[k].back() = truth.count(*type) ? 1 : 0;
    }
    run.truth.push_back(std::move(truth));
  }
  for (size_t v = 0; v < vars.size(); ++v)
    run.table.AddFeature(std::string(vars[v].name), std::move(cols[v]));
  run.table.AddFeature("shots_since_restart", std::move(cols[vars.size()]));
  run.table.AddFeature("die_shots", std::move(cols[vars.size() + 1]));
  run.table.CheckConsistent();
  return run;
}

struct Tally {
  int64_t episodes = 0, hits = 0, no_claim = 0, dominant = 0, dominant_hits = 0;
  std::map<std::string, std::pair<int64_t, int64_t>> by_cause;  // true cause -> (episodes, hits)
  std::map<std::string, int64_t> named_instead;  // "warmup -> die_temp_c low": misses
  nlohmann::json examples = nlohmann::json::array();
};

// The true cause of a group's rejects of `type`, and the share of them it made.
std::pair<sim::Cause, double> TrueCause(const MachineRun& run, const std::string& group,
                                        sim::DefectType type) {
  std::map<sim::Cause, int64_t> n;
  int64_t all = 0;
  for (size_t i = 0; i < run.table.size(); ++i) {
    if ("machine " + run.table.machine[i] != group) continue;
    const auto it = run.truth[i].find(type);
    if (it == run.truth[i].end()) continue;
    ++n[it->second], ++all;
  }
  auto best = n.begin();
  for (auto it = n.begin(); it != n.end(); ++it)
    if (it->second > best->second) best = it;
  return {best->first, static_cast<double>(best->second) / static_cast<double>(all)};
}

void Judge(const MachineRun& run, sim::DefectType type, const Args& args, Tally& t) {
  lp::CauseOptions o;
  o.defect = std::string(sim::DefectName(type));
  o.missing_condition = false;  // the simulator measures every value
  for (const lp::CauseGroup& g : lp::RankCauses(run.table, lp::GroupBy::kMachine, o)) {
    if (static_cast<int>(g.rejects) < args.min_rejects) continue;
    const auto [cause, share] = TrueCause(run, g.group, type);
    const bool claimed = !g.causes.empty() && g.causes[0].supported;
    bool hit = false;
    std::string named = claimed ? g.causes[0].Condition() : "no cause";
    if (const auto e = CauseVariables().find(cause); e != CauseVariables().end())
      hit = claimed && g.causes[0].variable == e->second.variable &&
            g.causes[0].kind == e->second.kind;
    else
      hit = !claimed;
    ++t.episodes, t.hits += hit, t.no_claim += !claimed;
    const bool dominant = share >= 0.5;
    t.dominant += dominant, t.dominant_hits += dominant && hit;
    auto& c = t.by_cause[std::string(sim::CauseName(cause))];
    ++c.first, c.second += hit;
    if (!hit) ++t.named_instead[std::string(sim::CauseName(cause)) + " -> " + named];
    if (t.examples.size() < 12 && (!hit || t.examples.size() < 6))
      t.examples.push_back({{"episode", g.group + " " + o.defect},
                            {"rejects", g.rejects},
                            {"true_cause", sim::CauseName(cause)},
                            {"true_cause_share", share},
                            {"hit", hit},
                            {"named", claimed ? g.causes[0].Sentence(g.target) : g.note}});
  }
}

Args Parse(int argc, char** argv) {
  Args a;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string f = argv[i];
    const long v = std::atol(argv[i + 1]);
    if (f == "--seeds")
      a.seeds = static_cast<int>(v);
    else if (f == "--weeks")
      a.weeks = static_cast<int>(v);
    else if (f == "--first-seed")
      a.first_seed = static_cast<uint64_t>(v);
    else if (f == "--min-rejects")
      a.min_rejects = static_cast<int>(v);
    else
      a.seeds = 0;
  }
  if (argc % 2 == 0 || a.seeds < 1 || a.weeks < 1 || a.min_rejects < 1) {
    std::cerr << "usage: process_causes_bench [--seeds N] [--weeks W] [--first-seed S] "
                 "[--min-rejects N]\n";
    std::exit(2);
  }
  return a;
}

nlohmann::json Json(const Tally& t, const Args& args) {
  const auto rate = [](int64_t x, int64_t y) {
    return y > 0 ? nlohmann::json(static_cast<double>(x) / static_cast<double>(y))
                 : nlohmann::json();
  };
  nlohmann::json by = nlohmann::json::object();
  for (const auto& [cause, n] : t.by_cause) by[cause] = {{"episodes", n.first}, {"hits", n.second}};
  return {{"cause_top1_rate", rate(t.hits, t.episodes)},
          {"episodes", t.episodes},
          {"hits", t.hits},
          {"episodes_without_claim", t.no_claim},
          {"dominant_cause_episodes", t.dominant},
          {"dominant_cause_top1_rate", rate(t.dominant_hits, t.dominant)},
          {"by_true_cause", by},
          {"misses", t.named_instead},
          {"examples", t.examples},
          {"seeds", args.seeds},
          {"first_seed", args.first_seed},
          {"weeks", args.weeks},
          {"min_rejects", args.min_rejects}};
}

}  // namespace

int main(int argc, char** argv) {
  const Args args = Parse(argc, argv);
  Tally t;
  for (int s = 0; s < args.seeds; ++s) {
    const uint64_t seed = args.first_seed + static_cast<uint64_t>(s);
    for (int m = 0; m < 9; ++m) {
      const MachineRun run = RunMachine(seed, m, args.weeks);
      for (sim::DefectType type : sim::AllDefectTypes()) Judge(run, type, args, t);
      Judge(run, sim::DefectType::kDieVein, args, t);
      std::cerr << "seed " << seed << " M" << m + 1 << ": " << run.table.size()
                << " shots; episodes so far " << t.episodes << ", hits " << t.hits << "\n";
    }
  }
  std::cout << Json(t, args).dump() << "\n";
  return 0;
}
