#include "core/sha256.h"

#include <string>

#include <gtest/gtest.h>

#include "core/error.h"
#include "testing/test_util.h"

namespace linesight {
namespace {

std::span<const uint8_t> AsBytes(const std::string& s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

TEST(Sha256Test, KnownDigests) {  // FIPS 180-2 examples
  EXPECT_EQ(Sha256Hex(AsBytes("")),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(Sha256Hex(AsBytes("abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(Sha256Test, FileDigestEqualsBytesDigestAcrossChunks) {
  testing::TempDir dir;
  std::string big(200000, 'x');
  for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>(i * 7 % 251);
  testing::WriteFile(dir / "f.bin", big);
  EXPECT_EQ(Sha256File(dir / "f.bin"), Sha256Hex(AsBytes(big)));
}

TEST(Sha256Test, MissingFileNamesIt) {
  const Error e = testing::Caught([] { Sha256File("/nonexistent/x.jpg"); });
  EXPECT_EQ(e.category(), ErrorCategory::kIo);
  EXPECT_TRUE(testing::Contains(e.what(), "/nonexistent/x.jpg"));
}

}  // namespace
}  // namespace linesight
