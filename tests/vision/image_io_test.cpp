#include "vision/image_io.h"

#include <algorithm>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "core/error.h"
#include "testing/test_util.h"

namespace linesight {
namespace {

using testing::Caught;
using testing::Contains;
using testing::TempDir;

// A smooth random grey image: compresses like a real part, with structure everywhere.
cv::Mat Texture(int width, int height, int seed = 7767517) {
  cv::Mat img(height, width, CV_8UC1);
  cv::RNG rng(static_cast<uint64_t>(seed));
  rng.fill(img, cv::RNG::UNIFORM, 0, 256);
  cv::GaussianBlur(img, img, cv::Size(0, 0), 2.0);
  cv::normalize(img, img, 0, 255, cv::NORM_MINMAX);
  return img;
}

std::vector<uint8_t> Encode(const std::string& ext, const cv::Mat& img,
                            const std::vector<int>& params = {}) {
  std::vector<uint8_t> buf;
  EXPECT_TRUE(cv::imencode(ext, img, buf, params)) << ext;
  return buf;
}

// Offset of the first JPEG start-of-frame marker (FFC0..FFC2).
size_t FindSof(const std::vector<uint8_t>& b) {
  for (size_t i = 2; i + 1 < b.size(); ++i)
    if (b[i] == 0xFF && b[i + 1] >= 0xC0 && b[i + 1] <= 0xC2) return i;
  return 0;
}

// Offset of the JPEG start-of-scan marker (FFDA).
size_t FindSos(const std::vector<uint8_t>& b) {
  for (size_t i = 2; i + 1 < b.size(); ++i)
    if (b[i] == 0xFF && b[i + 1] == 0xDA) return i;
  return 0;
}

void PutBe(std::vector<uint8_t>& b, size_t at, uint32_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) b[at + i] = static_cast<uint8_t>(v >> (8 * (bytes - 1 - i)));
}

TEST(ImageIoTest, DecodesEachFormatToGreyOfTheRightSize) {
  const cv::Mat img = Texture(97, 61);  // odd sizes
  for (const std::string ext : {".png", ".jpg", ".bmp", ".pgm"}) {
    std::vector<uint8_t> bytes = Encode(ext, img);
    cv::Mat g = DecodeGrey(bytes, "img" + ext);
    ASSERT_EQ(g.type(), CV_8UC1) << ext;
    EXPECT_EQ(g.cols, 97) << ext;
    EXPECT_EQ(g.rows, 61) << ext;
    if (ext == ".jpg")
      EXPECT_LT(cv::norm(g, img, cv::NORM_L1) / img.total(), 4.0);
    else
      EXPECT_EQ(cv::norm(g, img, cv::NORM_INF), 0) << ext << " is lossless";
  }
}

TEST(ImageIoTest, ProbeReportsHeaderFields) {
  const cv::Mat grey = Texture(40, 30);
  cv::Mat colour;
  cv::cvtColor(grey, colour, cv::COLOR_GRAY2BGR);
  ImageInfo png = ProbeImage(Encode(".png", grey), "a.png");
  EXPECT_EQ(png.format, "png");
  EXPECT_EQ(png.width, 40);
  EXPECT_EQ(png.height, 30);
  EXPECT_EQ(png.channels, 1);
  EXPECT_EQ(png.bit_depth, 8);
  ImageInfo jpg = ProbeImage(Encode(".jpg", colour), "a.jpg");
  EXPECT_EQ(jpg.format, "jpeg");
  EXPECT_EQ(jpg.width, 40);
  EXPECT_EQ(jpg.height, 30);
  EXPECT_EQ(jpg.channels, 3);
  EXPECT_EQ(jpg.bit_depth, 8);
  ImageInfo bmp = ProbeImage(Encode(".bmp", colour), "a.bmp");
  EXPECT_EQ(bmp.format, "bmp");
  EXPECT_EQ(bmp.width, 40);
  EXPECT_EQ(bmp.height, 30);
  ImageInfo pnm = ProbeImage(Encode(".pgm", grey), "a.pgm");
  EXPECT_EQ(pnm.format, "pnm");
  EXPECT_EQ(pnm.width, 40);
  EXPECT_EQ(pnm.height, 30);
  EXPECT_EQ(pnm.channels, 1);
  // Progressive JPEG has its frame header in SOF2.
  ImageInfo prog = ProbeImage(Encode(".jpg", grey, {cv::IMWRITE_JPEG_PROGRESSIVE, 1}), "p.jpg");
  EXPECT_EQ(prog.width, 40);
  EXPECT_EQ(prog.height, 30);
}

TEST(ImageIoTest, ColourBecomesLuma) {
  cv::Mat bgr(20, 30, CV_8UC3, cv::Scalar(0, 0, 255));  // pure red
  bgr(cv::Rect(0, 0, 10, 20)).setTo(cv::Scalar(255, 255, 255));
  for (const std::string ext : {".png", ".bmp"}) {
    cv::Mat g = DecodeGrey(Encode(ext, bgr), "c" + ext);
    ASSERT_EQ(g.type(), CV_8UC1);
    ASSERT_EQ(g.size(), cv::Size(30, 20));
    EXPECT_NEAR(g.at<uint8_t>(10, 20), 76, 1) << ext;  // 0.299 * 255
    EXPECT_EQ(g.at<uint8_t>(10, 5), 255) << ext;
  }
  // With alpha.
  cv::Mat bgra(20, 30, CV_8UC4, cv::Scalar(255, 0, 0, 128));  // pure blue, half transparent
  cv::Mat g = DecodeGrey(Encode(".png", bgra), "a.png");
  ASSERT_EQ(g.type(), CV_8UC1);
  EXPECT_NEAR(g.at<uint8_t>(3, 3), 29, 1);  // 0.114 * 255
  cv::Mat jpg = DecodeGrey(Encode(".jpg", bgr, {cv::IMWRITE_JPEG_QUALITY, 100}), "c.jpg");
  ASSERT_EQ(jpg.type(), CV_8UC1);
  EXPECT_NEAR(jpg.at<uint8_t>(10, 25), 76, 4);
}

TEST(ImageIoTest, SixteenBitBecomesEightBit) {
  cv::Mat img16(16, 24, CV_16UC1);
  for (int y = 0; y < img16.rows; ++y)
    for (int x = 0; x < img16.cols; ++x)
      img16.at<uint16_t>(y, x) = static_cast<uint16_t>(257 * (x * 10 + y));
  img16.at<uint16_t>(0, 0) = 65535;
  img16.at<uint16_t>(0, 1) = 0;
  std::vector<uint8_t> bytes = Encode(".png", img16);
  EXPECT_EQ(ProbeImage(bytes, "d.png").bit_depth, 16);
  cv::Mat g = DecodeGrey(bytes, "d.png");
  ASSERT_EQ(g.type(), CV_8UC1);
  ASSERT_EQ(g.size(), img16.size());
  EXPECT_EQ(g.at<uint8_t>(0, 0), 255);
  EXPECT_EQ(g.at<uint8_t>(0, 1), 0);
  EXPECT_EQ(g.at<uint8_t>(5, 7), 75);
  EXPECT_EQ(g.at<uint8_t>(15, 23), 245);
  // 16-bit colour too.
  cv::Mat c16(8, 8, CV_16UC3, cv::Scalar(65535, 65535, 65535));
  cv::Mat gc = DecodeGrey(Encode(".png", c16), "c16.png");
  ASSERT_EQ(gc.type(), CV_8UC1);
  EXPECT_EQ(gc.at<uint8_t>(4, 4), 255);
}

TEST(ImageIoTest, EmptyBytesAreRefused) {
  Error e = Caught([] { DecodeGrey({}, "empty.png"); });
  EXPECT_EQ(e.category(), ErrorCategory::kImage);
  EXPECT_TRUE(Contains(e.what(), "empty.png")) << e.what();
  EXPECT_TRUE(Contains(e.what(), "empty")) << e.what();
  EXPECT_EQ(Caught([] { ProbeImage({}, "e"); }).category(), ErrorCategory::kImage);
}

TEST(ImageIoTest, RandomGarbageIsRefusedNeverCrashes) {
  std::mt19937 rng(7767517);
  for (int trial = 0; trial < 200; ++trial) {
    std::vector<uint8_t> bytes(1 + rng() % 300);
    for (auto& b : bytes) b = static_cast<uint8_t>(rng());
    // Half the trials start with a real signature so that the format parsers see garbage.
    static const std::vector<std::vector<uint8_t>> kSignatures = {
        {0xFF, 0xD8, 0xFF},
        {0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A},
        {'B', 'M'},
        {'P', '5'},
        {'P', '6'}};
    if (trial % 2) {
      const auto& sig = kSignatures[static_cast<size_t>(trial / 2) % kSignatures.size()];
      if (bytes.size() < sig.size()) bytes.resize(sig.size());
      std::copy(sig.begin(), sig.end(), bytes.begin());
    }
    try {
      cv::Mat g = DecodeGrey(bytes, "garbage.jpg");
      // Vanishingly unlikely, but only a well-formed grey image may come back.
      EXPECT_EQ(g.type(), CV_8UC1);
    } catch (const Error& e) {
      EXPECT_EQ(e.category(), ErrorCategory::kImage) << e.what();
      EXPECT_TRUE(Contains(e.what(), "garbage.jpg")) << e.what();
    }
  }
  const std::string text = "hello, this is not an image";
  Error e = Caught([&] {
    DecodeGrey(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(text.data()), text.size()),
               "note.png");
  });
  EXPECT_EQ(e.category(), ErrorCategory::kImage);
  EXPECT_TRUE(Contains(e.what(), "not a supported image")) << e.what();
}

