// Tests io/plc_handshake: trigger and ACK edges, refused triggers, atomic results, fail-safe start.
#include "io/plc_handshake.h"

#include <array>

#include <gtest/gtest.h>

namespace linesight::io {
namespace {

const SteadyClock::time_point kNow{};

// Writes the part registers, then `command`, as a PLC does.
PlcWriteEffect WritePartThenCommand(PlcHandshake& h, uint32_t part, uint16_t command) {
  const std::array<uint16_t, 5> ids{HighWord(part), LowWord(part), 0, 9, 4};
  h.ApplyWrite(kRegPartIdHi, ids, kNow);
  const std::array<uint16_t, 1> cmd{command};
  return h.ApplyWrite(kRegCommand, cmd, kNow);
}

PlcWriteEffect WriteCommand(PlcHandshake& h, uint16_t command) {
  const std::array<uint16_t, 1> cmd{command};
  return h.ApplyWrite(kRegCommand, cmd, kNow);
}

PlcResult Result(uint32_t part, Decision d) {
  PlcResult r;
  r.part_id = part;
  r.decision = d;
  r.score = 0.5f;
  r.threshold = 1.f;
  return r;
}

uint16_t Status(const PlcHandshake& h) { return h.registers()[kRegStatus]; }

TEST(PlcHandshake, StartsReadyFaultedAndNeverOk) {
  PlcHandshake h;
  EXPECT_EQ(Status(h), kStatusReady | kStatusFault);
  h.SetFault(false);
  h.SetModelLoaded(true);
  EXPECT_EQ(Status(h), kStatusReady | kStatusModelLoaded);
}

TEST(PlcHandshake, RisingTriggerLatchesThePartWrittenBefore) {
  PlcHandshake h;
  const PlcWriteEffect e = WritePartThenCommand(h, 0x00012345, kCommandTrigger);
  ASSERT_TRUE(e.trigger);
  EXPECT_EQ(e.trigger->part_id, 0x00012345u);
  EXPECT_EQ(e.trigger->die_shot, 9u);
  EXPECT_EQ(e.trigger->die_number, 4);
  EXPECT_EQ(Status(h) & (kStatusReady | kStatusBusy | kStatusResultValid), kStatusBusy);
  // The PLC overwriting the part id while busy does not change the part being answered.
  const std::array<uint16_t, 2> other{0, 99};
  h.ApplyWrite(kRegPartIdHi, other, kNow);
  EXPECT_FALSE(h.Publish(Result(99, Decision::kPass)));
  EXPECT_TRUE(h.Publish(Result(0x00012345, Decision::kPass)));
}

TEST(PlcHandshake, OneRequestMayWritePartAndTrigger) {
  PlcHandshake h;
  const std::array<uint16_t, 6> all{kCommandTrigger, 0, 42, 0, 1, 2};
  const PlcWriteEffect e = h.ApplyWrite(kRegCommand, all, kNow);
  ASSERT_TRUE(e.trigger);
  EXPECT_EQ(e.trigger->part_id, 42u);
}

TEST(PlcHandshake, KnowsATriggerWithoutAPartId) {
  PlcHandshake h;
  const std::array<uint16_t, 1> trigger{kCommandTrigger};
  EXPECT_TRUE(h.TriggersWithoutPartId(kRegCommand, trigger));
  const std::array<uint16_t, 3> with_part{kCommandTrigger, 0, 7};  // part id 7 in the same write
  EXPECT_FALSE(h.TriggersWithoutPartId(kRegCommand, with_part));
  const std::array<uint16_t, 2> part{0, 7};
  h.ApplyWrite(kRegPartIdHi, part, kNow);
  EXPECT_FALSE(h.TriggersWithoutPartId(kRegCommand, trigger));
  const std::array<uint16_t, 2> zero{0, 0};
  EXPECT_FALSE(h.TriggersWithoutPartId(kRegPartIdHi, zero)) << "no TRIGGER edge in it";
}

TEST(PlcHandshake, ResultSetsRegistersAndOkOrNg) {
  PlcHandshake h;
  WritePartThenCommand(h, 7, kCommandTrigger);
  PlcResult r = Result(7, Decision::kHold);
  r.reason = HoldReason::kCamera;
  r.latency_ms = 12.6;
  r.defect_type = kDefectAnomaly;
  ASSERT_TRUE(h.Publish(r));
  const auto& regs = h.registers();
  EXPECT_EQ(regs[kRegStatus] & ~kStatusFault, kStatusResultValid | kStatusNg);
  EXPECT_EQ(JoinWords(regs[kRegResultPartIdHi], regs[kRegResultPartIdLo]), 7u);
  EXPECT_EQ(regs[kRegDecision], 2);
  EXPECT_EQ(regs[kRegReason], 10);
  EXPECT_EQ(regs[kRegScorePermille], 500);
  EXPECT_EQ(regs[kRegDefectType], kDefectAnomaly);
  EXPECT_EQ(regs[kRegLatencyMs], 13);
  EXPECT_EQ(regs[kRegResultCount], 1);
}

TEST(PlcHandshake, AckClearsResultAndReadyWaitsForTriggerLow) {
  PlcHandshake h;
  WritePartThenCommand(h, 7, kCommandTrigger);
  ASSERT_TRUE(h.Publish(Result(7, Decision::kPass)));
  EXPECT_TRUE(Status(h) & kStatusOk);
  const PlcWriteEffect e = WriteCommand(h, kCommandTrigger | kCommandAck);
  EXPECT_TRUE(e.acknowledged);
  EXPECT_EQ(Status(h) & ~kStatusFault, 0);  // acknowledged, TRIGGER still high: not READY yet
  WriteCommand(h, kCommandAck);
  EXPECT_EQ(Status(h) & ~kStatusFault, kStatusReady);
}

TEST(PlcHandshake, TriggerWhileBusyOrUnacknowledgedIsMissed) {
  PlcHandshake h;
  WritePartThenCommand(h, 1, kCommandTrigger);
  WriteCommand(h, 0);
  const PlcWriteEffect busy = WritePartThenCommand(h, 2, kCommandTrigger);
  EXPECT_TRUE(busy.missed_trigger);
  EXPECT_FALSE(busy.trigger);
  ASSERT_TRUE(h.Publish(Result(1, Decision::kReject)));
  WriteCommand(h, 0);
  const PlcWriteEffect unacked = WritePartThenCommand(h, 3, kCommandTrigger);
  EXPECT_TRUE(unacked.missed_trigger);
  EXPECT_TRUE(Status(h) & kStatusResultValid);  // the refused edge left the result alone
  EXPECT_FALSE(h.Publish(Result(3, Decision::kPass)));
}

TEST(PlcHandshake, AckLeftHighDoesNotSwallowTheNextResult) {
  PlcHandshake h;
  WriteCommand(h, kCommandAck);  // no result yet: ignored
  const PlcWriteEffect e = WritePartThenCommand(h, 5, kCommandTrigger | kCommandAck);
  ASSERT_TRUE(e.trigger);
  ASSERT_TRUE(h.Publish(Result(5, Decision::kPass)));
  WriteCommand(h, kCommandAck);  // ACK still high, no edge
  EXPECT_TRUE(Status(h) & kStatusResultValid);
}

TEST(PlcHandshake, PublishWithoutTriggerIsRefused) {
  PlcHandshake h;
  EXPECT_FALSE(h.Publish(Result(0, Decision::kPass)));
  EXPECT_EQ(Status(h) & kStatusOk, 0);
  EXPECT_EQ(h.registers()[kRegResultCount], 0);
}

TEST(PlcHandshake, HeartbeatWraps) {
  PlcHandshake h;
  for (int i = 0; i < 65536; ++i) h.Beat();
  EXPECT_EQ(h.registers()[kRegHeartbeat], 0);
  h.Beat();
  EXPECT_EQ(h.registers()[kRegHeartbeat], 1);
}

}  // namespace
}  // namespace linesight::io
