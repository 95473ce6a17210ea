// core/sha256.h: SHA-256 of bytes and files (libsodium), as lowercase hex — the same digest
// `sha256sum` prints, so a model's training manifest can be checked with standard tools.
#pragma once

#include <cstdint>
#include <filesystem>
#include <span>
#include <string>

namespace linesight {

// Hex SHA-256 of `data`.
std::string Sha256Hex(std::span<const uint8_t> data);

// Hex SHA-256 of the file at `path`, read in chunks. Throws Error{kIo} naming the file if it
// cannot be read.
std::string Sha256File(const std::filesystem::path& path);

}  // namespace linesight