TEST(ImageIoTest, TruncatedPngIsRefusedAtEveryCut) {
  const std::vector<uint8_t> full = Encode(".png", Texture(64, 48));
  for (size_t len : {1ul, 4ul, 8ul, 20ul, 32ul, 33ul, 40ul, 60ul, full.size() / 4, full.size() / 2,
                     full.size() * 3 / 4, full.size() - 20, full.size() - 13, full.size() - 1}) {
    std::vector<uint8_t> cut(full.begin(), full.begin() + static_cast<ptrdiff_t>(len));
    Error e = Caught([&] { DecodeGrey(cut, "cut.png"); });
    EXPECT_EQ(e.category(), ErrorCategory::kImage) << "len " << len;
    EXPECT_TRUE(Contains(e.what(), "cut.png")) << e.what();
  }
}

TEST(ImageIoTest, TruncatedJpegHeaderIsRefused) {
  const std::vector<uint8_t> full = Encode(".jpg", Texture(64, 48));
  const size_t sof = FindSof(full);
  ASSERT_GT(sof, 0u);
  // Cut anywhere before the frame header's size fields: the size cannot be known.
  for (size_t len = 1; len < sof + 9; len += (len < 40 ? 1 : 7)) {
    std::vector<uint8_t> cut(full.begin(), full.begin() + static_cast<ptrdiff_t>(len));
    Error e = Caught([&] { DecodeGrey(cut, "cut.jpg"); });
    EXPECT_EQ(e.category(), ErrorCategory::kImage) << "len " << len;
    EXPECT_TRUE(Contains(e.what(), "cut.jpg")) << e.what();
  }
}

