// vision/image_io.h: the one image loader. Reads JPEG, PNG, TIFF, BMP and PNM files into 8-bit
// grey, checking the header before decoding so that absurd sizes are refused before any
// allocation, and scaling 10-, 12- and 14-bit data in 16-bit files by its real range.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <span>
#include <string>
#include <utility>
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
  std::string format;  // "jpeg", "png", "tiff", "bmp", "pnm"
  int width = 0;
  int height = 0;
  int channels = 0;   // 1, 3 or 4 (0 when the header does not say)
  int bit_depth = 0;  // bits per channel (0 when the header does not say)
  // The largest sample value the file declares it uses, when it says: 2^sBIT - 1 for a PNG with
  // an sBIT chunk, MaxSampleValue for a TIFF that has it, maxval for PGM/PPM; 0 = not declared.
  int declared_max = 0;
  // Set by DecodeGrey only: the sample value that became 255 (255 for 8-bit data, 4095 for
  // 12-bit data in a 16-bit file, ...). See FullScale().
  int full_scale = 0;
};

// Reads the header of `bytes`. Throws Error{kImage} naming `name` if the bytes are empty, not a
// supported format, truncated before the size, or larger than `limits`.
ImageInfo ProbeImage(std::span<const uint8_t> bytes, const std::string& name,
                     const DecodeLimits& limits = {});

// The sample value that decodes to 255, for samples whose largest value is `max_sample` in a
// file of `bit_depth` bits per sample (8 or 16) that declares `declared_max` (0 = nothing).
// Deterministic: the same file always decodes the same way.
//   - declared below the container's range (255 or 65535) and max_sample <= declared_max:
//     declared_max (a PNG that follows the spec scales its sBIT data up to the full 16 bits, so
//     samples above the declaration mean full scale);
//   - otherwise the smallest of 2^b - 1 for b = 8, 10, 12, 14, 16 (8-bit files: 8) that holds
//     max_sample: 12-bit data stored in the low bits of 16 decodes by its 12-bit range, data
//     stored in the high bits by the full 16.
int FullScale(int bit_depth, int declared_max, int max_sample);

// Decodes `bytes` into an 8-bit single-channel image: colour is converted to luma, and samples
// are scaled so that FullScale() becomes 255. Throws Error{kImage} naming `name` for anything
// undecodable. If `info` is given it receives the header fields and full_scale.
cv::Mat DecodeGrey(std::span<const uint8_t> bytes, const std::string& name,
                   const DecodeLimits& limits = {}, ImageInfo* info = nullptr);

// Reads a whole file. Throws Error{kIo} if it cannot be read, Error{kImage} if it is empty or
// larger than `max_bytes`.
std::vector<uint8_t> ReadFileBytes(const std::filesystem::path& path, size_t max_bytes);

// ReadFileBytes + DecodeGrey.
cv::Mat LoadGrey(const std::filesystem::path& path, const DecodeLimits& limits = {});

// True if `path` has an image extension linesight reads (case-insensitive).
bool HasImageExtension(const std::filesystem::path& path);

// The one rule for which files are part images, shared by every command (train, inspect, eval,
// bench). A folder is listed, not recursively, sorted by name; a file is taken as given. Mask
// files are left out everywhere: `X_mask.<ext>`, and a PNG named like another image of its folder
// (`X.png` beside `X.jpg`: the pixel masks data sets keep beside their images).
struct ImageListing {
  std::vector<std::filesystem::path> images;  // in argument order, each folder sorted by name
  std::vector<std::filesystem::path> masks;   // mask files left out
  // Symbolic links whose target does not exist: the link and where it points.
  std::vector<std::pair<std::filesystem::path, std::filesystem::path>> dangling;
  int subfolders = 0;                // not looked into
  std::map<std::string, int> other;  // other files by lower-case extension ("" for none)

  // One line on what was left out, e.g. "skipped 40 mask files, 1 dangling link: a.jpg ->
  // /data/a.jpg"; empty when nothing was.
  std::string SkippedSummary() const;
  // What the paths hold besides images, e.g. "3 subfolders and 2 .txt files", or "nothing".
  std::string Seen() const;
};

// True if `path` is a mask file by the rule above (looks for images beside it on disk).
bool IsMaskFile(const std::filesystem::path& path);

// Lists the part images in `paths` by the rule above. Throws Error{kInput} if a path does not
// exist (naming a dangling link's target), Error{kIo} if a folder cannot be listed.
ImageListing ScanImages(const std::vector<std::filesystem::path>& paths);

// ScanImages(paths).images.
std::vector<std::filesystem::path> ListImages(const std::vector<std::filesystem::path>& paths);

}  // namespace linesight
