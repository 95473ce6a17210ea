// Tests io/plc_server and io/plc_client over real sockets on 127.0.0.1: the handshake, Modbus
// exceptions, refused triggers, heartbeat, disconnects, garbage and several clients at once.
#include "io/plc_server.h"

#include <arpa/inet.h>
#include <modbus.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "io/plc_client.h"
#include "testing/test_util.h"

namespace linesight::io {
namespace {

using namespace std::chrono_literals;
using linesight::testing::Caught;

constexpr auto kWait = 5s;  // bound for things that happen at once unless broken

PlcServerOptions LocalOptions() {
  PlcServerOptions o;
  o.port = 0;
  o.heartbeat_period = 20ms;
  return o;
}

PlcResult Answer(const PlcTrigger& t, Decision d, HoldReason reason = HoldReason::kNone) {
  PlcResult r;
  r.part_id = t.part_id;
  r.decision = d;
  r.reason = reason;
  r.score = 0.75f;
  r.threshold = 0.5f;
  r.defect_type = d == Decision::kReject ? kDefectAnomaly : kDefectNone;
  r.latency_ms = 42.0;
  return r;
}

// Polls `condition` until it holds or kWait passes.
template <typename F>
bool Eventually(F condition) {
  const Deadline deadline = Deadline::In(kWait);
  while (!condition()) {
    if (deadline.Passed()) return false;
    std::this_thread::sleep_for(1ms);
  }
  return true;
}

// A bare libmodbus client, for requests PlcClient never sends.
class RawClient {
 public:
  explicit RawClient(int port) : ctx_(modbus_new_tcp("127.0.0.1", port)) {
    EXPECT_EQ(modbus_connect(ctx_), 0) << modbus_strerror(errno);
  }
  ~RawClient() {
    modbus_close(ctx_);
    modbus_free(ctx_);
  }
  modbus_t* get() { return ctx_; }