TEST(ImageIoTest, TruncatedJpegScanIsRefused) {
  const std::vector<uint8_t> full = Encode(".jpg", Texture(128, 96));
  const size_t sos = FindSos(full);
  ASSERT_GT(sos, 0u);
  // Cuts inside the entropy-coded data: libjpeg only warns and fills the rest with grey, so a
  // frame cut short by the camera would be inspected instead of refused.
  for (double f : {0.0, 0.25, 0.5, 0.75, 0.99}) {
    size_t len = sos + 12 + static_cast<size_t>(f * static_cast<double>(full.size() - sos - 12));
    std::vector<uint8_t> cut(full.begin(), full.begin() + static_cast<ptrdiff_t>(len));
    Error e = Caught([&] { DecodeGrey(cut, "cut.jpg"); });
    EXPECT_EQ(e.category(), ErrorCategory::kImage) << "cut at " << len << " of " << full.size();
    EXPECT_TRUE(Contains(e.what(), "cut.jpg")) << e.what();
  }
  // The whole file still decodes.
  EXPECT_EQ(DecodeGrey(full, "whole.jpg").size(), cv::Size(128, 96));
}

TEST(ImageIoTest, AbsurdPngSizeIsRefusedBeforeDecoding) {
  std::vector<uint8_t> bytes = Encode(".png", Texture(32, 32));
  PutBe(bytes, 16, 60000, 4);
  PutBe(bytes, 20, 60000, 4);
  Error e = Caught([&] { ProbeImage(bytes, "huge.png"); });
  EXPECT_EQ(e.category(), ErrorCategory::kImage);
  const std::string msg = e.what();
  EXPECT_TRUE(Contains(msg, "huge.png")) << msg;
  EXPECT_TRUE(Contains(msg, "60000x60000")) << msg;
  EXPECT_TRUE(Contains(msg, "limit")) << msg;
  EXPECT_TRUE(Contains(msg, "16384")) << msg;
  EXPECT_TRUE(Contains(Caught([&] { DecodeGrey(bytes, "huge.png"); }).what(), "limit"));
  // Sizes beyond int range.
  PutBe(bytes, 16, 0xFFFFFFF0u, 4);
  EXPECT_EQ(Caught([&] { DecodeGrey(bytes, "neg.png"); }).category(), ErrorCategory::kImage);
}

