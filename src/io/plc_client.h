// io/plc_client.h: a simulated line PLC, a Modbus TCP master driving a station's PlcServer over a
// real socket; for the demo and the tests. Use from one thread at a time.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "core/outcome.h"

struct _modbus;  // libmodbus's context (modbus_t), kept out of this header

namespace linesight::io {

// The result registers (10-19) as the PLC read them in one request.
struct PlcResultRead {
  uint16_t status = 0;  // kStatus* bits
  uint32_t part_id = 0;
  Decision decision = Decision::kHold;  // an unknown code reads as kHold
  HoldReason reason = HoldReason::kNone;
  uint16_t score_permille = 0;
  uint16_t defect_type = 0;
  uint16_t latency_ms = 0;
  uint16_t result_count = 0;

  bool ok() const;  // OK bit set: the part may go on
  bool ng() const;  // NG bit set: throw the part out
};

class PlcClient {
 public:
  // Connects to the station at host:port. Throws Error{kIo} naming host:port if it cannot.
  // `timeout` bounds every Modbus request.
  PlcClient(std::string host, int port,
            std::chrono::milliseconds timeout = std::chrono::milliseconds(1000));
  ~PlcClient();
  PlcClient(const PlcClient&) = delete;
  PlcClient& operator=(const PlcClient&) = delete;

  // Lowers TRIGGER while writing the part id and die registers, then raises TRIGGER: two
  // requests, so every call makes a rising edge. Throws Error{kIo} if a write fails.
  void Trigger(uint32_t part_id, uint32_t die_shot, uint16_t die_number);

  // Polls the status every `poll` until RESULT_VALID, reading status and result registers in one
  // request; nullopt when `timeout` passes first. Throws Error{kIo} if a read fails.
  std::optional<PlcResultRead> WaitResult(
      std::chrono::milliseconds timeout,
      std::chrono::microseconds poll = std::chrono::microseconds(200));

  // Raises ACK with TRIGGER low, then waits until the station is READY again. Throws
  // Error{kIo} if a request fails or READY does not come within `timeout`.
  void Acknowledge(std::chrono::milliseconds timeout = std::chrono::milliseconds(1000));

  // As an HMI does once a person has checked the die: raises then lowers CLEAR_MARK (register 6,
  // bit 0), one rising edge. Throws Error{kIo} if a write fails.
  void ClearMark();

  uint16_t ReadHeartbeat();
  uint16_t ReadStatus();

 private:
  void Read(int address, int count, uint16_t* out);
  void Write(int address, int count, const uint16_t* values);

  std::string endpoint_;  // "host:port" for messages
  _modbus* ctx_ = nullptr;
};

}  // namespace linesight::io
