// testing/test_util.h: helpers shared by the tests: scratch folders, running the real binary,
// catching linesight errors, random test images, and a file lock for data shared between test
// processes.
#pragma once

#include <cstdint>
#include <exception>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <opencv2/core.hpp>

#include "core/error.h"

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

// `path` single-quoted for the shell.
std::string ShellQuote(const std::filesystem::path& path);

// Exit code and the first 3000 characters of stdout and stderr, for failure messages.
std::string DescribeRun(const RunResult& r);

// One JSON object per non-empty line of `text`; a line that does not parse gives a discarded
// value (is_discarded()).
std::vector<nlohmann::json> JsonLines(const std::string& text);

// Writes `bytes` to `path`.
void WriteFile(const std::filesystem::path& path, const std::string& bytes);

// Runs `f`, which must throw linesight::Error, and returns the error. Anything else (no
// exception, another exception) is a test failure and returns an Error{kInternal}.
template <typename F>
Error Caught(F&& f) {
  try {
    f();
  } catch (const Error& e) {
    return e;
  } catch (const std::exception& e) {
    ADD_FAILURE() << "expected linesight::Error, got another exception: " << e.what();
    return Error(ErrorCategory::kInternal, "foreign exception", e.what());
  }
  ADD_FAILURE() << "expected linesight::Error, nothing was thrown";
  return Error(ErrorCategory::kInternal, "did not throw", "");
}

// An 8-bit grey image of uniform noise from `seed`, for checking kernels against OpenCV.
cv::Mat RandomGrey(cv::Size size, uint64_t seed);

// True if `part` occurs in `text`.
bool Contains(const std::string& text, const std::string& part);

// Holds an exclusive lock on `path` (created if missing) while alive: one test process makes
// shared data, the others wait and reuse it.
class FileLock {
 public:
  explicit FileLock(const std::filesystem::path& path);
  ~FileLock();
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;

 private:
  int fd_;
};

// A folder made once per build of `binary` and shared by every test process that asks for it
// (ctest runs each test in a process of its own, so a model trained per process is trained once
// per test): the first caller fills an empty folder with `make` while the others wait on a lock,
// then all read it. It lives under `root`, named by the binary's size and time, so a rebuilt
// binary gets a fresh one and those of older builds are removed. Throws what `make` throws (and
// then leaves nothing behind), or std::runtime_error if `binary` cannot be read.
std::filesystem::path SharedFolder(const std::filesystem::path& root,
                                   const std::filesystem::path& binary,
                                   const std::function<void(const std::filesystem::path&)>& make);

// The category of the linesight::Error that `call` throws; a test failure and kInternal if it
// throws none.
template <typename F>
ErrorCategory ThrownCategory(F&& call) {
  try {
    call();
  } catch (const Error& e) {
    return e.category();
  }
  ADD_FAILURE() << "no linesight::Error thrown";
  return ErrorCategory::kInternal;
}

// A free TCP port on 127.0.0.1 (bound, read, released: free at once, not forever).
int FreeLoopbackPort();

// A fixed time for records made by tests: 2026-11-29, ms since the Unix epoch.
inline constexpr int64_t kT0 = 1796000000000;

// A shell command run as a child process (`exec`'d, so signals reach the program), its stdout and
// stderr appended to `log`. Killed with SIGKILL when the object dies.
class ChildProcess {
 public:
  ChildProcess(const std::string& command, const std::filesystem::path& log);
  ~ChildProcess() { Kill(9); }
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;
  // Sends `signal` and waits for the process to end.
  void Kill(int signal);
  bool running() const { return pid_ > 0; }

 private:
  int pid_ = -1;
};

// True in the sanitizer build (CI's second run, where the same work takes 3-8 times longer).
// LINESIGHT_SANITIZED: the tests' own files are built without instrumentation there
// (tests/CMakeLists.txt), so the compiler's __SANITIZE_ADDRESS__ does not tell.
#if defined(LINESIGHT_SANITIZED) || defined(__SANITIZE_ADDRESS__)
inline constexpr bool kSanitized = true;
#else
inline constexpr bool kSanitized = false;
#endif

}  // namespace linesight::testing

// Skips a test in the sanitizer build, saying why. Only for a test whose cost is statistical
// volume (rates over many parts, repeated trainings) and whose code lighter tests run under the
// sanitizers: it still runs, and asserts what it is for, in the release suite.
// (The empty branch keeps a following `else` from binding to the macro's `if`.)
#define LINESIGHT_SKIP_UNDER_SANITIZERS(why) \
  if (!::linesight::testing::kSanitized) {   \
  } else                                     \
    GTEST_SKIP() << "sanitizer build: " << why