TEST(ImageIoTest, AbsurdJpegSizeIsRefusedBeforeDecoding) {
  std::vector<uint8_t> bytes = Encode(".jpg", Texture(32, 32));
  const size_t sof = FindSof(bytes);
  ASSERT_GT(sof, 0u);
  PutBe(bytes, sof + 5, 60000, 2);
  PutBe(bytes, sof + 7, 60000, 2);
  Error e = Caught([&] { DecodeGrey(bytes, "huge.jpg"); });
  EXPECT_EQ(e.category(), ErrorCategory::kImage);
  EXPECT_TRUE(Contains(e.what(), "limit")) << e.what();
  EXPECT_TRUE(Contains(e.what(), "60000x60000")) << e.what();
}

TEST(ImageIoTest, PixelCountLimitAndCustomLimits) {
  // Each side within max_side, but too many pixels in all.
  std::vector<uint8_t> bytes = Encode(".png", Texture(32, 32));
  PutBe(bytes, 16, 16000, 4);
  PutBe(bytes, 20, 16000, 4);
  EXPECT_TRUE(Contains(Caught([&] { ProbeImage(bytes, "p.png"); }).what(), "limit"));
  DecodeLimits small;
  small.max_side = 31;
  std::vector<uint8_t> ok = Encode(".png", Texture(32, 32));
  EXPECT_EQ(Caught([&] { DecodeGrey(ok, "s.png", small); }).category(), ErrorCategory::kImage);
  small.max_side = 32;
  small.max_pixels = 32 * 32 - 1;
  EXPECT_EQ(Caught([&] { DecodeGrey(ok, "s.png", small); }).category(), ErrorCategory::kImage);
  small.max_pixels = 32 * 32;
  EXPECT_EQ(DecodeGrey(ok, "s.png", small).size(), cv::Size(32, 32));
}

