// A part at the edge of the frame (issue 11, section 5): held with reason part_at_edge and a
// detail saying where and by how much, never rejected with a box cut down to nothing.
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <opencv2/imgproc.hpp>

#include "inspect/inspector.h"
#include "inspect/trainer.h"
#include "sim/part_renderer.h"
#include "testing/sim_part_model.h"
#include "testing/test_util.h"

namespace linesight {
namespace {

using testing::Contains;

// Trains the model this binary's tests share (InspectorTest's too); CTest runs it before them
// (tests/CMakeLists.txt).
TEST(SharedData, IsMade) {
  EXPECT_TRUE(std::filesystem::exists(testing::SimulatedPartModelFile("inspect_test_data")));
}

const InspectionModel& Model() {
  static const InspectionModel model =
      LoadInspectionModel(testing::SimulatedPartModelFile("inspect_test_data"));
  return model;
}

// `image` moved by (dx, dy) pixels; what comes into view repeats the frame's edge pixels.
cv::Mat Shifted(const cv::Mat& image, int dx, int dy) {
  cv::Mat out;
  cv::warpAffine(image, out, cv::Mat(cv::Matx23d(1, 0, dx, 0, 1, dy)), image.size(),
                 cv::INTER_LINEAR, cv::BORDER_REPLICATE);
  return out;
}

TEST(InspectorEdgeTest, PartCutByTheFrameIsHeldWithHowFarItIsCut) {
  const Inspector inspector(Model());
  Workspace ws;
  const sim::PartRenderer renderer;
  // The simulated parts' rims lie about 30 px inside a 300 px frame; 40-60 px to the right cuts
  // them by 10-30 px.
  for (uint64_t seed : {5001u, 5002u, 5003u})
    for (int dx : {40, 50, 60}) {
      const Verdict v = inspector.Inspect(Shifted(renderer.Render(seed).image, dx, dx / 2), ws);
      const std::string what = "seed " + std::to_string(seed) + " shift " + std::to_string(dx) +
                               ": " + std::string(DecisionName(v.decision)) + " " + v.detail;
      EXPECT_EQ(v.decision, Decision::kHold) << what;
      EXPECT_EQ(v.reason, HoldReason::kPartAtEdge) << what;
      EXPECT_TRUE(Contains(v.detail, "right edge")) << what;
      EXPECT_TRUE(Contains(v.detail, "px (")) << "says how far: " << what;
      EXPECT_TRUE(v.findings.empty()) << what;
    }
}

TEST(InspectorEdgeTest, NoRejectEverHasAnEmptyBox) {
  // Shifts from centred to cut, in all four directions: whatever the verdict, a reject's boxes
  // lie in the frame, and a hold says the part is at the edge.
  const Inspector inspector(Model());
  Workspace ws;
  Verdict v;
  const sim::PartRenderer renderer;
  int at_edge = 0;
  for (uint64_t seed : {5001u, 5002u})
    for (cv::Point dir : {cv::Point(1, 0), cv::Point(-1, 0), cv::Point(0, 1), cv::Point(0, -1)})
      for (int s = 0; s <= 56; s += 4) {
        inspector.Inspect(Shifted(renderer.Render(seed).image, dir.x * s, dir.y * s), ws,
                          Deadline::Never(), v);
        const std::string what = "seed " + std::to_string(seed) + " shift " + std::to_string(s) +
                                 ": " + std::string(DecisionName(v.decision)) + " " + v.detail;
        for (const Finding& f : v.findings) {
          EXPECT_FALSE(f.box.empty()) << what;
          EXPECT_EQ(f.box & cv::Rect(0, 0, 300, 300), f.box) << what;
        }
        if (v.decision == Decision::kHold) {
          EXPECT_EQ(v.reason, HoldReason::kPartAtEdge) << what;
          ++at_edge;
        }
        if (s == 0) {
          EXPECT_EQ(v.decision, Decision::kPass) << what;
        }
      }
  EXPECT_GT(at_edge, 0) << "the largest shifts cut the part";
}

TEST(InspectorEdgeTest, HoldReasonHasAStableNameAndValue) {
  EXPECT_EQ(HoldReasonName(HoldReason::kPartAtEdge), "part_at_edge");
  EXPECT_EQ(static_cast<int>(HoldReason::kPartAtEdge), 9) << "stored: never renumber";
}

}  // namespace
}  // namespace linesight
