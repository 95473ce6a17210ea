#include "core/model_file.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <fstream>
#include <iterator>
#include <limits>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "core/checksum.h"
#include "core/error.h"
#include "testing/test_util.h"

namespace linesight {
namespace {

using testing::Caught;
using testing::Contains;
using testing::TempDir;

ModelFile Sample() {
  ModelFile f;
  f.header = {{"kind", "test"}, {"threshold", 1.25}, {"list", {1, 2, 3}}, {"name", "ünïcode"}};
  AppendFloats(f.payload, {0.0f, -1.5f, 3.25f, std::numeric_limits<float>::max(),
                           std::numeric_limits<float>::denorm_min(), 1e-30f});
  f.payload.push_back(0xAB);  // payloads need not be whole floats
  return f;
}

std::vector<uint8_t> ReadAll(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::vector<uint8_t> SampleBytes(TempDir& dir) {
  WriteModelFile(dir / "m.lsm", Sample());
  return ReadAll(dir / "m.lsm");
}

void PutU32(std::vector<uint8_t>& b, size_t at, uint32_t v) {
  for (int i = 0; i < 4; ++i) b[at + i] = static_cast<uint8_t>(v >> (8 * i));
}

// Recomputes the trailing CRC so that a deliberate edit is only caught by the check under test.
void Reseal(std::vector<uint8_t>& b) {
  PutU32(b, b.size() - 4, Crc32(std::span<const uint8_t>(b.data(), b.size() - 4)));
}

TEST(ModelFileTest, RoundTripThroughFile) {
  TempDir dir;
  const ModelFile f = Sample();
  WriteModelFile(dir / "m.lsm", f);
  EXPECT_FALSE(std::filesystem::exists(dir / "m.lsm.tmp")) << "temp file left behind";
  ModelFile g = ReadModelFile(dir / "m.lsm");
  EXPECT_EQ(g.header, f.header);
  EXPECT_EQ(g.payload, f.payload);
  size_t offset = 0;
  std::vector<float> v = ReadFloats(g.payload, offset, 6, "m");
  EXPECT_EQ(offset, 24u);
  ASSERT_EQ(v.size(), 6u);
  EXPECT_EQ(v[1], -1.5f);
  EXPECT_EQ(v[3], std::numeric_limits<float>::max());
  EXPECT_EQ(v[4], std::numeric_limits<float>::denorm_min());
}

TEST(ModelFileTest, LayoutIsLittleEndianWithMagicAndVersion) {
  TempDir dir;
  std::vector<uint8_t> b = SampleBytes(dir);
  ASSERT_GE(b.size(), 28u);
  EXPECT_EQ(std::memcmp(b.data(), "LSMODEL\x1a", 8), 0);
  EXPECT_EQ(b[8], kModelFormatVersion);
  EXPECT_EQ(b[9] | b[10] | b[11], 0);
  std::vector<uint8_t> payload;
  AppendFloats(payload, {1.0f});
  EXPECT_EQ(payload, (std::vector<uint8_t>{0x00, 0x00, 0x80, 0x3F}));
}

TEST(ModelFileTest, OverwritesAnExistingFile) {
  TempDir dir;
  testing::WriteFile(dir / "m.lsm", std::string(5000, 'x'));
  WriteModelFile(dir / "m.lsm", Sample());
  EXPECT_EQ(ReadModelFile(dir / "m.lsm").payload, Sample().payload);
}

// A file that its own check cannot read back never replaces the one there.
TEST(ModelFileTest, AFileThatFailsItsCheckLeavesTheOldOneInPlace) {
  TempDir dir;
  WriteModelFile(dir / "m.lsm", Sample());
  ModelFile other = Sample();
  other.header["threshold"] = 9;
  int checked = 0;
  const Error e = Caught([&] {
    WriteModelFile(dir / "m.lsm", other, [&](const std::filesystem::path& written) {
      ++checked;
      EXPECT_EQ(ReadModelFile(written).header.at("threshold"), 9);
      throw Error(ErrorCategory::kModel, "would not load", "fix it");
    });
  });
  EXPECT_EQ(checked, 1);
  EXPECT_TRUE(Contains(e.what(), "would not load"));
  EXPECT_EQ(ReadModelFile(dir / "m.lsm").header.at("threshold"), 1.25);
  EXPECT_FALSE(std::filesystem::exists(dir / "m.lsm.tmp"));
  WriteModelFile(dir / "m.lsm", other,
                 [](const std::filesystem::path& written) { ReadModelFile(written); });
  EXPECT_EQ(ReadModelFile(dir / "m.lsm").header.at("threshold"), 9);
}

// A name that is not UTF-8 (a file from a camera's disk) is written with U+FFFD, not refused,
// and a header too large to read back is refused before anything is written.
TEST(ModelFileTest, ForeignBytesAreReplacedAndAnOversizedHeaderIsRefused) {
  TempDir dir;
  ModelFile f = Sample();
  f.header["name"] = std::string("caf\xe9.png");
  WriteModelFile(dir / "m.lsm", f);
  EXPECT_EQ(ReadModelFile(dir / "m.lsm").header.at("name"), "caf\xef\xbf\xbd.png");
  f.header["name"] = std::string((size_t{64} << 20) + 1, 'x');
  const Error e = Caught([&] { WriteModelFile(dir / "big.lsm", f); });
  EXPECT_EQ(e.category(), ErrorCategory::kInput);
  EXPECT_TRUE(Contains(e.what(), "MiB a model file holds")) << e.what();
  EXPECT_FALSE(std::filesystem::exists(dir / "big.lsm"));
  EXPECT_FALSE(std::filesystem::exists(dir / "big.lsm.tmp"));
}

TEST(ModelFileTest, EmptyPayloadAndEmptyHeaderObject) {
  TempDir dir;
  ModelFile f;
  f.header = nlohmann::json::object();
  WriteModelFile(dir / "e.lsm", f);
  ModelFile g = ReadModelFile(dir / "e.lsm");
  EXPECT_TRUE(g.header.is_object());
  EXPECT_TRUE(g.payload.empty());
}

TEST(ModelFileTest, TruncatedAtEveryLengthIsRefused) {
  TempDir dir;
  const std::vector<uint8_t> full = SampleBytes(dir);
  for (size_t len = 0; len < full.size(); ++len) {
    std::vector<uint8_t> cut(full.begin(), full.begin() + static_cast<ptrdiff_t>(len));
    Error e = Caught([&] { ParseModelFile(cut, "cut.lsm"); });
    EXPECT_EQ(e.category(), ErrorCategory::kModel) << "len " << len;
    EXPECT_TRUE(Contains(e.what(), "cut.lsm")) << e.what();
    // Once the magic is complete the file is recognisably ours, only cut short.
    if (len >= 8) {
      EXPECT_TRUE(Contains(e.what(), "truncated")) << "len " << len << ": " << e.what();
    }
  }
}

TEST(ModelFileTest, TruncatedFileOnDisk) {
  TempDir dir;
  std::vector<uint8_t> full = SampleBytes(dir);
  for (size_t len : {8u, 27u, 28u, 40u}) {
    testing::WriteFile(dir / "t.lsm", std::string(full.begin(), full.begin() + len));
    Error e = Caught([&] { ReadModelFile(dir / "t.lsm"); });
    EXPECT_EQ(e.category(), ErrorCategory::kModel);
    EXPECT_TRUE(Contains(e.what(), "truncated")) << e.what();
    EXPECT_TRUE(Contains(e.what(), (dir / "t.lsm").string())) << e.what();
  }
  testing::WriteFile(
      dir / "t.lsm",
      std::string(full.begin(), full.begin() + static_cast<ptrdiff_t>(full.size() - 1)));
  EXPECT_TRUE(Contains(Caught([&] { ReadModelFile(dir / "t.lsm"); }).what(), "truncated"));
}

TEST(ModelFileTest, FlippedByteFailsChecksum) {
  TempDir dir;
  const std::vector<uint8_t> full = SampleBytes(dir);
  // Every byte after the fixed header: header JSON, payload and the CRC itself.
  for (size_t i = 24; i < full.size(); ++i) {
    std::vector<uint8_t> b = full;
    b[i] ^= 0x10;
    Error e = Caught([&] { ParseModelFile(b, "flip.lsm"); });
    EXPECT_EQ(e.category(), ErrorCategory::kModel);
    EXPECT_TRUE(Contains(e.what(), "checksum")) << "byte " << i << ": " << e.what();
  }
}

TEST(ModelFileTest, CorruptFixedHeaderIsRefused) {
  TempDir dir;
  const std::vector<uint8_t> full = SampleBytes(dir);
  for (size_t i = 12; i < 24; ++i) {  // section lengths
    std::vector<uint8_t> b = full;
    b[i] ^= 0x01;
    Error e = Caught([&] { ParseModelFile(b, "len.lsm"); });
    EXPECT_EQ(e.category(), ErrorCategory::kModel) << "byte " << i;
  }
  // Absurd section sizes are refused before anything is allocated.
  std::vector<uint8_t> b = full;
  PutU32(b, 12, 0xFFFFFFFFu);
  EXPECT_TRUE(Contains(Caught([&] { ParseModelFile(b, "x"); }).what(), "absurd"));
  b = full;
  for (int i = 16; i < 24; ++i) b[i] = 0xFF;
  EXPECT_TRUE(Contains(Caught([&] { ParseModelFile(b, "x"); }).what(), "absurd"));
}

TEST(ModelFileTest, WrongMagicIsNotAModel) {
  TempDir dir;
  std::vector<uint8_t> b = SampleBytes(dir);
  b[0] = 'X';
  Error e = Caught([&] { ParseModelFile(b, "foreign.bin"); });
  EXPECT_EQ(e.category(), ErrorCategory::kModel);
  EXPECT_TRUE(Contains(e.what(), "not a linesight model")) << e.what();
  EXPECT_TRUE(Contains(e.what(), "foreign.bin")) << e.what();

  const std::string text = "this is a text file, not a model at all\n";
  testing::WriteFile(dir / "notes.txt", text);
  e = Caught([&] { ReadModelFile(dir / "notes.txt"); });
  EXPECT_EQ(e.category(), ErrorCategory::kModel);
  EXPECT_TRUE(Contains(e.what(), "not a linesight model")) << e.what();

  // A PNG signature is just as foreign.
  std::vector<uint8_t> png(64, 0);
  const uint8_t kPng[8] = {0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A};
  std::copy(kPng, kPng + 8, png.begin());
  EXPECT_TRUE(Contains(Caught([&] { ParseModelFile(png, "p"); }).what(), "not a linesight model"));
}

TEST(ModelFileTest, NewerFormatVersionNamesBothVersions) {
  TempDir dir;
  std::vector<uint8_t> b = SampleBytes(dir);
  PutU32(b, 8, kModelFormatVersion + 1);
  Reseal(b);
  Error e = Caught([&] { ParseModelFile(b, "new.lsm"); });
  EXPECT_EQ(e.category(), ErrorCategory::kModel);
  const std::string msg = e.what();
  EXPECT_TRUE(Contains(msg, "newer")) << msg;
  EXPECT_TRUE(Contains(msg, std::to_string(kModelFormatVersion + 1))) << msg;
  EXPECT_TRUE(Contains(msg, "(" + std::to_string(kModelFormatVersion) + ")")) << msg;

  PutU32(b, 8, 0);
  Reseal(b);
  EXPECT_EQ(Caught([&] { ParseModelFile(b, "zero.lsm"); }).category(), ErrorCategory::kModel);
}

TEST(ModelFileTest, TrailingBytesAreRefused) {
  TempDir dir;
  std::vector<uint8_t> b = SampleBytes(dir);
  b.push_back(0);
  Error e = Caught([&] { ParseModelFile(b, "long.lsm"); });
  EXPECT_EQ(e.category(), ErrorCategory::kModel);
  EXPECT_TRUE(Contains(e.what(), "trailing")) << e.what();
  // Two models concatenated.
  std::vector<uint8_t> two = SampleBytes(dir);
  std::vector<uint8_t> one = two;
  two.insert(two.end(), one.begin(), one.end());
  EXPECT_TRUE(Contains(Caught([&] { ParseModelFile(two, "cat.lsm"); }).what(), "trailing"));
}

TEST(ModelFileTest, HeaderMustBeAJsonObject) {
  auto build = [](const std::string& header) {
    std::vector<uint8_t> b = {'L', 'S', 'M', 'O', 'D', 'E', 'L', 0x1a};
    auto put = [&](uint64_t v, int n) {
      for (int i = 0; i < n; ++i) b.push_back(static_cast<uint8_t>(v >> (8 * i)));
    };
    put(kModelFormatVersion, 4);
    put(header.size(), 4);
    put(0, 8);
    b.insert(b.end(), header.begin(), header.end());
    put(Crc32(b), 4);
    return b;
  };
  EXPECT_NO_THROW(ParseModelFile(build("{}"), "ok"));
  for (const std::string bad : {"[1,2]", "42", "{\"a\":", "", "nul"}) {
    Error e = Caught([&] { ParseModelFile(build(bad), "hdr.lsm"); });
    EXPECT_EQ(e.category(), ErrorCategory::kModel) << bad;
    EXPECT_TRUE(Contains(e.what(), "header")) << e.what();
  }
}

TEST(ModelFileTest, EmptyFile) {
  TempDir dir;
  testing::WriteFile(dir / "empty.lsm", "");
  Error e = Caught([&] { ReadModelFile(dir / "empty.lsm"); });
  EXPECT_EQ(e.category(), ErrorCategory::kModel);
  EXPECT_TRUE(Contains(e.what(), "empty.lsm")) << e.what();
  EXPECT_EQ(Caught([&] { ParseModelFile({}, "e"); }).category(), ErrorCategory::kModel);
}

TEST(ModelFileTest, MissingFileAndFolder) {
  TempDir dir;
  Error e = Caught([&] { ReadModelFile(dir / "nope.lsm"); });
  EXPECT_EQ(e.category(), ErrorCategory::kInput);  // a wrong path: the CLI's exit code 2
  EXPECT_TRUE(Contains(e.what(), "nope.lsm: no such model file")) << e.what();
  // A folder is never a model, whatever the stream library makes of it.
  std::filesystem::create_directories(dir / "folder.lsm");
  try {
    ReadModelFile(dir / "folder.lsm");
    ADD_FAILURE() << "a folder was read as a model";
  } catch (const Error& err) {
    EXPECT_TRUE(err.category() == ErrorCategory::kModel || err.category() == ErrorCategory::kIo);
  }
}

TEST(ModelFileTest, WriteIntoMissingFolderThrowsIo) {
  TempDir dir;
  Error e = Caught([&] { WriteModelFile(dir / "no" / "such" / "m.lsm", Sample()); });
  EXPECT_EQ(e.category(), ErrorCategory::kIo);
}

TEST(ModelFileTest, ReadFloatsBounds) {
  std::vector<uint8_t> payload;
  AppendFloats(payload, {1, 2, 3});
  size_t offset = 0;
  EXPECT_EQ(ReadFloats(payload, offset, 0, "p"), std::vector<float>{});
  EXPECT_EQ(offset, 0u);
  EXPECT_EQ(ReadFloats(payload, offset, 2, "p"), (std::vector<float>{1, 2}));
  EXPECT_EQ(offset, 8u);

  size_t at = offset;
  Error e = Caught([&] { ReadFloats(payload, at, 2, "short.lsm"); });
  EXPECT_EQ(e.category(), ErrorCategory::kModel);
  EXPECT_TRUE(Contains(e.what(), "short.lsm")) << e.what();
  EXPECT_EQ(at, offset) << "a failed read must not advance the offset";

  EXPECT_EQ(ReadFloats(payload, offset, 1, "p"), std::vector<float>{3});
  EXPECT_EQ(offset, 12u);
  EXPECT_EQ(ReadFloats(payload, offset, 0, "p"), std::vector<float>{});

  // Offsets and counts that would overflow size_t arithmetic.
  for (size_t count :
       {size_t{4}, std::numeric_limits<size_t>::max() / 4,
        std::numeric_limits<size_t>::max() / 4 + 1, std::numeric_limits<size_t>::max()}) {
    size_t o = 0;
    EXPECT_EQ(Caught([&] { ReadFloats(payload, o, count, "p"); }).category(), ErrorCategory::kModel)
        << count;
  }
  for (size_t start : {size_t{13}, size_t{100}, std::numeric_limits<size_t>::max() - 2}) {
    size_t o = start;
    EXPECT_EQ(Caught([&] { ReadFloats(payload, o, 1, "p"); }).category(), ErrorCategory::kModel)
        << start;
  }
  // Unaligned but in bounds is fine.
  std::vector<uint8_t> odd = {0xEE};
  AppendFloats(odd, {-2.5f});
  size_t o = 1;
  EXPECT_EQ(ReadFloats(odd, o, 1, "p"), std::vector<float>{-2.5f});
}

TEST(ModelFileTest, NanAndInfinityRoundTripBitForBit) {
  std::vector<float> in = {std::numeric_limits<float>::quiet_NaN(),
                           std::numeric_limits<float>::infinity(), -0.0f};
  std::vector<uint8_t> payload;
  AppendFloats(payload, in);
  size_t o = 0;
  std::vector<float> out = ReadFloats(payload, o, 3, "p");
  EXPECT_EQ(std::memcmp(in.data(), out.data(), 12), 0);
}

}  // namespace
}  // namespace linesight
