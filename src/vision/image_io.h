// vision/image_io.h: the one image loader. Reads JPEG, PNG, BMP and PNM files into 8-bit grey,
// checking the header before decoding so that absurd sizes are refused before any allocation.
#pragma once

#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <vector>

#include <opencv2/core.hpp>

namespace linesight {

// Limits applied before decoding. Defaults suit inspection cameras up to 64 MP.
struct DecodeLimits {
  int max_side = 16384;                  // pixels, either dimension
  int64_t max_pixels = 64LL << 20;       // width * height
  size_t max_file_bytes = 256ull << 20;  // bytes read from disk
};

// What the header of an encoded image says, read without decoding pixels.
struct ImageInfo {
  std::string format;  // "jpeg", "png", "bmp", "pnm"
  int width = 0;
  int height = 0;
  int channels = 0;   // 1, 3 or 4 (0 when the header does not say)
  int bit_depth = 0;  // bits per channel (0 when the header does not say)
};

// Reads the header of `bytes`. Throws Error{kImage} naming `name` if the bytes are empty, not a
// supported format, truncated before the size, or larger than `limits`.
ImageInfo ProbeImage(std::span<const uint8_t> bytes, const std::string& name,
                     const DecodeLimits& limits = {});

// Decodes `bytes` into an 8-bit single-channel image (colour is converted to luma, 16-bit is
// scaled to 8-bit). Throws Error{kImage} naming `name` for anything undecodable.
cv::Mat DecodeGrey(std::span<const uint8_t> bytes, const std::string& name,
                   const DecodeLimits& limits = {});

// Reads a whole file. Throws Error{kIo} if it cannot be read, Error{kImage} if it is empty or
// larger than `max_bytes`.
std::vector<uint8_t> ReadFileBytes(const std::filesystem::path& path, size_t max_bytes);

// ReadFileBytes + DecodeGrey.
cv::Mat LoadGrey(const std::filesystem::path& path, const DecodeLimits& limits = {});

// True if `path` has an image extension linesight reads (case-insensitive).
bool HasImageExtension(const std::filesystem::path& path);

// Lists image files: a file is taken as is, a folder is listed (not recursively), sorted by name.
// Throws Error{kInput} if a path does not exist.
std::vector<std::filesystem::path> ListImages(const std::vector<std::filesystem::path>& paths);

}  // namespace linesight
