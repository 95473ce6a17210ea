#include "core/sha256.h"

#include <array>
#include <fstream>

#include <sodium.h>

#include "core/error.h"

namespace linesight {
namespace {

std::string Hex(const unsigned char* digest) {
  static const char* kDigits = "0123456789abcdef";
  std::string out(crypto_hash_sha256_BYTES * 2, '0');
  for (size_t i = 0; i < crypto_hash_sha256_BYTES; ++i) {
    out[2 * i] = kDigits[digest[i] >> 4];
    out[2 * i + 1] = kDigits[digest[i] & 15];
  }
  return out;
}

}  // namespace

std::string Sha256Hex(std::span<const uint8_t> data) {
  unsigned char digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(digest, data.data(), data.size());
  return Hex(digest);
}

std::string Sha256File(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    throw Error(ErrorCategory::kIo, path.string() + ": cannot open to hash it",
                "Check that the file exists and is readable");
  crypto_hash_sha256_state state;
  crypto_hash_sha256_init(&state);
  std::array<char, 1 << 16> chunk;
  while (in) {
    in.read(chunk.data(), chunk.size());
    const auto got = in.gcount();
    if (got > 0)
      crypto_hash_sha256_update(&state, reinterpret_cast<const unsigned char*>(chunk.data()),
                                static_cast<unsigned long long>(got));
  }
  if (in.bad())
    throw Error(ErrorCategory::kIo, path.string() + ": read failed while hashing it",
                "Check the disk and the file's permissions");
  unsigned char digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256_final(&state, digest);
  return Hex(digest);
}

}  // namespace linesight
