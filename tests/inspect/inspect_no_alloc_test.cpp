// Proves "after warm-up, inspection allocates nothing per frame" (docs/algorithm.md, "Own
// filters"). Its own executable: it replaces malloc (testing/alloc_counter), counting every thread.
#include <cstdlib>
#include <span>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include "inspect/inspector.h"
#include "inspect/recipe.h"
#include "inspect/trainer.h"
#include "sim/part_renderer.h"
#include "testing/alloc_counter.h"

namespace linesight {
namespace {

// Heap allocations made by `f`, on any thread (OpenCV's pool included).
template <typename F>
int64_t Allocations(F&& f) {
  const testing::AllocationCounter counter;
  f();
  return counter.process_count();
}

// Good and defective parts (every defect type), rendered before anything is counted.
std::vector<cv::Mat> Frames(int good, uint64_t seed) {
  const sim::PartRenderer renderer;
  std::vector<cv::Mat> frames;
  for (int i = 0; i < good; ++i) frames.push_back(renderer.Render(seed + i).image);
  for (sim::DefectType type : sim::AllDefectTypes())
    for (uint64_t k = 0; k < 2; ++k)
      frames.push_back(
          renderer.Render(seed + 100 + 10 * static_cast<uint64_t>(type) + k, std::span(&type, 1))
              .image);
  return frames;
}

// One model trained on rendered good parts for every test of this binary.
class InspectNoAllocTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    std::vector<cv::Mat> good;
    std::vector<std::string> names;
    for (int i = 0; i < 24; ++i) {
      good.push_back(sim::PartRenderer().Render(1 + static_cast<uint64_t>(i)).image);
      names.push_back("good_" + std::to_string(i));
    }
    model_ = new InspectionModel(TrainFromImages(DefaultRecipe(), good, names, TrainOptions()));
  }
  static void TearDownTestSuite() {
    delete model_;
    model_ = nullptr;
  }
  static InspectionModel* model_;
};

InspectionModel* InspectNoAllocTest::model_ = nullptr;

TEST_F(InspectNoAllocTest, HarnessCountsAllocations) {
  static void* volatile sink = nullptr;  // volatile: the compiler may not drop the pair
  EXPECT_EQ(Allocations([] {
              sink = std::malloc(64);
              std::free(sink);
            }),
            1);
  // Inside a shared library (OpenCV) too.
  EXPECT_GE(Allocations([] { cv::Mat m(16, 16, CV_8UC1); }), 1);
  EXPECT_GE(Allocations([] { std::string s(100, 'x'); }), 1);
  EXPECT_EQ(Allocations([] {}), 0);
}

// Scoring: everything after the frame is mapped onto the canvas, with OpenCV's default threads.
TEST_F(InspectNoAllocTest, ScoringAllocatesNothingAfterWarmUp) {
  const Inspector inspector(*model_);
  const std::vector<cv::Mat> warm_up = Frames(3, 5001), frames = Frames(6, 6001);
  Workspace ws;
  Verdict v;
  cv::Mat map;
  for (const cv::Mat& frame : warm_up) {
    inspector.Inspect(frame, ws, Deadline::Never(), v);
    model_->anomaly.Score(ws.canvas, ws.cell, map);
  }
  int passed = 0, rejected = 0;
  for (const cv::Mat& frame : frames) {
    inspector.Inspect(frame, ws, Deadline::Never(), v);  // locates and warps: not counted
    ASSERT_NE(v.decision, Decision::kHold) << v.detail;
    EXPECT_EQ(Allocations([&] { model_->anomaly.Score(ws.canvas, ws.cell, map); }), 0)
        << "CellStatsModel::Score";
    EXPECT_EQ(Allocations([&] { inspector.ScoreCanvas(frame.size(), ws, v); }), 0)
        << "Inspector::ScoreCanvas, " << DecisionName(v.decision) << " with " << v.findings.size()
        << " findings";
    passed += v.decision == Decision::kPass;
    rejected += v.decision == Decision::kReject;
  }
  EXPECT_GT(passed, 0) << "both verdicts are exercised";
  EXPECT_GT(rejected, 0) << "both verdicts are exercised";
}

// The whole of Inspect(): locating the part, warping it onto the canvas and scoring it.
TEST_F(InspectNoAllocTest, InspectAllocatesNothingAfterWarmUp) {
  const Inspector inspector(*model_);
  const std::vector<cv::Mat> warm_up = Frames(3, 5001), frames = Frames(6, 6001);
  Workspace ws;
  Verdict v;
  for (const cv::Mat& frame : warm_up) inspector.Inspect(frame, ws, Deadline::Never(), v);
  int passed = 0, rejected = 0;
  for (const cv::Mat& frame : frames) {
    EXPECT_EQ(Allocations([&] { inspector.Inspect(frame, ws, Deadline::Never(), v); }), 0)
        << DecisionName(v.decision) << " with " << v.findings.size() << " findings";
    passed += v.decision == Decision::kPass;
    rejected += v.decision == Decision::kReject;
  }
  EXPECT_GT(passed, 0) << "both verdicts are exercised";
  EXPECT_GT(rejected, 0) << "both verdicts are exercised";
}

// A part without symmetry (blocks layout, four feature channels with the level), on frames of
// two sizes: the buffers grow to the larger during warm-up and are reused for both.
TEST(InspectNoAllocBlocksTest, InspectAllocatesNothingAfterWarmUp) {
  const Recipe recipe = ParseRecipe("part:\n  symmetry: none\n  canvas: 160\n", "none.yaml");
  std::vector<cv::Mat> good;
  std::vector<std::string> names;
  for (int i = 0; i < 12; ++i) {
    good.push_back(sim::PartRenderer().Render(1 + static_cast<uint64_t>(i)).image);
    names.push_back("good_" + std::to_string(i));
  }
  const InspectionModel model = TrainFromImages(recipe, good, names, TrainOptions());
  const Inspector inspector(model);
  std::vector<cv::Mat> frames = Frames(4, 7001);
  for (size_t i = 0; i < frames.size(); i += 2)  // every other frame narrower: another size
    cv::resize(frames[i].clone(), frames[i], cv::Size(frames[i].cols * 3 / 4, frames[i].rows), 0, 0,
               cv::INTER_AREA);
  Workspace ws;
  Verdict v;
  for (const cv::Mat& frame : frames) inspector.Inspect(frame, ws, Deadline::Never(), v);
  for (const cv::Mat& frame : frames) {
    EXPECT_EQ(Allocations([&] { inspector.Inspect(frame, ws, Deadline::Never(), v); }), 0)
        << DecisionName(v.decision) << " with " << v.findings.size() << " findings";
    EXPECT_NE(v.decision, Decision::kHold) << v.detail;
  }
}

}  // namespace
}  // namespace linesight
