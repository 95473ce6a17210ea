// Tests that the outbox keeps what it acknowledged through a killed process, a damaged file, a
// file from a newer linesight and a full disk.
#include <filesystem>
#include <fstream>
#include <optional>
#include <set>

#include <signal.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "store/outbox.h"
#include "store/outbox_schema.h"
#include "store/sample_parts.h"
#include "store/sqlite_db.h"
#include "testing/test_util.h"

namespace linesight::store {
namespace {

namespace fs = std::filesystem;
using linesight::testing::Caught;
using linesight::testing::Contains;
using linesight::testing::TempDir;
using testing::ImageBytes;
using testing::SamplePart;

OutboxOptions RecoveryOptions(const TempDir& dir) {
  OutboxOptions o;
  o.path = (dir / "outbox.db").string();
  return o;
}

std::vector<fs::path> CorruptCopies(const TempDir& dir) {
  std::vector<fs::path> found;
  for (const auto& e : fs::directory_iterator(dir.path()))
    if (Contains(e.path().filename().string(), "outbox.db.corrupt-")) found.push_back(e.path());
  return found;
}

size_t FilesIn(const fs::path& dir) {
  size_t n = 0;
  for ([[maybe_unused]] const auto& e : fs::directory_iterator(dir)) ++n;
  return n;
}

// The child stores parts as fast as it can (every third with an image) and reports each part's
// shot on `fd` right after Put returns. It never returns: it is killed or exits.
[[noreturn]] void StoreUntilKilled(const OutboxOptions& options, int fd) {
  try {
    Outbox box(options);
    for (int32_t shot = 1;; ++shot) {
      const auto bytes = ImageBytes(static_cast<uint32_t>(shot), 4000);
      PartImages images;
      if (shot % 3 == 0) images.push_back({"top", ImageBlob{bytes, "png"}});
      box.Put(SamplePart(shot, shot % 3 == 0 ? Decision::kReject : Decision::kPass), images);
      if (::write(fd, &shot, sizeof shot) != sizeof shot) ::_exit(3);
    }
  } catch (...) {
    ::_exit(2);
  }
}

TEST(OutboxRecoveryTest, EveryAcknowledgedPartSurvivesSigkillExactlyOnce) {
  TempDir dir;
  const OutboxOptions options = RecoveryOptions(dir);
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    ::close(fds[0]);
    StoreUntilKilled(options, fds[1]);
  }
  ::close(fds[1]);
  std::set<int32_t> acked;
  int32_t shot = 0;
  while (acked.size() < 60 && ::read(fds[0], &shot, sizeof shot) == sizeof shot) acked.insert(shot);
  ASSERT_EQ(acked.size(), 60u) << "the child stopped early";
  ::kill(child, SIGKILL);  // mid-stream: it is inside or between Puts
  int status = 0;
  ::waitpid(child, &status, 0);
  ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << "status " << status;
  while (::read(fds[0], &shot, sizeof shot) == sizeof shot) acked.insert(shot);  // in the pipe
  ::close(fds[0]);

