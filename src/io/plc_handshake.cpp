// io/plc_handshake.cpp: the PLC handshake state machine.
#include "io/plc_handshake.h"

#include <algorithm>

namespace linesight::io {

PlcHandshake::PlcHandshake() { UpdateStatus(); }

PlcWriteEffect PlcHandshake::ApplyWrite(int address, std::span<const uint16_t> values,
                                        SteadyClock::time_point now) {
  const uint16_t previous = regs_[kRegCommand], operator_before = regs_[kRegOperatorCommand];
  // All registers of one request land before the edge is judged, so a master may write the part
  // id and raise TRIGGER in a single FC16 request.
  std::copy(values.begin(), values.end(), regs_.begin() + address);
  PlcWriteEffect effect;
  if (address == kRegCommand) OnCommand(previous, regs_[kRegCommand], now, effect);
  effect.clear_mark =
      !(operator_before & kOperatorClearMark) && (regs_[kRegOperatorCommand] & kOperatorClearMark);
  UpdateStatus();
  return effect;
}

bool PlcHandshake::TriggersWithoutPartId(int address, std::span<const uint16_t> values) const {
  auto regs = regs_;
  std::copy(values.begin(), values.end(), regs.begin() + address);
  const bool rose =
      !(regs_[kRegCommand] & kCommandTrigger) && (regs[kRegCommand] & kCommandTrigger);
  return rose && phase_ == Phase::kIdle && JoinWords(regs[kRegPartIdHi], regs[kRegPartIdLo]) == 0;
}

void PlcHandshake::OnCommand(uint16_t previous, uint16_t current, SteadyClock::time_point now,
                             PlcWriteEffect& effect) {
  const bool ack_rose = !(previous & kCommandAck) && (current & kCommandAck);
  const bool trigger_rose = !(previous & kCommandTrigger) && (current & kCommandTrigger);
  const bool trigger_high = (current & kCommandTrigger) != 0;
  // ACK is taken on its edge only: an ACK bit left high must not swallow the next result.
  if (ack_rose && phase_ == Phase::kResultValid) {
    phase_ = Phase::kAcknowledged;
    effect.acknowledged = true;
  }
  if (phase_ == Phase::kAcknowledged && !trigger_high) phase_ = Phase::kIdle;
  if (!trigger_rose) return;
  if (phase_ != Phase::kIdle) {
    effect.missed_trigger = true;
    return;
  }
  PlcTrigger trigger;
  trigger.part_id = JoinWords(regs_[kRegPartIdHi], regs_[kRegPartIdLo]);
  trigger.die_shot = JoinWords(regs_[kRegDieShotHi], regs_[kRegDieShotLo]);
  trigger.die_number = regs_[kRegDieNumber];
  trigger.at = now;
  busy_part_id_ = trigger.part_id;
  phase_ = Phase::kBusy;
  effect.trigger = trigger;
}

bool PlcHandshake::Publish(const PlcResult& result) {
  if (phase_ != Phase::kBusy || result.part_id != busy_part_id_) return false;
  regs_[kRegResultPartIdHi] = HighWord(result.part_id);
  regs_[kRegResultPartIdLo] = LowWord(result.part_id);
  regs_[kRegDecision] = static_cast<uint16_t>(result.decision);
  regs_[kRegReason] = static_cast<uint16_t>(result.reason);
  regs_[kRegScorePermille] = ScorePermille(result.score, result.threshold);
  regs_[kRegDefectType] = result.defect_type;
  regs_[kRegLatencyMs] = SaturatedMillis(result.latency_ms);
  ++regs_[kRegResultCount];
  result_ok_ = result.decision == Decision::kPass;
  phase_ = Phase::kResultValid;
  UpdateStatus();
  return true;
}

void PlcHandshake::SetFault(bool fault) {
  fault_ = fault;
  UpdateStatus();
}

void PlcHandshake::SetModelLoaded(bool loaded) {
  model_loaded_ = loaded;
  UpdateStatus();
}

void PlcHandshake::SetHoldStreak(bool streak) {
  hold_streak_ = streak;
  UpdateStatus();
}

void PlcHandshake::Beat() { ++regs_[kRegHeartbeat]; }

void PlcHandshake::UpdateStatus() {
  uint16_t status = 0;
  if (phase_ == Phase::kIdle) status |= kStatusReady;
  if (phase_ == Phase::kBusy) status |= kStatusBusy;
  if (phase_ == Phase::kResultValid) {
    status |= kStatusResultValid | (result_ok_ ? kStatusOk : kStatusNg);
  }
  if (model_loaded_) status |= kStatusModelLoaded;
  if (fault_) status |= kStatusFault;
  if (hold_streak_) status |= kStatusHoldStreak;
  regs_[kRegStatus] = status;
}

}  // namespace linesight::io
