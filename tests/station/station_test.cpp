// The line loop at one machine, driven as the line drives it: a simulated PLC over a real Modbus
// TCP socket on 127.0.0.1, the simulated camera, a real outbox. Every fault holds the part.
#include "station/station.h"

#include <atomic>
#include <cmath>
#include <fstream>
#include <optional>
#include <stdexcept>
#include <thread>

#include <gtest/gtest.h>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "core/error.h"
#include "inspect/finding_type.h"
#include "inspect/trainer.h"
#include "io/plc_client.h"
#include "process/risk_model.h"
#include "sim/part_renderer.h"
#include "station/sim_camera.h"
#include "station/station_fixture.h"
#include "station/station_metrics.h"
#include "store/sqlite_db.h"
#include "testing/test_util.h"

namespace linesight::station {
namespace {

namespace fs = std::filesystem;
using testing::TempDir;
constexpr int64_t kMachineTime = 1'000'000'000'000;  // a shot time on the machine's clock

// Trains the model the station tests share; CTest runs it before them (tests/CMakeLists.txt).
TEST(SharedData, IsMade) { EXPECT_TRUE(fs::exists(ModelFile())); }

// A station with the simulated camera, its line loop running, and a PLC connected to it.
class StationRig {
 public:
  explicit StationRig(const fs::path& folder, StationConfig config = {},
                      ProcessLookup process = {}) {
    config.station = "S1";
    config.machine = "M1";
    config.plc.port = 0;
    config.camera.kind = CameraKind::kSimulator;
    config.camera.timeout_ms = 300;
    if (config.views.empty()) config.views = {ViewConfig{"top", ModelFile()}};
    config.outbox.path = folder / "outbox.db";
    config.outbox.image_dir = folder / "images";
    camera = new SimCamera("cam");
    if (!process)
      process = [](int64_t shot) {
        MachineShotReport r;
        r.process.melt_temp_c = 600.0 + static_cast<double>(shot);
        r.time_ms = shot == 102 ? kMachineTime : 0;
        return r;
      };
    station = std::make_unique<Station>(config, std::unique_ptr<io::FrameSource>(camera),
                                        std::move(process));
    loop = std::thread([this] { station->Run(stop); });
    plc = std::make_unique<io::PlcClient>("127.0.0.1", station->plc_port());
  }
  ~StationRig() {
    plc.reset();
    stop = true;
    loop.join();
  }

  // Presents `image` for each view, triggers part `id` and returns what the PLC reads.
  io::PlcResultRead Shoot(uint32_t id, const std::vector<std::pair<std::string, cv::Mat>>& views,
                          uint16_t die = 2) {
    for (const auto& [view, image] : views) camera->Present(id, view, image);
    const uint64_t finished = station->parts_finished();
    plc->Trigger(id, id, die);
    auto r = plc->WaitResult(std::chrono::milliseconds(5000));
    EXPECT_TRUE(r.has_value()) << "no result for part " << id;
    plc->Acknowledge();
    // The station goes on with the part after the PLC has its result (images, die memory).
    for (const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(5);
         r && station->parts_finished() == finished && std::chrono::steady_clock::now() < until;)
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    return r.value_or(io::PlcResultRead{});
  }

