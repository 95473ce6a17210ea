// Tests process/plant_report.h: each target's baseline and figure from known counts, goals met
// and missed, the downtime target left unestimated without a simulator figure, bad input.
#include "process/plant_report.h"

#include <gtest/gtest.h>

#include "core/error.h"

namespace linesight::process {
namespace {

PlantFacts ReportShift() {
  PlantFacts f;
  f.from_ms = 0;
  f.to_ms = 8 * 3600 * 1000;
  f.machines = 9;
  f.shifts = 1;
  f.machine_shifts = 9;
  f.parts = 2700, f.passes = 2500, f.rejects = 150, f.holds = 50, f.good = 2540;
  f.reviewed_passes = 40, f.escapes_found = 4;
  f.unplanned_downtime_ms = 10 * 3600 * 1000LL, f.die_failure_downtime_ms = 5 * 3600 * 1000LL;
  f.failures = 3;
  f.alarms = 6;
  return f;
}

const TargetFigure& Get(const PlantReport& r, const std::string& key) {
  for (const auto& t : r.targets)
    if (t.key == key) return t;
  throw std::runtime_error("no target " + key);
}

TEST(PlantReport, LabourComparesEveryPartByEyeWithCheckingOnlyWhatTheLineFlags) {
  const PlantReport r = ComputePlantReport(ReportShift(), {});
  const TargetFigure& t = Get(r, "inspection_labour");
  EXPECT_NEAR(t.baseline, 2700 * 0.5 / 60, 1e-9);       // 22.5 h
  EXPECT_NEAR(t.with_linesight, 240 * 1.0 / 60, 1e-9);  // 4 h
  EXPECT_NEAR(t.change, 4.0 / 22.5 - 1, 1e-9);
  EXPECT_TRUE(t.met);
  EXPECT_NE(t.method.find("2700 parts"), std::string::npos) << t.method;
  PlantAssumptions slow;
  slow.review_minutes_per_part = 10;  // 40 h of checks against 22.5 h by eye: worse
  EXPECT_FALSE(Get(ComputePlantReport(ReportShift(), slow), "inspection_labour").met);
}

TEST(PlantReport, DowntimeNeedsTheSimulatorsCutAndSaysSo) {
  PlantAssumptions a;
  const TargetFigure none = Get(ComputePlantReport(ReportShift(), a), "unplanned_downtime");
  EXPECT_FALSE(none.estimated);
  EXPECT_FALSE(none.met);
  EXPECT_NEAR(none.baseline, 10, 1e-9);
  EXPECT_NE(none.note.find("process_sim_bench"), std::string::npos);
  a.downtime_cut = 0.6;
  a.downtime_cut_source = "test";
  const TargetFigure cut = Get(ComputePlantReport(ReportShift(), a), "unplanned_downtime");
  EXPECT_TRUE(cut.estimated && cut.met);
  EXPECT_NEAR(cut.with_linesight, 4, 1e-9);
  a.downtime_cut = 0.1;
  EXPECT_FALSE(Get(ComputePlantReport(ReportShift(), a), "unplanned_downtime").met);
}

TEST(PlantReport, QualityUsesTheTruthWhenKnownElseWhatReviewsFound) {
  PlantFacts f = ReportShift();
  const TargetFigure found = Get(ComputePlantReport(f, {}), "quality");
  // Bad: 150 rejects + 4 found escapes; by eye 20% of 154 ship among 2700 - 154 + 30.8.
  const double manual = 100 * (1 - 154 * 0.2 / (2700 - 154 + 154 * 0.2));
  EXPECT_NEAR(found.baseline, manual, 1e-9);
  EXPECT_NEAR(found.with_linesight, 100 * (1 - 4.0 / 2500), 1e-9);
  EXPECT_NE(found.method.find("lower bound"), std::string::npos);
  // A reject a person judged good was not a bad casting: 149 + 4 bad.
  f.rejects_overruled = 1;
  const double overruled = 100 * (1 - 153 * 0.2 / (2700 - 153 + 153 * 0.2));
  EXPECT_NEAR(Get(ComputePlantReport(f, {}), "quality").baseline, overruled, 1e-9);
  f.rejects_overruled = 151;
  EXPECT_THROW((void)ComputePlantReport(f, {}), Error);
  f.rejects_overruled = 0;
  f.truly_bad = 300, f.true_escapes = 60;
  const TargetFigure truth = Get(ComputePlantReport(f, {}), "quality");
  EXPECT_NEAR(truth.with_linesight, 100 * (1 - 60.0 / 2500), 1e-9);
  EXPECT_LT(truth.change, found.change);
  EXPECT_NE(truth.method.find("truth"), std::string::npos);
  EXPECT_FALSE(truth.met);  // inspection alone cannot give +5% here, and it says why
  EXPECT_NE(truth.note.find("fewer bad castings"), std::string::npos);
}

TEST(PlantReport, ManagementCountsReportsAndAlarmsMadeAutomatically) {
  const TargetFigure t = Get(ComputePlantReport(ReportShift(), {}), "management_effort");
  EXPECT_NEAR(t.baseline, 9 * (20 + 30) / 60.0, 1e-9);
  EXPECT_NEAR(t.with_linesight, (10 + 6 * 10) / 60.0, 1e-9);
  EXPECT_TRUE(t.met);
  EXPECT_NE(t.method.find("6 alerts"), std::string::npos) << t.method;
}

TEST(PlantReport, InconsistentFactsAndBadAssumptionsAreRefusedNamingThem) {
  PlantFacts f = ReportShift();
  f.passes = 3000;
  EXPECT_THROW((void)ComputePlantReport(f, {}), Error);
  f = ReportShift();
  f.to_ms = f.from_ms;
  EXPECT_THROW((void)ComputePlantReport(f, {}), Error);
  PlantAssumptions a;
  a.manual_escape_rate = 1.5;
  try {
    (void)ComputePlantReport(ReportShift(), a);
    FAIL() << "an escape rate over 1 was accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("manual_escape_rate"), std::string::npos);
  }
  const PlantReport empty = ComputePlantReport(
      [] {
        PlantFacts e;
        e.to_ms = 1;
        return e;
      }(),
      {});
  for (const auto& t : empty.targets) EXPECT_FALSE(t.estimated) << t.key;
}

}  // namespace
}  // namespace linesight::process
