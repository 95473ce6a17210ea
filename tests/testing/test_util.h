// testing/test_util.h: helpers shared by the tests: scratch folders and running the real binary.
#pragma once

#include <filesystem>
#include <string>

namespace linesight::testing {

// A fresh empty folder under the system temp dir, removed when the object dies.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

// Result of running a command.
struct RunResult {
  int exit_code = -1;
  std::string out;  // stdout
  std::string err;  // stderr
};

// Runs the linesight binary with `args` (shell-quoted by the caller) and captures its output.
RunResult RunLinesight(const std::string& args);

// Writes `bytes` to `path`.
void WriteFile(const std::filesystem::path& path, const std::string& bytes);

}  // namespace linesight::testing