TEST(ImageIoTest, ZeroSizeHeaderIsRefused) {
  std::vector<uint8_t> png = Encode(".png", Texture(16, 16));
  PutBe(png, 16, 0, 4);
  Error e = Caught([&] { DecodeGrey(png, "zero.png"); });
  EXPECT_EQ(e.category(), ErrorCategory::kImage);
  EXPECT_TRUE(Contains(e.what(), "zero size")) << e.what();

  std::vector<uint8_t> jpg = Encode(".jpg", Texture(16, 16));
  const size_t sof = FindSof(jpg);
  ASSERT_GT(sof, 0u);
  PutBe(jpg, sof + 5, 0, 2);
  e = Caught([&] { DecodeGrey(jpg, "zero.jpg"); });
  EXPECT_EQ(e.category(), ErrorCategory::kImage);
  EXPECT_TRUE(Contains(e.what(), "zero size")) << e.what();

  const std::string pgm = "P5\n0 10\n255\n";
  EXPECT_EQ(Caught([&] {
              DecodeGrey(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(pgm.data()),
                                                  pgm.size()),
                         "zero.pgm");
            }).category(),
            ErrorCategory::kImage);
}

TEST(ImageIoTest, UnsupportedBitDepthIsRefused) {
  std::vector<uint8_t> png = Encode(".png", Texture(16, 16));
  png[24] = 4;  // 4-bit grey: valid PNG, but not a depth linesight takes
  Error e = Caught([&] { ProbeImage(png, "four.png"); });
  EXPECT_EQ(e.category(), ErrorCategory::kImage);
  EXPECT_TRUE(Contains(e.what(), "bit depth")) << e.what();
}

TEST(ImageIoTest, PgmWithCommentsAndSixteenBit) {
  std::string pgm = "P5\n# made by a test\n3 2\n# another\n255\n";
  pgm += std::string("\x00\x40\x80\xc0\xff\x10", 6);
  cv::Mat g = DecodeGrey(
      std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(pgm.data()), pgm.size()), "c.pgm");
  ASSERT_EQ(g.size(), cv::Size(3, 2));
  EXPECT_EQ(g.at<uint8_t>(0, 1), 0x40);
  EXPECT_EQ(g.at<uint8_t>(1, 1), 0xFF);
  const std::string bad = "P5\n12x 8\n255\n";
  EXPECT_EQ(Caught([&] {
              ProbeImage(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(bad.data()),
                                                  bad.size()),
                         "b.pgm");
            }).category(),
            ErrorCategory::kImage);
}

TEST(ImageIoTest, LoadGreyFromFile) {
  TempDir dir;
  const cv::Mat img = Texture(50, 40);
  ASSERT_TRUE(cv::imwrite((dir / "a.png").string(), img));
  cv::Mat g = LoadGrey(dir / "a.png");
  EXPECT_EQ(cv::norm(g, img, cv::NORM_INF), 0);
  // The file name, not the extension, is what a message names; content decides the format.
  std::vector<uint8_t> jpg = Encode(".jpg", img);
  testing::WriteFile(dir / "really_a_jpeg.png", std::string(jpg.begin(), jpg.end()));
  EXPECT_EQ(LoadGrey(dir / "really_a_jpeg.png").size(), img.size());
  testing::WriteFile(dir / "empty.png", "");
  Error e = Caught([&] { LoadGrey(dir / "empty.png"); });
  EXPECT_EQ(e.category(), ErrorCategory::kImage);
  EXPECT_TRUE(Contains(e.what(), "empty.png")) << e.what();
  e = Caught([&] { LoadGrey(dir / "missing.png"); });
  EXPECT_EQ(e.category(), ErrorCategory::kIo);
  EXPECT_TRUE(Contains(e.what(), "missing.png")) << e.what();
  DecodeLimits tiny;
  tiny.max_file_bytes = 10;
  EXPECT_EQ(Caught([&] { LoadGrey(dir / "a.png", tiny); }).category(), ErrorCategory::kImage);
}

