// Runs many handshakes back to back between PlcClient and PlcServer over 127.0.0.1 with a trivial
// responder thread: every result must belong to its part. Prints the round trip (TRIGGER written
// to RESULT_VALID seen by the client) as p50/p99; timings are reported, never asserted.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "io/plc_client.h"
#include "io/plc_server.h"

namespace linesight::io {
namespace {

using namespace std::chrono_literals;

constexpr int kParts = 300;

// Answers every trigger at once with a pass for its part, until the server stops.
void Respond(PlcServer& server) {
  while (const auto trigger = server.WaitTrigger(1h)) {
    PlcResult result;
    result.part_id = trigger->part_id;
    result.decision = Decision::kPass;
    result.score = 0.2f;
    result.threshold = 1.f;
    result.latency_ms = MillisSince(trigger->at);
    if (!server.PublishResult(result)) return;
  }
}

double Percentile(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  return v[static_cast<size_t>(p * static_cast<double>(v.size() - 1))];
}

// Round trips in microseconds for kParts handshakes, polling every `poll`.
std::vector<double> RunHandshakes(PlcServer& server, PlcClient& plc, uint32_t first_part,
                                  std::chrono::microseconds poll) {
  std::vector<double> micros;
  for (uint32_t part = first_part; part < first_part + kParts; ++part) {
    const auto start = SteadyClock::now();
    plc.Trigger(part, part * 2, 1);
    const auto result = plc.WaitResult(5s, poll);
    micros.push_back(MillisSince(start) * 1000.0);
    if (!result) {
      ADD_FAILURE() << "no result for part " << part;
      break;
    }
    EXPECT_EQ(result->part_id, part);
    EXPECT_TRUE(result->ok());
    plc.Acknowledge();
  }
  EXPECT_EQ(server.counters().missed_triggers, 0u);
  return micros;
}

TEST(PlcRoundTrip, EveryResultBelongsToItsPartAndTheRoundTripIsReported) {
  PlcServerOptions options;
  options.port = 0;
  PlcServer server(options);
  std::thread responder([&] { Respond(server); });
  PlcClient plc("127.0.0.1", server.port());
  for (const auto poll : {200us, 0us}) {
    const std::vector<double> micros =
        RunHandshakes(server, plc, 1000 + static_cast<uint32_t>(poll.count()) * kParts, poll);
    if (micros.empty()) continue;
    std::printf(
        "PLC round trip over 127.0.0.1, %zu parts, poll %lld us: p50 %.0f us, p99 %.0f us\n",
        micros.size(), static_cast<long long>(poll.count()), Percentile(micros, 0.5),
        Percentile(micros, 0.99));
  }
  server.Stop();
  responder.join();
  EXPECT_EQ(server.counters().results, 2u * kParts);
}

}  // namespace
}  // namespace linesight::io
