// Tests inspect/decision.h's rule: a part rejects above the threshold, and a score that is not a
// number never lets a part pass.
#include "inspect/decision.h"

#include <cmath>
#include <limits>

#include <gtest/gtest.h>

namespace linesight {
namespace {

TEST(DecisionTest, AboveTheThresholdRejectsAndNotANumberNeverPasses) {
  EXPECT_FALSE(Rejects(4.9f, 5.0));
  EXPECT_FALSE(Rejects(5.0f, 5.0)) << "at the threshold: pass";
  EXPECT_TRUE(Rejects(5.01f, 5.0));
  EXPECT_TRUE(Rejects(std::numeric_limits<float>::infinity(), 5.0));
  EXPECT_TRUE(Rejects(std::nanf(""), 5.0));
  EXPECT_TRUE(Rejects(1.f, std::nan(""))) << "a broken threshold passes nothing";
}

}  // namespace
}  // namespace linesight
