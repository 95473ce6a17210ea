// bench/process_sim.cpp: die health (process/die_health.h) on many simulated weeks of the
// 9-machine cell. Each shot's truth becomes the sightings a station would report (model below, an
// assumption documented in docs/process.md "Die health"); no part is rendered. Each seed runs
// twice: (a) warnings only watched, (b) a planned die change when a crack warning gives fewer
// shots left than --margin. Measures (docs/process.md defines each):
// - die_warned_500_rate: die failures in (a) with a crack warning raised >= 500 shots before.
// - false_warnings_per_machine_week: crack warnings in (a) whose die did not fail within the
//   warning's own horizon (shots_left_high, else 2 x shots_left) + --slack shots.
// - downtime_cut: 1 - unplanned downtime (b) / unplanned downtime (a), all unplanned stops.
// Progress on stderr; one JSON object on stdout.
//   usage: process_sim_bench [--seeds N] [--weeks W] [--first-seed S] [--life-scale X]
//                            [--margin SHOTS] [--slack SHOTS] [--seen-from PX] [--seen-full PX]
//                            [--symmetry N]
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/clock.h"
#include "inspect/finding_type.h"
#include "process/die_health.h"
#include "sim/machine_sim.h"

namespace {

using namespace linesight;
constexpr double kPi = 3.14159265358979323846;
constexpr double kPartRadiusPx = 120;  // outer radius at the 300 px reference render (0.40 x 300)

struct Args {
  int seeds = 3, weeks = 52;
  uint64_t first_seed = 101;
  double life_scale = 1, margin = 300, slack = 1000;
  double seen_from_px = 4, seen_full_px = 12;  // the vein detection curve (below)
  // Places are folded into one repeat of a part that repeats itself this often a turn, as the
  // station reports them (PartFramePlace, docs/records.md "place"); 6: the simulated impeller.
  double symmetry = 6;
};

// What inspection is assumed to report for one shot (docs/process.md "Die health"): a die vein
// seen with a probability rising linearly from 0 at --seen-from px (default 4, the length at which
// it first shows) to 0.95 at --seen-full px (default 12); its place (the vein's midpoint) jittered
// by 2 px, its size by 10%. Other defects are seen with probability 0.9 at random places (rim
// defects on the rim); 0.5% of parts get a false finding.
std::vector<process::DefectSighting> Sight(const sim::CellShot& cs, const Args& args,
                                           sim::Rng& rng) {
  std::vector<process::DefectSighting> out;
  const auto add = [&](const char* type, double x, double y, double size) {
    const cv::Point2d at =
        PartFramePlace({x, y}, {0, 0}, kPartRadiusPx, 0, static_cast<int>(args.symmetry));
    out.push_back(
        {cs.shot.die, cs.shot.die_shot, type, at.x * kPartRadiusPx, at.y * kPartRadiusPx, size});
  };
  const auto random_place = [&](bool rim, double& x, double& y) {
    const double r = rim ? kPartRadiusPx : kPartRadiusPx * 0.95 * std::sqrt(rng.Uniform());
    const double a = rng.Uniform(0, 2 * kPi);
    x = r * std::cos(a), y = r * std::sin(a);
  };
  for (const sim::DefectTruth& d : cs.truth.defects) {
    double x = 0, y = 0;
    if (d.type == sim::DefectType::kDieVein) {
      if (cs.veins.empty()) continue;
      const double seen = std::clamp(
          0.95 * (d.length - args.seen_from_px) / (args.seen_full_px - args.seen_from_px), 0.0,
          0.95);
      if (rng.Uniform() >= seen) continue;
      const double h = cs.veins[0].heading, half = d.length / 2;
      x = d.at_part.x * kPartRadiusPx + half * std::cos(h) + 2 * rng.Normal();
      y = d.at_part.y * kPartRadiusPx + half * std::sin(h) + 2 * rng.Normal();
      add("die_vein", x, y, d.length * std::exp(0.1 * rng.Normal()));
      continue;
    }
    if (rng.Uniform() >= 0.9) continue;
    const bool rim = d.type == sim::DefectType::kFlash || d.type == sim::DefectType::kEdgeChip;
    random_place(rim, x, y);
    add(std::string(sim::DefectName(d.type)).c_str(), x, y, rng.Uniform(3, 40));
  }
  if (rng.Uniform() < 0.005) {
    double x = 0, y = 0;
    random_place(false, x, y);
    add("anomaly", x, y, rng.Uniform(3, 15));
  }
  return out;
}

struct CrackRecord {
  int64_t raised_shot = 0;
  double horizon = 0;                  // shots the warning claimed at most, + slack
  double left = 0, low = 0, high = 0;  // its shots-left estimate and band when raised
};

// Per run: what happened to every die, and the downtime.
struct RunResult {
  std::map<std::string, int64_t> failed_at;  // die -> die shot of its failure
  std::map<std::string, int64_t> last_shot;  // die -> last shot made (alive or not)
  std::map<std::string, std::vector<CrackRecord>> cracks;
  int64_t flash_warnings = 0, life_warnings = 0, planned_changes = 0;
  int64_t shots_given_up = 0;  // (b): shots the changed dies had left before they would fail
  double unplanned_h = 0, die_failure_h = 0;
};

// One machine's stops: unplanned when the event that began the stop is unplanned.
struct StopClock {
  bool stopped = false, unplanned = false, die_failure = false;
  int64_t since = 0;
  void Event(const MachineEvent& e, RunResult& r) {
    const bool running = e.state == MachineState::kRunning;
    if (running && stopped) {
      const double h = static_cast<double>(e.time_ms - since) / 3.6e6;
      if (unplanned) r.unplanned_h += h;
      if (die_failure) r.die_failure_h += h;
      stopped = false;
    } else if (!running && !stopped) {
      stopped = true, since = e.time_ms, unplanned = !e.planned;
      die_failure = e.reason == "die_failure";
    }
  }
};

void RunMachine(const sim::CellOptions& o, int index, int64_t end_ms, bool act, const Args& args,
                process::DieHealth& health, RunResult& r) {
  sim::MachineSim m(o, index);
  sim::Rng rng(o.seed, 0x5000 + static_cast<uint64_t>(index));
  StopClock clock;
  std::string die = m.die().id;
  const auto events = [&] {
    for (const MachineEvent& e : m.TakeEvents()) {
      clock.Event(e, r);
      if (e.reason == "die_failure") r.failed_at[die] = r.last_shot[die] + 1;
      if (e.reason == "die_change") {
        r.planned_changes += e.planned ? 1 : 0;
        health.DieChanged(die);
      }
      if (e.state == MachineState::kRunning) die = e.die;
    }
  };
  while (auto cs = m.NextShot(end_ms)) {
    events();
    const std::vector<process::DefectSighting> s = Sight(*cs, args, rng);
    r.last_shot[cs->shot.die] = cs->shot.die_shot;
    for (const process::DieWarning& w : health.AddPart(cs->shot.die, cs->shot.die_shot, s)) {
      if (w.kind == process::DieWarningKind::kFlashGrowth) ++r.flash_warnings;
      if (w.kind == process::DieWarningKind::kLifeShare) ++r.life_warnings;
      if (w.kind != process::DieWarningKind::kCrack) continue;
      const double claim = w.shots_left_high >= 0 ? w.shots_left_high : 2 * w.shots_left;
      r.cracks[w.die].push_back(
          {w.raised_shot, claim + args.slack, w.shots_left, w.shots_left_low, w.shots_left_high});
    }
    const process::DieWarning* w = health.CrackWarning(cs->shot.die);
    if (act && w != nullptr && w->shots_left >= 0 && w->shots_left < args.margin) {
      m.RequestDieChange();
      r.shots_given_up += m.die().life - m.die().shots - 1;
    }
  }
  events();
}

RunResult RunCell(uint64_t seed, bool act, const Args& args) {
  sim::CellOptions o;
  o.seed = seed;
  o.die_life_scale = args.life_scale;
  process::DieHealthOptions h;
  h.expected_life_shots = o.die_life.median_life * args.life_scale;
  process::DieHealth health(h);
  RunResult r;
  const int64_t end_ms = o.start_time_ms + args.weeks * kWeekMs;
  for (int i = 0; i < o.machines; ++i) RunMachine(o, i, end_ms, act, args, health, r);
  return r;
}

Args Parse(int argc, char** argv) {
  Args a;
  double seeds = a.seeds, weeks = a.weeks, first_seed = static_cast<double>(a.first_seed);
  const std::map<std::string, double*> flags{{"--seeds", &seeds},
                                             {"--weeks", &weeks},
                                             {"--first-seed", &first_seed},
                                             {"--life-scale", &a.life_scale},
                                             {"--margin", &a.margin},
                                             {"--slack", &a.slack},
                                             {"--seen-from", &a.seen_from_px},
                                             {"--seen-full", &a.seen_full_px},
                                             {"--symmetry", &a.symmetry}};
  for (int i = 1; i < argc; i += 2) {
    const auto it = flags.find(argv[i]);
    if (it == flags.end() || i + 1 >= argc) {
      std::cerr << "usage: process_sim_bench [--seeds N] [--weeks W] [--first-seed S] "
                   "[--life-scale X] [--margin SHOTS] [--slack SHOTS] [--seen-from PX] "
                   "[--seen-full PX] [--symmetry N]\n";
      std::exit(2);
    }
    *it->second = std::atof(argv[i + 1]);
  }
  a.seeds = static_cast<int>(seeds), a.weeks = static_cast<int>(weeks);
  a.first_seed = static_cast<uint64_t>(first_seed);
  if (a.seeds < 1 || a.weeks < 1 || !(a.life_scale > 0) || !(a.seen_full_px > a.seen_from_px) ||
      !(a.symmetry >= 1)) {
    std::cerr << "need seeds, weeks >= 1, life scale > 0, seen-full > seen-from, symmetry >= 1\n";
    std::exit(2);
  }
  return a;
}

// The figures, summed over seeds.
struct Totals {
  int64_t failures = 0, warned_any = 0, warned_500 = 0, in_band = 0;
  int64_t cracks = 0, false_cracks = 0, undecided = 0, beyond_claim = 0, dies_warned_twice = 0;
  int64_t failures_b = 0, flash = 0, life = 0, planned_b = 0, given_up = 0;
  std::vector<double> rel_errors;  // |shots-left estimate - truth| / truth at the first warning
  double lead_sum = 0, down_a = 0, down_b = 0, die_down_a = 0, die_down_b = 0;

