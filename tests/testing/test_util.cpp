#include "testing/test_util.h"

#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <random>
#include <sstream>

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

extern char** environ;

namespace linesight::testing {

TempDir::TempDir() {
  static std::atomic<int> counter{0};
  std::random_device rd;
  path_ = std::filesystem::temp_directory_path() /
          ("linesight_test_" + std::to_string(::getpid()) + "_" + std::to_string(counter++) + "_" +
           std::to_string(rd()));
  std::filesystem::create_directories(path_);
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

static std::string Slurp(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

RunResult RunLinesight(const std::string& args) {
  TempDir tmp;
  std::string cmd = std::string(LINESIGHT_BINARY) + " " + args + " >" + (tmp / "out").string() +
                    " 2>" + (tmp / "err").string() + " </dev/null";
  RunResult r;
  int status = std::system(cmd.c_str());
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  r.out = Slurp(tmp / "out");
  r.err = Slurp(tmp / "err");
  return r;
}

void WriteFile(const std::filesystem::path& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary);
  out << bytes;
}

cv::Mat RandomGrey(cv::Size size, uint64_t seed) {
  cv::Mat image(size, CV_8UC1);
  cv::RNG rng(seed);
  rng.fill(image, cv::RNG::UNIFORM, 0, 256);
  return image;
}

bool Contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

FileLock::FileLock(const std::filesystem::path& path)
    : fd_(::open(path.c_str(), O_CREAT | O_RDWR, 0644)) {
  if (fd_ >= 0) ::flock(fd_, LOCK_EX);
}

FileLock::~FileLock() {
  if (fd_ >= 0) ::close(fd_);  // releases the lock
}

std::string ShellQuote(const std::filesystem::path& path) {
  std::string s = "'";
  for (char c : path.string()) s += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return s + "'";
}

std::string DescribeRun(const RunResult& r) {
  return "exit " + std::to_string(r.exit_code) + "\n--- stdout\n" + r.out.substr(0, 3000) +
         "\n--- stderr\n" + r.err.substr(0, 3000);
}

std::vector<nlohmann::json> JsonLines(const std::string& text) {
  std::vector<nlohmann::json> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line))
    if (!line.empty()) out.push_back(nlohmann::json::parse(line, nullptr, false));
  return out;
}

std::filesystem::path SharedFolder(const std::filesystem::path& root,
                                   const std::filesystem::path& binary,
                                   const std::function<void(const std::filesystem::path&)>& make) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const auto size = fs::file_size(binary, ec);
  const auto stamp = ec ? 0 : fs::last_write_time(binary, ec).time_since_epoch().count();
  if (ec) throw std::runtime_error("cannot stat " + binary.string() + ": " + ec.message());
  const std::string key = std::to_string(size) + "_" + std::to_string(stamp);
  const fs::path dir = root / key;
  fs::create_directories(root);
  const FileLock lock(root / "lock");  // one process makes it, the others wait and reuse it
  if (fs::exists(dir / "ready")) return dir;
  const TempDir scratch;  // build beside, then move into place in one rename
  const fs::path tmp = root / (key + ".tmp" + scratch.path().filename().string());
  fs::create_directories(tmp);
  try {
    make(tmp);
  } catch (...) {
    fs::remove_all(tmp, ec);
    throw;
  }
  WriteFile(tmp / "ready", "");
  fs::rename(tmp, dir, ec);
  if (ec) fs::remove_all(tmp, ec);  // another process got there first: use its copy
  for (const auto& e : fs::directory_iterator(root, ec))  // what older builds made
    if (e.is_directory(ec) && e.path().filename().string().rfind(key, 0) != 0)
      fs::remove_all(e.path(), ec);
  return dir;
}

int FreeLoopbackPort() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  close(fd);
  return ntohs(a.sin_port);
}

ChildProcess::ChildProcess(const std::string& command, const std::filesystem::path& log) {
  const std::string cmd = "exec " + command + " >>" + ShellQuote(log) + " 2>&1";
  const char* argv[] = {"/bin/sh", "-c", cmd.c_str(), nullptr};
  pid_t pid = -1;
  if (posix_spawn(&pid, "/bin/sh", nullptr, nullptr, const_cast<char**>(argv), environ) == 0)
    pid_ = pid;
}

void ChildProcess::Kill(int signal) {
  if (pid_ <= 0) return;
  kill(pid_, signal);
  int status = 0;
  waitpid(pid_, &status, 0);
  pid_ = -1;
}

}  // namespace linesight::testing
