#include "store/image_folder.h"

#include <atomic>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstring>

#include <fcntl.h>
#include <unistd.h>

#include "core/error.h"
#include "core/sha256.h"

namespace linesight::store {
namespace {

constexpr std::string_view kTempPrefix = ".tmp-";

[[noreturn]] void FailErrno(int err, const std::filesystem::path& path, std::string_view doing) {
  std::string fix = "check the disk and the folder's permissions";
  if (err == ENOSPC || err == EDQUOT) fix = "free space on that disk, then store the part again";
  if (err == EROFS || err == EACCES || err == EPERM)
    fix = "make " + path.parent_path().string() + " writable by linesight";
  throw Error(ErrorCategory::kIo,
              std::string(doing) + " " + path.string() + " failed: " + std::strerror(err), fix);
}

// Writes all of `bytes` to `fd`, retrying short writes.
int WriteAll(int fd, std::span<const uint8_t> bytes) {
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return errno;
    done += static_cast<size_t>(n);
  }
  return 0;
}

// True for names ImageFolder makes: 64 hex digits, a dot, an extension. Only these (and temp
// files) are ever swept, so a folder shared with other files by mistake loses none of them.
bool IsContentAddress(const std::string& name) {
  if (name.size() < 66 || name[64] != '.') return false;
  for (size_t i = 0; i < 64; ++i)
    if (!std::isxdigit(static_cast<unsigned char>(name[i]))) return false;
  return true;
}

void SyncDir(const std::filesystem::path& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) FailErrno(errno, dir, "opening folder");
  const int rc = ::fsync(fd);
  const int err = errno;
  ::close(fd);
  if (rc != 0) FailErrno(err, dir, "syncing folder");
}

}  // namespace

ImageFolder::ImageFolder(std::filesystem::path dir, bool sync) : dir_(std::move(dir)), sync_(sync) {
  std::error_code ec;
  std::filesystem::create_directories(dir_, ec);
  if (ec)
    throw Error(ErrorCategory::kIo,
                "cannot create image folder " + dir_.string() + ": " + ec.message(),
                "check the path and its permissions (OutboxOptions::image_dir)");
}

std::string ImageFolder::NameFor(std::span<const uint8_t> bytes, std::string_view extension) {
  bool ok = !extension.empty() && extension.size() <= 8;
  for (char c : extension) ok = ok && ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'));
  if (!ok)
    throw Error(
        ErrorCategory::kInput,
        "image extension '" + std::string(extension) + "' is not 1-8 lower-case letters or digits",
        "pass the encoding's extension, e.g. \"png\" or \"jpg\"");
  return Sha256Hex(bytes) + "." + std::string(extension);
}

bool ImageFolder::Has(const std::string& name) const {
  std::error_code ec;
  return std::filesystem::exists(dir_ / name, ec);
}

void ImageFolder::Write(const std::string& name, std::span<const uint8_t> bytes) {
  const std::filesystem::path final_path = dir_ / name;
  // A temp name of this process and write alone: servers sharing the folder (docs/scaling.md) may
  // write one image at once, and each must rename only its own whole file into place.
  static std::atomic<uint64_t> writes{0};
  const std::filesystem::path temp =
      dir_ / (std::string(kTempPrefix) + name + "." + std::to_string(::getpid()) + "-" +
              std::to_string(writes.fetch_add(1)));
  const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) FailErrno(errno, temp, "creating");
  int err = WriteAll(fd, bytes);
  if (err == 0 && sync_ && ::fsync(fd) != 0) err = errno;
  if (::close(fd) != 0 && err == 0) err = errno;
  if (err == 0 && ::rename(temp.c_str(), final_path.c_str()) != 0) err = errno;
  if (err != 0) {
    ::unlink(temp.c_str());
    FailErrno(err, final_path, "writing");
  }
  if (sync_) SyncDir(dir_);
}

void ImageFolder::Remove(const std::string& name) noexcept {
  std::error_code ec;
  std::filesystem::remove(dir_ / name, ec);
}

size_t ImageFolder::Sweep(const std::function<bool(const std::string&)>& known) {
  size_t removed = 0;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir_, ec)) {
    const std::string name = entry.path().filename().string();
    if (!entry.is_regular_file(ec)) continue;
    const bool temp =
        name.starts_with(kTempPrefix) && IsContentAddress(name.substr(kTempPrefix.size()));
    if (temp || (IsContentAddress(name) && !known(name))) {
      Remove(name);
      ++removed;
    }
  }
  return removed;
}

std::vector<ImageFolder::Entry> ImageFolder::List() const {
  std::vector<Entry> out;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir_, ec)) {
    const std::string name = entry.path().filename().string();
    if (!IsContentAddress(name) || !entry.is_regular_file(ec)) continue;
    const auto size = entry.file_size(ec);
    const auto modified = entry.last_write_time(ec);
    if (ec) continue;  // gone meanwhile
    const auto system = std::chrono::file_clock::to_sys(modified);
    out.push_back(
        {name, static_cast<int64_t>(size),
         std::chrono::duration_cast<std::chrono::milliseconds>(system.time_since_epoch()).count()});
  }
  return out;
}

}  // namespace linesight::store