TEST(ImageIoTest, ReadFileBytes) {
  TempDir dir;
  testing::WriteFile(dir / "f.bin", std::string("abc\0def", 7));
  std::vector<uint8_t> b = ReadFileBytes(dir / "f.bin", 100);
  EXPECT_EQ(b, (std::vector<uint8_t>{'a', 'b', 'c', 0, 'd', 'e', 'f'}));
  EXPECT_EQ(ReadFileBytes(dir / "f.bin", 7).size(), 7u);
  Error e = Caught([&] { ReadFileBytes(dir / "f.bin", 6); });
  EXPECT_EQ(e.category(), ErrorCategory::kImage);
  EXPECT_TRUE(Contains(e.what(), "limit")) << e.what();
  EXPECT_EQ(Caught([&] { ReadFileBytes(dir / "nope.bin", 100); }).category(), ErrorCategory::kIo);
}

TEST(ImageIoTest, ReadFileBytesOnAFolderThrows) {
  TempDir dir;
  Error e = Caught([&] { ReadFileBytes(dir.path(), 100); });
  EXPECT_TRUE(e.category() == ErrorCategory::kInput || e.category() == ErrorCategory::kIo);
  EXPECT_TRUE(Contains(e.what(), "folder")) << e.what();
  EXPECT_EQ(Caught([&] { LoadGrey(dir.path()); }).category(), e.category());
}

TEST(ImageIoTest, ReadFileBytesOnAnEmptyFile) {
  TempDir dir;
  testing::WriteFile(dir / "empty.jpg", "");
  // The header promises Error{kImage} for an empty file.
  Error e = Caught([&] { ReadFileBytes(dir / "empty.jpg", 100); });
  EXPECT_EQ(e.category(), ErrorCategory::kImage);
  EXPECT_TRUE(Contains(e.what(), "empty.jpg")) << e.what();
}

TEST(ImageIoTest, HasImageExtensionIsCaseInsensitive) {
  for (const char* name : {"a.jpg", "a.JPG", "a.Jpeg", "b/c.png", "x.PNG", "x.bmp", "x.BMP",
                           "x.pgm", "x.ppm", "x.PnM", "dir.d/x.jpeg"})
    EXPECT_TRUE(HasImageExtension(name)) << name;
  for (const char* name :
       {"a.txt", "a", "png", ".png.txt", "a.jpg.bak", "a.gif", "a.webp", "a.", "jpg/", "a.j pg"})
    EXPECT_FALSE(HasImageExtension(name)) << name;
}

TEST(ImageIoTest, ListImages) {
  TempDir dir;
  EXPECT_TRUE(ListImages({dir.path()}).empty());
  testing::WriteFile(dir / "b.png", "x");
  testing::WriteFile(dir / "a.JPG", "x");
  testing::WriteFile(dir / "c.txt", "x");
  testing::WriteFile(dir / "notes", "x");
  std::filesystem::create_directories(dir / "sub.png");  // a folder with an image-like name
  testing::WriteFile(dir / "sub.png" / "deep.png", "x");
  std::vector<std::filesystem::path> got = ListImages({dir.path()});
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].filename(), "a.JPG");
  EXPECT_EQ(got[1].filename(), "b.png");
  // A file is taken as it is, whatever its extension, and order follows the arguments.
  got = ListImages({dir / "c.txt", dir.path()});
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[0].filename(), "c.txt");
  EXPECT_EQ(ListImages({}).size(), 0u);
}

TEST(ImageIoTest, ListImagesOnAMissingPathThrowsInput) {
  TempDir dir;
  Error e = Caught([&] { ListImages({dir / "no_such_folder"}); });
  EXPECT_EQ(e.category(), ErrorCategory::kInput);
  EXPECT_TRUE(Contains(e.what(), "no_such_folder")) << e.what();
  testing::WriteFile(dir / "a.png", "x");
  EXPECT_EQ(Caught([&] {
              ListImages({dir / "a.png", dir / "gone.png"});
            }).category(),
            ErrorCategory::kInput);
}