  Outbox box(options);
  EXPECT_EQ(box.recovered_note(), "") << "a killed writer must not damage the file";
  for (const int32_t s : acked) {
    const auto part = box.Get(PartId("M3", s));
    ASSERT_TRUE(part.has_value()) << "acknowledged shot " << s << " was lost";
    if (s % 3 == 0) {
      EXPECT_NE(part->views[0].image, "");
    }
  }
  const auto counts = box.counts();
  const int64_t last = *acked.rbegin();
  EXPECT_GE(counts.parts, last);  // at most one more: stored, killed before it could say so
  EXPECT_LE(counts.parts, last + 1);
  EXPECT_EQ(static_cast<int64_t>(box.PendingParts(100000).size()), counts.parts);
  // Files the killed child wrote but never committed are swept: folder and table agree.
  EXPECT_EQ(static_cast<int64_t>(FilesIn(box.image_dir())), counts.images);
  EXPECT_TRUE(box.Put(SamplePart(last + 2)));
}

TEST(OutboxRecoveryTest, AFileOfGarbageIsMovedAsideAndAFreshOutboxStarts) {
  TempDir dir;
  linesight::testing::WriteFile(dir / "outbox.db", std::string(10000, 'x'));
  Outbox box(RecoveryOptions(dir));
  EXPECT_TRUE(Contains(box.recovered_note(), (dir / "outbox.db").string())) << box.recovered_note();
  const auto copies = CorruptCopies(dir);
  ASSERT_EQ(copies.size(), 1u);
  EXPECT_TRUE(Contains(box.recovered_note(), copies[0].string()));
  EXPECT_EQ(fs::file_size(copies[0]), 10000u);  // kept for a post-mortem, not deleted
  EXPECT_TRUE(box.Put(SamplePart(1)));
  EXPECT_EQ(box.counts().parts, 1);
}

TEST(OutboxRecoveryTest, ATruncatedFileIsMovedAside) {
  TempDir dir;
  {
    Outbox box(RecoveryOptions(dir));
    for (int shot = 1; shot <= 300; ++shot) ASSERT_TRUE(box.Put(SamplePart(shot)));
  }  // closing checkpoints the WAL into the file
  const fs::path path = dir / "outbox.db";
  ASSERT_FALSE(fs::exists(dir / "outbox.db-wal"));
  fs::resize_file(path, fs::file_size(path) / 2 + 100);
  Outbox box(RecoveryOptions(dir));
  EXPECT_TRUE(Contains(box.recovered_note(), "moved it aside")) << box.recovered_note();
  EXPECT_EQ(CorruptCopies(dir).size(), 1u);
  // SQLite reads nothing of a file shorter than its header says, so nothing can come over; the
  // note says so, and the moved file stays for a person to look at.
  EXPECT_EQ(box.counts().parts, 0);
  EXPECT_TRUE(Contains(box.recovered_note(), "with the 0 unsent parts")) << box.recovered_note();
  EXPECT_TRUE(box.Put(SamplePart(301)));
}

// A damaged page costs the rows on it, not the whole backlog: every unsent part and event that
// can be read is taken into the fresh outbox, with its image; parts already sent are not.
TEST(OutboxRecoveryTest, TheUnsentRecordsOfADamagedOutboxAreTakenOver) {
  TempDir dir;
  std::vector<std::string> sent;
  {
    Outbox box(RecoveryOptions(dir));
    for (int shot = 1; shot <= 400; ++shot) {
      const auto bytes = ImageBytes(static_cast<uint32_t>(shot), 3000);  // the blob only views it
      PartImages images;
      if (shot % 3 == 0) images.push_back({"top", ImageBlob{bytes, "png"}});
      ASSERT_TRUE(
          box.Put(SamplePart(shot, shot % 3 == 0 ? Decision::kReject : Decision::kPass), images));
      if (shot <= 100) sent.push_back(PartId("M3", shot));
    }
    box.MarkPartsSent(sent);
    MachineEvent e;
    e.machine = "M3";
    e.time_ms = 5;
    e.state = MachineState::kStopped;
    e.reason = "machine_fault";
    box.PutEvent(e);
  }
  const fs::path path = dir / "outbox.db";
  int64_t leaf = 0, page_size = 0;  // a bad sector under one leaf of the parts, mid-table
  {
    SqliteDb db(path.string());
    page_size = db.QueryInt("PRAGMA page_size");
    std::vector<int64_t> leaves;
    Statement s =
        db.Prepare("SELECT pageno FROM dbstat WHERE name = 'parts' AND pagetype = 'leaf'");
    while (s.Step()) leaves.push_back(s.Int(0));
    ASSERT_GT(leaves.size(), 4u);
    leaf = leaves[leaves.size() / 2];
  }
  {
    std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(static_cast<std::streamoff>((leaf - 1) * page_size));
    f << std::string(static_cast<size_t>(page_size), '\xAB');
  }
  Outbox box(RecoveryOptions(dir));
  const std::string note = box.recovered_note();
  EXPECT_TRUE(Contains(note, "moved it aside")) << note;
  EXPECT_TRUE(Contains(note, "unsent parts")) << note;
  const int64_t parts = box.counts().parts;
  EXPECT_GE(parts, 250) << note;  // 300 unsent; a page holds a few dozen rows
  EXPECT_LE(parts, 300) << note;
  EXPECT_TRUE(Contains(note, std::to_string(parts) + " unsent parts")) << note;
  EXPECT_EQ(static_cast<int64_t>(box.PendingParts(1000).size()), parts);
  EXPECT_FALSE(box.Get(PartId("M3", 50)).has_value()) << "a part already sent came back";
  int with_image = 0;
  for (int shot = 101; shot <= 400; ++shot) {
    const auto p = box.Get(PartId("M3", shot));
    if (!p) continue;
    EXPECT_EQ(p->decision, shot % 3 == 0 ? Decision::kReject : Decision::kPass) << shot;
    if (shot % 3 == 0 && !p->views.empty() && !p->views[0].image.empty()) {
      ++with_image;
      EXPECT_TRUE(fs::exists(fs::path(box.image_dir()) / p->views[0].image)) << shot;
    }
  }
  EXPECT_GT(with_image, 50);
  EXPECT_EQ(box.PendingEvents(10).size(), 1u);
}

TEST(OutboxRecoveryTest, ASqliteFileOfAnotherProgramIsMovedAside) {
  TempDir dir;
  {
    SqliteDb other((dir / "outbox.db").string());
    other.Exec("CREATE TABLE photos (x INTEGER)");
  }
  Outbox box(RecoveryOptions(dir));
  EXPECT_TRUE(Contains(box.recovered_note(), "another program")) << box.recovered_note();
  EXPECT_TRUE(box.Put(SamplePart(1)));
}

TEST(OutboxRecoveryTest, ANewerSchemaIsRefusedNamingTheVersion) {
  TempDir dir;
  { Outbox box(RecoveryOptions(dir)); }
  {
    SqliteDb db((dir / "outbox.db").string());
    db.Exec("PRAGMA user_version = " + std::to_string(kOutboxSchemaVersion + 1));
  }
  const Error e = Caught([&] { Outbox box(RecoveryOptions(dir)); });
  EXPECT_EQ(e.category(), ErrorCategory::kIo);
  EXPECT_TRUE(Contains(e.what(), "version " + std::to_string(kOutboxSchemaVersion + 1)))
      << e.what();
  EXPECT_TRUE(Contains(e.what(), "upgrade linesight")) << e.what();
  EXPECT_TRUE(CorruptCopies(dir).empty());  // a newer file is left as it is
}

TEST(OutboxRecoveryTest, AFullDatabaseFailsThePutCleanlyAndRecoversWhenThereIsRoom) {
  TempDir dir;
  Outbox box(RecoveryOptions(dir));
  ASSERT_TRUE(box.Put(SamplePart(1)));
  box.TEST_LimitPages(1);  // never below its current size: now it cannot grow
  PartRecord big = SamplePart(2, Decision::kHold);
  big.views[0].detail = std::string(64 * 1024, 'd');  // needs new pages
  const auto bytes = ImageBytes(2);
  const PartImages images = {{"top", ImageBlob{bytes, "png"}}};
  const Error e = Caught([&] { box.Put(big, images); });
  EXPECT_EQ(e.category(), ErrorCategory::kIo);
  EXPECT_TRUE(Contains(e.what(), "full")) << e.what();
  EXPECT_TRUE(Contains(e.what(), "free space")) << e.what();
  EXPECT_FALSE(box.Contains(big.part_id));  // no half record
  const auto counts = box.counts();
  EXPECT_EQ(counts.parts, 1);
  EXPECT_EQ(counts.images, 0);
  EXPECT_EQ(FilesIn(box.image_dir()), 0u);  // nor an image without its record

  box.TEST_LimitPages(0);  // space freed
  ASSERT_TRUE(box.Put(big, images));
  EXPECT_EQ(ToJson(box.Get(big.part_id)->views[0]).at("detail"), big.views[0].detail);
  EXPECT_EQ(box.counts().images, 1);
}

// A real full disk: a 1 MB tmpfs. Needs root (CAP_SYS_ADMIN); skipped otherwise.
class Tmpfs {
 public:
  explicit Tmpfs(const fs::path& dir) : dir_(dir) {
    mounted_ = ::geteuid() == 0 && ::mount("tmpfs", dir.c_str(), "tmpfs", 0, "size=1m") == 0;
  }
  ~Tmpfs() {
    if (mounted_) ::umount2(dir_.c_str(), MNT_DETACH);
  }
  bool mounted() const { return mounted_; }