 private:
  modbus_t* ctx_;
};

// A plain TCP socket connected to the server, for bytes that are not Modbus.
int ConnectSocket(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  EXPECT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  return fd;
}

// True once the server closed `fd` (read returns end of file or a reset).
bool ClosedByServer(int fd) {
  timeval tv{5, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  char buf[64];
  const ssize_t n = recv(fd, buf, sizeof buf, 0);
  return n == 0 || (n < 0 && errno == ECONNRESET);
}

TEST(PlcServer, StartsFaultedAndNotOk) {
  PlcServer server(LocalOptions());
  PlcClient plc("127.0.0.1", server.port());
  EXPECT_EQ(plc.ReadStatus(), kStatusReady | kStatusFault);
  EXPECT_FALSE(plc.WaitResult(20ms));
}

TEST(PlcServer, FullHandshakeDecodesPassRejectAndHold) {
  PlcServer server(LocalOptions());
  server.SetModelLoaded(true);
  server.SetFault(false);
  PlcClient plc("127.0.0.1", server.port());
  EXPECT_EQ(plc.ReadStatus(), kStatusReady | kStatusModelLoaded);
  struct Case {
    uint32_t part;
    Decision decision;
    HoldReason reason;
    uint16_t status_bit;
  };
  const std::array<Case, 3> cases{{{0x12345678, Decision::kPass, HoldReason::kNone, kStatusOk},
                                   {70001, Decision::kReject, HoldReason::kNone, kStatusNg},
                                   {3, Decision::kHold, HoldReason::kOutOfFocus, kStatusNg}}};
  for (size_t i = 0; i < cases.size(); ++i) {
    const Case& c = cases[i];
    plc.Trigger(c.part, 90000 + static_cast<uint32_t>(i), 7);
    const auto trigger = server.WaitTrigger(kWait);
    ASSERT_TRUE(trigger);
    EXPECT_EQ(trigger->part_id, c.part);
    EXPECT_EQ(trigger->die_shot, 90000 + i);
    EXPECT_EQ(trigger->die_number, 7);
    EXPECT_EQ(plc.ReadStatus(), kStatusBusy | kStatusModelLoaded);
    ASSERT_TRUE(server.PublishResult(Answer(*trigger, c.decision, c.reason)));
    const auto result = plc.WaitResult(kWait);
    ASSERT_TRUE(result);
    EXPECT_EQ(result->status, kStatusResultValid | c.status_bit | kStatusModelLoaded);
    EXPECT_EQ(result->part_id, c.part);
    EXPECT_EQ(result->decision, c.decision);
    EXPECT_EQ(result->reason, c.reason);
    EXPECT_EQ(result->score_permille, 1500);
    EXPECT_EQ(result->defect_type, c.decision == Decision::kReject ? kDefectAnomaly : kDefectNone);
    EXPECT_EQ(result->latency_ms, 42);
    EXPECT_EQ(result->result_count, i + 1);
    EXPECT_EQ(result->ok(), c.decision == Decision::kPass);
    EXPECT_EQ(result->ng(), c.decision != Decision::kPass);
    plc.Acknowledge();
    EXPECT_EQ(plc.ReadStatus(), kStatusReady | kStatusModelLoaded);
  }
  const PlcServer::Counters n = server.counters();
  EXPECT_EQ(n.triggers, 3u);
  EXPECT_EQ(n.results, 3u);
  EXPECT_EQ(n.acks, 3u);
  EXPECT_EQ(n.missed_triggers, 0u);
  EXPECT_EQ(n.exceptions, 0u);
}

TEST(PlcServer, ReadOnlyAndUnknownAddressesGetException02) {
  PlcServer server(LocalOptions());
  RawClient raw(server.port());
  for (int address = kWritableEnd; address <= kRegisterCount; ++address) {
    errno = 0;
    EXPECT_EQ(modbus_write_register(raw.get(), address, 1), -1) << address;
    EXPECT_EQ(errno, EMBXILADD) << address;
  }
  const std::array<uint16_t, 4> four{0, 0, 0, 0};
  errno = 0;
  EXPECT_EQ(modbus_write_registers(raw.get(), 5, 4, four.data()), -1);  // 5-6 ok, 7-8 not
  EXPECT_EQ(errno, EMBXILADD);
  std::array<uint16_t, 125> regs{};
  errno = 0;
  EXPECT_EQ(modbus_read_registers(raw.get(), 15, 6, regs.data()), -1);
  EXPECT_EQ(errno, EMBXILADD);
  errno = 0;
  EXPECT_EQ(modbus_read_registers(raw.get(), 1000, 1, regs.data()), -1);
  EXPECT_EQ(errno, EMBXILADD);
  EXPECT_EQ(modbus_read_registers(raw.get(), 0, kRegisterCount, regs.data()), kRegisterCount);
  EXPECT_EQ(server.counters().exceptions, 17u);  // 14 single writes, 1 multiple, 2 reads
}

TEST(PlcServer, BadCommandValueGetsException03AndTriggersNothing) {
  PlcServer server(LocalOptions());
  RawClient raw(server.port());
  errno = 0;
  EXPECT_EQ(modbus_write_register(raw.get(), kRegCommand, 0x0005), -1);  // TRIGGER + bit 2
  EXPECT_EQ(errno, EMBXILVAL);
  const std::array<uint16_t, 2> cmd{0x8001, 0};
  errno = 0;
  EXPECT_EQ(modbus_write_registers(raw.get(), kRegCommand, 2, cmd.data()), -1);
  EXPECT_EQ(errno, EMBXILVAL);
  EXPECT_FALSE(server.WaitTrigger(20ms));
  std::array<uint16_t, 1> status{};
  ASSERT_EQ(modbus_read_registers(raw.get(), kRegStatus, 1, status.data()), 1);
  EXPECT_EQ(status[0], kStatusReady | kStatusFault);
}

// An HMI's CLEAR_MARK (register 6, bit 0) is handed to the station once per rising edge, apart
// from the PLC's handshake.
TEST(PlcServer, ClearMarkIsTakenOncePerRisingEdge) {
  PlcServer server(LocalOptions());
  RawClient raw(server.port());
  EXPECT_FALSE(server.TakeMarkClear());
  ASSERT_EQ(modbus_write_register(raw.get(), kRegOperatorCommand, kOperatorClearMark), 1);
  ASSERT_EQ(modbus_write_register(raw.get(), kRegOperatorCommand, kOperatorClearMark), 1);
  EXPECT_TRUE(server.TakeMarkClear());
  EXPECT_FALSE(server.TakeMarkClear()) << "held high: no new edge";
  ASSERT_EQ(modbus_write_register(raw.get(), kRegOperatorCommand, 0), 1);
  ASSERT_EQ(modbus_write_register(raw.get(), kRegOperatorCommand, kOperatorClearMark), 1);
  EXPECT_TRUE(server.TakeMarkClear());
  EXPECT_EQ(server.counters().mark_clears, 2u);
  errno = 0;
  EXPECT_EQ(modbus_write_register(raw.get(), kRegOperatorCommand, 2), -1);
  EXPECT_EQ(errno, EMBXILVAL);
  EXPECT_EQ(server.status() & kStatusReady, kStatusReady) << "the handshake is untouched";
}

TEST(PlcServer, UnsupportedFunctionGetsException01) {
  PlcServer server(LocalOptions());
  RawClient raw(server.port());
  std::array<uint16_t, 1> v{};
  errno = 0;
  EXPECT_EQ(modbus_read_input_registers(raw.get(), 0, 1, v.data()), -1);
  EXPECT_EQ(errno, EMBXILFUN);
  std::array<uint8_t, 1> bits{};
  errno = 0;
  EXPECT_EQ(modbus_read_bits(raw.get(), 0, 1, bits.data()), -1);
  EXPECT_EQ(errno, EMBXILFUN);
  EXPECT_EQ(modbus_read_registers(raw.get(), kRegStatus, 1, v.data()), 1);  // still served
}

// Functions libmodbus has no request layout for (08 diagnostics, 43/14 read device
// identification, which some SCADA masters send on connecting) are framed by their MBAP length and
// answered with exception 01 on the same connection.
TEST(PlcServer, FunctionsWithoutALayoutGetException01AndKeepTheConnection) {
  PlcServer server(LocalOptions());
  const int fd = ConnectSocket(server.port());
  timeval tv{5, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  auto ask = [&](const std::vector<uint8_t>& request) {
    EXPECT_EQ(send(fd, request.data(), request.size(), 0), static_cast<ssize_t>(request.size()));
    std::array<uint8_t, 64> reply{};
    const ssize_t n = recv(fd, reply.data(), reply.size(), 0);
    return std::vector<uint8_t>(reply.begin(), reply.begin() + std::max<ssize_t>(n, 0));
  };
  // 08/0000 "return query data" with data 12 34, then 43/14 "basic device identification".
  EXPECT_EQ(ask({0, 1, 0, 0, 0, 6, 1, 0x08, 0, 0, 0x12, 0x34}),
            (std::vector<uint8_t>{0, 1, 0, 0, 0, 3, 1, 0x88, 0x01}));
  EXPECT_EQ(ask({0, 2, 0, 0, 0, 5, 1, 0x2B, 0x0E, 0x01, 0x00}),
            (std::vector<uint8_t>{0, 2, 0, 0, 0, 3, 1, 0xAB, 0x01}));
  // 00 and 0x81 are no function (0x80 and up mark exception answers): exception 01 as well.
  EXPECT_EQ(ask({0, 4, 0, 0, 0, 2, 1, 0x00}),
            (std::vector<uint8_t>{0, 4, 0, 0, 0, 3, 1, 0x80, 0x01}));
  EXPECT_EQ(ask({0, 5, 0, 0, 0, 3, 1, 0x81, 0x07}),
            (std::vector<uint8_t>{0, 5, 0, 0, 0, 3, 1, 0x81, 0x01}));
  // The connection is still served: read holding register 0 (STATUS).
  const std::vector<uint8_t> status = ask({0, 3, 0, 0, 0, 6, 1, 3, 0, 0, 0, 1});
  ASSERT_EQ(status.size(), 11u);
  EXPECT_EQ(status[7], 3);
  EXPECT_EQ(server.counters().client_drops, 0u);
  EXPECT_EQ(server.counters().exceptions, 4u);
  close(fd);
}

TEST(PlcServer, TriggerWhileBusyOrUnacknowledgedIsMissedAndNotHandedOut) {
  PlcServer server(LocalOptions());
  PlcClient plc("127.0.0.1", server.port());
  plc.Trigger(1, 0, 0);
  const auto first = server.WaitTrigger(kWait);
  ASSERT_TRUE(first);
  plc.Trigger(2, 0, 0);  // busy
  EXPECT_FALSE(server.WaitTrigger(20ms));
  EXPECT_FALSE(server.PublishResult(Answer(PlcTrigger{2, 0, 0, {}}, Decision::kPass)));
  ASSERT_TRUE(server.PublishResult(Answer(*first, Decision::kReject)));
  const auto result = plc.WaitResult(kWait);
  ASSERT_TRUE(result);
  EXPECT_EQ(result->part_id, 1u);
  plc.Trigger(3, 0, 0);  // result not acknowledged yet
  EXPECT_FALSE(server.WaitTrigger(20ms));
  EXPECT_EQ(plc.WaitResult(kWait)->part_id, 1u);  // the refused edge left the result alone
  EXPECT_EQ(server.counters().missed_triggers, 2u);
  plc.Acknowledge();
  plc.Trigger(4, 0, 0);
  const auto fourth = server.WaitTrigger(kWait);
  ASSERT_TRUE(fourth);
  EXPECT_EQ(fourth->part_id, 4u);
  EXPECT_EQ(server.counters().triggers, 2u);
}

TEST(PlcServer, PublishedTriggerIsNotHandedOutLater) {
  PlcServer server(LocalOptions());
  PlcClient plc("127.0.0.1", server.port());
  plc.Trigger(11, 0, 0);
  ASSERT_TRUE(Eventually([&] { return server.status() & kStatusBusy; }));
  ASSERT_TRUE(server.PublishResult(Answer(PlcTrigger{11, 0, 0, {}}, Decision::kReject)));
  EXPECT_FALSE(server.WaitTrigger(20ms));
}

TEST(PlcServer, HeartbeatAdvances) {
  PlcServer server(LocalOptions());
  PlcClient plc("127.0.0.1", server.port());
  const uint16_t first = plc.ReadHeartbeat();
  EXPECT_TRUE(Eventually([&] { return plc.ReadHeartbeat() != first; }));
}

TEST(PlcServer, PlcThatLeavesMidHandshakeFindsTheResultOnReconnect) {
  PlcServer server(LocalOptions());
  {
    PlcClient plc("127.0.0.1", server.port());
    plc.Trigger(77, 5, 1);
  }
  const auto trigger = server.WaitTrigger(kWait);
  ASSERT_TRUE(trigger);
  ASSERT_TRUE(Eventually([&] { return !server.client_connected(); }));
  EXPECT_EQ(server.counters().client_drops, 1u);
  ASSERT_TRUE(server.PublishResult(Answer(*trigger, Decision::kReject)));
  PlcClient again("127.0.0.1", server.port());
  const auto result = again.WaitResult(kWait);
  ASSERT_TRUE(result);
  EXPECT_EQ(result->part_id, 77u);
  EXPECT_TRUE(result->ng());
  again.Acknowledge();
  again.Trigger(78, 6, 1);
  const auto next = server.WaitTrigger(kWait);
  ASSERT_TRUE(next);
  EXPECT_EQ(next->part_id, 78u);
}

TEST(PlcServer, GarbageAndHalfFramesAreDroppedOthersKeepBeingServed) {
  PlcServer server(LocalOptions());
  PlcClient plc("127.0.0.1", server.port());
  const int garbage = ConnectSocket(server.port());
  const std::string text = "GET / HTTP/1.1\r\nHost: station\r\n\r\n";
  ASSERT_EQ(send(garbage, text.data(), text.size(), 0), static_cast<ssize_t>(text.size()));
  EXPECT_TRUE(ClosedByServer(garbage));
  close(garbage);
  const int half = ConnectSocket(server.port());
  const std::array<uint8_t, 5> mbap{0, 1, 0, 0, 0};  // a header cut short, then silence
  ASSERT_EQ(send(half, mbap.data(), mbap.size(), 0), 5);
  EXPECT_TRUE(ClosedByServer(half));
  close(half);
  // Frames no Modbus TCP client sends: another protocol id; a read whose MBAP length holds only
  // the unit and function code. Neither can be read in step: dropped.
  for (const std::vector<uint8_t>& frame :
       {std::vector<uint8_t>{0, 1, 0, 1, 0, 6, 1, 3, 0, 0, 0, 1},
        std::vector<uint8_t>{0, 1, 0, 0, 0, 2, 1, 3}}) {
    const int odd = ConnectSocket(server.port());
    ASSERT_EQ(send(odd, frame.data(), frame.size(), 0), static_cast<ssize_t>(frame.size()));
    EXPECT_TRUE(ClosedByServer(odd));
    close(odd);
  }
  EXPECT_EQ(plc.ReadStatus(), kStatusReady | kStatusFault);
  EXPECT_TRUE(Eventually([&] { return server.counters().client_drops == 4; }));
}

// A client that sends its request a byte at a time (each pause under the byte timeout) must not
// hold the server: the heartbeat goes on for the other clients, and the slow one is dropped once
// its frame has taken longer than half a second.
TEST(PlcServer, AFrameSentAByteAtATimeHoldsNobodyAndIsDropped) {
  PlcServer server(LocalOptions());
  PlcClient plc("127.0.0.1", server.port());
  const int slow = ConnectSocket(server.port());
  // Read holding registers 0..1: a whole, valid 12-byte request.
  const std::array<uint8_t, 12> request{0, 1, 0, 0, 0, 6, 1, 3, 0, 0, 0, 2};
  std::atomic<bool> dropped{false};
  std::thread sender([&] {
    for (uint8_t byte : request) {
      if (send(slow, &byte, 1, MSG_NOSIGNAL) != 1) {
        dropped = true;
        return;
      }
      std::this_thread::sleep_for(90ms);
    }
  });
  const auto start = std::chrono::steady_clock::now();
  const uint16_t first = plc.ReadHeartbeat();
  EXPECT_TRUE(Eventually([&] { return plc.ReadHeartbeat() != first; }))
      << "the heartbeat stopped while the slow frame arrived";
  EXPECT_LT(std::chrono::steady_clock::now() - start, 400ms);
  EXPECT_TRUE(ClosedByServer(slow));
  sender.join();
  close(slow);
  EXPECT_TRUE(Eventually([&] { return server.counters().client_drops == 1; }));
  EXPECT_EQ(plc.ReadStatus(), kStatusReady | kStatusFault);
}

TEST(PlcServer, TwoClientsAtOnceSeeTheSameHandshake) {
  PlcServer server(LocalOptions());
  PlcClient plc("127.0.0.1", server.port());
  PlcClient hmi("127.0.0.1", server.port());
  plc.Trigger(500, 1, 2);
  const auto trigger = server.WaitTrigger(kWait);
  ASSERT_TRUE(trigger);
  EXPECT_TRUE(hmi.ReadStatus() & kStatusBusy);
  ASSERT_TRUE(server.PublishResult(Answer(*trigger, Decision::kPass)));
  const auto seen_by_hmi = hmi.WaitResult(kWait);
  const auto seen_by_plc = plc.WaitResult(kWait);
  ASSERT_TRUE(seen_by_hmi && seen_by_plc);
  EXPECT_EQ(seen_by_hmi->part_id, 500u);
  EXPECT_EQ(seen_by_plc->part_id, 500u);
  plc.Acknowledge();
  EXPECT_TRUE(hmi.ReadStatus() & kStatusReady);
  EXPECT_TRUE(server.client_connected());
  EXPECT_EQ(server.counters().client_connects, 2u);
}

TEST(PlcServer, ClientsBeyondTheLimitAreClosedOthersServed) {
  PlcServerOptions options = LocalOptions();
  options.max_clients = 1;
  PlcServer server(options);
  PlcClient plc("127.0.0.1", server.port());
  EXPECT_EQ(plc.ReadStatus(), kStatusReady | kStatusFault);  // plc is surely accepted first
  const int extra = ConnectSocket(server.port());
  EXPECT_TRUE(ClosedByServer(extra));
  close(extra);
  EXPECT_EQ(server.counters().clients_refused, 1u);
  EXPECT_EQ(plc.ReadStatus(), kStatusReady | kStatusFault);
}

TEST(PlcServer, ANewClientReplacesOneIdleLongEnough) {
  PlcServerOptions options = LocalOptions();
  options.max_clients = 1;
  options.evict_idle_after = 50ms;
  PlcServer server(options);
  PlcClient stale("127.0.0.1", server.port());
  EXPECT_EQ(stale.ReadStatus(), kStatusReady | kStatusFault);
  std::this_thread::sleep_for(100ms);  // stale now idle longer than evict_idle_after
  PlcClient back("127.0.0.1", server.port());
  EXPECT_EQ(back.ReadStatus(), kStatusReady | kStatusFault);
  EXPECT_EQ(Caught([&] { stale.ReadStatus(); }).category(), ErrorCategory::kIo);
  const PlcServer::Counters n = server.counters();
  EXPECT_EQ(n.client_connects, 2u);
  EXPECT_EQ(n.client_drops, 1u);
  EXPECT_EQ(n.clients_refused, 0u);
  EXPECT_TRUE(server.client_connected());
}

TEST(PlcServer, PortInUseNamesHostPortAndFix) {
  PlcServer first(LocalOptions());
  PlcServerOptions options = LocalOptions();
  options.port = first.port();
  const Error e = Caught([&] { PlcServer second(options); });
  EXPECT_EQ(e.category(), ErrorCategory::kIo);
  EXPECT_NE(e.cause().find("127.0.0.1:" + std::to_string(first.port())), std::string::npos)
      << e.what();
  EXPECT_NE(e.fix().find("another port"), std::string::npos) << e.what();
}

TEST(PlcServer, BadHostIsAnInputError) {
  PlcServerOptions options = LocalOptions();
  options.host = "station.local";
  EXPECT_EQ(Caught([&] { PlcServer s(options); }).category(), ErrorCategory::kInput);
}

TEST(PlcServer, StopWakesAWaitingLoop) {
  PlcServer server(LocalOptions());
  std::optional<PlcTrigger> got = PlcTrigger{};
  std::thread loop([&] { got = server.WaitTrigger(std::chrono::hours(1)); });
  server.Stop();
  loop.join();
  EXPECT_FALSE(got);
}

TEST(PlcClient, NoStationIsAnIoErrorNamingTheEndpoint) {
  int port = 0;
  {
    PlcServer gone(LocalOptions());
    port = gone.port();
  }
  const Error e = Caught([&] { PlcClient plc("127.0.0.1", port); });
  EXPECT_EQ(e.category(), ErrorCategory::kIo);
  EXPECT_NE(e.cause().find(std::to_string(port)), std::string::npos) << e.what();
}

}  // namespace
}  // namespace linesight::io
