// bench/demo_model.h: the demo's model of the simulated impeller (rings cut into 1 px arcs alone,
// three calibration folds: the recipe of cli/cmd_demo.cpp),
// trained on the first `parts` good renders, as the benches that judge simulated parts use it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "inspect/inspection_model.h"
#include "inspect/recipe.h"
#include "inspect/trainer.h"
#include "sim/part_renderer.h"

namespace linesight::bench {

inline InspectionModel TrainDemoModel(const sim::PartRenderer& renderer, int parts) {
  std::vector<cv::Mat> good;
  std::vector<std::string> names;
  for (int i = 1; i <= parts; ++i) {
    good.push_back(renderer.Render(static_cast<uint64_t>(i)).image);
    names.push_back("train_" + std::to_string(i));
  }
  return TrainFromImages(
      ParseRecipe(
          "name: simulated impeller\npart:\n  cells: arcs\nanomaly:\n  holdout_fraction: 0.3\n",
          "demo"),
      good, names, {});
}

}  // namespace linesight::bench
