// sim/machine_sim.cpp: the machine's timeline. Each call to NextShot() walks it forward: planned
// stops and faults that come before the next shot stop the machine; a stop's later events wait
// in scheduled_ until the caller's time reaches them. Every random draw happens in timeline
// order, never depending on until_ms, which is what makes any slicing of time give one result.
#include "sim/machine_sim.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <limits>

#include "core/clock.h"
#include "sim/defect_causes.h"

namespace linesight::sim {
namespace {

constexpr std::array<const char*, 6> kFaults{"hydraulic leak",         "ladle fault",
                                             "extraction robot fault", "shot sleeve jam",
                                             "die spray fault",        "sensor fault"};

std::string DieId(const std::string& machine, int number) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%02d", number);
  return machine + "-D" + buf;
}

int64_t Minutes(double m) { return static_cast<int64_t>(std::llround(m * kMinuteMs)); }

}  // namespace

MachineSim::MachineSim(const CellOptions& options, int index)
    : options_(options),
      index_(index),
      id_("M" + std::to_string(index + 1)),
      stream_(0x10000ull * static_cast<uint64_t>(index + 1)),
      process_(options.seed, stream_ + 1, options.bias, options.excursions_per_hour,
               options.start_time_ms),
      events_rng_(options.seed, stream_ + 2),
      defects_rng_(options.seed, stream_ + 3),
      dies_rng_(options.seed, stream_ + 4) {
  die_ = DrawDie(DieId(id_, die_number_), options.die_life, options.die_life_scale,
                 options.dies_start_aged, dies_rng_);
  shot_counter_ = events_rng_.UniformInt(20000, 400000) + die_.shots;
  const int64_t start = options.start_time_ms;
  last_shot_ms_ = start - static_cast<int64_t>(process_.nominal_cycle_s() * 1000);
  const double phase = events_rng_.Uniform();  // machines are out of step with each other
  next_shot_ms_ = start + static_cast<int64_t>(phase * process_.DrawCycleS() * 1000);
  next_fault_ms_ = start + FaultDelayMs();
  planned_from_ms_ = start;
  events_.push_back(Event(start, MachineState::kRunning, true, "shift_start"));
}

int64_t MachineSim::FaultDelayMs() {
  if (options_.faults_per_hour <= 0) return std::numeric_limits<int64_t>::max() / 4;
  return static_cast<int64_t>(-std::log(1.0 - events_rng_.Uniform()) / options_.faults_per_hour *
                              kHourMs) +
         1;
}

MachineSim::PlannedStop MachineSim::NextPlannedStop(int64_t from_ms) const {
  const int64_t start = options_.start_time_ms;
  const int64_t len = static_cast<int64_t>(options_.shift_hours * kHourMs);
  const int64_t k0 = std::max<int64_t>(0, (from_ms - start) / len);
  for (int64_t k = k0; k <= k0 + 1; ++k) {
    const int64_t s = start + k * len;
    // Each machine's crew takes its breaks a few minutes apart from the others.
    Rng jitter(options_.seed, stream_ + 0x800 + static_cast<uint64_t>(k));
    std::vector<PlannedStop> stops;
    if (options_.breaks) {
      const std::array<std::pair<double, double>, 3> breaks{{{0.25, 15}, {0.5, 30}, {0.75, 15}}};
      for (const auto& [at, minutes] : breaks) {
        const int64_t b = s + static_cast<int64_t>(at * len) + Minutes(jitter.Uniform(0, 10));
        stops.push_back({b, b + Minutes(minutes), "break", "restart"});
      }
    }
    stops.push_back({s + len - Minutes(5), s + len + Minutes(5), "shift_change", "shift_start"});
    for (const PlannedStop& stop : stops) {
      if (stop.start_ms >= from_ms) return stop;
    }
  }
  return {std::numeric_limits<int64_t>::max(), std::numeric_limits<int64_t>::max(), "", ""};
}

MachineEvent MachineSim::Event(int64_t time_ms, MachineState state, bool planned,
                               std::string reason, std::string detail) const {
  MachineEvent e;
  e.machine = id_;
  e.time_ms = time_ms;
  e.state = state;
  e.planned = planned;
  e.reason = std::move(reason);
  e.die = die_.id;
  e.detail = std::move(detail);
  return e;
}

void MachineSim::Apply(const MachineEvent& event) {
  state_ = event.state;
  if (event.state == MachineState::kRunning) {
    // A restart: the new die if one was fitted, warm-up shots, the first cycle after the stop.
    if (next_die_) {
      die_ = std::move(*next_die_);
      next_die_.reset();
    }
    shot_after_restart_ = 0;
    planned_from_ms_ = event.time_ms;
    next_shot_ms_ = event.time_ms + static_cast<int64_t>(process_.DrawCycleS() * 1000 * 0.5);
    if (next_fault_ms_ <= event.time_ms) next_fault_ms_ = event.time_ms + FaultDelayMs();
  }
  MachineEvent copy = event;
  copy.die = die_.id;  // the die on the machine after the event
  events_.push_back(std::move(copy));
}

