// Tests of image_io for the files real cameras save: TIFF, and 10-, 12- and 14-bit data in 16-bit
// PNG, TIFF and PGM files, which must decode by their real range (a 12-bit image read as 16-bit
// is nearly black, and its good parts are rejected).
#include <algorithm>
#include <array>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "core/checksum.h"
#include "core/error.h"
#include "testing/test_util.h"
#include "vision/image_io.h"

namespace linesight {
namespace {

using testing::Caught;
using testing::Contains;

// A smooth grey image over the whole 8-bit range, with structure everywhere.
cv::Mat Texture8(int width, int height) {
  cv::Mat img(height, width, CV_8UC1);
  cv::RNG rng(7767517);
  rng.fill(img, cv::RNG::UNIFORM, 0, 256);
  cv::GaussianBlur(img, img, cv::Size(0, 0), 2.0);
  cv::normalize(img, img, 0, 255, cv::NORM_MINMAX);
  return img;
}

// The 8-bit image as `bits`-bit data in the low bits of 16 (v * (2^bits - 1) / 255, rounded).
cv::Mat Widen(const cv::Mat& img8, int bits) {
  cv::Mat out;
  img8.convertTo(out, CV_16U, ((1 << bits) - 1) / 255.0);
  return out;
}

std::vector<uint8_t> EncodeDeep(const std::string& ext, const cv::Mat& img) {
  std::vector<uint8_t> buf;
  EXPECT_TRUE(cv::imencode(ext, img, buf)) << ext;
  return buf;
}

// One TIFF directory entry: tag, type (3 SHORT, 4 LONG), value.
struct Tag {
  uint16_t tag, type;
  uint32_t value;
};

// An uncompressed one-strip grey TIFF (CV_8UC1 or CV_16UC1), written by hand so that any tag can
// be set or broken. `extra` tags are merged in tag order; a tag given there replaces the default.
std::vector<uint8_t> MakeTiff(const cv::Mat& img, std::vector<Tag> extra = {},
                              bool big_endian = false) {
  const uint32_t bits = img.depth() == CV_16U ? 16 : 8;
  const uint32_t data_bytes = static_cast<uint32_t>(img.total() * img.elemSize());
  std::vector<Tag> tags = {{256, 4, static_cast<uint32_t>(img.cols)},
                           {257, 4, static_cast<uint32_t>(img.rows)},
                           {258, 3, bits},
                           {259, 3, 1},
                           {262, 3, 1},
                           {273, 4, 0},  // strip offset, set below
                           {277, 3, 1},
                           {278, 4, static_cast<uint32_t>(img.rows)},
                           {279, 4, data_bytes}};
  for (const Tag& t : extra) {
    auto it = std::find_if(tags.begin(), tags.end(), [&](const Tag& x) { return x.tag == t.tag; });
    if (it != tags.end())
      *it = t;
    else
      tags.push_back(t);
  }
  std::sort(tags.begin(), tags.end(), [](const Tag& a, const Tag& b) { return a.tag < b.tag; });
  const uint32_t data_at = static_cast<uint32_t>(8 + 2 + 12 * tags.size() + 4);
  for (Tag& t : tags)
    if (t.tag == 273) t.value = data_at;
  std::vector<uint8_t> b;
  auto put = [&](uint32_t v, int bytes) {
    for (int i = 0; i < bytes; ++i) {
      const int shift = big_endian ? 8 * (bytes - 1 - i) : 8 * i;
      b.push_back(static_cast<uint8_t>(v >> shift));
    }
  };
  b.push_back(big_endian ? 'M' : 'I');
  b.push_back(big_endian ? 'M' : 'I');
  put(42, 2);
  put(8, 4);
  put(static_cast<uint32_t>(tags.size()), 2);
  for (const Tag& t : tags) {
    put(t.tag, 2);
    put(t.type, 2);
    put(1, 4);
    if (t.type == 3) {  // a SHORT sits in the first two bytes of the value field
      put(t.value, 2);
      put(0, 2);
    } else {
      put(t.value, 4);
    }
  }
  put(0, 4);  // no next directory
  for (int y = 0; y < img.rows; ++y)
    for (int x = 0; x < img.cols; ++x)
      put(bits == 16 ? img.at<uint16_t>(y, x) : img.at<uint8_t>(y, x), static_cast<int>(bits / 8));
  return b;
}

// `png` with an sBIT chunk declaring `bits` significant bits inserted after IHDR.
std::vector<uint8_t> WithSbit(const std::vector<uint8_t>& png, uint8_t bits) {
  std::vector<uint8_t> chunk = {0, 0, 0, 1, 's', 'B', 'I', 'T', bits};
  const uint32_t crc = Crc32(std::span<const uint8_t>(chunk.data() + 4, 5));
  for (int i = 3; i >= 0; --i) chunk.push_back(static_cast<uint8_t>(crc >> (8 * i)));
  std::vector<uint8_t> out = png;
  out.insert(out.begin() + 33, chunk.begin(), chunk.end());  // after signature + IHDR
  return out;
}

std::vector<uint8_t> Pgm16(const cv::Mat& img16, int maxval) {
  std::string header = "P5\n" + std::to_string(img16.cols) + " " + std::to_string(img16.rows) +
                       "\n" + std::to_string(maxval) + "\n";
  std::vector<uint8_t> b(header.begin(), header.end());
  for (int y = 0; y < img16.rows; ++y)
    for (int x = 0; x < img16.cols; ++x) {
      b.push_back(static_cast<uint8_t>(img16.at<uint16_t>(y, x) >> 8));
      b.push_back(static_cast<uint8_t>(img16.at<uint16_t>(y, x) & 0xFF));
    }
  return b;
}

TEST(ImageIoDepthTest, FullScaleRule) {
  // 8-bit files: 255 unless they declare a smaller range that holds the data.
  EXPECT_EQ(FullScale(8, 0, 200), 255);
  EXPECT_EQ(FullScale(8, 100, 90), 100);
  EXPECT_EQ(FullScale(8, 100, 200), 255);
  // 16-bit files that declare nothing: the smallest of 8, 10, 12, 14, 16 bits that holds the max.
  EXPECT_EQ(FullScale(16, 0, 0), 255);
  EXPECT_EQ(FullScale(16, 0, 255), 255);
  EXPECT_EQ(FullScale(16, 0, 256), 1023);
  EXPECT_EQ(FullScale(16, 0, 1023), 1023);
  EXPECT_EQ(FullScale(16, 0, 1024), 4095);
  EXPECT_EQ(FullScale(16, 0, 4095), 4095);
  EXPECT_EQ(FullScale(16, 0, 4096), 16383);
  EXPECT_EQ(FullScale(16, 0, 16384), 65535);
  EXPECT_EQ(FullScale(16, 0, 65535), 65535);
  // A declaration wins while the data fits it; data above it is scaled up (PNG's sBIT rule).
  EXPECT_EQ(FullScale(16, 4095, 3000), 4095);
  EXPECT_EQ(FullScale(16, 4095, 200), 4095);
  EXPECT_EQ(FullScale(16, 4095, 60000), 65535);
  EXPECT_EQ(FullScale(16, 1000, 999), 1000);  // PGM maxval need not be 2^b - 1
  // A declaration of the container's whole range says nothing (OpenCV writes PGM maxval 65535).
  EXPECT_EQ(FullScale(16, 65535, 3000), 4095);
  EXPECT_EQ(FullScale(8, 255, 3), 255);
}

// A 12-bit image in a 16-bit file decodes like its 8-bit counterpart, within rounding, in every
// format that holds 16 bits; so do 10- and 14-bit ones.
TEST(ImageIoDepthTest, LowBitDataInSixteenBitFilesDecodesByItsRange) {
  const cv::Mat img8 = Texture8(64, 48);
  for (int bits : {10, 12, 14}) {
    const cv::Mat wide = Widen(img8, bits);
    struct Case {
      std::string name;
      std::vector<uint8_t> bytes;
    };
    const std::vector<Case> cases = {{"png", EncodeDeep(".png", wide)},
                                     {"tiff (OpenCV)", EncodeDeep(".tiff", wide)},
                                     {"tiff (by hand)", MakeTiff(wide)},
                                     {"tiff (big-endian)", MakeTiff(wide, {}, true)},
                                     {"pgm", EncodeDeep(".pgm", wide)}};
    for (const Case& c : cases) {
      SCOPED_TRACE(c.name + ", " + std::to_string(bits) + " bits");
      ImageInfo info;
      const cv::Mat g = DecodeGrey(c.bytes, "a", {}, &info);
      ASSERT_EQ(g.type(), CV_8UC1);
      ASSERT_EQ(g.size(), img8.size());
      EXPECT_EQ(info.bit_depth, 16);
      EXPECT_EQ(info.full_scale, (1 << bits) - 1);
      EXPECT_LE(cv::norm(g, img8, cv::NORM_INF), 1);
      // Deterministic: the same bytes decode to the same pixels.
      EXPECT_EQ(cv::norm(g, DecodeGrey(c.bytes, "a"), cv::NORM_INF), 0);
    }
  }
}

// A 12-bit camera that writes its data into the high bits (v << 4) fills the 16-bit range: it
// decodes by the full 16 bits, like any 16-bit image.
TEST(ImageIoDepthTest, HighBitAlignedDataDecodesByTheFullRange) {
  const cv::Mat img8 = Texture8(40, 30);
  cv::Mat wide = Widen(img8, 12) * 16;  // CV_16U, saturating
  ImageInfo info;
  const cv::Mat g = DecodeGrey(EncodeDeep(".png", wide), "high.png", {}, &info);
  EXPECT_EQ(info.full_scale, 65535);
  EXPECT_LE(cv::norm(g, img8, cv::NORM_INF), 1);
}

// A dark 12-bit frame (max below 1024) of a file that declares nothing is taken as 10-bit: the
// documented limit of guessing. Declaring the bits (PNG sBIT, TIFF MaxSampleValue, PGM maxval)
// makes it decode by its true range.
TEST(ImageIoDepthTest, DeclaredRangeWinsOverTheGuess) {
  cv::Mat dark8 = Texture8(32, 32) / 5;   // max 51 of 255: a part far too dark
  const cv::Mat wide = Widen(dark8, 12);  // max 819 of 4095
  ImageInfo info;
  DecodeGrey(EncodeDeep(".png", wide), "guess.png", {}, &info);
  EXPECT_EQ(info.full_scale, 1023);
  for (const auto& bytes : {WithSbit(EncodeDeep(".png", wide), 12),
                            MakeTiff(wide, {{281, 3, 4095}}), Pgm16(wide, 4095)}) {
    const cv::Mat g = DecodeGrey(bytes, "declared", {}, &info);
    EXPECT_EQ(info.declared_max, 4095) << info.format;
    EXPECT_EQ(info.full_scale, 4095) << info.format;
    EXPECT_LE(cv::norm(g, dark8, cv::NORM_INF), 1) << info.format;
  }
  // A PNG that follows the spec scales sBIT data up to 16 bits: it decodes by the full range.
  cv::Mat scaled = Widen(Texture8(32, 32), 16);
  const cv::Mat g = DecodeGrey(WithSbit(EncodeDeep(".png", scaled), 12), "spec.png", {}, &info);
  EXPECT_EQ(info.full_scale, 65535);
  EXPECT_LE(cv::norm(g, Texture8(32, 32), cv::NORM_INF), 1);
}

TEST(ImageIoDepthTest, EightBitPgmWithSmallMaxvalIsStretched) {
  std::string pgm = "P5\n2 1\n100\n";
  pgm += std::string("\x32\x64", 2);  // 50 and 100 of 100
  const cv::Mat g = DecodeGrey(
      std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(pgm.data()), pgm.size()), "m.pgm");
  EXPECT_EQ(g.at<uint8_t>(0, 0), 128);  // 127.5 rounds to even
  EXPECT_EQ(g.at<uint8_t>(0, 1), 255);
}

TEST(ImageIoDepthTest, TiffOfEveryKindDecodes) {
  const cv::Mat img8 = Texture8(37, 23);  // odd sizes
  cv::Mat colour;
  cv::cvtColor(img8, colour, cv::COLOR_GRAY2BGR);
  for (const auto& [name, img] : {std::pair<std::string, cv::Mat>{"grey8", img8},
                                  {"colour8", colour},
                                  {"grey16", Widen(img8, 16)}}) {
    SCOPED_TRACE(name);
    const std::vector<uint8_t> bytes = EncodeDeep(".tiff", img);
    const ImageInfo info = ProbeImage(bytes, "a.tiff");
    EXPECT_EQ(info.format, "tiff");
    EXPECT_EQ(info.width, 37);
    EXPECT_EQ(info.height, 23);
    EXPECT_EQ(info.channels, img.channels());
    EXPECT_EQ(info.bit_depth, img.depth() == CV_16U ? 16 : 8);
    const cv::Mat g = DecodeGrey(bytes, "a.tiff");
    ASSERT_EQ(g.type(), CV_8UC1);
    EXPECT_LE(cv::norm(g, img8, cv::NORM_INF), 1);
  }
  EXPECT_EQ(cv::norm(DecodeGrey(MakeTiff(img8), "hand.tif"), img8, cv::NORM_INF), 0);
  EXPECT_TRUE(HasImageExtension("a.tif"));
  EXPECT_TRUE(HasImageExtension("a.TIFF"));
}

TEST(ImageIoDepthTest, AbsurdTiffIsRefusedBeforeDecoding) {
  const cv::Mat img8 = Texture8(16, 16);
  for (const auto& [tags, words] :
       {std::pair<std::vector<Tag>, std::string>{{{256, 4, 60000}}, "16384"},
        {{{256, 4, 0xFFFFFFF0u}}, "absurd"},
        {{{257, 4, 0}}, "zero size"},
        {{{258, 3, 32}}, "bit depth"},
        {{{258, 3, 12}}, "bit depth"},
        {{{339, 3, 3}}, "floating-point"},
        {{{322, 4, 100000}, {323, 4, 100000}}, "tiles"},
        {{{258, 1, 8}}, "invalid type"}}) {
    const Error e = Caught([&] { DecodeGrey(MakeTiff(img8, tags), "bad.tif"); });
    EXPECT_EQ(e.category(), ErrorCategory::kImage) << words;
    EXPECT_TRUE(Contains(e.what(), "bad.tif")) << e.what();
    EXPECT_TRUE(Contains(e.what(), words)) << e.what();
  }
  std::vector<uint8_t> big = MakeTiff(img8);
  big[2] = 0x2B;  // BigTIFF
  EXPECT_TRUE(Contains(Caught([&] { ProbeImage(big, "big.tif"); }).what(), "BigTIFF"));
}

TEST(ImageIoDepthTest, TruncatedTiffIsRefusedAtEveryCut) {
  const std::vector<uint8_t> full = MakeTiff(Texture8(12, 9));
  for (size_t cut = 1; cut < full.size(); ++cut) {
    std::vector<uint8_t> part(full.begin(), full.begin() + static_cast<std::ptrdiff_t>(cut));
    try {
      const cv::Mat g = DecodeGrey(part, "cut.tif");
      ADD_FAILURE() << "a TIFF cut at " << cut << " of " << full.size() << " bytes decoded";
    } catch (const Error& e) {
      EXPECT_EQ(e.category(), ErrorCategory::kImage) << cut;
    }
  }
}

}  // namespace
}  // namespace linesight
