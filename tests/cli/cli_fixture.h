// tests/cli/cli_fixture.h: what the CLI tests share: running the real `linesight` binary,
// reading its output, and one simulated data set and model made once per build of the binary.
#pragma once

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "testing/test_util.h"

namespace linesight::cli_test {

namespace fs = std::filesystem;
using testing::Contains;
using testing::RunLinesight;
using testing::RunResult;
using testing::TempDir;

inline constexpr int kGood = 40;
inline constexpr int kDefect = 12;

// Shell quoting and run descriptions are testing/test_util's, under the names these tests use.
inline std::string Q(const fs::path& p) { return testing::ShellQuote(p); }
inline std::string Describe(const RunResult& r) { return testing::DescribeRun(r); }
using testing::JsonLines;

inline std::vector<fs::path> Files(const fs::path& dir, const std::string& suffix = "") {
  std::vector<fs::path> out;
  for (const auto& e : fs::directory_iterator(dir)) {
    const std::string name = e.path().filename().string();
    if (name.size() >= suffix.size() &&
        name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0)
      out.push_back(e.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

inline std::string Slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// The data set and model every CliTest reads: made once per build of the binary and shared by
// all test processes (ctest runs each test in its own process), so the suite stays fast. Lives
// in the build tree beside the binary; a rebuilt binary gets a fresh one.
struct SharedData {
  fs::path dir;
  std::string sim_out, train_out;
  std::string error;  // why it could not be made
};

inline SharedData MakeSharedData() {
  SharedData d;
  const fs::path bin = LINESIGHT_BINARY;
  try {
    d.dir = testing::SharedFolder(
        bin.parent_path() / "tests" / "cli_test_data", bin, [](const fs::path& tmp) {
          const RunResult sim =
              RunLinesight("sim --out " + Q(tmp / "data") + " --good " + std::to_string(kGood) +
                           " --defect " + std::to_string(kDefect));
          const RunResult train = RunLinesight("train --good " + Q(tmp / "data" / "good") +
                                               " --out " + Q(tmp / "model.lsm"));
          if (sim.exit_code != 0 || train.exit_code != 0)
            throw std::runtime_error("sim: " + Describe(sim) + "\ntrain: " + Describe(train));
          testing::WriteFile(tmp / "sim.out", sim.out);
          testing::WriteFile(tmp / "train.out", train.out);
        });
  } catch (const std::exception& e) {
    d.error = e.what();
    return d;
  }
  d.sim_out = Slurp(d.dir / "sim.out");
  d.train_out = Slurp(d.dir / "train.out");
  return d;
}

class CliTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    shared_ = new SharedData(MakeSharedData());
    scratch_ = new TempDir();
  }
  static void TearDownTestSuite() {
    delete shared_;
    delete scratch_;
    shared_ = nullptr;
    scratch_ = nullptr;
  }
  void SetUp() override { ASSERT_TRUE(shared_->error.empty()) << shared_->error; }

  static fs::path data() { return shared_->dir / "data"; }
  static fs::path model() { return shared_->dir / "model.lsm"; }
  // A fresh folder for one test, removed with the test process's scratch folder.
  static fs::path Scratch(const std::string& name) {
    fs::path p = scratch_->path() / name;
    fs::remove_all(p);
    fs::create_directories(p);
    return p;
  }

  static inline SharedData* shared_ = nullptr;
  static inline TempDir* scratch_ = nullptr;
};

}  // namespace linesight::cli_test
