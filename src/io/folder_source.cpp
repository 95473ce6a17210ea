#include "io/folder_source.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <iostream>
#include <system_error>
#include <utility>
#include <vector>

#include "core/checksum.h"
#include "core/clock.h"
#include "core/error.h"

namespace linesight::io {
namespace fs = std::filesystem;
namespace {
// Timed-out parts remembered at most: each may still send its late image.
constexpr int kMaxOwed = 8;

constexpr uint32_t kWatchMask =
    IN_CLOSE_WRITE | IN_MOVED_TO | IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR;

std::string Lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

int64_t MtimeMs(const struct stat& st) {
  return int64_t{st.st_mtim.tv_sec} * 1000 + st.st_mtim.tv_nsec / 1000000;
}

std::string Quoted(const fs::path& p) { return "'" + p.string() + "'"; }

uint32_t LittleEndian32(const uint8_t* p) {
  return uint32_t{p[0]} | uint32_t{p[1]} << 8 | uint32_t{p[2]} << 16 | uint32_t{p[3]} << 24;
}

// Checks the watched folder before watching it, so the error says which fix applies.
void CheckFolder(const FolderSourceOptions& o) {
  std::error_code ec;
  const fs::file_status st = fs::status(o.folder, ec);
  const std::string where = "camera folder " + Quoted(o.folder);
  if (o.folder.empty()) {
    throw Error(ErrorCategory::kIo, "no camera folder given",
                "set station.source.folder.folder to the camera's output folder");
  }
  if (!fs::exists(st)) {
    throw Error(ErrorCategory::kIo, where + " does not exist",
                "create it, or set the folder option to where the camera saves its images");
  }
  if (!fs::is_directory(st)) {
    throw Error(ErrorCategory::kIo, where + " is not a folder",
                "set the folder option to the folder the camera saves its images into");
  }
  const bool cleans = o.delete_after_read || !o.move_to.empty();
  if (access(o.folder.c_str(), R_OK | X_OK | (cleans ? W_OK : 0)) != 0) {
    throw Error(ErrorCategory::kIo,
                where + " is not " + (cleans ? "readable and writable" : "readable") +
                    " by this process (" + std::strerror(errno) + ")",
                "give the station's user access to it (chmod/chown), or run as that user");
  }
}

}  // namespace

FolderSource::FolderSource(const FolderSourceOptions& options, FolderSourceLog log)
    : options_(options), log_(std::move(log)) {
  if (!log_) log_ = [](std::string_view line) { std::cerr << "linesight: " << line << "\n"; };
  if (options_.delete_after_read && !options_.move_to.empty()) {
    throw Error(ErrorCategory::kInput, "both delete_after_read and move_to are set",
                "choose one: delete taken files, or move them to the done folder");
  }
  CheckFolder(options_);
  if (!options_.move_to.empty()) {
    std::error_code ec;
    fs::create_directories(options_.move_to, ec);
    if (ec || !fs::is_directory(options_.move_to)) {
      throw Error(ErrorCategory::kIo,
                  "cannot create the done folder " + Quoted(options_.move_to) +
                      (ec ? " (" + ec.message() + ")" : ""),
                  "create it by hand or point move_to at a writable folder");
    }
  }
  inotify_fd_ = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (inotify_fd_ < 0) {
    throw Error(
        ErrorCategory::kIo,
        std::string("cannot start watching folders (inotify: ") + std::strerror(errno) + ")",
        "raise fs.inotify.max_user_instances (sysctl) or stop other watchers");
  }
  watch_ = inotify_add_watch(inotify_fd_, options_.folder.c_str(), kWatchMask);
  if (watch_ < 0) {
    const int err = errno;
    close(inotify_fd_);
    throw Error(
        ErrorCategory::kIo,
        "cannot watch camera folder " + Quoted(options_.folder) + " (" + std::strerror(err) + ")",
        "check its permissions, or raise fs.inotify.max_user_watches (sysctl)");
  }
  // After the watch is in place, so a file completed in between is queued (once) either way.
  if (options_.take_existing) QueueExisting();
}

FolderSource::~FolderSource() { close(inotify_fd_); }

bool FolderSource::IsImageName(std::string_view name) {
  if (name.empty() || name.front() == '.') return false;
  const std::string lower = Lower(name);
  if (EndsWith(lower, ".tmp") || EndsWith(lower, ".part")) return false;
  for (std::string_view ext : {".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".pgm", ".ppm"}) {
    if (lower.size() > ext.size() && EndsWith(lower, ext)) return true;
  }
  return false;
}

bool FolderSource::LooksComplete(std::span<const uint8_t> b) {
  static constexpr uint8_t kPng[] = {0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A};
  static constexpr uint8_t kIend[] = {0, 0, 0, 0, 'I', 'E', 'N', 'D', 0xAE, 0x42, 0x60, 0x82};
  static constexpr uint8_t kEoi[] = {0xFF, 0xD9};
  // The end mark is looked for near the end first, then anywhere: a writer may append data after
  // it, and a file cut short has none (a JPEG's embedded thumbnail may have its own: such a cut
  // file is taken, and then held as bad_image, as before this check).
  const auto has = [&](std::span<const uint8_t> mark, size_t from) {
    const auto found = [&](size_t at) {
      return std::search(b.begin() + static_cast<std::ptrdiff_t>(at), b.end(), mark.begin(),
                         mark.end()) != b.end();
    };
    const size_t tail = std::max(from, b.size() > 1024 ? b.size() - 1024 : size_t{0});
    return found(tail) || (tail > from && found(from));
  };
  if (b.size() >= sizeof kPng && std::equal(std::begin(kPng), std::end(kPng), b.begin()))
    return has(kIend, sizeof kPng);
  // JPEG scan data never holds FF D9: a data byte FF is stuffed with 00.
  if (b.size() >= 2 && b[0] == 0xFF && b[1] == 0xD8) return has(kEoi, 2);
  if (b.size() >= 6 && b[0] == 'B' && b[1] == 'M') return LittleEndian32(&b[2]) <= b.size();
  return true;
}

std::string FolderSource::Describe() const { return "folder " + options_.folder.string(); }

void FolderSource::QueueExisting() {
  std::vector<std::pair<int64_t, std::string>> files;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(options_.folder, ec)) {
    const std::string name = entry.path().filename().string();
    struct stat st {};
    if (!IsImageName(name) || stat(entry.path().c_str(), &st) != 0 || !S_ISREG(st.st_mode)) {
      continue;
    }
    files.emplace_back(MtimeMs(st), name);
  }
  std::sort(files.begin(), files.end());  // oldest first; the name breaks ties
  for (const auto& [mtime, name] : files) {
    existing_.insert(name);
    Enqueue(name);
  }
}

void FolderSource::Enqueue(const std::string& name) {
  if (!IsImageName(name)) {
    ++stats_.ignored_names;
    return;
  }
  // A camera that rewrites the same name before it was taken still makes one frame: its newest.
  if (pending_set_.insert(name).second) pending_.push_back(name);
}

bool FolderSource::DrainEvents() {
  alignas(inotify_event) std::array<char, 16384> buf;
  for (;;) {
    const ssize_t n = read(inotify_fd_, buf.data(), buf.size());
    if (n <= 0) return watch_ >= 0;  // EAGAIN: drained
    for (ssize_t at = 0; at < n;) {
      const auto* ev = reinterpret_cast<const inotify_event*>(buf.data() + at);
      at += static_cast<ssize_t>(sizeof(inotify_event) + ev->len);
      if (ev->mask & IN_Q_OVERFLOW) {
        ++stats_.event_overflows;
        log_("folder " + Quoted(options_.folder) + ": too many files at once, events lost; " +
             (options_.delete_after_read || !options_.move_to.empty()
                  ? "rescanning the folder"
                  : "set delete_after_read or move_to so a rescan can find them"));
        if (options_.delete_after_read || !options_.move_to.empty()) QueueExisting();
      } else if (ev->mask & (IN_IGNORED | IN_DELETE_SELF | IN_MOVE_SELF)) {
        if (watch_ >= 0) inotify_rm_watch(inotify_fd_, watch_);
        watch_ = -1;
      } else if (ev->len > 0 && !(ev->mask & IN_ISDIR)) {
        Enqueue(ev->name);
      }
    }
  }
}

void FolderSource::Skip(const std::string& name, const std::string& reason, int64_t& counter) {
  ++counter;
  log_("skipped " + (options_.folder / name).string() + ": " + reason);
}

bool FolderSource::Stale(const std::string& name, int64_t mtime_ms, const CaptureRequest& request,
                         int64_t asked_ms) {
  const int64_t early_ms = asked_ms - mtime_ms;
  if (existing_.erase(name) > 0 || early_ms <= 0) return false;
  const bool too_early = options_.max_early_ms > 0 && early_ms > options_.max_early_ms;
  if (!too_early && owed_ == 0) return false;
  if (owed_ > 0) --owed_;
  Skip(
      name,
      "completed " + std::to_string(early_ms) + " ms before the trigger of part " +
          std::to_string(request.part_number) +
          (too_early ? ": not this part's image (an image nobody triggered for, or the late "
                       "image of a part already held)"
                     : ": the late image of a part already held") +
          "; check the camera's trigger and camera.timeout_ms (a camera that saves well before the "
          "PLC triggers the station needs a larger camera.max_early_ms)",
      stats_.skipped_stale);
  return true;
}

bool FolderSource::TryTake(const std::string& name, const CaptureRequest& request, int64_t asked_ms,
                           Frame& frame) {
  const fs::path path = options_.folder / name;
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    Skip(name, std::string("vanished or unreadable (") + std::strerror(errno) + ")",
         stats_.skipped_vanished);
    return false;
  }
  struct stat st {};
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    close(fd);
    Skip(name, "not a regular file", stats_.skipped_vanished);
    return false;
  }
  if (Stale(name, MtimeMs(st), request, asked_ms)) {
    close(fd);
    CleanUp(path);  // consumed: a stale image must not come back on a rescan
    return false;
  }
  if (st.st_size > options_.max_file_bytes) {
    close(fd);
    Skip(name,
         std::to_string(st.st_size) + " bytes, over max_file_bytes " +
             std::to_string(options_.max_file_bytes),
         stats_.skipped_too_big);
    return false;
  }
  frame.encoded.resize(static_cast<size_t>(st.st_size));
  size_t got = 0;
  while (got < frame.encoded.size()) {
    const ssize_t n = read(fd, frame.encoded.data() + got, frame.encoded.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;  // truncated while we read it: keep what is there
    got += static_cast<size_t>(n);
  }
  close(fd);
  frame.encoded.resize(got);
  if (got == 0) {
    Skip(name, "empty (0 bytes)", stats_.skipped_empty);
    return false;
  }
  if (!LooksComplete(frame.encoded)) {
    // Some cameras close a file and open it again to finish it. Taking it now would hold this
    // part for a half image, and its completion would then pass for the next part's image.
    ++stats_.incomplete;
    log_("waiting for the rest of " + path.string() + ": closed after " + std::to_string(got) +
         " bytes, before the image's end");
    incomplete_ = name;
    return false;
  }
  const uint32_t crc = Crc32(frame.encoded);
  if (name == last_name_ && crc == last_crc_) {
    // Opened and closed again unchanged (a viewer, a sync tool, a camera adding nothing): the
    // image of part last_part_, not of this one.
    Skip(name, "the same bytes as the image taken for part " + std::to_string(last_part_),
         stats_.skipped_repeat);
    return false;
  }
  last_name_ = name, last_crc_ = crc, last_part_ = request.part_number;
  frame.image.release();
  frame.name = name;
  frame.time_ms = MtimeMs(st);
  ++stats_.taken;
  incomplete_.clear();
  owed_ = 0;  // this part's image came: earlier parts' late images are stale by their time now
  CleanUp(path);
  return true;
}