 private:
  fs::path dir_;
  bool mounted_ = false;
};

TEST(OutboxRecoveryTest, ARealFullDiskFailsThePutCleanlyAndRecoversWhenThereIsRoom) {
  TempDir dir;
  Tmpfs disk(dir.path());
  if (!disk.mounted()) GTEST_SKIP() << "cannot mount a tmpfs here (needs root)";
  linesight::testing::WriteFile(dir / "filler", std::string(64 * 1024, 'f'));
  Outbox box(RecoveryOptions(dir));
  int64_t shot = 1;
  std::optional<Error> error;
  for (; shot < 1000 && !error; ++shot) {
    const auto bytes = ImageBytes(static_cast<uint32_t>(shot), 60'000);
    try {
      box.Put(SamplePart(shot, Decision::kReject), {{"top", ImageBlob{bytes, "png"}}});
    } catch (const Error& e) {
      error = e;
    }
  }
  ASSERT_TRUE(error.has_value()) << "the disk never filled";
  const int64_t failed = shot - 1;
  EXPECT_EQ(error->category(), ErrorCategory::kIo);
  EXPECT_TRUE(Contains(error->what(), "No space left") || Contains(error->what(), "full"))
      << error->what();
  EXPECT_TRUE(Contains(error->what(), "free space")) << error->what();
  EXPECT_FALSE(box.Contains(SamplePart(failed).part_id));
  EXPECT_EQ(box.counts().parts, failed - 1);
  EXPECT_EQ(static_cast<int64_t>(FilesIn(box.image_dir())), box.counts().images);

  fs::remove(dir / "filler");  // space freed
  const auto bytes = ImageBytes(static_cast<uint32_t>(failed), 60'000);
  EXPECT_TRUE(box.Put(SamplePart(failed, Decision::kReject), {{"top", ImageBlob{bytes, "png"}}}));
  EXPECT_EQ(box.counts().parts, failed);
}

}  // namespace
}  // namespace linesight::store