  // Each die failure of (a): was it warned, how early, how good was the estimate.
  void AddFailures(const RunResult& a) {
    for (const auto& [die, at] : a.failed_at) {
      ++failures;
      const auto it = a.cracks.find(die);
      if (it == a.cracks.end()) continue;
      ++warned_any;
      const CrackRecord& first = it->second.front();
      const double lead = static_cast<double>(at - first.raised_shot);
      lead_sum += lead;
      rel_errors.push_back(std::abs(first.left - lead) / lead);
      in_band += lead >= first.low && (first.high < 0 || lead <= first.high) ? 1 : 0;
      warned_500 += lead >= 500 ? 1 : 0;
    }
  }

  // Each crack warning of (a): did its die fail within the warning's horizon?
  void AddWarnings(const RunResult& a, double slack) {
    for (const auto& [die, list] : a.cracks) {
      dies_warned_twice += list.size() > 1 ? 1 : 0;
      const auto failed = a.failed_at.find(die);
      for (const CrackRecord& c : list) {
        ++cracks;
        const double due = static_cast<double>(c.raised_shot) + c.horizon;
        if (failed != a.failed_at.end()) {
          const double at = static_cast<double>(failed->second);
          false_cracks += at > due ? 1 : 0;
          beyond_claim += at > due - slack ? 1 : 0;  // later than claimed, slack aside
        } else if (static_cast<double>(a.last_shot.at(die)) > due) {
          ++false_cracks;  // outlived its warning's horizon
        } else {
          ++undecided;  // the run ended inside the horizon
        }
      }
    }
  }

