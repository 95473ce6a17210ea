// core/checksum.h: CRC-32 (IEEE 802.3) and FNV-1a 64, used to seal model files and hash recipes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

namespace linesight {

// CRC-32 of `data`, continuing from `crc` (pass 0 to start).
uint32_t Crc32(std::span<const uint8_t> data, uint32_t crc = 0);

// FNV-1a 64-bit hash of `text`; stable across machines and builds.
uint64_t Fnv1a64(std::string_view text);

}  // namespace linesight
