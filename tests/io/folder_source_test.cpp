#include "io/folder_source.h"

#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "testing/test_util.h"

namespace linesight::io {
namespace {

namespace fs = std::filesystem;
using linesight::testing::Caught;
using linesight::testing::Contains;
using linesight::testing::TempDir;
using linesight::testing::WriteFile;
using std::chrono::milliseconds;

std::string Bytes(const Frame& f) { return std::string(f.encoded.begin(), f.encoded.end()); }

// A source over `dir` that records its log lines instead of printing them.
struct Watched {
  explicit Watched(const fs::path& dir, FolderSourceOptions o = {}) : source(Make(dir, o)) {}
  FolderSource Make(const fs::path& dir, FolderSourceOptions o) {
    o.folder = dir;
    return FolderSource(o, [this](std::string_view line) { log.emplace_back(line); });
  }
  std::vector<std::string> log;
  FolderSource source;
};

TEST(FolderSourceTest, AcceptsImageNamesOnly) {
  for (const char* name :
       {"a.jpg", "B.JPEG", "c.png", "d.bmp", "e.tif", "f.TIFF", "g.pgm", "h.ppm", "shot 12.Png"}) {
    EXPECT_TRUE(FolderSource::IsImageName(name)) << name;
  }
  for (const char* name : {"", ".jpg", ".hidden.png", "a.png.tmp", "a.jpg.part", "a.PART", "a.txt",
                           "jpg", "a.gif", "a.png~"}) {
    EXPECT_FALSE(FolderSource::IsImageName(name)) << name;
  }
}

TEST(FolderSourceTest, MissingFolderNamesFolderAndFix) {
  TempDir dir;
  const Error e = Caught([&] { FolderSource({.folder = dir / "nope"}); });
  EXPECT_EQ(e.category(), ErrorCategory::kIo);
  EXPECT_TRUE(Contains(e.cause(), (dir / "nope").string())) << e.what();
  EXPECT_TRUE(Contains(e.cause(), "does not exist")) << e.what();
  EXPECT_FALSE(e.fix().empty());
}

TEST(FolderSourceTest, FileInsteadOfFolderIsRefused) {
  TempDir dir;
  WriteFile(dir / "x.png", "x");
  const Error e = Caught([&] { FolderSource({.folder = dir / "x.png"}); });
  EXPECT_EQ(e.category(), ErrorCategory::kIo);
  EXPECT_TRUE(Contains(e.cause(), "is not a folder")) << e.what();
}

TEST(FolderSourceTest, UnreadableFolderIsRefused) {
  if (geteuid() == 0) GTEST_SKIP() << "root reads any folder: permissions cannot be tested";
  TempDir dir;
  fs::create_directory(dir / "locked");
  fs::permissions(dir / "locked", fs::perms::none);
  const Error e = Caught([&] { FolderSource({.folder = dir / "locked"}); });
  fs::permissions(dir / "locked", fs::perms::owner_all);
  EXPECT_EQ(e.category(), ErrorCategory::kIo);
  EXPECT_TRUE(Contains(e.cause(), "not readable")) << e.what();
}

TEST(FolderSourceTest, DeleteAndMoveTogetherIsAnInputError) {
  TempDir dir;
  const Error e = Caught([&] {
    FolderSource({.folder = dir.path(), .delete_after_read = true, .move_to = dir / "d"});
  });
  EXPECT_EQ(e.category(), ErrorCategory::kInput);
}

TEST(FolderSourceTest, TimeoutNamesFolderPartAndFix) {
  TempDir dir;
  WriteFile(dir / "old.png", "old");  // present at start-up: ignored by default
  Watched w(dir.path());
  const Error e = Caught([&] { w.source.Capture({.part_number = 42}, milliseconds(30)); });
  EXPECT_EQ(e.category(), ErrorCategory::kIo);
  EXPECT_EQ(e.cause(), "no image arrived in " + dir.path().string() +
                           " within 30 ms after trigger of part 42");
  EXPECT_EQ(e.fix(), "check the camera's output folder and trigger wiring");
}

TEST(FolderSourceTest, BacklogIsTakenInCompletionOrder) {
  TempDir dir;
  Watched w(dir.path());
  for (const char* name : {"b.png", "c.jpg", "a.bmp"}) WriteFile(dir / name, name);
  for (const char* name : {"b.png", "c.jpg", "a.bmp"}) {
    const Frame f = w.source.Capture({}, milliseconds(1000));
    EXPECT_EQ(f.name, name);
    EXPECT_EQ(Bytes(f), name);
    EXPECT_TRUE(f.image.empty());
    EXPECT_GT(f.time_ms, 1'700'000'000'000);
  }
  EXPECT_EQ(w.source.stats().taken, 3);
  EXPECT_THROW(w.source.Capture({}, milliseconds(0)), Error);
  EXPECT_EQ(w.source.Describe(), "folder " + dir.path().string());
}

// A part's image comes after its trigger timed out (the part was held): that late image must not
// stand in for the next part, whose own image comes after its trigger.
TEST(FolderSourceTest, TheLateImageOfAHeldPartIsNotTakenForTheNext) {
  TempDir dir;
  Watched w(dir.path());
  EXPECT_THROW(w.source.Capture({.part_number = 1}, milliseconds(30)), Error);
  WriteFile(dir / "late.png", "part 1");  // just before the next trigger: within max_early_ms
  std::this_thread::sleep_for(milliseconds(5));
  std::thread camera([&] {
    std::this_thread::sleep_for(milliseconds(50));
    WriteFile(dir / "own.png", "part 2");
  });
  const Frame f = w.source.Capture({.part_number = 2}, milliseconds(2000));
  camera.join();
  EXPECT_EQ(f.name, "own.png");
  EXPECT_EQ(w.source.stats().skipped_stale, 1);
  ASSERT_FALSE(w.log.empty());
  EXPECT_TRUE(Contains(w.log.back(), "late.png")) << w.log.back();
  EXPECT_TRUE(Contains(w.log.back(), "the late image of a part already held")) << w.log.back();
}

// An image completed long before the trigger (a test shot while the line was idle, or a part's
// image that came after the next one was held) is nobody's: skipped. One saved just before the
// trigger (the camera was faster than the PLC's trigger) is taken; 0 takes any file.
TEST(FolderSourceTest, AnImageFromBeforeTheTriggerIsSkippedUnlessJustBefore) {
  TempDir dir;
  Watched w(dir.path());
  WriteFile(dir / "idle.png", "test shot");
  fs::last_write_time(dir / "idle.png", fs::file_time_type::clock::now() - std::chrono::seconds(5));
  WriteFile(dir / "early.png", "just before");
  const Frame f = w.source.Capture({.part_number = 7}, milliseconds(1000));
  EXPECT_EQ(f.name, "early.png");
  EXPECT_EQ(w.source.stats().skipped_stale, 1);
  EXPECT_TRUE(Contains(w.log.at(0), "before the trigger of part 7: not this part's image"))
      << w.log.at(0);
  Watched any(dir.path(), {.max_early_ms = 0});
  WriteFile(dir / "old.png", "old");
  fs::last_write_time(dir / "old.png", fs::file_time_type::clock::now() - std::chrono::seconds(60));
  EXPECT_EQ(any.source.Capture({}, milliseconds(1000)).name, "old.png");
}

TEST(FolderSourceTest, TakeExistingQueuesOldestFirst) {
  TempDir dir;
  const auto now = fs::file_time_type::clock::now();
  WriteFile(dir / "new.png", "new");
  WriteFile(dir / "old.png", "old");
  WriteFile(dir / "notes.txt", "not an image");
  fs::last_write_time(dir / "new.png", now - std::chrono::seconds(10));
  fs::last_write_time(dir / "old.png", now - std::chrono::seconds(20));
  Watched w(dir.path(), {.take_existing = true});
  WriteFile(dir / "later.png", "later");
  EXPECT_EQ(w.source.Capture({}, milliseconds(1000)).name, "old.png");
  EXPECT_EQ(w.source.Capture({}, milliseconds(1000)).name, "new.png");
  EXPECT_EQ(w.source.Capture({}, milliseconds(1000)).name, "later.png");
}

TEST(FolderSourceTest, WaitsForAFileStillBeingWritten) {
  TempDir dir;
  Watched w(dir.path());
  std::ofstream out(dir / "slow.png", std::ios::binary);
  out << "first half " << std::flush;
  EXPECT_THROW(w.source.Capture({}, milliseconds(50)), Error);  // written, not closed
  std::thread writer([&] {
    std::this_thread::sleep_for(milliseconds(50));
    out << "second half";
    out.close();
  });
  const Frame f = w.source.Capture({}, milliseconds(5000));
  writer.join();
  EXPECT_EQ(Bytes(f), "first half second half");
}

// The bytes of a PNG cut after `head` bytes of its pixel data, and its rest with the end chunk.
const std::string kPngHead = std::string("\x89PNG\r\n\x1a\n", 8) + "IHDR and some pixels";
const std::string kPngTail =
    std::string("more pixels") + std::string("\0\0\0\0IEND\xae\x42\x60\x82", 12);

std::span<const uint8_t> AsBytes(const std::string& s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

TEST(FolderSourceTest, KnowsAnImageCutBeforeItsEnd) {
  EXPECT_FALSE(FolderSource::LooksComplete(AsBytes(kPngHead)));
  EXPECT_TRUE(FolderSource::LooksComplete(AsBytes(kPngHead + kPngTail)));
  const std::string jpeg = "\xff\xd8\xff\xe0 scan data \xff\x00 more";
  EXPECT_FALSE(FolderSource::LooksComplete(AsBytes(jpeg)));
  EXPECT_TRUE(FolderSource::LooksComplete(AsBytes(jpeg + "\xff\xd9")));
  EXPECT_TRUE(FolderSource::LooksComplete(AsBytes(jpeg + "\xff\xd9" + std::string(4, '\0'))));
  // Data a writer appended after the end mark: still complete.
  EXPECT_TRUE(FolderSource::LooksComplete(AsBytes(jpeg + "\xff\xd9" + std::string(5000, 'm'))));
  EXPECT_TRUE(FolderSource::LooksComplete(AsBytes(kPngHead + kPngTail + std::string(5000, 'm'))));
  EXPECT_FALSE(FolderSource::LooksComplete(AsBytes(kPngHead + std::string(5000, 'p'))));
  std::string bmp = "BM" + std::string("\x40\0\0\0", 4) + std::string(20, 'x');  // 64 bytes said
  EXPECT_FALSE(FolderSource::LooksComplete(AsBytes(bmp)));
  bmp.resize(64, 'x');
  EXPECT_TRUE(FolderSource::LooksComplete(AsBytes(bmp)));
  EXPECT_TRUE(FolderSource::LooksComplete(AsBytes("P5 2 2 255 abcd")));  // no end to check
}

// Some cameras close an image and open it again to finish it: the part waits for the rest
// instead of being held for half an image.
TEST(FolderSourceTest, AnImageClosedBeforeItsEndIsTakenOnceTheCameraFinishesIt) {
  TempDir dir;
  Watched w(dir.path());
  WriteFile(dir / "cam.png", kPngHead);
  std::thread camera([&] {
    std::this_thread::sleep_for(milliseconds(50));
    std::ofstream(dir / "cam.png", std::ios::binary | std::ios::app) << kPngTail;
  });
  const Frame f = w.source.Capture({.part_number = 1}, milliseconds(5000));
  camera.join();
  EXPECT_EQ(Bytes(f), kPngHead + kPngTail);
  EXPECT_EQ(w.source.stats().incomplete, 1);
  EXPECT_TRUE(Contains(w.log.at(0), "waiting for the rest of")) << w.log.at(0);
}

// A part whose image is still unfinished when its time runs out is held; the rest of that image,
// coming just before the next part's trigger, must not pass for the next part's image.
TEST(FolderSourceTest, AnImageFinishedTooLateIsNotTakenForTheNextPart) {
  TempDir dir;
  Watched w(dir.path());
  WriteFile(dir / "cam.png", kPngHead);
  const Error e = Caught([&] { w.source.Capture({.part_number = 300}, milliseconds(50)); });
  EXPECT_TRUE(Contains(e.what(), "cam.png was still incomplete")) << e.what();
  EXPECT_TRUE(Contains(e.fix(), "camera.timeout_ms")) << e.fix();
  std::ofstream(dir / "cam.png", std::ios::binary | std::ios::app) << kPngTail;
  std::this_thread::sleep_for(milliseconds(10));  // completed before the next trigger, not with it
  EXPECT_THROW(w.source.Capture({.part_number = 301}, milliseconds(100)), Error);
  EXPECT_EQ(w.source.stats().skipped_stale, 1);
  EXPECT_EQ(w.source.stats().taken, 0);
}

// A tool that opens the last image and closes it unchanged makes no new image; a camera that
// writes a new image under the same name does.
TEST(FolderSourceTest, TheImageTakenLastClosedAgainUnchangedIsNotTheNextPartsImage) {
  TempDir dir;
  Watched w(dir.path());
  WriteFile(dir / "cam.png", "part 1");
  EXPECT_EQ(Bytes(w.source.Capture({.part_number = 1}, milliseconds(1000))), "part 1");
  WriteFile(dir / "cam.png", "part 1");
  EXPECT_THROW(w.source.Capture({.part_number = 2}, milliseconds(100)), Error);
  EXPECT_EQ(w.source.stats().skipped_repeat, 1);
  EXPECT_TRUE(Contains(w.log.back(), "the same bytes as the image taken for part 1"))
      << w.log.back();
  std::thread camera([&] {  // after the trigger: part 2 was held, so an earlier file is its
    std::this_thread::sleep_for(milliseconds(50));
    WriteFile(dir / "cam.png", "part 3");
  });
  EXPECT_EQ(Bytes(w.source.Capture({.part_number = 3}, milliseconds(5000))), "part 3");
  camera.join();
}

TEST(FolderSourceTest, FileMovedInIsTakenAndTempNamesAreIgnored) {
  TempDir dir;
  Watched w(dir.path());
  WriteFile(dir / "shot.png.tmp", "pixels");
  WriteFile(dir / ".shot2.png", "hidden");
  fs::rename(dir / "shot.png.tmp", dir / "shot.png");
  const Frame f = w.source.Capture({}, milliseconds(1000));
  EXPECT_EQ(f.name, "shot.png");
  EXPECT_EQ(Bytes(f), "pixels");
  EXPECT_EQ(w.source.stats().ignored_names, 2);
}

TEST(FolderSourceTest, EmptyAndVanishedFilesAreSkippedAndCounted) {
  TempDir dir;
  Watched w(dir.path());
  WriteFile(dir / "empty.png", "");
  WriteFile(dir / "gone.png", "x");
  fs::remove(dir / "gone.png");
  WriteFile(dir / "good.png", "good");
  EXPECT_EQ(w.source.Capture({}, milliseconds(1000)).name, "good.png");
  EXPECT_EQ(w.source.stats().skipped_empty, 1);
  EXPECT_EQ(w.source.stats().skipped_vanished, 1);
  ASSERT_EQ(w.log.size(), 2u);
  EXPECT_TRUE(Contains(w.log[0], "empty.png") && Contains(w.log[0], "empty")) << w.log[0];
  EXPECT_TRUE(Contains(w.log[1], "gone.png") && Contains(w.log[1], "vanished")) << w.log[1];
}

TEST(FolderSourceTest, TimeoutCountsUnusableFiles) {
  TempDir dir;
  Watched w(dir.path());
  WriteFile(dir / "empty.png", "");
  const Error e = Caught([&] { w.source.Capture({.part_number = 7}, milliseconds(20)); });
  EXPECT_TRUE(Contains(e.cause(), "(1 unusable files skipped)")) << e.what();
}

TEST(FolderSourceTest, OversizedFileIsSkipped) {
  TempDir dir;
  Watched w(dir.path(), {.max_file_bytes = 4});
  WriteFile(dir / "big.png", "12345");
  WriteFile(dir / "ok.png", "1234");
  EXPECT_EQ(w.source.Capture({}, milliseconds(1000)).name, "ok.png");
  EXPECT_EQ(w.source.stats().skipped_too_big, 1);
}

TEST(FolderSourceTest, RewrittenNameGivesOneFrameWithNewestBytes) {
  TempDir dir;
  Watched w(dir.path());
  WriteFile(dir / "cam.png", "first");
  WriteFile(dir / "cam.png", "second");
  EXPECT_EQ(Bytes(w.source.Capture({}, milliseconds(1000))), "second");
  EXPECT_THROW(w.source.Capture({}, milliseconds(0)), Error);
}

TEST(FolderSourceTest, DeleteAfterReadRemovesTakenFiles) {
  TempDir dir;
  Watched w(dir.path(), {.delete_after_read = true});
  WriteFile(dir / "a.png", "a");
  EXPECT_EQ(Bytes(w.source.Capture({}, milliseconds(1000))), "a");
  EXPECT_FALSE(fs::exists(dir / "a.png"));
}

TEST(FolderSourceTest, MoveToPutsTakenFilesInTheDoneFolder) {
  TempDir dir;
  Watched w(dir.path(), {.move_to = dir / "done"});
  WriteFile(dir / "a.png", "a");
  EXPECT_EQ(Bytes(w.source.Capture({}, milliseconds(1000))), "a");
  EXPECT_FALSE(fs::exists(dir / "a.png"));
  EXPECT_TRUE(fs::exists(dir / "done" / "a.png"));
  EXPECT_EQ(w.source.stats().cleanup_failures, 0);
}

TEST(FolderSourceTest, EventOverflowRescansTheFolderWhenTakenFilesLeaveIt) {
  TempDir dir;
  Watched w(dir.path(), {.delete_after_read = true});
  // More completed files than the kernel queues events for (fs.inotify.max_queued_events).
  std::ifstream limit_file("/proc/sys/fs/inotify/max_queued_events");
  int limit = 16384;
  limit_file >> limit;
  if (limit > 100'000) GTEST_SKIP() << "max_queued_events " << limit << ": too many files to write";
  const int n = limit + 50;
  char name[32];
  for (int i = 0; i < n; ++i) {
    std::snprintf(name, sizeof name, "f%06d.png", i);
    WriteFile(dir / name, "x");
  }
  int taken = 0;
  std::string last;
  try {
    for (;; ++taken) {
      const Frame f = w.source.Capture({}, milliseconds(0));
      EXPECT_LT(last, f.name) << "taken in order";
      last = f.name;
    }
  } catch (const Error&) {
  }
  EXPECT_EQ(w.source.stats().event_overflows, 1);
  EXPECT_EQ(taken, n);
  EXPECT_TRUE(fs::is_empty(dir.path()));
}

TEST(FolderSourceTest, RemovedFolderIsAClearErrorAndIsWatchedAgainWhenBack) {
  TempDir dir;
  fs::create_directory(dir / "cam");
  Watched w(dir / "cam");
  fs::remove_all(dir / "cam");
  const Error e = Caught([&] { w.source.Capture({}, milliseconds(1000)); });
  EXPECT_EQ(e.category(), ErrorCategory::kIo);
  EXPECT_TRUE(Contains(e.cause(), "removed")) << e.what();
  fs::create_directory(dir / "cam");
  EXPECT_THROW(w.source.Capture({}, milliseconds(0)), Error);  // watching again, nothing yet
  std::thread camera([&] {  // the next part's image comes after its trigger
    std::this_thread::sleep_for(milliseconds(50));
    WriteFile(dir / "cam" / "back.png", "back");
  });
  EXPECT_EQ(w.source.Capture({}, milliseconds(1000)).name, "back.png");
  camera.join();
}

}  // namespace
}  // namespace linesight::io
