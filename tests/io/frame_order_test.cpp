#include "io/frame_order.h"

#include <gtest/gtest.h>

namespace linesight::io {
namespace {

constexpr uint64_t kTrigger = 1'000'000;  // host ns of this capture's trigger
constexpr uint64_t kBefore = kTrigger - 1, kAfter = kTrigger + 1;

TEST(FrameOrderTest, FramesOwedToEarlierTriggersComeFirstWhateverTheirState) {
  size_t owed = 2;
  EXPECT_EQ(TurnOf(true, kAfter, kTrigger, owed, false), FrameTurn::kOwed);
  EXPECT_EQ(owed, 1u);
  EXPECT_EQ(TurnOf(false, kBefore, kTrigger, owed, false), FrameTurn::kOwed);
  EXPECT_EQ(owed, 0u);
  EXPECT_EQ(TurnOf(true, kAfter, kTrigger, owed, false), FrameTurn::kOurs);
}

TEST(FrameOrderTest, ACompleteFrameBegunBeforeTheTriggerIsStale) {
  size_t owed = 0;
  EXPECT_EQ(TurnOf(true, kBefore, kTrigger, owed, false), FrameTurn::kStale);
  EXPECT_EQ(TurnOf(true, kBefore, kTrigger, owed, true), FrameTurn::kStale);
  EXPECT_EQ(TurnOf(true, kAfter, kTrigger, owed, false), FrameTurn::kOurs);
  EXPECT_EQ(TurnOf(true, 0, kTrigger, owed, false), FrameTurn::kOurs);  // time unknown
}

// A frame whose leader packet was lost keeps its buffer's old time: with nothing owed, a
// triggered camera's broken frame is this trigger's, so the capture sees it at once (and can
// trigger again) instead of waiting out its timeout for a frame that is not coming.
TEST(FrameOrderTest, ABrokenTriggeredFrameIsOursWhateverItsTime) {
  size_t owed = 0;
  EXPECT_EQ(TurnOf(false, kBefore, kTrigger, owed, false), FrameTurn::kOurs);
  EXPECT_EQ(TurnOf(false, kAfter, kTrigger, owed, false), FrameTurn::kOurs);
}

TEST(FrameOrderTest, FreeRunningBrokenFramesAreJudgedByTheirTime) {
  size_t owed = 0;
  EXPECT_EQ(TurnOf(false, kBefore, kTrigger, owed, true), FrameTurn::kStale);
  EXPECT_EQ(TurnOf(false, kAfter, kTrigger, owed, true), FrameTurn::kOurs);
}

}  // namespace
}  // namespace linesight::io
