#include "inspect/base64.h"

#include <string>

#include <gtest/gtest.h>

namespace linesight {
namespace {

std::string Encode(const std::string& s) {
  return Base64Encode({reinterpret_cast<const uint8_t*>(s.data()), s.size()});
}

TEST(Base64Test, Rfc4648Vectors) {
  EXPECT_EQ(Encode(""), "");
  EXPECT_EQ(Encode("f"), "Zg==");
  EXPECT_EQ(Encode("fo"), "Zm8=");
  EXPECT_EQ(Encode("foo"), "Zm9v");
  EXPECT_EQ(Encode("foob"), "Zm9vYg==");
  EXPECT_EQ(Encode("fooba"), "Zm9vYmE=");
  EXPECT_EQ(Encode("foobar"), "Zm9vYmFy");
}

TEST(Base64Test, HighBytes) {
  const uint8_t bytes[] = {0xff, 0xfe, 0x00, 0x80};
  EXPECT_EQ(Base64Encode(bytes), "//4AgA==");
}

}  // namespace
}  // namespace linesight
