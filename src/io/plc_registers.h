// io/plc_registers.h: the station's Modbus register map for the PLC handshake (addresses, status
// bits, exception codes) and the checks and encodings both ends share. docs/plc.md is its manual.
#pragma once

#include <cstdint>
#include <span>

#include "core/outcome.h"

namespace linesight::io {

// Holding-register addresses, 0-based (PDU addressing). Sent to PLCs: never renumber.
enum PlcRegister : uint16_t {
  // PLC -> station (writable).
  kRegCommand = 0,    // bit0 TRIGGER, bit1 ACK
  kRegPartIdHi = 1,   // part id (the machine's shot counter), high word
  kRegPartIdLo = 2,   //   low word
  kRegDieShotHi = 3,  // shots made by the die, high word
  kRegDieShotLo = 4,  //   low word
  kRegDieNumber = 5,  // die number
  // HMI -> station (writable): a person's commands, apart from the PLC's handshake.
  kRegOperatorCommand = 6,  // kOperator* bits
  kWritableEnd = 7,         // one past the last writable register; 7-9 are reserved (read as 0)
  // Station -> PLC (read-only).
  kRegStatus = 10,          // kStatus* bits
  kRegHeartbeat = 11,       // +1 every heartbeat period, wraps
  kRegResultPartIdHi = 12,  // the part the result belongs to, high word
  kRegResultPartIdLo = 13,  //   low word
  kRegDecision = 14,        // core/outcome.h Decision code
  kRegReason = 15,          // core/outcome.h HoldReason code
  kRegScorePermille = 16,   // score / threshold x 1000, saturating
  kRegDefectType = 17,      // kDefect* code
  kRegLatencyMs = 18,       // trigger to result, saturating
  kRegResultCount = 19,     // results published since start, wraps
  kRegisterCount = 20,      // the map spans 0..19; anything beyond is an illegal address
};

// Bits of kRegCommand; any other bit is an illegal value.
inline constexpr uint16_t kCommandTrigger = 1u << 0;
inline constexpr uint16_t kCommandAck = 1u << 1;
inline constexpr uint16_t kCommandMask = kCommandTrigger | kCommandAck;

// Bits of kRegOperatorCommand; any other bit is an illegal value. CLEAR_MARK, on its rising
// edge: a person has checked the die, so the station forgets its recurring mark
// (station/recurring_mark.h) and the findings behind it.
inline constexpr uint16_t kOperatorClearMark = 1u << 0;
inline constexpr uint16_t kOperatorMask = kOperatorClearMark;

// Bits of kRegStatus.
inline constexpr uint16_t kStatusReady = 1u << 0;        // idle, will accept a trigger
inline constexpr uint16_t kStatusBusy = 1u << 1;         // a trigger is being inspected
inline constexpr uint16_t kStatusResultValid = 1u << 2;  // result registers hold a fresh result
inline constexpr uint16_t kStatusOk = 1u << 3;           // the part passed
inline constexpr uint16_t kStatusNg = 1u << 4;           // reject or hold: throw the part out
inline constexpr uint16_t kStatusModelLoaded = 1u << 5;  // a model is loaded
inline constexpr uint16_t kStatusFault = 1u << 6;        // the station cannot inspect
// The latest parts (station.yaml hold_streak, 5 by default) were all held: the station is not
// judging parts (camera, frames, part presentation, deadline), so every part goes to NG. Cleared by
// the next part judged pass or reject.
inline constexpr uint16_t kStatusHoldStreak = 1u << 7;

// kRegDefectType codes: none, or the finding's type, 1 + its index in inspect/finding_type.h's
// kFindingTypes (1 anomaly, 2 flash, 3 edge_chip, 4 crack, 5 raised_line, 6 pin_hole, 7 blow_hole,
// 8 die_mark).
inline constexpr uint16_t kDefectNone = 0;
inline constexpr uint16_t kDefectAnomaly = 1;

// Modbus exception codes the station answers with.
inline constexpr uint8_t kExceptionIllegalFunction = 0x01;
inline constexpr uint8_t kExceptionIllegalAddress = 0x02;
inline constexpr uint8_t kExceptionIllegalValue = 0x03;

// Modbus limits on one request's register count (read: 125, write multiple: 123).
inline constexpr int kMaxReadCount = 125;
inline constexpr int kMaxWriteCount = 123;

// 0 if a read of `count` registers from `address` is legal, else the exception code to answer.
uint8_t CheckRead(int address, int count);

// 0 if writing `values` from `address` is legal, else the exception code: 02 when any register
// is read-only or outside the map, 03 when the count is out of range or a command bit is unknown.
uint8_t CheckWrite(int address, std::span<const uint16_t> values);

// A u32 as two registers, high word first, and back.
inline uint16_t HighWord(uint32_t v) { return static_cast<uint16_t>(v >> 16); }
inline uint16_t LowWord(uint32_t v) { return static_cast<uint16_t>(v & 0xFFFFu); }
inline uint32_t JoinWords(uint16_t hi, uint16_t lo) { return (uint32_t{hi} << 16) | lo; }

// score / threshold x 1000, rounded, clamped to 0..65535. A non-finite ratio or a threshold <= 0
// gives 65535: an unusable score must look as bad as possible.
uint16_t ScorePermille(float score, float threshold);

// Milliseconds rounded and clamped to 0..65535 (NaN gives 65535).
uint16_t SaturatedMillis(double ms);

// The Decision of a register code; an unknown code reads as kHold (fail safe).
Decision DecisionFromCode(uint16_t code);

// The HoldReason of a register code; an unknown code reads as kInternal.
HoldReason HoldReasonFromCode(uint16_t code);

}  // namespace linesight::io
