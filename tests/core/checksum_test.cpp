#include "core/checksum.h"

#include <cstdint>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

namespace linesight {
namespace {

std::span<const uint8_t> Bytes(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

// Bit-by-bit CRC-32 (IEEE, reflected), the reference for the table-driven version.
uint32_t SlowCrc32(std::span<const uint8_t> data) {
  uint32_t crc = 0xFFFFFFFFu;
  for (uint8_t b : data) {
    crc ^= b;
    for (int k = 0; k < 8; ++k) crc = (crc & 1) ? (crc >> 1) ^ 0xEDB88320u : crc >> 1;
  }
  return ~crc;
}

TEST(Crc32Test, KnownVectors) {
  EXPECT_EQ(Crc32(Bytes("123456789")), 0xCBF43926u);
  EXPECT_EQ(Crc32(Bytes("")), 0u);
  EXPECT_EQ(Crc32(Bytes("a")), 0xE8B7BE43u);
  EXPECT_EQ(Crc32(Bytes("The quick brown fox jumps over the lazy dog")), 0x414FA339u);
  const std::vector<uint8_t> zeros(32, 0);
  EXPECT_EQ(Crc32(zeros), 0x190A55ADu);
  const std::vector<uint8_t> ones(32, 0xFF);
  EXPECT_EQ(Crc32(ones), 0xFF6CAB0Bu);
}

TEST(Crc32Test, IncrementalEqualsOneShotAtEverySplit) {
  const std::string_view text = "123456789";
  for (size_t cut = 0; cut <= text.size(); ++cut) {
    uint32_t crc = Crc32(Bytes(text.substr(0, cut)));
    crc = Crc32(Bytes(text.substr(cut)), crc);
    EXPECT_EQ(crc, 0xCBF43926u) << "split at " << cut;
  }
}

TEST(Crc32Test, MatchesBitwiseReferenceOnRandomData) {
  std::mt19937 rng(7767517);
  for (size_t n : {1u, 3u, 7u, 13u, 64u, 255u, 1000u, 4099u}) {
    std::vector<uint8_t> data(n);
    for (auto& b : data) b = static_cast<uint8_t>(rng());
    EXPECT_EQ(Crc32(data), SlowCrc32(data)) << "n=" << n;
    // Three uneven chunks.
    size_t a = n / 3, b = n - n / 5;
    uint32_t crc = Crc32(std::span<const uint8_t>(data.data(), a));
    crc = Crc32(std::span<const uint8_t>(data.data() + a, b - a), crc);
    crc = Crc32(std::span<const uint8_t>(data.data() + b, n - b), crc);
    EXPECT_EQ(crc, SlowCrc32(data)) << "chunks, n=" << n;
  }
}

TEST(Crc32Test, DetectsEverySingleBitFlip) {
  std::mt19937 rng(13);
  std::vector<uint8_t> data(97);
  for (auto& b : data) b = static_cast<uint8_t>(rng());
  const uint32_t base = Crc32(data);
  for (size_t i = 0; i < data.size(); ++i) {
    for (int bit = 0; bit < 8; ++bit) {
      data[i] ^= static_cast<uint8_t>(1u << bit);
      EXPECT_NE(Crc32(data), base) << "byte " << i << " bit " << bit;
      data[i] ^= static_cast<uint8_t>(1u << bit);
    }
  }
}

TEST(Fnv1a64Test, KnownValuesAreStable) {
  // Published FNV-1a 64 test vectors; models and recipes store these hashes, so they must never
  // change.
  EXPECT_EQ(Fnv1a64(""), 0xCBF29CE484222325ull);
  EXPECT_EQ(Fnv1a64("a"), 0xAF63DC4C8601EC8Cull);
  EXPECT_EQ(Fnv1a64("foobar"), 0x85944171F73967E8ull);
}

TEST(Fnv1a64Test, SensitiveToOrderAndBytesAboveAscii) {
  EXPECT_NE(Fnv1a64("ab"), Fnv1a64("ba"));
  EXPECT_NE(Fnv1a64("a"), Fnv1a64(std::string("a\0", 2)));
  // A char above 0x7F must hash as its unsigned byte value, whatever the sign of char.
  const std::string high = "\xE9";
  uint64_t expected = 0xCBF29CE484222325ull;
  expected ^= 0xE9u;
  expected *= 1099511628211ull;
  EXPECT_EQ(Fnv1a64(high), expected);
  EXPECT_EQ(Fnv1a64("hello world"), Fnv1a64(std::string("hello ") + "world"));
}

}  // namespace
}  // namespace linesight