TEST(ImageIoTest, MaskFilesBesideImagesAreNeverParts) {
  // As data sets keep pixel masks: X.png beside X.jpg, and X_mask.<ext>.
  TempDir dir;
  for (const char* name : {"a.jpg", "a.png", "b.JPEG", "b.png", "c.png", "c_mask.png", "d.bmp",
                           "d_mask.bmp", "e.png", "f.pgm", "f.PNG"})
    testing::WriteFile(dir / name, "x");
  const ImageListing listing = ScanImages({dir.path()});
  std::vector<std::string> images, masks;
  for (const auto& p : listing.images) images.push_back(p.filename().string());
  for (const auto& p : listing.masks) masks.push_back(p.filename().string());
  std::sort(masks.begin(), masks.end());
  EXPECT_EQ(images,
            (std::vector<std::string>{"a.jpg", "b.JPEG", "c.png", "d.bmp", "e.png", "f.pgm"}));
  EXPECT_EQ(masks,
            (std::vector<std::string>{"a.png", "b.png", "c_mask.png", "d_mask.bmp", "f.PNG"}));
  EXPECT_EQ(ListImages({dir.path()}).size(), images.size()) << "ListImages keeps the same rule";
  // The rule holds for files given one by one too (a shell glob).
  for (const char* name : {"a.png", "b.png", "c_mask.png", "f.PNG"})
    EXPECT_TRUE(IsMaskFile(dir / name)) << name;
  for (const char* name : {"a.jpg", "c.png", "e.png"}) EXPECT_FALSE(IsMaskFile(dir / name)) << name;
  EXPECT_EQ(ListImages({dir / "a.jpg", dir / "a.png", dir / "e.png"}).size(), 2u);
  EXPECT_EQ(listing.SkippedSummary(), "skipped 5 mask files");
}

TEST(ImageIoTest, ScanReportsDanglingLinksSubfoldersAndOtherFiles) {
  TempDir dir;
  testing::WriteFile(dir / "a.png", "x");
  testing::WriteFile(dir / "notes.txt", "x");
  testing::WriteFile(dir / "list.txt", "x");
  testing::WriteFile(dir / "README", "x");
  std::filesystem::create_directories(dir / "old");
  std::filesystem::create_symlink(dir / "a.png", dir / "link.png");  // a working link is listed
  std::filesystem::create_symlink(dir / "gone" / "b.jpg", dir / "b.jpg");
  const ImageListing listing = ScanImages({dir.path()});
  ASSERT_EQ(listing.images.size(), 2u);
  EXPECT_EQ(listing.images[1].filename(), "link.png");
  ASSERT_EQ(listing.dangling.size(), 1u);
  EXPECT_EQ(listing.dangling[0].second, dir / "gone" / "b.jpg");
  EXPECT_EQ(listing.subfolders, 1);
  EXPECT_EQ(listing.SkippedSummary(),
            "skipped 1 subfolder and 3 other files (no extension, .txt), 1 dangling link: b.jpg "
            "-> " +
                (dir / "gone" / "b.jpg").string());
  EXPECT_EQ(listing.Seen(),
            "1 subfolder, 1 file without extension, 2 .txt files and 1 dangling link");
  // A dangling link given by name says where it points.
  const Error e = Caught([&] { ScanImages({dir / "b.jpg"}); });
  EXPECT_EQ(e.category(), ErrorCategory::kInput);
  EXPECT_TRUE(Contains(e.what(), "is a link to " + (dir / "gone" / "b.jpg").string())) << e.what();
  // Nothing skipped: no summary; an empty folder holds nothing.
  TempDir empty;
  EXPECT_EQ(ScanImages({empty.path()}).SkippedSummary(), "");
  EXPECT_EQ(ScanImages({empty.path()}).Seen(), "nothing");
}

}  // namespace
}  // namespace linesight