  void AddRuns(const RunResult& a, const RunResult& b, const Args& args) {
    AddFailures(a);
    AddWarnings(a, args.slack);
    failures_b += static_cast<int64_t>(b.failed_at.size());
    flash += a.flash_warnings, life += a.life_warnings, planned_b += b.planned_changes;
    given_up += b.shots_given_up;
    down_a += a.unplanned_h, down_b += b.unplanned_h;
    die_down_a += a.die_failure_h, die_down_b += b.die_failure_h;
  }

  nlohmann::json Json(const Args& args) {
    const auto ratio = [](double x, double y) { return y > 0 ? x / y : 0.0; };
    const auto d = [](int64_t n) { return static_cast<double>(n); };
    std::sort(rel_errors.begin(), rel_errors.end());
    nlohmann::json j;
    j["die_warned_500_rate"] = ratio(d(warned_500), d(failures));
    j["false_warnings_per_machine_week"] = d(false_cracks) / (9.0 * args.weeks * args.seeds);
    j["downtime_cut"] = down_a > 0 ? 1 - down_b / down_a : 0.0;
    j["die_failure_downtime_cut"] = die_down_a > 0 ? 1 - die_down_b / die_down_a : 0.0;
    j["die_failures"] = failures;
    j["die_failures_warned"] = warned_any;
    j["die_failures_warned_500"] = warned_500;
    j["mean_lead_shots"] = ratio(lead_sum, d(warned_any));
    j["shots_left_median_rel_error"] = rel_errors.empty() ? 0.0 : rel_errors[rel_errors.size() / 2];
    j["shots_left_in_band_rate"] = ratio(d(in_band), d(warned_any));
    j["crack_warnings"] = cracks;
    j["false_crack_warnings"] = false_cracks;
    j["failed_later_than_claimed"] = beyond_claim;
    j["dies_with_several_crack_warnings"] = dies_warned_twice;
    j["undecided_crack_warnings"] = undecided;
    j["flash_warnings"] = flash;
    j["life_warnings"] = life;
    j["die_failures_acting"] = failures_b;
    j["planned_die_changes_acting"] = planned_b;
    j["mean_shots_given_up_per_change"] = ratio(d(given_up), d(planned_b));
    j["unplanned_downtime_h"] = {{"observe", down_a}, {"act", down_b}};
    j["die_failure_downtime_h"] = {{"observe", die_down_a}, {"act", die_down_b}};
    j["weeks"] = args.weeks;
    j["seeds"] = args.seeds;
    j["first_seed"] = args.first_seed;
    j["machines"] = 9;
    j["life_scale"] = args.life_scale;
    j["margin_shots"] = args.margin;
    j["slack_shots"] = args.slack;
    j["vein_seen_from_px"] = args.seen_from_px;
    j["vein_seen_full_px"] = args.seen_full_px;
    return j;
  }
};

}  // namespace

int main(int argc, char** argv) {
  const Args args = Parse(argc, argv);
  Totals totals;
  for (int s = 0; s < args.seeds; ++s) {
    const uint64_t seed = args.first_seed + static_cast<uint64_t>(s);
    const RunResult a = RunCell(seed, false, args);
    const RunResult b = RunCell(seed, true, args);
    totals.AddRuns(a, b, args);
    std::cerr << "seed " << seed << ": die failures (a) " << a.failed_at.size() << ", (b) "
              << b.failed_at.size() << "; unplanned h (a) " << a.unplanned_h << ", (b) "
              << b.unplanned_h << "\n";
  }
  std::cout << totals.Json(args).dump() << "\n";
  return 0;
}
