// io/plc_client.cpp: the simulated PLC on libmodbus's client API.
#include "io/plc_client.h"

#include <modbus.h>

#include <array>
#include <cerrno>
#include <thread>

#include "core/clock.h"
#include "core/error.h"
#include "io/plc_registers.h"

namespace linesight::io {

bool PlcResultRead::ok() const { return (status & kStatusOk) != 0; }
bool PlcResultRead::ng() const { return (status & kStatusNg) != 0; }

PlcClient::PlcClient(std::string host, int port, std::chrono::milliseconds timeout)
    : endpoint_(host + ":" + std::to_string(port)) {
  ctx_ = modbus_new_tcp(host.c_str(), port);
  if (ctx_ == nullptr) {
    throw Error(ErrorCategory::kIo, "cannot create a Modbus TCP client for " + endpoint_,
                "give a dotted IPv4 address and a port 1-65535");
  }
  const auto us = std::chrono::duration_cast<std::chrono::microseconds>(timeout).count();
  modbus_set_response_timeout(ctx_, static_cast<uint32_t>(us / 1'000'000),
                              static_cast<uint32_t>(us % 1'000'000));
  if (modbus_connect(ctx_) != 0) {
    const std::string cause = modbus_strerror(errno);
    modbus_free(ctx_);
    throw Error(ErrorCategory::kIo, "cannot connect to the station at " + endpoint_ + ": " + cause,
                "check the station is running and listens on that address and port");
  }
}

PlcClient::~PlcClient() {
  modbus_close(ctx_);
  modbus_free(ctx_);
}

void PlcClient::Read(int address, int count, uint16_t* out) {
  if (modbus_read_registers(ctx_, address, count, out) != count) {
    throw Error(ErrorCategory::kIo,
                "reading registers " + std::to_string(address) + "-" +
                    std::to_string(address + count - 1) + " from " + endpoint_ +
                    " failed: " + modbus_strerror(errno),
                "check the station is running and the network to it");
  }
}

void PlcClient::Write(int address, int count, const uint16_t* values) {
  if (modbus_write_registers(ctx_, address, count, values) != count) {
    throw Error(ErrorCategory::kIo,
                "writing registers " + std::to_string(address) + "-" +
                    std::to_string(address + count - 1) + " of " + endpoint_ +
                    " failed: " + modbus_strerror(errno),
                "check the station is running and the network to it");
  }
}

void PlcClient::Trigger(uint32_t part_id, uint32_t die_shot, uint16_t die_number) {
  const std::array<uint16_t, kWritableEnd> regs{
      0, HighWord(part_id), LowWord(part_id), HighWord(die_shot), LowWord(die_shot), die_number};
  Write(kRegCommand, kWritableEnd, regs.data());
  const uint16_t trigger = kCommandTrigger;
  Write(kRegCommand, 1, &trigger);
}

std::optional<PlcResultRead> PlcClient::WaitResult(std::chrono::milliseconds timeout,
                                                   std::chrono::microseconds poll) {
  const Deadline deadline = Deadline::In(timeout);
  constexpr int kCount = kRegisterCount - kRegStatus;
  std::array<uint16_t, kCount> r{};
  for (;;) {
    Read(kRegStatus, kCount, r.data());
    if (r[0] & kStatusResultValid) break;
    if (deadline.Passed()) return std::nullopt;
    std::this_thread::sleep_for(poll);
  }
  auto at = [&](PlcRegister reg) { return r[reg - kRegStatus]; };
  PlcResultRead read;
  read.status = at(kRegStatus);
  read.part_id = JoinWords(at(kRegResultPartIdHi), at(kRegResultPartIdLo));
  read.decision = DecisionFromCode(at(kRegDecision));
  read.reason = HoldReasonFromCode(at(kRegReason));
  read.score_permille = at(kRegScorePermille);
  read.defect_type = at(kRegDefectType);
  read.latency_ms = at(kRegLatencyMs);
  read.result_count = at(kRegResultCount);
  return read;
}

void PlcClient::ClearMark() {
  const uint16_t high = kOperatorClearMark, low = 0;
  Write(kRegOperatorCommand, 1, &high);
  Write(kRegOperatorCommand, 1, &low);
}

void PlcClient::Acknowledge(std::chrono::milliseconds timeout) {
  const uint16_t ack = kCommandAck;
  Write(kRegCommand, 1, &ack);
  const Deadline deadline = Deadline::In(timeout);
  while (!(ReadStatus() & kStatusReady)) {
    if (deadline.Passed()) {
      throw Error(ErrorCategory::kIo,
                  "the station at " + endpoint_ + " did not return to READY " + "within " +
                      std::to_string(timeout.count()) + " ms of ACK",
                  "check the station's FAULT bit and log; treat the part as NG");
    }
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
}

uint16_t PlcClient::ReadHeartbeat() {
  uint16_t v = 0;
  Read(kRegHeartbeat, 1, &v);
  return v;
}

uint16_t PlcClient::ReadStatus() {
  uint16_t v = 0;
  Read(kRegStatus, 1, &v);
  return v;
}

}  // namespace linesight::io