void MachineSim::Stop(MachineEvent stop, std::vector<MachineEvent> then) {
  Apply(stop);
  scheduled_ = std::move(then);
}

void MachineSim::StopForFault(int64_t at_ms) {
  const double minutes =
      std::clamp(15 * std::exp(0.8 * events_rng_.Normal()), 3.0, 60.0);  // median 15 min
  const char* kind = kFaults[static_cast<size_t>(events_rng_.UniformInt(0, kFaults.size() - 1))];
  next_fault_ms_ = at_ms + FaultDelayMs();
  Stop(Event(at_ms, MachineState::kStopped, false, "machine_fault", kind),
       {Event(at_ms + Minutes(minutes), MachineState::kRunning, true, "restart")});
}

void MachineSim::ChangeDie(int64_t at_ms, bool after_failure) {
  die_change_requested_ = false;
  next_die_ = DrawDie(DieId(id_, ++die_number_), options_.die_life, options_.die_life_scale, false,
                      dies_rng_);
  std::vector<MachineEvent> then;
  if (after_failure) {
    // Diagnosis and fetching the spare die, then the change itself: 4-8 h in all.
    const int64_t change = at_ms + Minutes(events_rng_.Uniform(30, 90));
    const int64_t end = at_ms + Minutes(events_rng_.Uniform(240, 480));
    then.push_back(
        Event(change, MachineState::kDieChange, false, "die_change", "after die failure"));
    then.push_back(Event(end, MachineState::kRunning, true, "restart", "new die " + next_die_->id));
    Stop(Event(at_ms, MachineState::kStopped, false, "die_failure",
               "die cracked at shot " + std::to_string(die_.shots + 1)),
         std::move(then));
  } else {
    const int64_t end = at_ms + Minutes(events_rng_.Uniform(60, 120));
    then.push_back(Event(end, MachineState::kRunning, true, "restart", "new die " + next_die_->id));
    Stop(Event(at_ms, MachineState::kDieChange, true, "die_change",
               "after " + std::to_string(die_.shots) + " shots"),
         std::move(then));
  }
}

CellShot MachineSim::MakeShot(int64_t at_ms) {
  ++shot_counter_;
  ++die_.shots;
  ++shot_after_restart_;
  const double cycle_s = static_cast<double>(at_ms - last_shot_ms_) / 1000;
  CellShot out;
  out.shot.machine = id_;
  out.shot.die = die_.id;
  out.shot.shot = shot_counter_;
  out.shot.die_shot = die_.shots;
  out.shot.time_ms = at_ms;
  out.shot.process = process_.Shoot(at_ms, cycle_s);
  ShotContext context;
  context.shot_after_restart = shot_after_restart_;
  context.die_wear = die_.wear();
  context.vein = die_.Vein(die_.shots);
  out.truth = DrawDefects(out.shot.process, context, options_.random_defect_rate, defects_rng_);
  if (context.vein.length > 0) out.veins.push_back(context.vein);
  uint64_t s = options_.seed ^ (stream_ << 20) ^ static_cast<uint64_t>(shot_counter_);
  out.render_seed = SplitMix64(s);
  last_shot_ms_ = at_ms;
  next_shot_ms_ = at_ms + static_cast<int64_t>(process_.DrawCycleS() * 1000);
  return out;
}

std::optional<CellShot> MachineSim::NextShot(int64_t until_ms) {
  while (true) {
    if (!scheduled_.empty()) {  // stopped: replay the stop's events as time reaches them
      if (scheduled_.front().time_ms > until_ms) return std::nullopt;
      MachineEvent next = std::move(scheduled_.front());
      scheduled_.erase(scheduled_.begin());
      Apply(next);
      continue;
    }
    const int64_t t = next_shot_ms_;
    const PlannedStop stop = NextPlannedStop(planned_from_ms_);
    if (stop.start_ms <= t || next_fault_ms_ <= t) {
      const bool planned = stop.start_ms <= next_fault_ms_;
      const int64_t at = planned ? stop.start_ms : next_fault_ms_;
      if (at > until_ms) return std::nullopt;
      if (planned) {
        Stop(Event(at, MachineState::kStopped, true, stop.reason),
             {Event(stop.end_ms, MachineState::kRunning, true, stop.restart_reason)});
      } else {
        StopForFault(at);
      }
      continue;
    }
    if (t > until_ms) return std::nullopt;
    const bool vein_policy = options_.die_change_at_vein_px > 0 &&
                             die_.VeinLength(die_.shots) >= options_.die_change_at_vein_px;
    if (die_change_requested_ || vein_policy) {
      ChangeDie(t, false);
    } else if (die_.shots + 1 >= die_.life) {
      ChangeDie(t, true);
    } else {
      return MakeShot(t);
    }
  }
}

std::vector<MachineEvent> MachineSim::TakeEvents() {
  std::vector<MachineEvent> out;
  out.swap(events_);
  return out;
}

}  // namespace linesight::sim
