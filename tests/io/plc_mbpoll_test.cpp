// Tests that a standard Modbus master, mbpoll (Debian package mbpoll), drives a whole handshake
// against PlcServer over 127.0.0.1: the session docs/plc.md shows.
#include <cstdio>
#include <filesystem>
#include <map>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

#include "io/plc_server.h"
#include "testing/test_util.h"

namespace linesight::io {
namespace {

using namespace std::chrono_literals;
using linesight::testing::Contains;

constexpr const char* kMbpoll = "/usr/bin/mbpoll";

struct ToolRun {
  int exit_code = -1;
  std::string out;  // stdout and stderr
};

// Runs mbpoll once against 127.0.0.1:port with 0-based references; `args` are its options and
// the values to write, if any.
ToolRun Mbpoll(int port, const std::string& args) {
  const std::string command = std::string(kMbpoll) + " -m tcp -a 1 -0 -1 -o 2 -p " +
                              std::to_string(port) + " " + args + " 2>&1";
  ToolRun run;
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return run;
  char buf[512];
  while (fgets(buf, sizeof buf, pipe) != nullptr) run.out += buf;
  const int status = pclose(pipe);
  run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return run;
}

// The "[reference]: value" lines of a read.
std::map<int, long> Registers(const ToolRun& run) {
  std::map<int, long> regs;
  std::istringstream lines(run.out);
  std::string line;
  while (std::getline(lines, line)) {
    int reference = 0;
    long value = 0;
    if (std::sscanf(line.c_str(), "[%d]: %ld", &reference, &value) == 2) regs[reference] = value;
  }
  return regs;
}

void ExpectWritten(const ToolRun& run) {
  EXPECT_EQ(run.exit_code, 0) << run.out;
  EXPECT_TRUE(Contains(run.out, "Written 1 references")) << run.out;
}

TEST(PlcMbpoll, DrivesAWholeHandshake) {
  if (!std::filesystem::exists(kMbpoll)) {
    GTEST_SKIP() << "mbpoll is not installed (apt-get install mbpoll): the check that a standard "
                    "Modbus master drives the station did not run";
  }
  PlcServerOptions options;
  options.port = 0;
  PlcServer server(options);
  server.SetModelLoaded(true);
  server.SetFault(false);
  const int port = server.port();
  EXPECT_EQ(Registers(Mbpoll(port, "-r 10 -t 4 127.0.0.1"))[10], 33);  // READY + MODEL_LOADED

  // TRIGGER before any part id: refused, nothing latched (a shot 0 part could reach no server).
  const ToolRun no_part = Mbpoll(port, "-r 0 -t 4 127.0.0.1 1");
  EXPECT_NE(no_part.exit_code, 0);
  EXPECT_TRUE(Contains(no_part.out, "Illegal data value")) << no_part.out;
  EXPECT_EQ(Registers(Mbpoll(port, "-r 0 -t 4 127.0.0.1"))[0], 0) << "TRIGGER was written";
  EXPECT_EQ(server.counters().zero_part_ids, 1u);

  ExpectWritten(Mbpoll(port, "-r 1 -t 4:int -B 127.0.0.1 123456"));  // part id, high word first
  ExpectWritten(Mbpoll(port, "-r 3 -t 4:int -B 127.0.0.1 70001"));   // die shot
  ExpectWritten(Mbpoll(port, "-r 5 -t 4 127.0.0.1 7"));              // die number
  ExpectWritten(Mbpoll(port, "-r 0 -t 4 127.0.0.1 1"));              // TRIGGER
  const auto trigger = server.WaitTrigger(5s);
  ASSERT_TRUE(trigger);
  EXPECT_EQ(trigger->part_id, 123456u);
  EXPECT_EQ(trigger->die_shot, 70001u);
  EXPECT_EQ(trigger->die_number, 7);
  EXPECT_EQ(Registers(Mbpoll(port, "-r 10 -t 4 127.0.0.1"))[10], 34);  // BUSY + MODEL_LOADED

  PlcResult result;
  result.part_id = trigger->part_id;
  result.decision = Decision::kReject;
  result.score = 1.8f;
  result.threshold = 1.2f;
  result.defect_type = kDefectAnomaly;
  result.latency_ms = 23.4;
  ASSERT_TRUE(server.PublishResult(result));
  const ToolRun read = Mbpoll(port, "-r 10 -c 10 -t 4 127.0.0.1");
  ASSERT_EQ(read.exit_code, 0) << read.out;
  const std::map<int, long> expected{{10, 52},   {11, Registers(read)[11]},
                                     {12, 1},    {13, 57920},
                                     {14, 1},    {15, 0},
                                     {16, 1500}, {17, 1},
                                     {18, 23},   {19, 1}};
  EXPECT_EQ(Registers(read), expected) << read.out;  // RESULT_VALID + NG + MODEL_LOADED
  EXPECT_EQ(Registers(Mbpoll(port, "-r 12 -t 4:int -B 127.0.0.1"))[12], 123456);

  const ToolRun read_only = Mbpoll(port, "-r 10 -t 4 127.0.0.1 1");
  EXPECT_NE(read_only.exit_code, 0);
  EXPECT_TRUE(Contains(read_only.out, "Illegal data address")) << read_only.out;
  const ToolRun bad_command = Mbpoll(port, "-r 0 -t 4 127.0.0.1 4");
  EXPECT_NE(bad_command.exit_code, 0);
  EXPECT_TRUE(Contains(bad_command.out, "Illegal data value")) << bad_command.out;

  ExpectWritten(Mbpoll(port, "-r 0 -t 4 127.0.0.1 2"));                // ACK, TRIGGER low
  EXPECT_EQ(Registers(Mbpoll(port, "-r 10 -t 4 127.0.0.1"))[10], 33);  // READY again
  const PlcServer::Counters n = server.counters();
  EXPECT_EQ(n.triggers, 1u);
  EXPECT_EQ(n.acks, 1u);
  EXPECT_EQ(n.exceptions, 3u);
}

// An HMI clears a die's recurring mark with one register write (6, bit 0) and lowers it again.
TEST(PlcMbpoll, ClearsARecurringMark) {
  if (!std::filesystem::exists(kMbpoll)) GTEST_SKIP() << "mbpoll is not installed";
  PlcServerOptions options;
  options.port = 0;
  PlcServer server(options);
  const int port = server.port();
  ExpectWritten(Mbpoll(port, "-r 6 -t 4 127.0.0.1 1"));  // CLEAR_MARK
  EXPECT_TRUE(server.TakeMarkClear());
  ExpectWritten(Mbpoll(port, "-r 6 -t 4 127.0.0.1 0"));
  EXPECT_FALSE(server.TakeMarkClear());
  const ToolRun bad = Mbpoll(port, "-r 6 -t 4 127.0.0.1 2");
  EXPECT_NE(bad.exit_code, 0);
  EXPECT_TRUE(Contains(bad.out, "Illegal data value")) << bad.out;
  EXPECT_EQ(server.counters().mark_clears, 1u);
}

}  // namespace
}  // namespace linesight::io
