// Tests io/plc_registers: the map's legality checks and the result encodings.
#include "io/plc_registers.h"

#include <array>
#include <cmath>
#include <limits>

#include <gtest/gtest.h>

namespace linesight::io {
namespace {

TEST(PlcRegisters, ReadsInsideTheMapAreLegal) {
  EXPECT_EQ(CheckRead(0, 20), 0);
  EXPECT_EQ(CheckRead(10, 10), 0);
  EXPECT_EQ(CheckRead(6, 4), 0);  // reserved registers read as 0
  EXPECT_EQ(CheckRead(19, 1), 0);
}

TEST(PlcRegisters, ReadsBeyondTheMapAreIllegalAddresses) {
  EXPECT_EQ(CheckRead(20, 1), kExceptionIllegalAddress);
  EXPECT_EQ(CheckRead(15, 6), kExceptionIllegalAddress);
  EXPECT_EQ(CheckRead(65535, 1), kExceptionIllegalAddress);
}

TEST(PlcRegisters, ReadCountOutOfRangeIsIllegalValue) {
  EXPECT_EQ(CheckRead(0, 0), kExceptionIllegalValue);
  EXPECT_EQ(CheckRead(0, 126), kExceptionIllegalValue);
}

TEST(PlcRegisters, OnlyPlcRegistersAreWritable) {
  const std::array<uint16_t, 6> six{1, 2, 3, 4, 5, 6};
  EXPECT_EQ(CheckWrite(0, six), 0);
  EXPECT_EQ(CheckWrite(5, std::span(six).first(1)), 0);
  EXPECT_EQ(CheckWrite(2, six), kExceptionIllegalAddress);  // runs into reserved 7
  for (int address = kWritableEnd; address < kRegisterCount + 2; ++address) {
    EXPECT_EQ(CheckWrite(address, std::span(six).first(1)), kExceptionIllegalAddress) << address;
  }
}

TEST(PlcRegisters, UnknownCommandBitsAreIllegalValues) {
  const std::array<uint16_t, 1> ok{kCommandTrigger | kCommandAck};
  const std::array<uint16_t, 1> bit2{1u << 2};
  const std::array<uint16_t, 2> high{0x8001, 0};
  EXPECT_EQ(CheckWrite(kRegCommand, ok), 0);
  EXPECT_EQ(CheckWrite(kRegCommand, bit2), kExceptionIllegalValue);
  EXPECT_EQ(CheckWrite(kRegCommand, high), kExceptionIllegalValue);
  EXPECT_EQ(CheckWrite(kRegCommand, std::span<const uint16_t>()), kExceptionIllegalValue);
}

TEST(PlcRegisters, TheOperatorCommandTakesOnlyItsBits) {
  const std::array<uint16_t, 1> clear{kOperatorClearMark}, zero{0}, bit1{1u << 1};
  EXPECT_EQ(CheckWrite(kRegOperatorCommand, clear), 0);
  EXPECT_EQ(CheckWrite(kRegOperatorCommand, zero), 0);
  EXPECT_EQ(CheckWrite(kRegOperatorCommand, bit1), kExceptionIllegalValue);
  std::array<uint16_t, 7> all{0, 0, 0, 0, 0, 0, kOperatorClearMark};
  EXPECT_EQ(CheckWrite(0, all), 0) << "one FC16 request over 0-6";
  all[6] = 2;
  EXPECT_EQ(CheckWrite(0, all), kExceptionIllegalValue) << "checked inside a longer request too";
}

TEST(PlcRegisters, U32SplitsHighWordFirst) {
  EXPECT_EQ(HighWord(0x12345678u), 0x1234);
  EXPECT_EQ(LowWord(0x12345678u), 0x5678);
  EXPECT_EQ(JoinWords(0xFFFF, 0x0001), 0xFFFF0001u);
}

TEST(PlcRegisters, ScorePermilleRoundsAndSaturates) {
  EXPECT_EQ(ScorePermille(0.5f, 1.0f), 500);
  EXPECT_EQ(ScorePermille(1.2345f, 1.0f), 1235);
  EXPECT_EQ(ScorePermille(-1.f, 1.0f), 0);
  EXPECT_EQ(ScorePermille(1000.f, 1.0f), 65535);
  EXPECT_EQ(ScorePermille(1.f, 0.f), 65535);
  EXPECT_EQ(ScorePermille(std::nanf(""), 1.f), 65535);
  EXPECT_EQ(ScorePermille(std::numeric_limits<float>::infinity(), 1.f), 65535);
}

TEST(PlcRegisters, MillisRoundAndSaturate) {
  EXPECT_EQ(SaturatedMillis(12.4), 12);
  EXPECT_EQ(SaturatedMillis(-3.0), 0);
  EXPECT_EQ(SaturatedMillis(1e9), 65535);
  EXPECT_EQ(SaturatedMillis(std::nan("")), 65535);
}

TEST(PlcRegisters, UnknownCodesDecodeFailSafe) {
  EXPECT_EQ(DecisionFromCode(0), Decision::kPass);
  EXPECT_EQ(DecisionFromCode(1), Decision::kReject);
  EXPECT_EQ(DecisionFromCode(2), Decision::kHold);
  EXPECT_EQ(DecisionFromCode(7), Decision::kHold);
  EXPECT_EQ(HoldReasonFromCode(10), HoldReason::kCamera);
  EXPECT_EQ(HoldReasonFromCode(200), HoldReason::kInternal);
}

}  // namespace
}  // namespace linesight::io
