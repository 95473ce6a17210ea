// Tests of what training tells about its own data: outliers among the good images (by policy),
// too few images for the target rate, and the manifest that traces a model to its images.
#include <algorithm>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <opencv2/imgcodecs.hpp>

#include "core/error.h"
#include "core/sha256.h"
#include "inspect/trainer.h"
#include "sim/part_renderer.h"
#include "testing/test_util.h"

namespace linesight {
namespace {

using testing::Caught;
using testing::Contains;

// 60 good parts and, at every tenth place, a part with a blow hole or flash (6 in all).
struct Contaminated {
  std::vector<cv::Mat> images;
  std::vector<std::string> names;
  std::vector<std::string> defective;
};

const Contaminated& Mixed() {
  static const Contaminated c = [] {
    Contaminated out;
    const sim::PartRenderer renderer;
    for (int i = 0; i < 66; ++i) {
      if (i % 11 == 5) {
        const sim::DefectType type =
            (i / 11) % 2 ? sim::DefectType::kFlash : sim::DefectType::kBlowHole;
        out.images.push_back(
            renderer.Render(7000 + static_cast<uint64_t>(i), std::span(&type, 1)).image);
        out.names.push_back("bad_" + std::to_string(i));
        out.defective.push_back(out.names.back());
      } else {
        out.images.push_back(renderer.Render(500 + static_cast<uint64_t>(i)).image);
        out.names.push_back("good_" + std::to_string(i));
      }
    }
    return out;
  }();
  return c;
}

int CountStatus(const InspectionModel& m, TrainingImage::Status status, const std::string& prefix) {
  return static_cast<int>(std::count_if(
      m.training.manifest.begin(), m.training.manifest.end(),
      [&](const TrainingImage& t) { return t.status == status && t.name.rfind(prefix, 0) == 0; }));
}

TEST(FindOutliersTest, FlagsScoresFarAboveTheBulkOnly) {
  std::vector<float> scores;
  for (int i = 0; i < 100; ++i) scores.push_back(4.0f + 0.02f * static_cast<float>(i % 17));
  EXPECT_TRUE(FindOutliers(scores).empty()) << "a tight set has none";
  scores[10] = 40;
  scores[20] = 15;
  const auto idx = FindOutliers(scores);
  ASSERT_EQ(idx.size(), 2u);
  EXPECT_EQ(idx[0], 10u) << "highest first";
  EXPECT_EQ(idx[1], 20u);
  // Less than 1.5 times the median is never an outlier, however tight the rest.
  scores[10] = scores[20] = 6.0f;
  EXPECT_TRUE(FindOutliers(scores).empty());
  EXPECT_TRUE(FindOutliers({1, 1, 100}).empty()) << "too few scores to judge";
}

// The default recipe with three calibration folds: the screening reads the out-of-fold scores
// however many folds made them, and three keep these tests quick under the sanitizers.
Recipe ScreenRecipe() {
  Recipe r = DefaultRecipe();
  r.holdout_fraction = 0.3;
  return r;
}

TEST(TrainingScreenTest, DefectivePartsAmongTheGoodAreNamedAndWarnedAbout) {
  const Contaminated& c = Mixed();
  const InspectionModel m = TrainFromImages(ScreenRecipe(), c.images, c.names, TrainOptions());
  const int bad_named = CountStatus(m, TrainingImage::Status::kOutlierKept, "bad_");
  const int good_named = CountStatus(m, TrainingImage::Status::kOutlierKept, "good_");
  std::string scores;
  for (const auto& t : m.training.manifest) scores += t.name + "=" + std::to_string(t.score) + " ";
  EXPECT_GE(bad_named, 4) << "most defective parts named " << scores;
  EXPECT_LE(good_named, 1);
  ASSERT_FALSE(m.training.warnings.empty());
  const std::string& w = m.training.warnings[0];
  EXPECT_TRUE(Contains(w, "score far above")) << w;
  EXPECT_TRUE(Contains(w, "bad_")) << w;
  EXPECT_TRUE(Contains(w, "training.outliers: drop")) << "says what to do: " << w;
}

TEST(TrainingScreenTest, RefusePolicyRefusesOnlyWhenTooManyStandOut) {
  LINESIGHT_SKIP_UNDER_SANITIZERS(
      "two trainings of 66 parts; the screening's code runs in the "
      "other TrainingScreenTest cases");
  const Contaminated& c = Mixed();
  Recipe refuse = ScreenRecipe();
  refuse.outlier_policy = OutlierPolicy::kRefuse;
  const Error e = Caught([&] { TrainFromImages(refuse, c.images, c.names, TrainOptions()); });
  EXPECT_EQ(e.category(), ErrorCategory::kData);
  EXPECT_TRUE(Contains(e.what(), "bad_")) << e.what();
  // Refusal only when too many: with a lenient fraction it trains and warns.
  refuse.max_outlier_fraction = 0.5;
  EXPECT_FALSE(
      TrainFromImages(refuse, c.images, c.names, TrainOptions()).training.warnings.empty());
}

TEST(TrainingScreenTest, DropPolicyLeavesTheDefectsOutAndLowersTheThreshold) {
  const Contaminated& c = Mixed();
  Recipe drop = ScreenRecipe();
  drop.outlier_policy = OutlierPolicy::kDrop;
  const InspectionModel dropped = TrainFromImages(drop, c.images, c.names, TrainOptions());
  const int n_dropped = CountStatus(dropped, TrainingImage::Status::kOutlierDropped, "");
  EXPECT_GE(n_dropped, 4);
  EXPECT_EQ(dropped.training.good_images + n_dropped, 66);
  LINESIGHT_SKIP_UNDER_SANITIZERS("a second training of 66 parts, to compare thresholds");
  const InspectionModel kept = TrainFromImages(ScreenRecipe(), c.images, c.names, TrainOptions());
  EXPECT_LT(dropped.threshold, kept.threshold) << "the defects no longer set the threshold";
}

TEST(TrainingScreenTest, TooFewImagesForTheTargetAreWarnedAbout) {
  const Contaminated& c = Mixed();
  std::vector<cv::Mat> few;
  std::vector<std::string> names;
  for (size_t i = 0; i < c.images.size() && few.size() < 12; ++i)
    if (c.names[i].rfind("good_", 0) == 0) {
      few.push_back(c.images[i]);
      names.push_back(c.names[i]);
    }
  const InspectionModel m = TrainFromImages(ScreenRecipe(), few, names, TrainOptions());
  ASSERT_EQ(m.training.warnings.size(), 1u);
  EXPECT_TRUE(Contains(m.training.warnings[0], "only 12 usable good images"))
      << m.training.warnings[0];
  EXPECT_TRUE(Contains(m.training.warnings[0], "at least 100")) << "1 / 1% target";
}

TEST(TrainingScreenTest, ManifestNamesEveryFileWithItsSha256) {
  testing::TempDir dir;
  const sim::PartRenderer renderer;
  std::vector<std::filesystem::path> files;
  for (int i = 0; i < 6; ++i) {
    files.push_back(dir / ("p" + std::to_string(i) + ".png"));
    cv::imwrite(files.back().string(), renderer.Render(900 + static_cast<uint64_t>(i)).image);
  }
  files.push_back(dir / "broken.png");
  testing::WriteFile(files.back(), "not an image");
  const InspectionModel m = Train(ScreenRecipe(), files, TrainOptions());
  ASSERT_EQ(m.training.manifest.size(), 7u);
  for (int i = 0; i < 6; ++i) {
    const TrainingImage& t = m.training.manifest[static_cast<size_t>(i)];
    EXPECT_EQ(t.name, files[static_cast<size_t>(i)].string());
    EXPECT_EQ(t.sha256, Sha256File(files[static_cast<size_t>(i)]));
    EXPECT_EQ(t.status, TrainingImage::Status::kUsed);
    EXPECT_GT(t.score, 0);
  }
  const TrainingImage& broken = m.training.manifest.back();
  EXPECT_EQ(broken.status, TrainingImage::Status::kSkipped);
  EXPECT_EQ(broken.sha256, Sha256File(files.back())) << "traceable even when unusable";
  EXPECT_FALSE(broken.reason.empty());

  // The manifest, warnings and operating point survive the model file.
  SaveInspectionModel(m, dir / "m.lsm");
  const InspectionModel loaded = LoadInspectionModel(dir / "m.lsm");
  ASSERT_EQ(loaded.training.manifest.size(), 7u);
  EXPECT_EQ(loaded.training.manifest[3].sha256, m.training.manifest[3].sha256);
  EXPECT_EQ(loaded.training.manifest[3].score, m.training.manifest[3].score);
  EXPECT_EQ(loaded.training.manifest.back().reason, broken.reason);
  EXPECT_EQ(loaded.training.warnings, m.training.warnings);
  EXPECT_EQ(loaded.threshold_source, m.threshold_source);
  EXPECT_EQ(loaded.Id(), m.Id());
}

}  // namespace
}  // namespace linesight
