// `linesight station` killed with SIGKILL mid-shift and restarted: every part whose result the
// PLC saw is in the outbox exactly once. The PLC is a Modbus TCP client over a real socket, the
// camera a watched folder, the station the real binary.

#include <csignal>
#include <set>
#include <thread>

#include "cli/cli_fixture.h"
#include "io/plc_client.h"
#include "store/outbox.h"

namespace linesight::cli_test {
namespace {

// The station binary as a child process, its output in `log`.
class StationProcess : public testing::ChildProcess {
 public:
  StationProcess(const fs::path& config, const fs::path& log)
      : ChildProcess(
            std::string(LINESIGHT_BINARY) + " station --config " + Q(config) + " --status-every 0",
            log) {}
};

// Connects to the station's PLC port, waiting for it to come up (bounded).
std::unique_ptr<io::PlcClient> ConnectPlc(int port) {
  for (int i = 0; i < 200; ++i) {
    try {
      return std::make_unique<io::PlcClient>("127.0.0.1", port);
    } catch (const std::exception&) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }
  return nullptr;
}

TEST_F(CliTest, StationKilledMidShiftLosesAndDuplicatesNoPartThePlcSaw) {
  const fs::path dir = Scratch("station_kill");
  const fs::path cam = dir / "cam";
  fs::create_directories(cam);
  const int port = testing::FreeLoopbackPort();
  testing::WriteFile(dir / "station.yaml",
                     "station: S1\nmachine: M1\nplc: {port: " + std::to_string(port) +
                         "}\ncamera: {source: folder, folder: cam, timeout_ms: 3000}\n"
                         "views: [{name: top, model: " +
                         model().string() + "}]\ndeadline_ms: 5000\noutbox: {path: outbox.db}\n");
  const auto images = Files(data() / "good", ".png");
  ASSERT_GE(images.size(), 10u);
  std::set<std::string> seen;  // parts whose result the PLC read
  uint32_t part = 0;
  for (int life = 0; life < 3; ++life) {
    StationProcess station(dir / "station.yaml", dir / "station.log");
    ASSERT_TRUE(station.running());
    auto plc = ConnectPlc(port);
    ASSERT_TRUE(plc) << "station did not open port " << port << ":\n" << Slurp(dir / "station.log");
    for (int i = 0; i < 6; ++i) {
      ++part;
      // The camera writes a file, then renames it into place, as camera software does.
      const fs::path& src = images[part % images.size()];
      fs::copy_file(src, cam / (".tmp_" + std::to_string(part)));
      fs::rename(cam / (".tmp_" + std::to_string(part)), cam / (std::to_string(part) + ".png"));
      plc->Trigger(part, part, 1);
      if (i == 5) break;  // killed with this part in flight: its result was never seen
      const auto r = plc->WaitResult(std::chrono::milliseconds(10000));
      ASSERT_TRUE(r.has_value()) << "no result for part " << part << ":\n"
                                 << Slurp(dir / "station.log");
      seen.insert(PartId("M1", part));
      plc->Acknowledge();
    }
    station.Kill(SIGKILL);
  }
  ASSERT_EQ(seen.size(), 15u);
  store::OutboxOptions o;
  o.path = (dir / "outbox.db").string();
  const store::Outbox outbox(o);
  for (const auto& id : seen) EXPECT_TRUE(outbox.Contains(id)) << id << " lost";
  // Exactly once: no more records than parts triggered, ids unique by the outbox's key.
  EXPECT_GE(outbox.counts().parts, static_cast<int64_t>(seen.size()));
  EXPECT_LE(outbox.counts().parts, static_cast<int64_t>(part));
}

}  // namespace
}  // namespace linesight::cli_test
