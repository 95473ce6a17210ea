#include "core/part_record.h"

#include <cmath>

#include <gtest/gtest.h>

#include "core/error.h"
#include "testing/test_util.h"

namespace linesight {
namespace {

PartRecord SamplePart() {
  PartRecord r;
  r.shot.machine = "M3";
  r.shot.die = "M3-D02";
  r.shot.shot = 1234;
  r.shot.die_shot = 567;
  r.shot.time_ms = 1'796'000'000'000;
  r.shot.process.melt_temp_c = 676.5;
  r.shot.process.cycle_s = 95;
  r.part_id = PartId(r.shot.machine, r.shot.shot);
  r.station = "S3";
  ViewResult top;
  top.decision = Decision::kReject;
  top.score = 2.5f;
  top.threshold = 1.25f;
  top.model_id = "abc@2026/12345678";
  top.findings.push_back({cv::Rect(1, 2, 3, 4), 12, 2.5f, 2, "anomaly"});
  Finding placed{cv::Rect(9, 8, 7, 6), 30, 3.f, 2.4f, "raised_line"};
  placed.placed = true;
  placed.place_x = 0.25, placed.place_y = -0.5, placed.place_size = 0.125;
  top.findings.push_back(placed);
  top.die_mark = DieMarkSeen{0.4, 0.2, 0.15, 7.5};
  top.recurring_mark = RecurringMarkSeen{0.45, 0.125, 0.0625, 4, 12};
  ViewResult side;
  side.view = "side";
  side.decision = Decision::kPass;
  r.views = {top, side};
  CombineViews(r);
  r.trigger_time_ms = r.shot.time_ms + 10;
  r.latency_ms = 17.5;
  return r;
}

TEST(PartRecordTest, PartIdIsMachineAndPaddedShot) {
  EXPECT_EQ(PartId("M3", 1234), "M3-000001234");
}

TEST(PartRecordTest, JsonRoundTripKeepsEveryField) {
  const PartRecord r = SamplePart();
  const PartRecord back = PartRecordFromJson(nlohmann::json::parse(ToJson(r).dump()));
  EXPECT_EQ(back.part_id, "M3-000001234");
  EXPECT_EQ(back.decision, Decision::kReject);
  EXPECT_EQ(back.shot.die_shot, 567);
  EXPECT_DOUBLE_EQ(back.shot.process.melt_temp_c, 676.5);
  EXPECT_TRUE(std::isnan(back.shot.process.die_temp_c));  // not measured stays not measured
  ASSERT_EQ(back.views.size(), 2u);
  EXPECT_EQ(back.views[0].findings[0].box, cv::Rect(1, 2, 3, 4));
  EXPECT_FALSE(back.views[0].findings[0].placed);  // no place: none read back
  const Finding& f = back.views[0].findings[1];
  EXPECT_TRUE(f.placed);
  EXPECT_DOUBLE_EQ(f.place_x, 0.25);
  EXPECT_DOUBLE_EQ(f.place_y, -0.5);
  EXPECT_DOUBLE_EQ(f.place_size, 0.125);
  ASSERT_TRUE(back.views[0].die_mark.has_value());
  EXPECT_DOUBLE_EQ(back.views[0].die_mark->sigma, 7.5);
  EXPECT_FALSE(back.views[1].die_mark.has_value());
  ASSERT_TRUE(back.views[0].recurring_mark.has_value());
  EXPECT_EQ(back.views[0].recurring_mark->parts, 4);
  EXPECT_EQ(back.views[0].recurring_mark->window, 12);
  EXPECT_FALSE(back.views[1].recurring_mark.has_value());
  EXPECT_EQ(back.views[1].view, "side");
  EXPECT_EQ(ToJson(back), ToJson(r));
}

TEST(PartRecordTest, CombinedDecisionIsTheWorstView) {
  PartRecord r = SamplePart();
  EXPECT_EQ(r.decision, Decision::kReject);
  r.views[1].decision = Decision::kHold;
  r.views[1].reason = HoldReason::kCamera;
  CombineViews(r);
  EXPECT_EQ(r.decision, Decision::kHold);
  EXPECT_EQ(r.reason, HoldReason::kCamera);
  r.views.clear();
  CombineViews(r);
  EXPECT_EQ(r.decision, Decision::kHold);  // nothing inspected is never a pass
}

TEST(PartRecordTest, MalformedRecordsNameTheField) {
  nlohmann::json j = ToJson(SamplePart());
  j["decision"] = "maybe";
  try {
    PartRecordFromJson(j);
    FAIL() << "accepted a bad decision";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("decision"), std::string::npos);
  }
  j = ToJson(SamplePart());
  j["shot"].erase("machine");
  EXPECT_THROW(PartRecordFromJson(j), Error);
  j = ToJson(SamplePart());
  j["views"][0]["findings"][0]["box"] = {1, 2};
  EXPECT_THROW(PartRecordFromJson(j), Error);
  j = ToJson(SamplePart());
  j["views"][0]["findings"][1]["place"] = {{"x", 0.1}, {"y", "left"}, {"size", 0.1}};
  EXPECT_THROW(PartRecordFromJson(j), Error);
  j = ToJson(SamplePart());
  j["views"][0]["die_mark"].erase("sigma");
  EXPECT_THROW(PartRecordFromJson(j), Error);
  j = ToJson(SamplePart());
  j["views"][0]["recurring_mark"] = "here";
  EXPECT_THROW(PartRecordFromJson(j), Error);
}

// A part id coming in names the part in URLs and files; a part that passed must have passed each
// view. Records read back from a store are not held to it: older versions stored such ids.
TEST(PartRecordTest, IncomingPartIdsThatNoUrlCanNameAndPassesWithoutViewsAreRefused) {
  for (const std::string& id : std::vector<std::string>{
           "../../etc/passwd", "a b", "x\\y", std::string(129, 'x'), "caf\xc3\xa9", "tab\t"}) {
    PartRecord p = SamplePart();
    p.part_id = id;
    const Error e = testing::Caught([&] { CheckIncomingPart(p); });
    EXPECT_NE(std::string(e.what()).find("part_id"), std::string::npos) << id;
    EXPECT_EQ(PartRecordFromJson(ToJson(p)).part_id, id) << "a stored one still reads back";
  }
  PartRecord p = SamplePart();
  p.part_id = "Line2_M3-000001234:a";
  EXPECT_NO_THROW(CheckIncomingPart(p));
  PartRecord pass = SamplePart();
  pass.views[0].decision = Decision::kPass;
  CombineViews(pass);
  EXPECT_NO_THROW(CheckIncomingPart(pass));
  PartRecord bare = pass;
  bare.views.clear();
  EXPECT_NE(std::string(testing::Caught([&] { CheckIncomingPart(bare); }).what()).find("views"),
            std::string::npos);
  PartRecord mixed = pass;
  mixed.views[1].decision = Decision::kHold;
  EXPECT_THROW(CheckIncomingPart(mixed), Error);
}

TEST(PartRecordTest, MachineEventRoundTrip) {
  MachineEvent e{"M7", 5, MachineState::kStopped, false, "die_failure", "M7-D01", "gross crack"};
  const MachineEvent back = MachineEventFromJson(ToJson(e));
  EXPECT_EQ(back.state, MachineState::kStopped);
  EXPECT_FALSE(back.planned);
  EXPECT_EQ(back.reason, "die_failure");
  nlohmann::json bad = ToJson(e);
  bad["state"] = "sleeping";
  EXPECT_THROW(MachineEventFromJson(bad), Error);
}

TEST(PartRecordTest, OutcomeNamesRoundTrip) {
  for (int i = 0; i <= 11; ++i) {
    const auto r = static_cast<HoldReason>(i);
    EXPECT_EQ(ParseHoldReason(HoldReasonName(r)), r);
  }
  EXPECT_FALSE(ParseDecision("ok").has_value());
}

}  // namespace
}  // namespace linesight