void FolderSource::CleanUp(const fs::path& file) {
  std::error_code ec;
  if (options_.delete_after_read) {
    fs::remove(file, ec);
  } else if (!options_.move_to.empty()) {
    const fs::path to = options_.move_to / file.filename();
    fs::rename(file, to, ec);
    if (ec == std::errc::cross_device_link) {  // the done folder is on another disk
      ec.clear();
      if (fs::copy_file(file, to, fs::copy_options::overwrite_existing, ec)) fs::remove(file, ec);
    }
  } else {
    return;
  }
  if (ec) {
    ++stats_.cleanup_failures;
    log_("could not " + std::string(options_.delete_after_read ? "delete " : "move ") +
         file.string() + " (" + ec.message() + "); the folder will grow until this is fixed");
  }
}

Frame FolderSource::Capture(const CaptureRequest& request, std::chrono::milliseconds timeout) {
  using Clock = std::chrono::steady_clock;
  const Clock::time_point deadline = Clock::now() + timeout;
  const int64_t asked_ms = UtcNowMs();
  if (watch_ < 0) watch_ = inotify_add_watch(inotify_fd_, options_.folder.c_str(), kWatchMask);
  const auto skipped_all = [this] {
    return stats_.skipped_empty + stats_.skipped_vanished + stats_.skipped_too_big +
           stats_.skipped_stale + stats_.skipped_repeat;
  };
  const int64_t skipped_before = skipped_all();
  Frame frame;
  for (;;) {
    const bool watching = DrainEvents();
    while (!pending_.empty()) {
      const std::string name = std::move(pending_.front());
      pending_.pop_front();
      pending_set_.erase(name);
      if (TryTake(name, request, asked_ms, frame)) return frame;
    }
    if (!watching) {
      throw Error(ErrorCategory::kIo,
                  "camera folder " + Quoted(options_.folder) + " was removed or moved away",
                  "restore the folder; the station watches it again on the next part");
    }
    const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) break;
    pollfd pfd{inotify_fd_, POLLIN, 0};
    poll(&pfd, 1, static_cast<int>(std::min<int64_t>(left.count(), 60000)));
  }
  owed_ = std::min(owed_ + 1, kMaxOwed);
  const std::string unfinished = std::exchange(incomplete_, {});
  const int64_t skipped = skipped_all() - skipped_before;
  throw Error(
      ErrorCategory::kIo,
      "no image arrived in " + options_.folder.string() + " within " +
          std::to_string(timeout.count()) + " ms after trigger of part " +
          std::to_string(request.part_number) +
          (skipped > 0 ? " (" + std::to_string(skipped) + " unusable files skipped)" : "") +
          (unfinished.empty() ? "" : "; " + unfinished + " was still incomplete (no image end)"),
      unfinished.empty() ? "check the camera's output folder and trigger wiring"
                         : "check that the camera finishes writing each image within "
                           "camera.timeout_ms, or raise it");
}

}  // namespace linesight::io
