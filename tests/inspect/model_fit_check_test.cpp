#include "inspect/model_fit_check.h"

#include <gtest/gtest.h>

#include "testing/test_util.h"

namespace linesight {
namespace {

Verdict Scored(float score, float threshold = 2) {
  Verdict v;
  v.decision = score > threshold ? Decision::kReject : Decision::kPass;
  v.score = score;
  v.threshold = threshold;
  return v;
}

TEST(ModelFitCheckTest, QuietOnANormalRunAndOnFewParts) {
  ModelFitCheck check;
  for (int i = 0; i < 50; ++i) check.Add(Scored(i % 10 == 0 ? 9 : 1));  // 10% far rejects
  EXPECT_EQ(check.Warning(), "");
  ModelFitCheck few;
  for (int i = 0; i < ModelFitCheck::kMinParts - 1; ++i) few.Add(Scored(50));
  EXPECT_EQ(few.Warning(), "") << "too few parts to judge";
}

TEST(ModelFitCheckTest, WarnsWhenNearlyEveryPartIsFarAboveOrNotFound) {
  ModelFitCheck check;
  for (int i = 0; i < 12; ++i) check.Add(Scored(7));  // 3.5x the threshold
  for (int i = 0; i < 5; ++i) check.Add(HoldVerdict(HoldReason::kPartNotFound, "no rim"));
  check.Add(Scored(1));
  check.Add(Scored(5));  // rejected, but not far above
  const std::string w = check.Warning();
  EXPECT_TRUE(testing::Contains(w, "17 of 19 parts")) << w;
  EXPECT_TRUE(testing::Contains(w, "(12 scored over 3x the threshold, 5 not found)")) << w;
  EXPECT_TRUE(testing::Contains(w, "linesight model show")) << w;
}

// Another product's sharp images can be held as blurred against the training images': a run of
// such holds is the same sign of the wrong model.
TEST(ModelFitCheckTest, FramesHeldForFocusOrExposureCountToo) {
  ModelFitCheck check;
  for (int i = 0; i < 9; ++i) check.Add(HoldVerdict(HoldReason::kOutOfFocus, "focus 0.15"));
  for (int i = 0; i < 3; ++i) check.Add(HoldVerdict(HoldReason::kExposure, "too dark"));
  check.Add(Scored(1));
  const std::string w = check.Warning();
  EXPECT_TRUE(testing::Contains(w, "12 of 13 parts")) << w;
  EXPECT_TRUE(testing::Contains(w, "12 held for focus or exposure")) << w;
}

// A camera switched to another resolution (or lens, or distance) shows every part at another
// size: the inspector holds them as bad_image after locating the part, naming the model's
// threshold. An unreadable frame (bad_image before any model looked at it) is not the model's.
TEST(ModelFitCheckTest, PartsSeenAtAnotherSizeCountButUnreadableFramesDoNot) {
  ModelFitCheck check;
  for (int i = 0; i < 11; ++i) {
    Verdict v = HoldVerdict(HoldReason::kBadImage, "the part appears at 0.53 times its size");
    v.threshold = 2;
    check.Add(v);
  }
  check.Add(Scored(1));
  const std::string w = check.Warning();
  EXPECT_TRUE(testing::Contains(w, "11 of 12 parts")) << w;
  EXPECT_TRUE(testing::Contains(w, "11 seen at another size than in training")) << w;

  ModelFitCheck unreadable;
  for (int i = 0; i < 20; ++i) unreadable.Add(HoldVerdict(HoldReason::kBadImage, "corrupt JPEG"));
  EXPECT_EQ(unreadable.Warning(), "");
}

TEST(ModelFitCheckTest, OtherHoldsDoNotCount) {
  ModelFitCheck check;
  for (int i = 0; i < 20; ++i) check.Add(HoldVerdict(HoldReason::kDeadline, "late"));
  EXPECT_EQ(check.Warning(), "");
}

}  // namespace
}  // namespace linesight