  SimCamera* camera;
  std::unique_ptr<Station> station;
  std::atomic<bool> stop{false};
  std::thread loop;
  std::unique_ptr<io::PlcClient> plc;
};

// The stored record of part `id` once its first view's image is in: the station keeps a part's
// images after the PLC has its result. The record as it is if none comes within 5 s.
std::optional<PartRecord> WithImage(Station& station, const std::string& id) {
  for (const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(5);
       std::chrono::steady_clock::now() < until;
       std::this_thread::sleep_for(std::chrono::milliseconds(5))) {
    const auto part = station.outbox().Get(id);
    if (part && !part->views.empty() && !part->views[0].image.empty()) return part;
  }
  return station.outbox().Get(id);
}

cv::Mat Holed(uint64_t seed) {
  const sim::DefectType d[] = {sim::DefectType::kBlowHole};
  return sim::PartRenderer().Render(seed, d).image;
}

TEST(StationTest, VerdictsReachThePlcAndTheOutboxWithTheirShot) {
  TempDir dir;
  StationRig rig(dir.path());
  const auto pass = rig.Shoot(101, {{"top", Good(9001)}});
  EXPECT_EQ(pass.decision, Decision::kPass);
  EXPECT_EQ(pass.part_id, 101u);
  const auto reject = rig.Shoot(102, {{"top", Holed(9002)}});
  EXPECT_EQ(reject.decision, Decision::kReject);

  const auto stored = WithImage(*rig.station, "M1-000000102");
  ASSERT_TRUE(stored.has_value());
  EXPECT_EQ(stored->decision, Decision::kReject);
  EXPECT_EQ(stored->shot.die, "M1-D02");
  EXPECT_EQ(stored->shot.die_shot, 102);
  EXPECT_DOUBLE_EQ(stored->shot.process.melt_temp_c, 702.0);
  EXPECT_EQ(stored->shot.time_ms, kMachineTime) << "the machine's clock, as its events have";
  EXPECT_GT(stored->trigger_time_ms, kMachineTime) << "latency is measured on the station's";
  const auto first = rig.station->outbox().Get("M1-000000101");
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(first->shot.time_ms, first->trigger_time_ms) << "no machine time: the trigger's";
  ASSERT_EQ(stored->views.size(), 1u);
  EXPECT_FALSE(stored->views[0].model_id.empty());
  EXPECT_FALSE(stored->views[0].image.empty()) << "a reject's image is kept";
  // With its heatmap: a colour layer the size of the frame, lit where the hole is.
  ASSERT_FALSE(stored->views[0].heatmap.empty());
  const cv::Mat heat =
      cv::imread((fs::path(rig.station->outbox().image_dir()) / stored->views[0].heatmap).string(),
                 cv::IMREAD_COLOR);
  ASSERT_FALSE(heat.empty());
  const cv::Mat frame =
      cv::imread((fs::path(rig.station->outbox().image_dir()) / stored->views[0].image).string(),
                 cv::IMREAD_GRAYSCALE);
  EXPECT_EQ(heat.size(), frame.size());
  cv::Mat grey;
  cv::cvtColor(heat, grey, cv::COLOR_BGR2GRAY);
  const int lit = cv::countNonZero(grey);
  EXPECT_GT(lit, 0) << "a reject's heatmap shows where it is";
  EXPECT_LT(lit, grey.total() / 4) << "and only there";
  EXPECT_TRUE(rig.station->outbox().Contains("M1-000000101"));
}

// A risk model of a line whose melt above 650 degC makes scrap, as the server's GET
// /api/v1/risk/model writes it (the rig's shot N has melt 600 + N degC).
fs::path MeltRiskModel(const fs::path& dir) {
  process::ShotTable t;
  std::vector<double> melt;
  for (int i = 0; i < 2000; ++i) {
    const double m = 600 + (i * 37) % 101;
    t.AddShot(int64_t{i} * 90'000, "M1", "M1-D02", m > 650 && i % 3 != 0 ? 1 : 0);
    melt.push_back(m);
  }
  t.AddFeature("melt_temp_c", melt);
  process::RiskModelOptions o;
  o.rounds = 40;
  o.threads = 1;
  o.shot_flags = o.die_one_hot = false;
  const fs::path path = dir / "risk.json";
  std::ofstream(path) << process::RiskModel::Fit(t, o).SaveJson();
  return path;
}

TEST(StationTest, EachPartCarriesItsShotsRiskFromTheProcessValuesAlone) {
  TempDir dir;
  StationConfig config;
  config.risk_model = MeltRiskModel(dir.path());
  StationRig rig(dir.path(), config);
  rig.Shoot(20, {{"top", Good(9001)}});  // melt 620
  rig.Shoot(90, {{"top", Good(9002)}});  // melt 690
  const auto cool = rig.station->outbox().Get("M1-000000020");
  const auto hot = rig.station->outbox().Get("M1-000000090");
  ASSERT_TRUE(cool && hot);
  EXPECT_LT(cool->risk, 0.2);
  EXPECT_GT(hot->risk, 0.4);
  EXPECT_TRUE(hot->risk_model.starts_with("risk.json@")) << hot->risk_model;
  EXPECT_EQ(hot->decision, Decision::kPass) << "risk is advice: the image decides";
  EXPECT_DOUBLE_EQ(rig.station->Snapshot().last_risk, hot->risk);  // /metrics linesight_shot_risk
  EXPECT_NE(MetricsText(rig.station->Snapshot()).find("linesight_shot_risk "), std::string::npos);
}

TEST(StationTest, ABrokenRiskModelLeavesPartsWithoutRiskAndTheLineRunning) {
  TempDir dir;
  StationConfig config;
  config.risk_model = dir.path() / "risk.json";
  std::ofstream(config.risk_model) << "not a model";
  StationRig rig(dir.path(), config);
  EXPECT_EQ(rig.Shoot(20, {{"top", Good(9001)}}).decision, Decision::kPass);
  const auto part = rig.station->outbox().Get("M1-000000020");
  ASSERT_TRUE(part.has_value());
  EXPECT_TRUE(std::isnan(part->risk));
  EXPECT_TRUE(part->risk_model.empty());
}

// A good part with a small pit at one place of the part, as a die's mark would leave: the model's
// arcs find the part's turn, so the pit turns with it.
cv::Mat MarkedAtOnePlace(uint64_t seed) {
  sim::RenderedPart p = sim::PartRenderer().Render(seed);
  const double a = std::atan2(0.6, 0.8) + p.rotation_deg * CV_PI / 180;
  cv::circle(p.image, p.centre + 0.6 * p.radius * cv::Point2d(std::cos(a), std::sin(a)), 4,
             cv::Scalar(20), cv::FILLED, cv::LINE_AA);
  return p.image;
}

// A die leaves its mark at one place of each part (a heat-check vein). Once findings come back
// there on 4 of 12 parts, the die's further parts do not pass even where a part's own inspection
// sees nothing; the PLC reads die_mark (8), the record says why, and a new die starts again.
TEST(StationTest, AMarkRecurringAtOnePlaceOfTheDiesPartsRejectsItsFurtherParts) {
  TempDir dir;
  StationRig rig(dir.path());
  for (uint32_t id = 1; id <= 3; ++id) {
    const auto r = rig.Shoot(id, {{"top", MarkedAtOnePlace(9100 + id)}});
    EXPECT_EQ(r.decision, Decision::kReject) << id;
    EXPECT_NE(r.defect_type, FindingTypeCode("die_mark")) << "the part's own finding: " << id;
  }
  EXPECT_EQ(rig.Shoot(4, {{"top", Good(9104)}}).decision, Decision::kPass) << "3 of 4: not yet";
  EXPECT_EQ(rig.Shoot(5, {{"top", MarkedAtOnePlace(9105)}}).decision, Decision::kReject);
  const auto unseen = rig.Shoot(6, {{"top", Good(9106)}});
  EXPECT_EQ(unseen.decision, Decision::kReject) << "the die's mark stands";
  EXPECT_EQ(unseen.defect_type, FindingTypeCode("die_mark"));
  const auto stored = WithImage(*rig.station, "M1-000000006");
  ASSERT_TRUE(stored.has_value());
  ASSERT_TRUE(stored->views[0].recurring_mark.has_value());
  EXPECT_EQ(stored->views[0].recurring_mark->parts, 4);
  EXPECT_NEAR(std::hypot(stored->views[0].recurring_mark->x, stored->views[0].recurring_mark->y),
              0.6, 0.05);
  EXPECT_TRUE(stored->views[0].findings.empty());
  EXPECT_FALSE(stored->views[0].image.empty()) << "a reject's image is kept";
  EXPECT_EQ(rig.station->counters().recurring_mark_parts, 1u);
  EXPECT_NE(MetricsText(rig.station->Snapshot()).find("linesight_recurring_mark_parts_total 1"),
            std::string::npos);
  // A frame the camera cut short is held (no model judged it): a miss, and the mark stands.
  EXPECT_EQ(rig.Shoot(7, {{"top", cv::Mat(16, 16, CV_8UC1, cv::Scalar(90))}}).decision,
            Decision::kHold);
  EXPECT_EQ(rig.Shoot(8, {{"top", Good(9108)}}).decision, Decision::kReject);
  EXPECT_EQ(rig.station->counters().recurring_mark_parts, 2u);
  // The die is changed: its successor's parts are judged on their own.
  EXPECT_EQ(rig.Shoot(9, {{"top", Good(9106)}}, 3).decision, Decision::kPass);
}

// A person checks the die and finds nothing (or polishes the mark out): CLEAR_MARK from the HMI
// (register 6, bit 0) ends the mark, and the die's next parts are judged by inspection alone.
TEST(StationTest, AClearMarkFromTheHmiEndsTheMarkUntilFindingsRecurAgain) {
  TempDir dir;
  StationRig rig(dir.path());
  for (uint32_t id = 1; id <= 4; ++id) rig.Shoot(id, {{"top", MarkedAtOnePlace(9100 + id)}});
  ASSERT_EQ(rig.Shoot(5, {{"top", Good(9105)}}).defect_type, FindingTypeCode("die_mark"));
  rig.plc->ClearMark();
  EXPECT_EQ(rig.Shoot(6, {{"top", Good(9106)}}).decision, Decision::kPass) << "mark cleared";
  EXPECT_EQ(rig.station->counters().recurring_mark_clears, 1u);
  EXPECT_NE(MetricsText(rig.station->Snapshot()).find("linesight_recurring_mark_clears_total 1"),
            std::string::npos);
  // The findings before the clear are forgotten: one more marked part is not yet a mark.
  const auto again = rig.Shoot(7, {{"top", MarkedAtOnePlace(9107)}});
  EXPECT_EQ(again.decision, Decision::kReject);
  EXPECT_NE(again.defect_type, FindingTypeCode("die_mark"));
  EXPECT_EQ(rig.Shoot(8, {{"top", Good(9108)}}).decision, Decision::kPass);
}

constexpr int kFaintVeinGrey = 28;

// A good part with a faint raised line from 0.5 to 0.75 rim radii out at 40 degrees of the part's
// own frame (lit on one side, in shadow on the other): a young vein, too faint for most parts'
// own inspection.
cv::Mat FaintVein(uint64_t seed) {
  sim::RenderedPart p = sim::PartRenderer().Render(seed);
  const double a = (40 + p.rotation_deg) * CV_PI / 180;
  const cv::Point2d dir(std::cos(a), std::sin(a)), side(-dir.y * 1.5, dir.x * 1.5);
  const cv::Point2d from = p.centre + 0.5 * p.radius * dir, to = p.centre + 0.75 * p.radius * dir;
  cv::Mat lit = cv::Mat::zeros(p.image.size(), CV_8UC1), shadow = lit.clone();
  cv::line(lit, from, to, cv::Scalar(kFaintVeinGrey), 1, cv::LINE_AA);
  cv::line(shadow, from + side, to + side, cv::Scalar(kFaintVeinGrey), 1, cv::LINE_AA);
  cv::add(p.image, lit, p.image);
  cv::subtract(p.image, shadow, p.image);
  return p.image;
}

// The die memory (short horizons here: 30 parts against 300) stands a mark once the die's parts
// keep showing the faint line, and the station rejects the die's further parts for it (PLC defect
// type die_mark) though their own inspection passes them; a restart keeps the mark from its
// first part on. CLEAR_MARK from the HMI ends the mark and starts the memory again, so the die's
// next parts pass until the memory has judged anew.
TEST(StationTest, TheDieMemorysMarkRejectsTheDiesPartsUntilAPersonClearsIt) {
  TempDir dir;
  StationConfig config;
  config.recurring_mark.memory.short_parts = 30;
  config.recurring_mark.memory.long_parts = 300;
  config.recurring_mark.memory.min_parts = 60;
  auto rig = std::make_unique<StationRig>(dir.path(), config);
  uint32_t id = 0;
  for (; id < 60; ++id) {
    const auto r = rig->Shoot(id + 1, {{"top", Good(21000 + id)}});
    EXPECT_NE(r.defect_type, FindingTypeCode("die_mark")) << "no line yet: part " << id + 1;
  }
  int own_rejects = 0;
  std::optional<uint32_t> marked_at;
  for (; id < 200 && !marked_at; ++id) {
    const auto r = rig->Shoot(id + 1, {{"top", FaintVein(21000 + id)}});
    const auto stored = rig->station->outbox().Get(PartId("M1", id + 1));
    ASSERT_TRUE(stored.has_value());
    if (stored->views[0].die_mark && r.defect_type == FindingTypeCode("die_mark"))
      marked_at = id + 1;
    else
      own_rejects += r.decision == Decision::kReject;
  }
  ASSERT_TRUE(marked_at.has_value()) << "the memory never stood the line's mark";
  EXPECT_LE(own_rejects, 3) << "the line is too faint for the parts' own inspection";
  const auto stored = rig->station->outbox().Get(PartId("M1", *marked_at));
  EXPECT_EQ(stored->decision, Decision::kReject);
  EXPECT_LE(stored->views[0].score, stored->views[0].threshold) << "its own inspection passed it";
  ASSERT_TRUE(stored->views[0].recurring_mark.has_value());
  EXPECT_NEAR(std::hypot(stored->views[0].recurring_mark->x, stored->views[0].recurring_mark->y),
              0.625, 0.1);
  ++id;
  const auto still = rig->Shoot(id, {{"top", FaintVein(21000 + id)}});
  EXPECT_EQ(still.defect_type, FindingTypeCode("die_mark")) << "the mark stands";
  // Restarted, the station takes the memory back, and its first part carries the mark that
  // memory stands (the watch starts empty). The memory's judgement of a young line comes and
  // goes, so the file's own judgement says whether there is one; restarts go on until it does.
  const InspectionModel model = LoadInspectionModel(ModelFile());
  bool marked = false;
  for (int restarts = 0; restarts < 20 && !marked; ++restarts) {
    rig.reset();
    DieMemory saved(model, config.recurring_mark.memory);
    ASSERT_TRUE(saved.Restore(dir.path() / "outbox.die-memory").has_value());
    marked = saved.Mark().has_value();
    rig = std::make_unique<StationRig>(dir.path(), config);
    ++id;
    const auto r = rig->Shoot(id, {{"top", FaintVein(21000 + id)}});
    const auto first = rig->station->outbox().Get(PartId("M1", id));
    ASSERT_TRUE(first.has_value());
    EXPECT_EQ(first->views[0].die_mark.has_value(), marked) << "first part after restart " << id;
    if (marked) {
      EXPECT_EQ(r.decision, Decision::kReject);
    }
  }
  ASSERT_TRUE(marked) << "no restart found the memory marking: the check proved nothing";
  rig->plc->ClearMark();
  int passed_after_clear = 0;
  for (uint32_t k = 0; k < 20; ++k, ++id) {
    const auto r = rig->Shoot(id + 1, {{"top", FaintVein(21000 + id)}});
    EXPECT_NE(r.defect_type, FindingTypeCode("die_mark")) << "memory restarted: part " << id + 1;
    passed_after_clear += r.decision == Decision::kPass;
  }
  EXPECT_EQ(rig->station->counters().recurring_mark_clears, 1u);
  EXPECT_GE(passed_after_clear, 15) << "the line alone rejects few of its parts";
}

// The die memory needs hundreds of a die's parts before it judges (docs/station.md): a station
// restarted mid-die takes it back from the file beside its outbox instead of starting again. The
// file is written every 25 parts after the PLC has its result (a killed station loses at most
// those), at once when a person clears the mark or the die changes (a kill must not bring the
// old memory back), and when the station stops; a damaged file is logged and replaced, never a
// reason to stop the line. The station writes the file after the PLC has a part's result;
// Shoot waits for that work to end.
TEST(StationTest, TheDieMemoryOutlivesARestartOfTheStation) {
  TempDir dir;
  const fs::path file = dir.path() / "outbox.die-memory";
  const auto memory_parts = [](const Station& station) {
    const std::string text = MetricsText(station.Snapshot());
    const auto at = text.find("\nlinesight_die_memory_parts ");
    return at == std::string::npos ? int64_t{-1} : std::stoll(text.substr(at + 28));
  };
  const InspectionModel model = LoadInspectionModel(ModelFile());
  const auto on_disk = [&] {  // the die and parts of the file
    DieMemory memory(model);
    const auto die = memory.Restore(file);
    return std::make_pair(die.value_or("(another model's)"), memory.parts());
  };
  std::string die;
  {
    StationRig rig(dir.path());
    for (uint32_t id = 1; id <= 30; ++id) rig.Shoot(id, {{"top", Good(23000 + id)}});
    EXPECT_EQ(memory_parts(*rig.station), 30);
    die = rig.station->outbox().Get(PartId("M1", 30))->shot.die;
    // Written after the die's first part (a new file), then every 25: what a kill now leaves.
    EXPECT_EQ(on_disk(), std::make_pair(die, int64_t{26}));
  }
  EXPECT_EQ(on_disk(), std::make_pair(die, int64_t{30})) << "a clean stop saves every part";
  {
    StationRig rig(dir.path());
    EXPECT_EQ(memory_parts(*rig.station), 30) << "taken back at start, before any part";
    EXPECT_EQ(rig.Shoot(31, {{"top", Good(23031)}}).decision, Decision::kPass);
    EXPECT_EQ(memory_parts(*rig.station), 31);
    rig.plc->ClearMark();  // a person checked the die: its memory starts again, on disk too
    rig.Shoot(32, {{"top", Good(23032)}});
    EXPECT_EQ(memory_parts(*rig.station), 1);
    EXPECT_EQ(on_disk(), std::make_pair(die, int64_t{0}));
    rig.Shoot(33, {{"top", Good(23033)}}, 3);  // another die
    EXPECT_EQ(memory_parts(*rig.station), 1);
    rig.Shoot(34, {{"top", Good(23034)}}, 3);
    EXPECT_EQ(on_disk().second, 1);
    EXPECT_NE(on_disk().first, die);
  }
  {
    StationRig rig(dir.path());  // the first die back in: its memory starts again
    rig.Shoot(35, {{"top", Good(23035)}});
    EXPECT_EQ(memory_parts(*rig.station), 1);
  }
  testing::WriteFile(file, "not a die memory");
  {
    StationRig rig(dir.path());
    EXPECT_EQ(memory_parts(*rig.station), 0);
    EXPECT_EQ(rig.Shoot(36, {{"top", Good(23036)}}).decision, Decision::kPass) << "line goes on";
    EXPECT_EQ(memory_parts(*rig.station), 1);
    rig.Shoot(37, {{"top", Good(23037)}});
    EXPECT_EQ(on_disk(), std::make_pair(die, int64_t{1})) << "a good file replaced the damaged one";
  }
}

// A die memory that cannot be written (a full disk, a folder in the way) is logged and tried
// again 25 parts later while the line goes on; a file a clear has made stale is deleted rather
// than left to bring the old memory back at the next start.
TEST(StationTest, ADieMemoryThatCannotBeWrittenNeverStopsTheLineNorComesBackStale) {
  TempDir dir;
  const fs::path file = dir.path() / "outbox.die-memory",
                 blocker = dir.path() / "outbox.die-memory.tmp";
  StationRig rig(dir.path());
  rig.Shoot(1, {{"top", Good(24001)}});
  rig.Shoot(2, {{"top", Good(24002)}});
  ASSERT_TRUE(fs::exists(file)) << "written after the die's first part";
  fs::create_directory(blocker);  // the temporary file cannot be created while this stands
  testing::WriteFile(blocker / "keep", "x");
  rig.plc->ClearMark();
  EXPECT_EQ(rig.Shoot(3, {{"top", Good(24003)}}).decision, Decision::kPass);
  EXPECT_FALSE(fs::exists(file)) << "the memory before the clear must not come back";
  for (uint32_t id = 4; id <= 30; ++id)  // tried again after part 27, in vain
    EXPECT_NE(rig.Shoot(id, {{"top", Good(24000 + id)}}).decision, Decision::kHold);
  EXPECT_FALSE(fs::exists(file));
  fs::remove_all(blocker);
  for (uint32_t id = 31; id <= 55; ++id) rig.Shoot(id, {{"top", Good(24000 + id)}});
  const InspectionModel model = LoadInspectionModel(ModelFile());  // outlives the memory
  DieMemory memory(model);
  ASSERT_TRUE(memory.Restore(file).has_value()) << "written again once it could be";
  EXPECT_EQ(memory.parts(), 50) << "parts 3 to 52: the clear, then the retry after part 52";
}

// The PLC sends a part id the outbox already holds (a re-trigger after a restart, or a shot
// counter never written): the new inspection cannot be stored, so the PLC must not read a verdict
// from it. The part is held, the first record stays, and /metrics counts it.
TEST(StationTest, APartIdSentAgainIsHeldAndTheFirstRecordStays) {
  TempDir dir;
  StationRig rig(dir.path());
  EXPECT_EQ(rig.Shoot(7, {{"top", Holed(9207)}}).decision, Decision::kReject);
  const auto again = rig.Shoot(7, {{"top", Good(9208)}});
  EXPECT_EQ(again.decision, Decision::kHold);
  EXPECT_EQ(again.reason, HoldReason::kOutbox);
  EXPECT_TRUE(again.ng());
  const auto stored = rig.station->outbox().Get("M1-000000007");
  ASSERT_TRUE(stored.has_value());
  EXPECT_EQ(stored->decision, Decision::kReject) << "the first record stays";
  EXPECT_EQ(rig.station->counters().duplicate_parts, 1u);
  EXPECT_EQ(rig.station->counters().outbox_errors, 0u);
  EXPECT_NE(MetricsText(rig.station->Snapshot()).find("linesight_duplicate_parts_total 1"),
            std::string::npos);
  EXPECT_EQ(rig.Shoot(8, {{"top", Good(9208)}}).decision, Decision::kPass) << "the line goes on";
}

// Another program holds the outbox's write lock for longer than the part's deadline: the verdict
// that waited for it is held when the outbox can finally write, and the PLC reads that hold.
TEST(StationTest, AVerdictThatWaitedForTheOutboxPastTheDeadlineIsHeld) {
  TempDir dir;
  StationConfig config;
  config.deadline_ms = 400;
  StationRig rig(dir.path(), config);
  ASSERT_EQ(rig.Shoot(1, {{"top", Good(9001)}}).decision, Decision::kPass);
  store::SqliteDb other((dir / "outbox.db").string());
  other.Exec("BEGIN IMMEDIATE");
  std::thread release([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(900));
    other.Exec("COMMIT");
  });
  const auto r = rig.Shoot(2, {{"top", Good(9001)}});
  release.join();
  EXPECT_EQ(r.decision, Decision::kHold);
  EXPECT_EQ(r.reason, HoldReason::kDeadline);
  const auto stored = rig.station->outbox().Get("M1-000000002");
  ASSERT_TRUE(stored.has_value());
  EXPECT_EQ(stored->decision, Decision::kHold) << "the record says what the PLC read";
  EXPECT_GT(stored->latency_ms, 400);
}

TEST(StationTest, PassImagesAreSampledRejectImagesAlwaysKept) {
  TempDir dir;
  StationConfig none;
  none.outbox.keep_pass_images = 0;
  StationRig rig(dir.path(), none);
  EXPECT_EQ(rig.Shoot(201, {{"top", Good(9101)}}).decision, Decision::kPass);
  EXPECT_EQ(rig.Shoot(202, {{"top", Holed(9102)}}).decision, Decision::kReject);
  EXPECT_FALSE(WithImage(*rig.station, "M1-000000202")->views[0].image.empty());
  EXPECT_TRUE(rig.station->outbox().Get("M1-000000201")->views[0].image.empty());
  EXPECT_TRUE(rig.station->outbox().Get("M1-000000201")->views[0].heatmap.empty());
  EXPECT_EQ(rig.station->outbox().counts().images, 2);  // the reject's frame and heatmap
}

TEST(StationTest, LostCameraHoldsThePartAndTheStationGoesOn) {
  TempDir dir;
  StationRig rig(dir.path());
  rig.camera->SetLost(true);
  ::testing::internal::CaptureStderr();
  const auto held = rig.Shoot(1, {{"top", Good(9003)}});
  EXPECT_EQ(held.decision, Decision::kHold);
  EXPECT_EQ(held.reason, HoldReason::kCamera);
  EXPECT_EQ(rig.Shoot(4, {{"top", Good(9004)}}).reason, HoldReason::kCamera);
  // The first held part of the run says why in the log; the next one is counted, not logged.
  const std::string log = ::testing::internal::GetCapturedStderr();
  EXPECT_TRUE(testing::Contains(log, "held (camera): top: ")) << log;
  EXPECT_EQ(log.find("held (camera)"), log.rfind("held (camera)")) << log;
  rig.camera->SetLost(false);
  EXPECT_EQ(rig.Shoot(2, {{"top", Good(9001)}}).decision, Decision::kPass);
  // No frame at all (the robot never presented the part): held, not passed.
  const auto none = rig.Shoot(3, {});
  EXPECT_EQ(none.decision, Decision::kHold);
  EXPECT_EQ(none.reason, HoldReason::kCamera);
}

// A held part has no score the PLC could log: it reads 65535 ("unusable", docs/plc.md), also
// when the model looked for the part and found none, never 0 (a flawless part's reading).
TEST(StationTest, AHeldPartReadsAnUnusableScore) {
  TempDir dir;
  StationRig rig(dir.path());
  const auto empty = rig.Shoot(1, {{"top", cv::Mat(300, 300, CV_8UC1, cv::Scalar(0))}});
  EXPECT_EQ(empty.decision, Decision::kHold);
  EXPECT_EQ(empty.reason, HoldReason::kPartNotFound);
  EXPECT_EQ(empty.score_permille, 65535);
  rig.camera->SetLost(true);
  EXPECT_EQ(rig.Shoot(2, {{"top", Good(9003)}}).score_permille, 65535);
  rig.camera->SetLost(false);
  EXPECT_LT(rig.Shoot(3, {{"top", Good(9001)}}).score_permille, 1000);
}

TEST(StationTest, HeldPartsInARowSetHoldStreakUntilAPartIsJudged) {
  TempDir dir;
  StationConfig config;
  config.hold_streak = 3;
  StationRig rig(dir.path(), config);
  rig.camera->SetLost(true);
  for (uint32_t id = 1; id <= 3; ++id) {
    const auto held = rig.Shoot(id, {{"top", Good(9003)}});
    EXPECT_EQ(held.reason, HoldReason::kCamera);
    // Set with the result of the third hold in a row, read in the same status word.
    EXPECT_EQ((held.status & io::kStatusHoldStreak) != 0, id == 3) << "part " << id;
  }
  EXPECT_NE(rig.plc->ReadStatus() & io::kStatusHoldStreak, 0) << "stays after the ACK";
  EXPECT_EQ(rig.station->Snapshot().counters.holds_in_a_row, 3u);
  EXPECT_NE(HealthJson(rig.station->Snapshot()).dump().find("\"holds_in_a_row\":3"),
            std::string::npos);
  rig.camera->SetLost(false);
  const auto judged = rig.Shoot(4, {{"top", Good(9001)}});
  EXPECT_EQ(judged.decision, Decision::kPass);
  EXPECT_EQ(judged.status & io::kStatusHoldStreak, 0) << "the first judged part clears it";
  EXPECT_EQ(rig.station->Snapshot().counters.holds_in_a_row, 0u);
}

TEST(StationTest, HoldStreakZeroNeverSetsTheBit) {
  TempDir dir;
  StationConfig config;
  config.hold_streak = 0;
  StationRig rig(dir.path(), config);
  rig.camera->SetLost(true);
  for (uint32_t id = 1; id <= 6; ++id)
    EXPECT_EQ(rig.Shoot(id, {{"top", Good(9003)}}).status & io::kStatusHoldStreak, 0);
}

TEST(StationTest, MissingModelHoldsEveryPartAndRaisesFault) {
  TempDir dir;
  StationConfig config;
  config.views = {ViewConfig{"top", dir / "missing.lsm"}};
  StationRig rig(dir.path(), config);
  EXPECT_TRUE(rig.plc->ReadStatus() & io::kStatusFault);
  const auto r = rig.Shoot(7, {{"top", Good(9005)}});
  EXPECT_EQ(r.decision, Decision::kHold);
  EXPECT_EQ(r.reason, HoldReason::kNoModel);
  // The model appears: the idle station takes it within about a second, so FAULT clears
  // before any trigger (a PLC that heeds FAULT sends none).
  fs::copy_file(ModelFile(), dir / "missing.lsm");
  for (int i = 0; i < 50 && (rig.plc->ReadStatus() & io::kStatusFault); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_FALSE(rig.plc->ReadStatus() & io::kStatusFault) << "no trigger needed";
  EXPECT_EQ(rig.Shoot(8, {{"top", Good(9001)}}).decision, Decision::kPass);
}

// Whatever throws inside a part's handling (here the machine's process data lookup) holds that
// part, answers the PLC and leaves the line loop running.
TEST(StationTest, AnErrorInsideThePartsHandlingHoldsItAndTheLineGoesOn) {
  TempDir dir;
  StationRig rig(dir.path(), {}, [](int64_t shot) {
    if (shot == 13) throw std::runtime_error("process data link broke");
    return MachineShotReport{};
  });
  const auto r = rig.Shoot(13, {{"top", Good(9013)}});
  EXPECT_EQ(r.decision, Decision::kHold);
  EXPECT_EQ(r.reason, HoldReason::kInternal);
  const auto stored = rig.station->outbox().Get("M1-000000013");
  ASSERT_TRUE(stored.has_value()) << "the held part has its record";
  EXPECT_EQ(stored->decision, Decision::kHold);
  EXPECT_NE(stored->views.at(0).detail.find("process data link broke"), std::string::npos);
  EXPECT_EQ(rig.Shoot(14, {{"top", Good(9001)}}).decision, Decision::kPass);
}

TEST(StationTest, ACorruptNewModelLeavesTheOldOneJudging) {
  TempDir dir;
  fs::copy_file(ModelFile(), dir / "m.lsm");
  StationConfig config;
  config.views = {ViewConfig{"top", dir / "m.lsm"}};
  StationRig rig(dir.path(), config);
  EXPECT_EQ(rig.Shoot(1, {{"top", Good(9001)}}).decision, Decision::kPass);
  testing::WriteFile(dir / "m.lsm", "not a model at all");
  EXPECT_EQ(rig.Shoot(2, {{"top", Good(9001)}}).decision, Decision::kPass);
  EXPECT_EQ(rig.Shoot(3, {{"top", Holed(9009)}}).decision, Decision::kReject);
  const auto c = rig.station->counters();
  EXPECT_EQ(c.model_swap_failures, 1u);
  const auto first = rig.station->outbox().Get("M1-000000001");
  const auto third = rig.station->outbox().Get("M1-000000003");
  ASSERT_TRUE(first && third);
  EXPECT_EQ(first->views[0].model_id, third->views[0].model_id);
}

TEST(StationTest, AMissedDeadlineHolds) {
  TempDir dir;
  StationConfig config;
  config.deadline_ms = 1;  // no inspection finishes in 1 ms
  StationRig rig(dir.path(), config);
  const auto r = rig.Shoot(1, {{"top", Good(9010)}});
  EXPECT_EQ(r.decision, Decision::kHold);
  EXPECT_EQ(r.reason, HoldReason::kDeadline);
}

TEST(StationTest, APartPassesOnlyIfEveryViewPasses) {
  TempDir dir;
  StationConfig config;
  config.views = {ViewConfig{"top", ModelFile()}, ViewConfig{"side", ModelFile()}};
  StationRig rig(dir.path(), config);
  // A model from 40 parts rejects the odd good part: use one that passes alone (first test).
  EXPECT_EQ(rig.Shoot(1, {{"top", Good(9001)}, {"side", Good(9001)}}).decision, Decision::kPass);
  EXPECT_EQ(rig.Shoot(2, {{"top", Good(9001)}, {"side", Holed(9014)}}).decision, Decision::kReject);
  EXPECT_EQ(rig.Shoot(3, {{"top", Good(9001)}}).decision, Decision::kHold) << "side never came";
  const auto stored = rig.station->outbox().Get("M1-000000002");
  ASSERT_TRUE(stored.has_value());
  ASSERT_EQ(stored->views.size(), 2u);
  EXPECT_EQ(stored->views[0].decision, Decision::kPass);
  EXPECT_EQ(stored->views[1].decision, Decision::kReject);
}

// A full disk: the part that cannot be recorded is held and FAULT is raised, so that a PLC stops
// the line instead of making parts that would all be held; once there is room the idle station
// stores the held record and clears FAULT, with no trigger (a PLC that heeds FAULT sends none).
TEST(StationTest, AFullOutboxHoldsThePartRaisesFaultAndClearsItOnceThereIsRoom) {
  TempDir dir;
  StationConfig config;
  // The same image shot again and again is one part: its faint places would recur at one place
  // and stand a die mark (docs/station.md, "Recurring marks"), which is not what this tests.
  config.recurring_mark.faint_share = 0;
  StationRig rig(dir.path(), config);
  EXPECT_EQ(rig.Shoot(1, {{"top", Good(9001)}}).decision, Decision::kPass);
  // The database may not grow beyond its present pages ("disk full"): the free space left in
  // them takes a few more records, then one does not fit.
  rig.station->outbox().TEST_LimitPages(1);
  uint32_t full = 0;
  for (uint32_t id = 2; id < 200 && !full; ++id) {
    const auto r = rig.Shoot(id, {{"top", Good(9001)}});
    if (r.decision == Decision::kPass) continue;
    EXPECT_EQ(r.decision, Decision::kHold) << "a part that left no record must not pass";
    EXPECT_EQ(r.reason, HoldReason::kOutbox);
    full = id;
  }
  ASSERT_NE(full, 0u) << "the outbox never filled up";
  const std::string held = PartId("M1", full);
  EXPECT_FALSE(rig.station->outbox().Contains(held));
  EXPECT_TRUE(rig.plc->ReadStatus() & io::kStatusFault) << "records wait for the outbox";
  EXPECT_TRUE(rig.station->Snapshot().fault) << "/healthz answers 503";
  EXPECT_EQ(rig.station->Snapshot().unsaved, 1);
  rig.station->outbox().TEST_LimitPages(0);  // space freed
  for (int i = 0; i < 50 && (rig.plc->ReadStatus() & io::kStatusFault); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_FALSE(rig.plc->ReadStatus() & io::kStatusFault) << "cleared with no trigger";
  EXPECT_FALSE(rig.station->Snapshot().fault);
  const auto kept = rig.station->outbox().Get(held);
  ASSERT_TRUE(kept.has_value()) << "stored by the idle station";
  EXPECT_EQ(rig.Shoot(full + 1, {{"top", Good(9001)}}).decision, Decision::kPass);
  EXPECT_EQ(kept->decision, Decision::kHold);
  EXPECT_EQ(kept->reason, HoldReason::kOutbox);
  EXPECT_EQ(rig.station->counters().outbox_errors, 1u);
}

}  // namespace
}  // namespace linesight::station
