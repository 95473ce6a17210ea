// tests/testing/sim_part_model.h: the model the tests use for the simulated part, trained on its
// first 40 good renders (seeds 1..40), and its file shared by a test binary's processes.
// Header-only: only test binaries that link sim and inspect include it.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "inspect/inspection_model.h"
#include "inspect/trainer.h"
#include "sim/part_renderer.h"
#include "testing/test_util.h"

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

// The file of that model, trained once per build of the running test binary and shared by its
// test processes (SharedFolder: ctest runs each test in a process of its own), in
// <binary's folder>/<folder>.
inline std::filesystem::path SimulatedPartModelFile(const std::string& folder) {
  const std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe");
  const auto dir =
      SharedFolder(self.parent_path() / folder, self, [](const std::filesystem::path& tmp) {
        SaveInspectionModel(TrainOnSimulatedGoodParts(), tmp / "part.lsm");
      });
  return dir / "part.lsm";
}

}  // namespace linesight::testing
