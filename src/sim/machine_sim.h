// sim/machine_sim.h: one simulated die-casting machine and its die over time: shots with process
// values and ground-truth defects, planned and unplanned stops, die failures and changes.
// Deterministic from the cell's seed and the machine's index alone, so machines may run on
// separate threads; one MachineSim is used by one thread at a time.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/part_record.h"
#include "sim/cause.h"
#include "sim/cell_options.h"
#include "sim/die_model.h"
#include "sim/process_model.h"
#include "sim/rng.h"

namespace linesight::sim {

// One shot of the cell and everything needed to render its part.
struct CellShot {
  linesight::Shot shot;
  ShotTruth truth;
  uint64_t render_seed = 0;    // PartRenderer seed of this part
  std::vector<DieVein> veins;  // the die's vein if one shows (also in truth as kDieCrack)
};

class MachineSim {
 public:
  // Machine `index` (0-based; id "M<index+1>") of a cell with `options`; its first event
  // ("shift_start") is at options.start_time_ms. REQUIRES: CheckCellOptions(options) passes.
  MachineSim(const CellOptions& options, int index);

  // Advances to the machine's next shot if it is made at or before `until_ms`; else returns
  // nullopt (the machine is stopped, or its next cycle ends later) and a later call with a later
  // `until_ms` carries on. The results do not depend on how time is sliced into calls.
  std::optional<CellShot> NextShot(int64_t until_ms);

  // Events since the last call, in time order; none later than the last NextShot's until_ms,
  // except the first ("shift_start" at options.start_time_ms), which is there from construction.
  std::vector<MachineEvent> TakeEvents();

  // Asks for a planned die change before the next shot (maintenance acting on a warning).
  void RequestDieChange() { die_change_requested_ = true; }

  const std::string& id() const { return id_; }
  const DieState& die() const { return die_; }
  MachineState state() const { return state_; }
  int64_t shot_counter() const { return shot_counter_; }
  const ProcessModel& process() const { return process_; }

 private:
  struct PlannedStop {
    int64_t start_ms, end_ms;
    const char* reason;
    const char* restart_reason;
  };
  PlannedStop NextPlannedStop(int64_t from_ms) const;
  MachineEvent Event(int64_t time_ms, MachineState state, bool planned, std::string reason,
                     std::string detail = "") const;
  void Stop(MachineEvent stop, std::vector<MachineEvent> then);
  void Apply(const MachineEvent& event);
  void StopForFault(int64_t at_ms);
  void ChangeDie(int64_t at_ms, bool after_failure);
  CellShot MakeShot(int64_t at_ms);
  int64_t FaultDelayMs();

  CellOptions options_;
  int index_;
  std::string id_;
  uint64_t stream_;
  ProcessModel process_;
  Rng events_rng_, defects_rng_, dies_rng_;
  DieState die_;
  std::optional<DieState> next_die_;
  int die_number_ = 1;
  MachineState state_ = MachineState::kRunning;
  int64_t shot_counter_ = 0;
  int shot_after_restart_ = 100;  // the cell was running before the first shift
  int64_t last_shot_ms_, next_shot_ms_, next_fault_ms_, planned_from_ms_;
  bool die_change_requested_ = false;
  std::vector<MachineEvent> scheduled_;  // events of the current stop still to come
  std::vector<MachineEvent> events_;     // emitted, not yet taken
};

}  // namespace linesight::sim
