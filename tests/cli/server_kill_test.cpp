// A station's uplink against the real `linesight server`, which is killed with SIGKILL while
// batches are in flight and restarted, twice: every part and event arrives exactly once.
#include <csignal>
#include <thread>

#include <gtest/gtest.h>

#include "server/bootstrap.h"
#include "station/uplink.h"
#include "store/outbox.h"
#include "store/store.h"
#include "testing/test_util.h"

namespace linesight {
namespace {

namespace fs = std::filesystem;
using testing::ChildProcess;

PartRecord Part(int64_t shot) {
  PartRecord p;
  p.shot.machine = "M1";
  p.shot.die = "M1-D01";
  p.shot.shot = shot;
  p.shot.die_shot = shot;
  p.shot.time_ms = 1796000000000 + shot * 1000;
  p.part_id = PartId("M1", shot);
  p.station = "S1";
  ViewResult v;
  v.decision = shot % 7 == 0 ? Decision::kReject : Decision::kPass;
  v.score = shot % 7 == 0 ? 2.0f : 0.3f;
  v.threshold = 1;
  p.views.push_back(v);
  CombineViews(p);
  return p;
}

std::string ServerCommand(const std::string& db, int port) {
  return std::string(LINESIGHT_BINARY) + " server --store " + testing::ShellQuote(db) +
         " --listen 127.0.0.1:" + std::to_string(port) + " --web ''";
}

TEST(ServerKillTest, UplinkToAServerKilledMidBatchLosesAndDuplicatesNothing) {
  testing::TempDir dir;
  const std::string db = (dir / "plant.db").string();
  std::string token;
  {
    auto store = store::OpenStore(db);
    token = server::IssueStationToken(*store, "S1", "test");
  }
  store::OutboxOptions oo;
  oo.path = (dir / "outbox.db").string();
  oo.sync = store::OutboxSync::kNormal;
  store::Outbox outbox(oo);
  const int port = testing::FreeLoopbackPort();
  station::UplinkOptions uo;
  uo.url = "http://127.0.0.1:" + std::to_string(port);
  uo.token = token;
  uo.batch_parts = 40;
  uo.backoff_max_s = 0.5;
  uo.poll_s = 0.05;
  station::Uplink uplink(outbox, uo, {[](const std::string&) {}, {}});
  int64_t shot = 0;
  for (int life = 0; life < 3; ++life) {
    ChildProcess server(ServerCommand(db, port), dir / "server.log");
    for (int i = 0; i < 300; ++i) {
      ASSERT_TRUE(outbox.Put(Part(++shot)));
      if (i % 50 == 0)
        outbox.PutEvent({"M1", 1796000000000 + shot * 1000, MachineState::kRunning, true, "restart",
                         "M1-D01", ""});
      uplink.Notify();
      if (i % 20 == 0) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    server.Kill(SIGKILL);  // batches in flight, others waiting in the outbox
  }
  // Up again: the rest drains.
  ChildProcess server(ServerCommand(db, port), dir / "server.log");
  for (int i = 0; i < 600 && outbox.counts().pending_parts + outbox.counts().pending_events > 0;
       ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  ASSERT_EQ(outbox.counts().pending_parts, 0) << uplink.stats().last_error;
  EXPECT_EQ(outbox.counts().pending_events, 0);
  uplink.Stop();
  server.Kill(SIGTERM);
  const auto store = store::OpenStore(db);
  EXPECT_EQ(store->Counts().parts, shot);
  EXPECT_EQ(store->Counts().events, 18);
  EXPECT_EQ(store->CountParts({}), shot);
  store::PartPage page;
  page.limit = 1000;
  EXPECT_EQ(store->FindParts({}, page).size(), static_cast<size_t>(shot));
  EXPECT_GT(uplink.stats().retries, 0u) << "the server was never seen down: the test did not "
                                           "test what it claims";
}

}  // namespace
}  // namespace linesight
