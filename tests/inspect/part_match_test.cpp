// Tests of the part match (inspect/part_match.h) and of the hold it gives a part without symmetry
// that is not the part its model was trained on.
#include "inspect/part_match.h"

#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <opencv2/imgproc.hpp>

#include "core/error.h"
#include "core/model_file.h"
#include "inspect/inspection_model.h"
#include "inspect/inspector.h"
#include "inspect/recipe.h"
#include "inspect/trainer.h"
#include "testing/test_util.h"

namespace linesight {
namespace {

using testing::Contains;
using testing::TempDir;

// A tile-like part, 220 x 140 px: a dark chamfer along the left and the bottom edge, a bright
// stripe a third of the way across, a grain, and what varies from part to part on a line: a few
// pixels of shift, exposure and the grain itself.
cv::Mat Tile(uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> shift(-3, 3), gain(0.9, 1.1);
  cv::Mat f(140, 220, CV_32F, cv::Scalar(120));
  const double dx = shift(rng), dy = shift(rng);
  for (int y = 0; y < f.rows; ++y)
    for (int x = 0; x < f.cols; ++x) {
      float& v = f.at<float>(y, x);
      if (x < 18 + dx || y > f.rows - 16 + dy) v = 55;
      if (std::abs(x - 75 - dx) < 9) v = 190;
    }
  cv::Mat noise(f.size(), CV_32F);
  cv::randn(noise, 0, 6);
  cv::theRNG().state = seed;
  f = (f + noise) * gain(rng);
  cv::GaussianBlur(f, f, cv::Size(3, 3), 0.8);
  cv::Mat out;
  f.convertTo(out, CV_8U);
  return out;
}

// The canvas a `symmetry: none` recipe makes of `image`: the whole frame stretched to `side`.
cv::Mat Canvas(const cv::Mat& image, int side = 128) {
  cv::Mat c;
  cv::resize(image, c, cv::Size(side, side), 0, 0, cv::INTER_AREA);
  return c;
}

cv::Mat Turned(const cv::Mat& image) {
  cv::Mat t;
  cv::rotate(image, t, cv::ROTATE_90_CLOCKWISE);
  return t;
}

TEST(PartMatchTest, GoodPartsMatchButTurnedAndOtherPartsDoNot) {
  std::vector<cv::Mat> training;
  for (uint64_t s = 1; s <= 40; ++s) training.push_back(Canvas(Tile(s)));
  const PartMatch match = PartMatch::Learn(training);
  ASSERT_TRUE(match.learned());
  EXPECT_EQ(match.thumbs(), 40u);
  EXPECT_GT(match.min_match(), 0.5f);
  PartMatch::Thumb scratch;
  for (uint64_t s = 1001; s <= 1030; ++s) {
    const float m = match.Match(Canvas(Tile(s)), scratch);
    EXPECT_TRUE(match.Accepts(m)) << "good part " << s << " matched " << m;
    const float t = match.Match(Canvas(Turned(Tile(s))), scratch);
    EXPECT_FALSE(match.Accepts(t)) << "turned part " << s << " matched " << t;
    cv::Mat flipped;
    cv::flip(Tile(s), flipped, 1);
    EXPECT_FALSE(match.Accepts(match.Match(Canvas(flipped), scratch))) << "mirrored " << s;
  }
  cv::Mat empty(140, 220, CV_8UC1, cv::Scalar(90)), texture(140, 220, CV_8UC1);
  cv::randu(texture, 0, 255);
  EXPECT_FALSE(match.Accepts(match.Match(Canvas(empty), scratch))) << "an empty fixture";
  EXPECT_FALSE(match.Accepts(match.Match(Canvas(texture), scratch))) << "another surface";
}

TEST(PartMatchTest, OneTurnedPartAmongAHundredGoodOnesDoesNotSetTheLimit) {
  std::vector<cv::Mat> training;
  for (uint64_t s = 1; s <= 120; ++s)
    training.push_back(Canvas(s == 60 ? Turned(Tile(s)) : Tile(s)));
  const PartMatch match = PartMatch::Learn(training);
  EXPECT_GT(match.min_match(), PartMatch::kWeakMatch);
  PartMatch::Thumb scratch;
  for (uint64_t s = 1001; s <= 1010; ++s) {
    EXPECT_TRUE(match.Accepts(match.Match(Canvas(Tile(s)), scratch))) << s;
    EXPECT_FALSE(match.Accepts(match.Match(Canvas(Turned(Tile(s))), scratch))) << s;
  }
}

TEST(PartMatchTest, TooFewGoodPartsLearnNothingAndAcceptEverything) {
  std::vector<cv::Mat> training;
  for (uint64_t s = 1; s < PartMatch::kMinTraining; ++s) training.push_back(Canvas(Tile(s)));
  const PartMatch match = PartMatch::Learn(training);
  EXPECT_FALSE(match.learned());
  PartMatch::Thumb scratch;
  EXPECT_TRUE(match.Accepts(match.Match(Canvas(Turned(Tile(5))), scratch)));
}

TEST(PartMatchTest, AtMostKMaxThumbsAreKeptSpreadOverTraining) {
  std::vector<cv::Mat> training;
  for (uint64_t s = 1; s <= PartMatch::kMaxThumbs + 40; ++s)
    training.push_back(Canvas(Tile(s), 32));
  EXPECT_EQ(PartMatch::Learn(training).thumbs(), PartMatch::kMaxThumbs);
}

// The whole path: a `symmetry: none` model learns the match, keeps it through its file, and the
// inspector holds a turned part as part_not_found instead of scoring it.
class PartMatchInspectTest : public ::testing::Test {
 protected:
  static InspectionModel Train() {
    const Recipe recipe =
        ParseRecipe("part:\n  symmetry: none\n  canvas: 128\n  block: 16\n", "tile.yaml");
    std::vector<cv::Mat> images;
    std::vector<std::string> names;
    for (uint64_t s = 1; s <= 30; ++s) {
      images.push_back(Tile(s));
      names.push_back("tile_" + std::to_string(s));
    }
    return TrainFromImages(recipe, images, names, TrainOptions());
  }
};

TEST_F(PartMatchInspectTest, ATurnedPartIsHeldAndTheMatchSurvivesTheModelFile) {
  const InspectionModel trained = Train();
  ASSERT_TRUE(trained.match.learned());
  TempDir dir;
  SaveInspectionModel(trained, dir / "tile.lsm");
  const InspectionModel model = LoadInspectionModel(dir / "tile.lsm");
  ASSERT_TRUE(model.match.learned());
  EXPECT_EQ(model.match.min_match(), trained.match.min_match());
  EXPECT_EQ(model.match.thumbs(), trained.match.thumbs());

  const Inspector inspector(model);
  Workspace ws;
  int held_good = 0;
  for (uint64_t s = 2001; s <= 2010; ++s) {
    const Verdict good = inspector.Inspect(Tile(s), ws);
    held_good += good.decision == Decision::kHold;
    const Verdict turned = inspector.Inspect(Turned(Tile(s)), ws);
    EXPECT_EQ(turned.decision, Decision::kHold) << s;
    EXPECT_EQ(turned.reason, HoldReason::kPartNotFound) << s << ": " << turned.detail;
    EXPECT_TRUE(Contains(turned.detail, "does not look like the parts this model was trained on"))
        << turned.detail;
    EXPECT_TRUE(turned.findings.empty());
    EXPECT_EQ(turned.model_id, model.Id());
  }
  EXPECT_EQ(held_good, 0);
}

TEST(PartMatchTrainTest, GoodPartsThatDoNotLookAlikeGiveAWeakMatchWarning) {
  // A random surface trained as a part in a fixed pose: no two look alike at 24 x 24 px, so the
  // match cannot tell a wrong part (the recipe should be `texture`).
  const Recipe recipe =
      ParseRecipe("part:\n  symmetry: none\n  canvas: 128\n  block: 16\n", "noise.yaml");
  std::vector<cv::Mat> images;
  std::vector<std::string> names;
  cv::theRNG().state = 7;
  for (int i = 0; i < 30; ++i) {
    cv::Mat noise(140, 220, CV_8UC1);
    cv::randu(noise, 60, 200);
    cv::GaussianBlur(noise, noise, cv::Size(0, 0), 6);
    images.push_back(noise);
    names.push_back("noise_" + std::to_string(i));
  }
  const InspectionModel m = TrainFromImages(recipe, images, names, TrainOptions());
  ASSERT_TRUE(m.match.learned());
  EXPECT_LT(m.match.min_match(), PartMatch::kWeakMatch);
  bool warned = false;
  for (const auto& w : m.training.warnings) warned = warned || Contains(w, "part match is weak");
  EXPECT_TRUE(warned) << "min match " << m.match.min_match();
}

TEST(PartMatchTrainTest, ATurnedImageAmongTheGoodOnesIsLeftOutAndNamed) {
  const Recipe recipe =
      ParseRecipe("part:\n  symmetry: none\n  canvas: 128\n  block: 16\n", "tile.yaml");
  std::vector<cv::Mat> images;
  std::vector<std::string> names;
  for (uint64_t s = 1; s <= 30; ++s) {
    images.push_back(s == 17 ? Turned(Tile(s)) : Tile(s));
    names.push_back("tile_" + std::to_string(s));
  }
  const InspectionModel m = TrainFromImages(recipe, images, names, TrainOptions());
  ASSERT_TRUE(m.match.learned());
  EXPECT_EQ(m.match.thumbs(), 29u);
  bool named = false;
  for (const auto& w : m.training.warnings)
    named = named || (Contains(w, "left out of the part match") && Contains(w, "tile_17"));
  EXPECT_TRUE(named);
  Workspace ws;
  EXPECT_EQ(Inspector(m).Inspect(Turned(Tile(3001)), ws).reason, HoldReason::kPartNotFound);
}

TEST_F(PartMatchInspectTest, AModelFileWithABrokenMatchIsRefusedAndOneWithoutItChecksNone) {
  const InspectionModel trained = Train();
  TempDir dir;
  SaveInspectionModel(trained, dir / "tile.lsm");
  const ModelFile good = ReadModelFile(dir / "tile.lsm");
  auto write = [&](ModelFile f, const std::string& name) {
    WriteModelFile(dir / name, f);
    return dir / name;
  };

  ModelFile bad_side = good;
  bad_side.header["match"]["side"] = 16;
  ModelFile bad_limit = good;
  bad_limit.header["match"]["min_match"] = 7.5;
  ModelFile short_payload = good;
  short_payload.payload.resize(short_payload.payload.size() - 4);
  for (const auto& [name, f] : {std::pair{"side.lsm", bad_side}, std::pair{"limit.lsm", bad_limit},
                                std::pair{"short.lsm", short_payload}}) {
    try {
      LoadInspectionModel(write(f, name));
      ADD_FAILURE() << name << " loaded";
    } catch (const Error& e) {
      EXPECT_EQ(e.category(), ErrorCategory::kModel) << name;
      EXPECT_TRUE(Contains(e.what(), name)) << e.what();
    }
  }

  // A version 7 file (before the match): loads, and a turned part is scored, not held for it.
  ModelFile older = good;
  const size_t thumbs = older.header["match"]["thumbs"].get<size_t>();
  older.header.erase("match");
  older.header["model_version"] = 7;
  older.payload.resize(older.payload.size() - thumbs * PartMatch::kSide * PartMatch::kSide * 4);
  const InspectionModel model = LoadInspectionModel(write(older, "v7.lsm"));
  EXPECT_FALSE(model.match.learned());
  Workspace ws;
  const Verdict v = Inspector(model).Inspect(Turned(Tile(2001)), ws);
  EXPECT_NE(v.decision, Decision::kHold) << "scored, not held: " << v.detail;
  EXPECT_GT(v.score, 0);
}

}  // namespace
}  // namespace linesight
