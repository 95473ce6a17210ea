// inspect/base64.h: standard base64 (RFC 4648, with padding), for embedding images in reports.
#pragma once

#include <cstdint>
#include <span>
#include <string>

namespace linesight {

// Returns `bytes` in base64 with '=' padding and no line breaks. Never throws (beyond bad_alloc).
[[nodiscard]] std::string Base64Encode(std::span<const uint8_t> bytes);

}  // namespace linesight
