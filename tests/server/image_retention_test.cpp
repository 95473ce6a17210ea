// Image retention on both engines: orphans after their grace period, good parts' images over the
// cap (oldest first) or by age, and never an image a reject, hold or reviewed part shows.
#include "server/image_retention.h"

#include <atomic>
#include <filesystem>
#include <functional>
#include <thread>
#include <vector>

#include "core/sha256.h"
#include "store/image_folder.h"

#include "server/server_fixture.h"

namespace linesight::testing {
namespace {

namespace fs = std::filesystem;
constexpr int64_t kDay = 86'400'000;

bool WaitFor(const std::function<bool()>& done) {
  for (int i = 0; i < 3000 && !done(); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  return done();
}

class ImageRetentionTest : public ServerFixture {
 protected:
  void SetUp() override {
    ServerFixture::SetUp();
    folder_ = std::make_unique<store::ImageFolder>(dir_->path() / "kept", false);
  }

  // Writes a 1000-byte image unique to `seed` and returns its name.
  std::string Image(int seed) {
    std::vector<uint8_t> bytes(1000, static_cast<uint8_t>(seed));
    bytes[0] = static_cast<uint8_t>(seed >> 8);
    const std::string name = store::ImageFolder::NameFor(bytes, "png");
    folder_->Write(name, bytes);
    return name;
  }

  PartRecord Part(int64_t shot, Decision d, int64_t time_ms, std::string image,
                  std::string heatmap = "") {
    PartRecord p = ServerTestPart("M1", shot, d, time_ms, d == Decision::kReject ? 2.0f : 0.1f);
    p.views[0].image = std::move(image);
    p.views[0].heatmap = std::move(heatmap);
    return p;
  }

  bool Kept(const std::string& name) const { return fs::exists(folder_->dir() / name); }

  std::unique_ptr<store::ImageFolder> folder_;
};
INSTANTIATE_TEST_SUITE_P(Engines, ImageRetentionTest, ::testing::Values("sqlite", "postgresql"),
                         [](const auto& info) { return info.param; });

TEST_P(ImageRetentionTest, OverTheCapGoodPartsImagesGoOldestFirstAndNoOtherEver) {
  const std::string reject = Image(1), old_pass = Image(2), old_heat = Image(3);
  const std::string newer_pass = Image(4), reviewed = Image(5), shared = Image(6);
  const std::string old_orphan = Image(7), fresh_orphan = Image(8);
  store_->Ingest(std::vector<PartRecord>{Part(1, Decision::kReject, kT0, reject),
                                         Part(2, Decision::kPass, kT0 + 1000, old_pass, old_heat),
                                         Part(3, Decision::kPass, kT0 + 2000, newer_pass),
                                         Part(4, Decision::kPass, kT0 + 3000, reviewed),
                                         Part(5, Decision::kPass, kT0 + 500, shared),
                                         Part(6, Decision::kHold, kT0 + 4000, shared)},
                 {});
  store::Review review;
  review.part_id = PartId("M1", 4);
  review.user = "ana";
  review.time_ms = kT0 + 5000;
  review.verdict = Decision::kPass;
  store_->AddReview(review, {0, kT0 + 5000, "ana", "review", review.part_id, "{}"});
  const auto two_days_ago = fs::file_time_type::clock::now() - std::chrono::hours(48);
  fs::last_write_time(folder_->dir() / old_orphan, two_days_ago);

  server::RetentionOptions o;
  o.cap_bytes = 4500;  // 8 images of 1000 bytes: 3 must go after the old orphan
  // The orphans' ages come from the file clock, so the sweep runs at the real time (after kT0).
  const int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  server::RetentionReport r = server::SweepImages(*store_, *folder_, o, now);
  EXPECT_EQ(r.orphans_deleted, 1);
  EXPECT_EQ(r.pass_deleted, 3);  // the oldest good part's frame and heatmap, then the next one
  EXPECT_EQ(r.bytes_freed, 4000);
  EXPECT_EQ(r.files, 4);
  EXPECT_EQ(r.bytes, 4000);
  EXPECT_FALSE(r.over_cap);
  EXPECT_FALSE(Kept(old_orphan));
  EXPECT_TRUE(Kept(fresh_orphan)) << "an upload whose batch has not come yet stays";
  EXPECT_FALSE(Kept(old_pass));
  EXPECT_FALSE(Kept(old_heat));
  EXPECT_FALSE(Kept(newer_pass));
  EXPECT_TRUE(Kept(reject));
  EXPECT_TRUE(Kept(reviewed));
  EXPECT_TRUE(Kept(shared)) << "a good part's image that a held part shows too stays";

  // Only images that must stay are left: over a smaller cap, nothing more goes, and it says so.
  o.cap_bytes = 1000;
  r = server::SweepImages(*store_, *folder_, o, now);
  EXPECT_EQ(r.pass_deleted, 0);
  EXPECT_TRUE(r.over_cap);
  EXPECT_TRUE(Kept(reject) && Kept(reviewed) && Kept(shared) && Kept(fresh_orphan));
  EXPECT_TRUE(store_->DisposableImages(now, 100).empty());
  EXPECT_EQ(store_->GetPart(PartId("M1", 2))->record.views[0].image, old_pass)
      << "the record still names what it was judged on";
}

TEST_P(ImageRetentionTest, GoodPartsImagesGoAfterTheirDaysWithoutACap) {
  const std::string old_pass = Image(1), recent_pass = Image(2);
  store_->Ingest(std::vector<PartRecord>{Part(1, Decision::kPass, kT0 - 40 * kDay, old_pass),
                                         Part(2, Decision::kPass, kT0 - 5 * kDay, recent_pass)},
                 {});
  server::RetentionOptions o;
  o.cap_bytes = 0;
  o.keep_pass_days = 30;
  const server::RetentionReport r = server::SweepImages(*store_, *folder_, o, kT0);
  EXPECT_EQ(r.pass_deleted, 1);
  EXPECT_FALSE(Kept(old_pass));
  EXPECT_TRUE(Kept(recent_pass));
}

TEST_P(ImageRetentionTest, TheServerSweepsOnItsOwnAndReportsInMetrics) {
  const std::string a = Image(1), b = Image(2);
  store_->Ingest(std::vector<PartRecord>{Part(1, Decision::kPass, kT0, a),
                                         Part(2, Decision::kPass, kT0 + 1, b)},
                 {});
  server::ServerOptions o;
  o.port = 0;
  o.image_dir = folder_->dir().string();
  o.threads = 2;
  o.retention.cap_bytes = 1500;
  server::FactoryServer s(*store_, o);
  ASSERT_TRUE(WaitFor([&] { return !Kept(a); })) << "the first sweep runs at start";
  EXPECT_TRUE(Kept(b));
  httplib::Client c("127.0.0.1", s.port());
  // The sweep reports once it is done, a moment after it deleted the file.
  std::string body;
  EXPECT_TRUE(WaitFor([&] {
    const auto m = c.Get("/metrics");
    body = m ? m->body : "";
    return body.find("linesight_images_files 1") != std::string::npos;
  })) << body;
  EXPECT_NE(body.find("linesight_images_over_cap 0"), std::string::npos);
}

// Images written past the cap between two sweeps bring the next sweep forward: a busy line must
// not fill the disk for a whole interval (the soak saw 3x the cap before a 10-minute sweep).
TEST_P(ImageRetentionTest, WritesPastTheCapBringTheNextSweepForward) {
  std::vector<PartRecord> parts;
  for (int i = 1; i <= 3; ++i) parts.push_back(Part(i, Decision::kPass, kT0 + i * 1000, Image(i)));
  store_->Ingest(parts, {});
  const std::string oldest = parts.front().views[0].image;
  server::RetentionOptions o;
  o.cap_bytes = 4500;
  o.earliest_resweep_ms = 0;
  server::RetentionSweeper sweeper(*store_, folder_->dir().string(), o, std::chrono::hours(1));
  ASSERT_TRUE(WaitFor([&] { return sweeper.sweeps() == 1; }));
  EXPECT_EQ(sweeper.last().bytes, 3000);
  parts.clear();
  for (int i = 4; i <= 6; ++i) parts.push_back(Part(i, Decision::kPass, kT0 + i * 1000, Image(i)));
  store_->Ingest(parts, {});
  sweeper.Wrote(1000);  // 4000: under the cap, no sweep yet
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_EQ(sweeper.sweeps(), 1);
  sweeper.Wrote(1000);
  sweeper.Wrote(1000);  // 6000: over it
  ASSERT_TRUE(WaitFor([&] { return sweeper.sweeps() == 2; }));
  EXPECT_LE(sweeper.last().bytes, 4500);
  EXPECT_FALSE(Kept(oldest)) << "the oldest good part's image went first";
}

// Servers sharing one image folder (docs/scaling.md) may write the same image at once: each
// writes its own temp file and renames it whole, so every write succeeds and the file is right.
TEST(ImageFolder, WritersOfOneImageAtOnceAllSucceed) {
  TempDir dir;
  std::vector<uint8_t> bytes(1 << 20);
  for (size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<uint8_t>(i * 7 + 3);
  const std::string name = store::ImageFolder::NameFor(bytes, "png");
  std::atomic<int> failures{0};
  std::vector<std::thread> writers;
  for (int w = 0; w < 4; ++w)
    writers.emplace_back([&] {
      store::ImageFolder folder(dir.path(), false);  // one per "server"
      for (int i = 0; i < 20; ++i) {
        try {
          folder.Write(name, bytes);
        } catch (const std::exception&) {
          ++failures;
        }
      }
    });
  for (auto& t : writers) t.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(Sha256File(dir.path() / name), Sha256Hex(bytes));
  int files = 0;
  for (const auto& e : fs::directory_iterator(dir.path())) files += e.is_regular_file();
  EXPECT_EQ(files, 1) << "no temp file is left behind";
}

}  // namespace
}  // namespace linesight::testing
