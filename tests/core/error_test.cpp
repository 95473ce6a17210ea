#include "core/error.h"

#include <set>
#include <string>

#include <gtest/gtest.h>

namespace linesight {
namespace {

TEST(ErrorTest, WhatIsCauseThenFix) {
  Error e(ErrorCategory::kModel, "m.lsm: model file is truncated", "Train the model again");
  EXPECT_STREQ(e.what(), "m.lsm: model file is truncated. Train the model again");
  EXPECT_EQ(e.cause(), "m.lsm: model file is truncated");
  EXPECT_EQ(e.fix(), "Train the model again");
  EXPECT_EQ(e.category(), ErrorCategory::kModel);
}

TEST(ErrorTest, EmptyFixLeavesCauseAlone) {
  Error e(ErrorCategory::kIo, "disk full", "");
  EXPECT_STREQ(e.what(), "disk full");
  EXPECT_EQ(e.fix(), "");
}

TEST(ErrorTest, CaughtAsStdException) {
  try {
    throw Error(ErrorCategory::kImage, "a.png: file is empty", "Copy it again");
  } catch (const std::runtime_error& e) {
    EXPECT_STREQ(e.what(), "a.png: file is empty. Copy it again");
    return;
  }
  FAIL() << "Error is not a std::runtime_error";
}

TEST(ErrorTest, CopyKeepsEverything) {
  Error a(ErrorCategory::kRecipe, "r.yaml: bad", "fix it");
  Error b = a;
  EXPECT_EQ(b.category(), ErrorCategory::kRecipe);
  EXPECT_STREQ(b.what(), a.what());
  EXPECT_EQ(b.cause(), a.cause());
  EXPECT_EQ(b.fix(), a.fix());
}

TEST(ErrorTest, CategoryNames) {
  EXPECT_EQ(CategoryName(ErrorCategory::kInput), "input");
  EXPECT_EQ(CategoryName(ErrorCategory::kImage), "image");
  EXPECT_EQ(CategoryName(ErrorCategory::kModel), "model");
  EXPECT_EQ(CategoryName(ErrorCategory::kRecipe), "recipe");
  EXPECT_EQ(CategoryName(ErrorCategory::kIo), "io");
  EXPECT_EQ(CategoryName(ErrorCategory::kData), "data");
  EXPECT_EQ(CategoryName(ErrorCategory::kInternal), "internal");
  EXPECT_EQ(CategoryName(static_cast<ErrorCategory>(0)), "unknown");
  EXPECT_EQ(CategoryName(static_cast<ErrorCategory>(200)), "unknown");
}

TEST(ErrorTest, CategoryNumbersAreStable) {
  // Stored in logs: renumbering would corrupt old records.
  EXPECT_EQ(static_cast<int>(ErrorCategory::kInput), 1);
  EXPECT_EQ(static_cast<int>(ErrorCategory::kImage), 2);
  EXPECT_EQ(static_cast<int>(ErrorCategory::kModel), 3);
  EXPECT_EQ(static_cast<int>(ErrorCategory::kRecipe), 4);
  EXPECT_EQ(static_cast<int>(ErrorCategory::kIo), 5);
  EXPECT_EQ(static_cast<int>(ErrorCategory::kData), 6);
  EXPECT_EQ(static_cast<int>(ErrorCategory::kInternal), 7);
  std::set<std::string_view> names;
  for (int c = 1; c <= 7; ++c) names.insert(CategoryName(static_cast<ErrorCategory>(c)));
  EXPECT_EQ(names.size(), 7u);
}

}  // namespace
}  // namespace linesight
