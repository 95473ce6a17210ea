// io/folder_source.h: a FrameSource over a folder where a camera (or its PC software) saves one
// image file per trigger. Watches the folder with inotify; not thread-safe (one station loop).
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_set>

#include "io/frame_source.h"

namespace linesight::io {

// How a station reads a watched folder (YAML: station.source.folder.*, docs/cameras.md).
struct FolderSourceOptions {
  std::filesystem::path folder{};  // the camera's output folder; must exist and be readable
  // Files already in the folder at start-up: false (default) ignores them, so an old image never
  // stands in for a new part; true queues them first, oldest modification time first (a file
  // still being written at start-up may then be taken before it is complete).
  bool take_existing = false;
  // What happens to a file once taken. Default: left where it is (the folder grows without
  // bound: something else must clean it). At most one of these two may be set.
  bool delete_after_read = false;
  std::filesystem::path move_to{};  // a "done" folder (created if missing); "" = do not move
  // A larger file is skipped as not an image (counted in skipped_too_big). Default 256 MiB.
  int64_t max_file_bytes = int64_t{256} << 20;
  // A file completed (modification time) more than this before the trigger is not the part's
  // image: the late image of a part already held, or one nobody triggered for. It is skipped
  // (counted in skipped_stale), so it never stands in for the part. A file completed within this
  // before the trigger is taken (a camera may save before the PLC's trigger reaches the station),
  // unless a part timed out since the last image taken: then it is that part's late image.
  // 0: any file is taken, oldest first. Files queued by take_existing are always taken.
  int64_t max_early_ms = 1000;
};

// What the source has seen since it was built, for status pages and tests.
struct FolderSourceStats {
  int64_t taken = 0;             // frames handed to the station
  int64_t skipped_empty = 0;     // complete by inotify but 0 bytes
  int64_t skipped_vanished = 0;  // gone (or unreadable) before it could be read
  int64_t skipped_too_big = 0;   // over max_file_bytes
  int64_t skipped_stale = 0;     // completed before the trigger: another part's (max_early_ms)
  int64_t incomplete = 0;        // closed before the image's end: waited for the rest
  int64_t skipped_repeat = 0;    // the file taken last, closed again with the same bytes
  int64_t ignored_names = 0;     // temp files, hidden files, unsupported extensions
  int64_t cleanup_failures = 0;  // taken but could not be deleted or moved (frame still used)
  int64_t event_overflows = 0;   // inotify queue overflowed: the folder was rescanned
};

// Receives one line per skipped file or cleanup failure: "skipped <file>: <reason>".
using FolderSourceLog = std::function<void(std::string_view line)>;

class FolderSource : public FrameSource {
 public:
  // Starts watching `options.folder`. Throws Error{kIo} naming the folder and the fix if it is
  // missing, not a folder or unreadable, or `move_to` cannot be created; Error{kInput} if both
  // delete_after_read and move_to are set. `log` defaults to standard error.
  explicit FolderSource(const FolderSourceOptions& options, FolderSourceLog log = nullptr);
  ~FolderSource() override;
  FolderSource(const FolderSource&) = delete;
  FolderSource& operator=(const FolderSource&) = delete;

  // Returns the oldest file not yet taken, in the order files were completed (closed after
  // writing, or moved in), so a backlog is consumed in order; waits up to `timeout` for one.
  // The frame carries the file's bytes in `encoded`, its name in `name` and its modification
  // time in `time_ms`. Empty, vanished, oversized and stale files (max_early_ms) are skipped and
  // logged. Throws Error{kIo} when no usable file arrives in time, or the folder was removed.
  Frame Capture(const CaptureRequest& request, std::chrono::milliseconds timeout) override;

  // "folder <path>".
  std::string Describe() const override;

  const FolderSourceStats& stats() const { return stats_; }

  // True if `name` looks like a finished image a camera wrote: a supported extension (jpg jpeg
  // png bmp tif tiff pgm ppm, any case), not hidden (".x"), not a temp file (".tmp", ".part").
  static bool IsImageName(std::string_view name);

  // False if `bytes` are a PNG without its end chunk, a JPEG without its end marker or a BMP
  // shorter than its header says: a file a camera closed before it had written all of it (it
  // may open it again to finish). True for other formats, which carry no such end.
  static bool LooksComplete(std::span<const uint8_t> bytes);

 private:
  void QueueExisting();
  bool DrainEvents();  // false if the watched folder is gone
  void Enqueue(const std::string& name);
  bool TryTake(const std::string& name, const CaptureRequest& request, int64_t asked_ms,
               Frame& frame);
  // True (and logged, counted) if a file completed at `mtime_ms` is not the image of the part
  // asked for at `asked_ms`.
  bool Stale(const std::string& name, int64_t mtime_ms, const CaptureRequest& request,
             int64_t asked_ms);
  void Skip(const std::string& name, const std::string& reason, int64_t& counter);
  void CleanUp(const std::filesystem::path& file);

  FolderSourceOptions options_;
  FolderSourceLog log_;
  int inotify_fd_ = -1;
  int watch_ = -1;
  std::deque<std::string> pending_;              // completed files not yet taken, oldest first
  std::unordered_set<std::string> pending_set_;  // the same names, to queue each name once
  std::unordered_set<std::string> existing_;     // queued by take_existing: never stale
  int owed_ = 0;  // parts timed out since the last image taken: their late images may come
  std::string incomplete_;  // the last file found incomplete while waiting for this part
  // The last file taken and a CRC of its bytes: written again unchanged, it is not a new image.
  std::string last_name_;
  uint32_t last_crc_ = 0;
  int64_t last_part_ = 0;
  FolderSourceStats stats_;
};

}  // namespace linesight::io
