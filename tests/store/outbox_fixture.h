// store/outbox_fixture.h: a test fixture with an outbox in a temporary folder and helpers to put
// parts with images and look for their files; shared by the outbox's image and retention tests.
#pragma once

#include <filesystem>
#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "store/outbox.h"
#include "store/sample_parts.h"
#include "testing/test_util.h"

namespace linesight::store::testing {

class OutboxFixture : public ::testing::Test {
 protected:
  // Opens the outbox with `options`, its path set inside the fixture's temporary folder.
  explicit OutboxFixture(OutboxOptions options) : options_(std::move(options)) {
    options_.path = (dir_ / "outbox.db").string();
    box_ = std::make_unique<Outbox>(options_);
  }

  // Puts part `shot` with a 1000-byte image made from `seed`; returns the image name stored.
  std::string PutWithImage(int64_t shot, Decision decision, uint32_t seed) {
    const auto bytes = ImageBytes(seed);
    EXPECT_TRUE(box_->Put(SamplePart(shot, decision), {{"top", ImageBlob{bytes, "png"}}}));
    return box_->Get(SamplePart(shot).part_id)->views[0].image;
  }

  bool OnDisk(const std::string& name) const {
    return std::filesystem::exists(std::filesystem::path(box_->image_dir()) / name);
  }

  linesight::testing::TempDir dir_;
  OutboxOptions options_;
  std::unique_ptr<Outbox> box_;
};

}  // namespace linesight::store::testing
