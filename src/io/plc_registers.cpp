// io/plc_registers.cpp: checks and encodings of the PLC register map.
#include "io/plc_registers.h"

#include <cmath>

namespace linesight::io {

uint8_t CheckRead(int address, int count) {
  if (count < 1 || count > kMaxReadCount) return kExceptionIllegalValue;
  if (address < 0 || address + count > kRegisterCount) return kExceptionIllegalAddress;
  return 0;
}

uint8_t CheckWrite(int address, std::span<const uint16_t> values) {
  const int count = static_cast<int>(values.size());
  if (count < 1 || count > kMaxWriteCount) return kExceptionIllegalValue;
  if (address < 0 || address + count > kWritableEnd) return kExceptionIllegalAddress;
  for (int i = 0; i < count; ++i) {
    const int at = address + i;
    const uint16_t allowed = at == kRegCommand           ? kCommandMask
                             : at == kRegOperatorCommand ? kOperatorMask
                                                         : 0xffffu;
    if ((values[static_cast<size_t>(i)] & ~allowed) != 0) return kExceptionIllegalValue;
  }
  return 0;
}

uint16_t ScorePermille(float score, float threshold) {
  if (!(threshold > 0.f)) return 65535;
  const double permille = 1000.0 * static_cast<double>(score) / static_cast<double>(threshold);
  if (!std::isfinite(permille) || permille >= 65535.0) return 65535;
  if (permille <= 0.0) return 0;
  return static_cast<uint16_t>(std::lround(permille));
}

uint16_t SaturatedMillis(double ms) {
  if (std::isnan(ms) || ms >= 65535.0) return 65535;
  if (ms <= 0.0) return 0;
  return static_cast<uint16_t>(std::lround(ms));
}

Decision DecisionFromCode(uint16_t code) {
  switch (code) {
    case static_cast<uint16_t>(Decision::kPass):
      return Decision::kPass;
    case static_cast<uint16_t>(Decision::kReject):
      return Decision::kReject;
    default:
      return Decision::kHold;
  }
}

HoldReason HoldReasonFromCode(uint16_t code) {
  if (code > static_cast<uint16_t>(HoldReason::kOutbox)) return HoldReason::kInternal;
  return static_cast<HoldReason>(code);
}

}  // namespace linesight::io
