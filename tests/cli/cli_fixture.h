// tests/cli/cli_fixture.h: what the CLI tests share: running the real `linesight` binary,
// reading its output, and one simulated data set and model made once per build of the binary.
#pragma once

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "testing/test_util.h"

namespace linesight::cli_test {

namespace fs = std::filesystem;
using testing::Contains;
using testing::FileLock;
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
  std::error_code ec;
  const auto size = fs::file_size(bin, ec);
  const auto stamp = fs::last_write_time(bin, ec).time_since_epoch().count();
  if (ec) {
    d.error = "cannot stat " + bin.string() + ": " + ec.message();
    return d;
  }
  const std::string key = std::to_string(size) + "_" + std::to_string(stamp);
  const fs::path root = bin.parent_path() / "tests" / "cli_test_data";
  d.dir = root / key;
  fs::create_directories(root, ec);
  const FileLock lock(root / "lock");  // one process makes it, the others wait and reuse it
  if (!fs::exists(d.dir / "ready")) {
    const TempDir scratch;  // build beside, then move into place in one rename
    const fs::path tmp = root / (key + ".tmp" + scratch.path().filename().string());
    fs::create_directories(tmp);
    const RunResult sim =
        RunLinesight("sim --out " + Q(tmp / "data") + " --good " + std::to_string(kGood) +
                     " --defect " + std::to_string(kDefect));
    const RunResult train =
        RunLinesight("train --good " + Q(tmp / "data" / "good") + " --out " + Q(tmp / "model.lsm"));
    if (sim.exit_code != 0 || train.exit_code != 0) {
      d.error = "sim: " + Describe(sim) + "\ntrain: " + Describe(train);
      fs::remove_all(tmp, ec);
      return d;
    }
    testing::WriteFile(tmp / "sim.out", sim.out);
    testing::WriteFile(tmp / "train.out", train.out);
    testing::WriteFile(tmp / "ready", "");
    fs::rename(tmp, d.dir, ec);
    if (ec) fs::remove_all(tmp, ec);  // another process got there first: use its copy
    // Data of older builds of the binary.
    for (const auto& e : fs::directory_iterator(root, ec))
      if (e.is_directory(ec) && e.path().filename().string().rfind(key, 0) != 0)
        fs::remove_all(e.path(), ec);
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
