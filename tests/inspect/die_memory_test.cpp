// Tests inspect/die_memory.h on simulated parts turned any way: a faint line the die leaves at one
// place of every part is marked there once enough parts have shown it, a die that leaves nothing
// is never marked, a new die starts from nothing, and a memory saved and taken back goes on as if
// it had never stopped.
#include "inspect/die_memory.h"

#include <cmath>
#include <fstream>
#include <numbers>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <opencv2/imgproc.hpp>

#include "inspect/finding_type.h"
#include "inspect/recipe.h"
#include "inspect/trainer.h"
#include "sim/part_renderer.h"
#include "testing/test_util.h"

namespace linesight {
namespace {

const InspectionModel& ArcsModel() {
  static const InspectionModel model = [] {
    const sim::PartRenderer renderer;
    std::vector<cv::Mat> images;
    std::vector<std::string> names;
    for (int i = 1; i <= 40; ++i) {
      images.push_back(renderer.Render(static_cast<uint64_t>(i)).image);
      names.push_back("good_" + std::to_string(i));
    }
    return TrainFromImages(
        ParseRecipe("name: arcs\npart:\n  cells: arcs\nanomaly:\n  holdout_fraction: 0.3\n",
                    "arcs"),
        images, names, {});
  }();
  return model;
}

DieMemoryOptions Quick() {
  DieMemoryOptions o;
  o.short_parts = 30;
  o.long_parts = 300;
  o.min_parts = 60;
  return o;
}

// Part `seed`, with a raised line (lit on one side, in shadow on the other) from 0.5 to 0.75
// rim radii out at 40 degrees of the part's own frame when `marked`: a die's vein, drawn plainer
// than the simulator's so that the memory's short horizon here (30 parts) sees it.
cv::Mat Part(uint64_t seed, bool marked) {
  sim::RenderedPart p = sim::PartRenderer().Render(seed);
  if (!marked) return p.image;
  const double a = (40 + p.rotation_deg) * std::numbers::pi / 180;
  const cv::Point2d dir(std::cos(a), std::sin(a)), side(-dir.y * 1.5, dir.x * 1.5);
  const cv::Point2d from = p.centre + 0.5 * p.radius * dir, to = p.centre + 0.75 * p.radius * dir;
  cv::Mat lit = cv::Mat::zeros(p.image.size(), CV_8UC1), shadow = lit.clone();
  cv::line(lit, from, to, cv::Scalar(40), 1, cv::LINE_AA);
  cv::line(shadow, from + side, to + side, cv::Scalar(40), 1, cv::LINE_AA);
  cv::add(p.image, lit, p.image);
  cv::subtract(p.image, shadow, p.image);
  return p.image;
}

TEST(DieMemoryTest, AFaintLineAtOnePlaceOfEveryPartIsMarkedThere) {
  const InspectionModel& model = ArcsModel();
  const Inspector inspector(model);
  Workspace ws;
  DieMemory memory(model, Quick());
  std::vector<DieMark> marks;
  for (int k = 0; k < 200; ++k) {
    const bool marked = k >= 100;
    ASSERT_NE(inspector.Inspect(Part(20000 + static_cast<uint64_t>(k), marked), ws).decision,
              Decision::kHold);
    const auto mark = memory.Add(ws);
    if (!marked) {
      EXPECT_FALSE(mark.has_value()) << "part " << k << ": " << mark->sigma;
    } else if (mark && k >= 130) {
      marks.push_back(*mark);
    }
  }
  EXPECT_EQ(memory.parts(), 200);
  // Once the short memory is full of marked parts, the line is marked on many of them, always at
  // its own place: its middle is 0.625 rim radii out (the angle's zero is wherever the good
  // parts' template put it, so the place is compared with itself).
  ASSERT_GE(marks.size(), 10u) << "the memory rarely marked the line";
  for (const DieMark& m : marks) {
    EXPECT_NEAR(std::hypot(m.x, m.y), 0.625, 0.08) << m.x << ", " << m.y;
    EXPECT_LT(std::hypot(m.x - marks[0].x, m.y - marks[0].y), 0.1);
    EXPECT_GT(m.size, 0.03);
    EXPECT_GE(m.sigma, Quick().min_sigma);
  }
  memory.Reset();
  EXPECT_EQ(memory.parts(), 0);
}

TEST(DieMemoryTest, ADieThatLeavesNothingIsNeverMarked) {
  const InspectionModel& model = ArcsModel();
  const Inspector inspector(model);
  Workspace ws;
  DieMemory memory(model, Quick());
  int held = 0;
  for (int k = 0; k < 160; ++k) {
    const Verdict v = inspector.Inspect(Part(30000 + static_cast<uint64_t>(k), false), ws);
    if (v.decision == Decision::kHold) {
      // A part shifted to the frame's edge, where the frame cuts the inspected area, may be held
      // (`part too near the frame's ... edge`); it is not scored, so the memory never sees it.
      EXPECT_EQ(v.reason, HoldReason::kPartAtEdge) << "part " << k << ": " << v.detail;
      ++held;
      continue;
    }
    const auto mark = memory.Add(ws);
    EXPECT_FALSE(mark.has_value())
        << "part " << k << ": " << mark->sigma << " sigma at " << mark->x << ", " << mark->y;
  }
  EXPECT_LE(held, 2);
}

// A station restarted mid-die takes its memory back from the file it saved (station.h): the
// memory taken back marks the same parts, at the same places and strengths, as one that never
// stopped, and says which die it is of. Another model's file, or one clipped otherwise, is not
// taken; a damaged one is an error that names the file and says what to do.
TEST(DieMemoryTest, AMemorySavedAndTakenBackGoesOnAsIfItHadNeverStopped) {
  testing::TempDir dir;
  const auto file = dir / "outbox.die-memory";
  const InspectionModel& model = ArcsModel();
  const Inspector inspector(model);
  Workspace ws;
  DieMemory whole(model, Quick()), first(model, Quick());
  std::optional<DieMemory> second;
  int marks = 0;
  for (int k = 0; k < 150; ++k) {
    ASSERT_NE(inspector.Inspect(Part(40000 + static_cast<uint64_t>(k), k >= 70), ws).decision,
              Decision::kHold);
    const auto want = whole.Add(ws);
    if (k < 90) {
      const auto last = first.Add(ws);
      if (k == 89) {
        first.Save(file, "M1-D07");
        second.emplace(model, Quick());
        ASSERT_EQ(second->Restore(file), std::optional<std::string>("M1-D07"));
        EXPECT_EQ(second->parts(), 90);
        // Judged at once, it stands what the last part's Add did (a station's first part).
        const auto now = second->Mark();
        ASSERT_EQ(now.has_value(), last.has_value());
        if (now) {
          EXPECT_EQ(now->canvas_peak, last->canvas_peak);
        }
      }
      continue;
    }
    const auto got = second->Add(ws);
    ASSERT_EQ(got.has_value(), want.has_value()) << "part " << k;
    if (!got) continue;
    ++marks;
    EXPECT_EQ(got->canvas_peak, want->canvas_peak) << "part " << k;
    EXPECT_EQ(got->canvas_box, want->canvas_box) << "part " << k;
    EXPECT_DOUBLE_EQ(got->sigma, want->sigma) << "part " << k;
  }
  EXPECT_GT(marks, 0) << "the line was never marked: the comparison proved nothing";
  EXPECT_EQ(second->parts(), whole.parts());

  // Another model (trained on other parts) does not take the file.
  const InspectionModel other = [] {
    std::vector<cv::Mat> images;
    std::vector<std::string> names;
    for (int i = 101; i <= 112; ++i) {
      images.push_back(sim::PartRenderer().Render(static_cast<uint64_t>(i)).image);
      names.push_back("good_" + std::to_string(i));
    }
    return TrainFromImages(
        ParseRecipe("name: arcs\npart:\n  cells: arcs\nanomaly:\n  holdout_fraction: 0.3\n",
                    "arcs"),
        images, names, {});
  }();
  DieMemory of_other(other, Quick());
  EXPECT_FALSE(of_other.Restore(file).has_value());
  DieMemoryOptions clipped = Quick();
  clipped.max_z2 = 9;
  DieMemory clipped_otherwise(model, clipped);
  EXPECT_FALSE(clipped_otherwise.Restore(file).has_value());

  // A file cut short fails its checksum: an error naming it, and the memory is left as it was.
  std::filesystem::resize_file(file, std::filesystem::file_size(file) / 2);
  DieMemory fresh(model, Quick());
  const Error e = testing::Caught([&] { fresh.Restore(file); });
  EXPECT_EQ(e.category(), ErrorCategory::kModel);
  EXPECT_TRUE(testing::Contains(e.what(), file.string())) << e.what();
  EXPECT_EQ(fresh.parts(), 0);
  // So is a sealed file of another kind (a model file under the memory's name).
  SaveInspectionModel(model, file);
  const Error kind = testing::Caught([&] { fresh.Restore(file); });
  EXPECT_TRUE(testing::Contains(kind.what(), "not a die memory")) << kind.what();
}

}  // namespace
}  // namespace linesight
