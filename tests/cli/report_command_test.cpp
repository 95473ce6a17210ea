// Integration tests of `linesight report` on the real binary: a SQLite store written here with a
// known shift (parts, a review that finds an escape, an unplanned stop), the figures it prints
// as JSON, the HTML page, and clear refusals of bad arguments. The PDF/PNG export runs when a
// Chromium is installed (CI installs one).
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "store/store.h"
#include "testing/test_util.h"

namespace linesight {
namespace {

namespace fs = std::filesystem;
using testing::DescribeRun;
using testing::RunLinesight;
using testing::ShellQuote;

constexpr int64_t kT0 = 1'796'000'000'000;  // shift start

PartRecord Part(const std::string& machine, int64_t shot, Decision d) {
  PartRecord r;
  r.shot.machine = machine;
  r.shot.die = machine + "-D01";
  r.shot.shot = shot;
  r.shot.die_shot = shot;
  r.shot.time_ms = kT0 + shot * 60'000;
  r.part_id = PartId(machine, shot);
  r.station = "S-" + machine;
  ViewResult v;
  v.decision = d;
  v.reason = d == Decision::kHold ? HoldReason::kPartNotFound : HoldReason::kNone;
  v.score = d == Decision::kReject ? 3 : 0.5f;
  v.threshold = 1;
  if (d == Decision::kReject) v.findings.push_back({cv::Rect(1, 2, 3, 4), 12, 3, 3});
  r.views = {v};
  CombineViews(r);
  return r;
}

MachineEvent Event(const std::string& machine, int64_t t, MachineState s, bool planned,
                   const std::string& reason) {
  MachineEvent e;
  e.machine = machine;
  e.time_ms = t;
  e.state = s;
  e.planned = planned;
  e.reason = reason;
  e.die = machine + "-D01";
  return e;
}

class ReportCommand : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = tmp_.path();
    db_ = (dir_ / "linesight.db").string();
    auto s = store::OpenStore(db_);
    // Two machines, 100 parts each over 100 minutes: 90 passes, 8 rejects, 2 holds.
    std::vector<PartRecord> parts;
    for (const std::string m : {"M1", "M2"})
      for (int i = 1; i <= 100; ++i)
        parts.push_back(Part(m, i,
                             i % 50 == 0   ? Decision::kHold
                             : i % 12 == 0 ? Decision::kReject
                                           : Decision::kPass));
    // M1 stops for a die failure from minute 20 to minute 50 (unplanned, 30 min): stopped, then
    // the die change that repairs it from minute 35; one failure.
    const std::vector<MachineEvent> events{
        Event("M1", kT0 + 20 * 60'000, MachineState::kStopped, false, "die_failure"),
        Event("M1", kT0 + 35 * 60'000, MachineState::kDieChange, false, "die_change"),
        Event("M1", kT0 + 50 * 60'000, MachineState::kRunning, true, "restart")};
    s->Ingest(parts, events);
    // A person reviews two passes: one is bad (an escape found), one good.
    for (const auto& [id, verdict] : {std::pair{PartId("M1", 5), Decision::kReject},
                                      std::pair{PartId("M2", 7), Decision::kPass}}) {
      store::Review r;
      r.part_id = id;
      r.user = "ana";
      r.time_ms = kT0 + 200 * 60'000;
      r.verdict = verdict;
      s->AddReview(r, {0, r.time_ms, "ana", "review", id, "{}"});
    }
    // The alert watch raised one alarm in the period and one the day after it.
    store::AlertInput alert{"reject_rate:M1:1",
                            "reject_rate",
                            store::AlertSeverity::kWarning,
                            "M1",
                            "",
                            "M1 reject rate over its control limit",
                            "{}"};
    s->RaiseAlert(alert, kT0 + 30 * 60'000);
    alert.key = "reject_rate:M1:2";
    s->RaiseAlert(alert, kT0 + 26 * 3'600'000LL);
  }

  std::string Args() const {
    return "report --store " + ShellQuote(db_) + " --from " + std::to_string(kT0) + " --to " +
           std::to_string(kT0 + 120 * 60'000);
  }

  testing::TempDir tmp_;
  fs::path dir_;
  std::string db_;
};

TEST_F(ReportCommand, PrintsTheFourTargetsFromTheStoreAndWritesThePage) {
  const fs::path html = dir_ / "r.html";
  const auto r = RunLinesight(Args() + " --json --downtime-cut 0.6 --out " + ShellQuote(html));
  ASSERT_EQ(r.exit_code, 0) << DescribeRun(r);
  const nlohmann::json j = nlohmann::json::parse(r.out);
  const auto& f = j["facts"];
  EXPECT_EQ(f["machines"], 2);
  EXPECT_EQ(f["parts"], 200);
  EXPECT_EQ(f["rejects"], 2 * 8);
  EXPECT_EQ(f["holds"], 2 * 2);
  EXPECT_EQ(f["passes"], 200 - 16 - 4);
  EXPECT_EQ(f["reviewed_passes"], 2);
  EXPECT_EQ(f["escapes_found"], 1);
  EXPECT_EQ(f["unplanned_downtime_ms"], 30 * 60'000);
  EXPECT_EQ(f["die_failure_downtime_ms"], 30 * 60'000);
  EXPECT_EQ(f["failures"], 1) << "the die change is the die failure's repair, not a failure";
  EXPECT_EQ(f["shifts"], 1) << "both machines worked in one shift of the two hours";
  EXPECT_EQ(f["machine_shifts"], 2);
  EXPECT_EQ(f["alarms"], 1) << "only the alarm raised in the period";
  ASSERT_EQ(j["targets"].size(), 4u);
  const auto& labour = j["targets"][0];
  EXPECT_EQ(labour["key"], "inspection_labour");
  EXPECT_NEAR(labour["baseline"].get<double>(), 200 * 0.5 / 60, 1e-9);
  EXPECT_NEAR(labour["with_linesight"].get<double>(), (16 + 4 + 2) * 1.0 / 60, 1e-9);
  const auto& downtime = j["targets"][1];
  EXPECT_TRUE(downtime["estimated"].get<bool>());
  // Without a downtime cut the downtime target has no figure: null, not a 0 that reads as one.
  const auto bare = RunLinesight(Args() + " --json --out " + ShellQuote(dir_ / "bare.html"));
  ASSERT_EQ(bare.exit_code, 0) << DescribeRun(bare);
  const nlohmann::json bare_json = nlohmann::json::parse(bare.out);
  const auto& unestimated = bare_json["targets"][1];
  EXPECT_FALSE(unestimated["estimated"].get<bool>());
  EXPECT_TRUE(unestimated["with_linesight"].is_null() && unestimated["change"].is_null());
  EXPECT_NEAR(downtime["with_linesight"].get<double>(), 0.5 * 0.4, 1e-9);
  std::ifstream in(html);
  const std::string page((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  for (const char* key : {"inspection_labour", "unplanned_downtime", "quality", "management_effort",
                          "<svg", "Assumed"})
    EXPECT_NE(page.find(key), std::string::npos) << key;
  EXPECT_EQ(page.find("<script"), std::string::npos) << "the page is static";
}

TEST_F(ReportCommand, CountsShiftsOnThePlantsCalendar) {
  // The parts run from 00:54 to 02:33 UTC: one shift of the default calendar (22:00-06:00), two
  // of a plant whose 12 h shifts change at 02:00.
  auto r = RunLinesight(Args() + " --json --shift-start 02:00 --shift-hours 12 --out " +
                        ShellQuote(dir_ / "r.html"));
  ASSERT_EQ(r.exit_code, 0) << DescribeRun(r);
  const nlohmann::json f = nlohmann::json::parse(r.out)["facts"];
  EXPECT_EQ(f["shifts"], 2);
  EXPECT_EQ(f["machine_shifts"], 4);
  // On India's clock (UTC+5:30) the parts run from 06:24 to 08:03: two shifts if one starts at
  // 08:00 there.
  r = RunLinesight(Args() + " --json --shift-start 08:00 --shift-zone Asia/Kolkata --out " +
                   ShellQuote(dir_ / "r.html"));
  ASSERT_EQ(r.exit_code, 0) << DescribeRun(r);
  EXPECT_EQ(nlohmann::json::parse(r.out)["facts"]["shifts"], 2);
  r = RunLinesight(Args() + " --json --shift-start 09:00 --shift-zone Asia/Kolkata --out " +
                   ShellQuote(dir_ / "r.html"));
  ASSERT_EQ(r.exit_code, 0) << DescribeRun(r);
  EXPECT_EQ(nlohmann::json::parse(r.out)["facts"]["shifts"], 1);
  for (const char* bad : {"--shift-start 2:00", "--shift-start 24:00", "--shift-start 06:60",
                          "--shift-start 06:+5"}) {
    r = RunLinesight(Args() + " " + bad + " --out " + ShellQuote(dir_ / "r.html"));
    EXPECT_NE(r.exit_code, 0) << bad;
    EXPECT_NE(r.err.find("not a time of day HH:MM"), std::string::npos) << DescribeRun(r);
  }
  for (const char* bad : {"7", "0", "25", "7.9", "0.5", "1.5"}) {
    r = RunLinesight(Args() + " --shift-hours " + bad + " --out " + ShellQuote(dir_ / "r.html"));
    EXPECT_NE(r.exit_code, 0) << bad;
    EXPECT_NE(r.err.find("not whole hours that divide a day"), std::string::npos) << DescribeRun(r);
  }
}

TEST_F(ReportCommand, BadArgumentsAreRefusedNamingTheFix) {
  auto r = RunLinesight("report --store " + ShellQuote(dir_ / "none.db"));
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("no such store file"), std::string::npos) << DescribeRun(r);
  EXPECT_FALSE(fs::exists(dir_ / "none.db")) << "a missing store must not be created";
  r = RunLinesight(Args() + " --out " + ShellQuote(dir_ / "no" / "r.html"));
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("existing folder"), std::string::npos) << DescribeRun(r);
  r = RunLinesight("report --store " + ShellQuote(db_) + " --from yesterday");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("not a time"), std::string::npos) << DescribeRun(r);
  // An offset would shift the period if it were read as UTC.
  r = RunLinesight("report --store " + ShellQuote(db_) + " --from 2026-12-02T06:00:00+02:00");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("not a time"), std::string::npos) << DescribeRun(r);
  std::ofstream(dir_ / "bad.json") << "{\"weeks\": 3}";
  r = RunLinesight(Args() + " --sim-json " + ShellQuote(dir_ / "bad.json") + " --out " +
                   ShellQuote(dir_ / "r.html"));
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("no downtime_cut"), std::string::npos) << DescribeRun(r);
  // A file that is not there, and a cut that is not a share, are named as what they are.
  r = RunLinesight(Args() + " --sim-json " + ShellQuote(dir_ / "none.json") + " --out " +
                   ShellQuote(dir_ / "r.html"));
  EXPECT_NE(r.err.find("cannot read the file"), std::string::npos) << DescribeRun(r);
  std::ofstream(dir_ / "seven.json") << "{\"downtime_cut\": 7}";
  r = RunLinesight(Args() + " --sim-json " + ShellQuote(dir_ / "seven.json") + " --out " +
                   ShellQuote(dir_ / "r.html"));
  EXPECT_NE(r.err.find("downtime_cut is 7, not a share 0..1"), std::string::npos) << DescribeRun(r);
}

TEST_F(ReportCommand, ExportsAPdfAndAPngThroughChromium) {
  if (!fs::exists("/usr/bin/chromium")) GTEST_SKIP() << "no /usr/bin/chromium here";
  const fs::path pdf = dir_ / "r.pdf", png = dir_ / "r.png";
  const auto r = RunLinesight(Args() + " --out " + ShellQuote(dir_ / "r.html") + " --pdf " +
                              ShellQuote(pdf) + " --png " + ShellQuote(png));
  ASSERT_EQ(r.exit_code, 0) << DescribeRun(r);
  std::ifstream p(pdf, std::ios::binary);
  std::string magic(5, '\0');
  p.read(magic.data(), 5);
  EXPECT_EQ(magic, "%PDF-");
  std::ifstream i(png, std::ios::binary);
  std::string sig(4, '\0');
  i.read(sig.data(), 4);
  EXPECT_EQ(sig.substr(1), "PNG");
}

}  // namespace
}  // namespace linesight
