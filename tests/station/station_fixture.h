// tests/station/station_fixture.h: what the station tests share: one model of the simulated
// part, trained once per build of the test binary, and the good part that model passes.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "inspect/inspection_model.h"
#include "inspect/trainer.h"
#include "sim/part_renderer.h"
#include "testing/sim_part_model.h"
#include "testing/test_util.h"

namespace linesight::station {

// A model of the simulated part from 40 good renders, trained once per build of the test binary
// and shared by its test processes (testing::SharedFolder).
inline const std::filesystem::path& ModelFile() {
  static const std::filesystem::path path = testing::SimulatedPartModelFile("station_test_data");
  return path;
}

// The simulated good part of `seed`.
inline cv::Mat Good(uint64_t seed) { return sim::PartRenderer().Render(seed).image; }

}  // namespace linesight::station
