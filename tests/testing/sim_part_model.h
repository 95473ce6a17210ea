// tests/testing/sim_part_model.h: the model the tests use for the simulated part, trained on its
// first 40 good renders (seeds 1..40). Header-only: only test binaries that link sim and inspect
// include it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "inspect/trainer.h"
#include "sim/part_renderer.h"

namespace linesight::testing {

inline InspectionModel TrainOnSimulatedGoodParts() {
  const sim::PartRenderer renderer;
  std::vector<cv::Mat> images;
  std::vector<std::string> names;
  for (int i = 0; i < 40; ++i) {
    images.push_back(renderer.Render(static_cast<uint64_t>(i) + 1).image);
    names.push_back("good_" + std::to_string(i));
  }
  return TrainFromImages(DefaultRecipe(), images, names, TrainOptions());
}

}  // namespace linesight::testing
