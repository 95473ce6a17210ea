// io/plc_handshake.h: the station side of the PLC handshake as a state machine over the register
// table: trigger edges, results, acknowledgements. No sockets and no locks: PlcServer guards it.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>

#include "core/clock.h"
#include "core/outcome.h"
#include "io/plc_registers.h"

namespace linesight::io {

// A part the PLC asked to inspect: the values it wrote before raising TRIGGER, latched at the edge.
struct PlcTrigger {
  uint32_t part_id = 0;  // the machine's shot counter
  uint32_t die_shot = 0;
  uint16_t die_number = 0;
  SteadyClock::time_point at;  // when the rising edge arrived
};

// The station's answer for one triggered part.
struct PlcResult {
  uint32_t part_id = 0;  // must be the part id of the trigger being answered
  Decision decision = Decision::kHold;
  HoldReason reason = HoldReason::kNone;
  float score = 0.f;
  float threshold = 0.f;
  uint16_t defect_type = kDefectNone;
  double latency_ms = 0.0;  // trigger to result
};

// What one PLC write did to the handshake.
struct PlcWriteEffect {
  std::optional<PlcTrigger> trigger;  // set when a rising TRIGGER edge was accepted
  bool missed_trigger = false;        // a rising edge came while busy or unacknowledged
  bool acknowledged = false;          // a rising ACK edge cleared a result
  bool clear_mark = false;            // a rising CLEAR_MARK edge (kOperatorClearMark)
};

class PlcHandshake {
 public:
  // Idle (READY) with FAULT set and MODEL_LOADED clear: the station clears FAULT once it can
  // inspect, so a PLC never sees a station that looks usable before it is.
  PlcHandshake();

  // Applies a PLC write of `values` from `address`, then reacts to edges of the command register.
  // A TRIGGER edge is accepted only when idle; otherwise it is reported as missed and changes
  // nothing. REQUIRES: CheckWrite(address, values) == 0.
  PlcWriteEffect ApplyWrite(int address, std::span<const uint16_t> values,
                            SteadyClock::time_point now);
  // True if this write would raise TRIGGER, while idle, with part id 0: the PLC has not written
  // the machine's shot counter, and a part stored as shot 0 could reach no server. The station
  // answers such a write with exception 03 and leaves the registers as they were.
  bool TriggersWithoutPartId(int address, std::span<const uint16_t> values) const;

  // Writes the result registers, then RESULT_VALID with OK or NG, and clears BUSY. Returns false,
  // changing nothing, when no trigger is outstanding or `result.part_id` is not its part id.
  bool Publish(const PlcResult& result);

  void SetFault(bool fault);
  void SetModelLoaded(bool loaded);
  void SetHoldStreak(bool streak);
  // Advances the heartbeat register by one (wrapping).
  void Beat();

  // The whole register table, as a master reads it.
  const std::array<uint16_t, kRegisterCount>& registers() const { return regs_; }

 private:
  enum class Phase { kIdle, kBusy, kResultValid, kAcknowledged };

  void OnCommand(uint16_t previous, uint16_t current, SteadyClock::time_point now,
                 PlcWriteEffect& effect);
  void UpdateStatus();

  std::array<uint16_t, kRegisterCount> regs_{};
  Phase phase_ = Phase::kIdle;
  uint32_t busy_part_id_ = 0;  // the part id latched by the accepted trigger
  bool result_ok_ = false;
  bool fault_ = true;
  bool model_loaded_ = false;
  bool hold_streak_ = false;
};

}  // namespace linesight::io
