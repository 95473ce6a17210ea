#include "vision/image_io.h"

#include <algorithm>
#include <cctype>
#include <fstream>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "core/error.h"

namespace linesight {
namespace {

[[noreturn]] void Fail(const std::string& name, const std::string& cause, const std::string& fix) {
  throw Error(ErrorCategory::kImage, name + ": " + cause, fix);
}

uint32_t Be16(const uint8_t* p) { return (uint32_t(p[0]) << 8) | p[1]; }
uint32_t Be32(const uint8_t* p) { return (Be16(p) << 16) | Be16(p + 2); }
uint32_t Le16(const uint8_t* p) { return (uint32_t(p[1]) << 8) | p[0]; }
int32_t Le32(const uint8_t* p) {
  return static_cast<int32_t>((uint32_t(Le16(p + 2)) << 16) | Le16(p));
}

// Signatures exactly as OpenCV's own decoders check them. A looser check would let a file that
// OpenCV's PNG/PNM decoders refuse fall through to other decoders in the system OpenCV (GDCM
// for DICOM aborts the process on malformed input; found by fuzz/image_loader_fuzz.cpp).
constexpr uint8_t kPngSignature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};

const char* kReexport = "Re-export the image from the camera software as JPEG or PNG";

ImageInfo ProbeJpeg(std::span<const uint8_t> b, const std::string& name) {
  size_t i = 2;
  while (i + 4 <= b.size()) {
    if (b[i] != 0xFF) Fail(name, "JPEG marker stream is corrupt", kReexport);
    uint8_t marker = b[i + 1];
    if (marker == 0xFF) {  // fill byte
      ++i;
      continue;
    }
    if (marker == 0xD8 || (marker >= 0xD0 && marker <= 0xD7) || marker == 0x01) {
      i += 2;
      continue;
    }
    uint32_t len = Be16(&b[i + 2]);
    if (len < 2) Fail(name, "JPEG segment length is invalid", kReexport);
    bool sof =
        marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC;
    if (sof) {
      if (i + 10 > b.size()) break;
      ImageInfo info;
      info.format = "jpeg";
      info.bit_depth = b[i + 4];
      info.height = static_cast<int>(Be16(&b[i + 5]));
      info.width = static_cast<int>(Be16(&b[i + 7]));
      info.channels = b[i + 9];
      return info;
    }
    if (marker == 0xDA || marker == 0xD9) break;  // scan before any frame header
    i += 2 + len;
  }
  Fail(name, "JPEG is truncated before its frame header (no image size found)",
       "The file was cut short while copying or saving: copy it again from the source");
}

ImageInfo ProbePng(std::span<const uint8_t> b, const std::string& name) {
  if (b.size() < 33) Fail(name, "PNG is truncated before its header", "Copy the file again");
  if (Be32(&b[12]) != 0x49484452u) Fail(name, "PNG has no IHDR header", kReexport);
  ImageInfo info;
  info.format = "png";
  uint32_t w = Be32(&b[16]), h = Be32(&b[20]);
  if (w > 0x7FFFFFFF || h > 0x7FFFFFFF) Fail(name, "PNG header has an absurd size", kReexport);
  info.width = static_cast<int>(w);
  info.height = static_cast<int>(h);
  info.bit_depth = b[24];
  switch (b[25]) {
    case 0:
      info.channels = 1;
      break;
    case 2:
      info.channels = 3;
      break;
    case 3:
      info.channels = 3;
      info.bit_depth = 8;
      break;  // palette expands to 8-bit RGB
    case 4:
      info.channels = 2;
      break;
    case 6:
      info.channels = 4;
      break;
    default:
      Fail(name, "PNG colour type is invalid", kReexport);
  }
  // An sBIT chunk, if any, sits between IHDR and the first IDAT: the bits of the camera's data.
  const uint8_t colour_type = b[25];
  size_t i = 8;
  while (i + 12 <= b.size()) {
    const uint32_t len = Be32(&b[i]), type = Be32(&b[i + 4]);
    if (type == 0x49444154u || type == 0x49454E44u || len > b.size() - i - 12) break;  // IDAT, IEND
    if (type == 0x73424954u && colour_type != 3) {  // sBIT; a palette's says nothing of samples
      const size_t colours = colour_type == 0 || colour_type == 4 ? 1 : 3;  // not alpha
      int bits = 0;
      for (size_t k = 0; k < colours && k < len; ++k) bits = std::max<int>(bits, b[i + 8 + k]);
      if (bits >= 1 && bits <= info.bit_depth) info.declared_max = (1 << bits) - 1;
      break;
    }
    i += 12 + len;
  }
  return info;
}

// Classic TIFF ("II*\0" little-endian, "MM\0*" big-endian): the tags of the first image directory
// that say its size, samples and layout. OpenCV decodes only the first image of a multi-page file.
ImageInfo ProbeTiff(std::span<const uint8_t> b, const std::string& name,
                    const DecodeLimits& limits) {
  const char* kTruncated = "TIFF is truncated or its image directory points outside the file";
  const char* kCopy = "Copy the file again from the source";
  if (b.size() < 8) Fail(name, kTruncated, kCopy);
  const bool le = b[0] == 'I';
  auto u16 = [&](size_t at) { return le ? Le16(&b[at]) : Be16(&b[at]); };
  auto u32 = [&](size_t at) { return le ? static_cast<uint32_t>(Le32(&b[at])) : Be32(&b[at]); };
  const size_t ifd = u32(4);
  if (ifd < 8 || ifd + 2 > b.size()) Fail(name, kTruncated, kCopy);
  const size_t entries = u16(ifd);
  if (entries == 0 || ifd + 2 + 12 * entries > b.size()) Fail(name, kTruncated, kCopy);
  uint32_t width = 0, height = 0, spp = 1, bits = 1, format = 1, photometric = 1;
  uint32_t max_sample = 0, tile_w = 0, tile_h = 0;
  for (size_t k = 0; k < entries; ++k) {
    const size_t e = ifd + 2 + 12 * k;
    const uint32_t tag = u16(e), type = u16(e + 2), count = u32(e + 4);
    // The tags read here are SHORT (3) or LONG (4); every value of a multi-valued one must agree.
    auto value = [&]() -> uint32_t {
      if ((type != 3 && type != 4) || count == 0)
        Fail(name, "TIFF tag " + std::to_string(tag) + " has an invalid type or count", kReexport);
      const size_t size = type == 3 ? 2 : 4;
      if (count > b.size() / size) Fail(name, kTruncated, kCopy);
      const size_t at = size * count <= 4 ? e + 8 : u32(e + 8);
      if (at > b.size() || size * count > b.size() - at) Fail(name, kTruncated, kCopy);
      const uint32_t first = size == 2 ? u16(at) : u32(at);
      for (size_t j = 1; j < count; ++j)
        if ((size == 2 ? u16(at + 2 * j) : u32(at + 4 * j)) != first)
          Fail(name, "TIFF tag " + std::to_string(tag) + " differs between channels",
               "Save every channel with the same bit depth, or save the image as grey");
      return first;
    };
    switch (tag) {
      case 256:
        width = value();
        break;
      case 257:
        height = value();
        break;
      case 258:
        bits = value();
        break;
      case 262:
        photometric = value();
        break;
      case 277:
        spp = value();
        break;
      case 281:
        max_sample = value();
        break;
      case 322:
        tile_w = value();
        break;
      case 323:
        tile_h = value();
        break;
      case 339:
        format = value();
        break;
      default:
        break;
    }
  }
  if (width > 0x7FFFFFFF || height > 0x7FFFFFFF || tile_w > 0x7FFFFFFF || tile_h > 0x7FFFFFFF)
    Fail(name, "TIFF header has an absurd size", kReexport);
  // libtiff allocates a whole tile: a tile larger than the image limits is refused like an image.
  if (tile_w > static_cast<uint32_t>(limits.max_side) ||
      tile_h > static_cast<uint32_t>(limits.max_side) ||
      int64_t(tile_w) * tile_h > limits.max_pixels)
    Fail(name,
         "TIFF tiles of " + std::to_string(tile_w) + "x" + std::to_string(tile_h) +
             " pixels are beyond the image limits",
         kReexport);
  if (format != 1)
    Fail(
        name,
        "TIFF holds signed or floating-point samples (SampleFormat " + std::to_string(format) + ")",
        "Save the image with unsigned 8- or 16-bit samples");
  ImageInfo info;
  info.format = "tiff";
  info.width = static_cast<int>(width);
  info.height = static_cast<int>(height);
  info.channels = static_cast<int>(std::min<uint32_t>(spp, 4));
  info.bit_depth = static_cast<int>(std::min<uint32_t>(bits, 64));
  if (photometric == 3) {  // palette: decoded to 8-bit colour
    info.channels = 3;
    info.bit_depth = 8;
  }
  if (max_sample > 0 && info.bit_depth <= 16 && max_sample < (1u << info.bit_depth))
    info.declared_max = static_cast<int>(max_sample);
  return info;
}

ImageInfo ProbeBmp(std::span<const uint8_t> b, const std::string& name) {
  if (b.size() < 30) Fail(name, "BMP is truncated before its header", "Copy the file again");
  ImageInfo info;
  info.format = "bmp";
  int32_t w = Le32(&b[18]), h = Le32(&b[22]);
  if (w <= 0 || h == 0 || h == INT32_MIN) Fail(name, "BMP header has an invalid size", kReexport);
  info.width = w;
  info.height = h < 0 ? -h : h;
  int bpp = static_cast<int>(Le16(&b[28]));
  info.channels = bpp >= 24 ? bpp / 8 : 1;
  info.bit_depth = 8;
  return info;
}

ImageInfo ProbePnm(std::span<const uint8_t> b, const std::string& name) {
  // P5 / P6: "Pn <ws> width <ws> height <ws> maxval", with # comments.
  size_t i = 2;
  long vals[3] = {0, 0, 0};
  for (long& v : vals) {
    while (i < b.size() && (std::isspace(b[i]) || b[i] == '#')) {
      if (b[i] == '#')
        while (i < b.size() && b[i] != '\n') ++i;
      else
        ++i;
    }
    if (i >= b.size() || !std::isdigit(b[i])) Fail(name, "PNM header is malformed", kReexport);
    while (i < b.size() && std::isdigit(b[i])) {
      v = v * 10 + (b[i] - '0');
      if (v > 0x7FFFFFFF) Fail(name, "PNM header has an absurd size", kReexport);
      ++i;
    }
  }
  ImageInfo info;
  info.format = "pnm";
  info.width = static_cast<int>(vals[0]);
  info.height = static_cast<int>(vals[1]);
  info.channels = b[1] == '5' ? 1 : 3;
  info.bit_depth = vals[2] > 255 ? 16 : 8;
  if (vals[2] <= 0 || vals[2] > 65535)
    Fail(name, "PNM maxval " + std::to_string(vals[2]) + " is outside 1..65535", kReexport);
  info.declared_max = static_cast<int>(vals[2]);  // the spec's scale: sample / maxval
  return info;
}

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

}  // namespace

ImageInfo ProbeImage(std::span<const uint8_t> b, const std::string& name,
                     const DecodeLimits& limits) {
  if (b.empty()) Fail(name, "file is empty (0 bytes)", "Check that the camera finished writing it");
  ImageInfo info;
  if (b.size() >= 3 && b[0] == 0xFF && b[1] == 0xD8 && b[2] == 0xFF) {
    info = ProbeJpeg(b, name);
  } else if (b.size() >= 8 && std::equal(b.begin(), b.begin() + 8, kPngSignature)) {
    info = ProbePng(b, name);
  } else if (b.size() >= 2 && b[0] == 'B' && b[1] == 'M') {
    info = ProbeBmp(b, name);
  } else if (b.size() >= 3 && b[0] == 'P' && (b[1] == '5' || b[1] == '6') && std::isspace(b[2])) {
    info = ProbePnm(b, name);
  } else if (b.size() >= 4 && ((b[0] == 'I' && b[1] == 'I' && b[2] == 0x2A && b[3] == 0) ||
                               (b[0] == 'M' && b[1] == 'M' && b[2] == 0 && b[3] == 0x2A))) {
    info = ProbeTiff(b, name, limits);
  } else if (b.size() >= 4 && ((b[0] == 'I' && b[1] == 'I' && b[2] == 0x2B && b[3] == 0) ||
                               (b[0] == 'M' && b[1] == 'M' && b[2] == 0 && b[3] == 0x2B))) {
    Fail(name, "BigTIFF files are not supported",
         "Save the image as a classic TIFF (under 4 GB) or as PNG");
  } else {
    Fail(name, "not a supported image (expected JPEG, PNG, TIFF, BMP or PGM/PPM)",
         "Point linesight at image files only, or convert this one to PNG");
  }
  if (info.format == "jpeg") {
    // libjpeg fills a scan cut short with grey and reports success: refuse such files instead.
    size_t end = b.size();
    while (end > 2 && b[end - 1] == 0) --end;  // some writers pad with zeros
    if (end < 4 || b[end - 2] != 0xFF || b[end - 1] != 0xD9)
      Fail(name, "JPEG is truncated (no end-of-image marker)",
           "The file was cut short while copying or saving: copy it again from the source");
  }
  if (info.width <= 0 || info.height <= 0)
    Fail(name,
         "image header says the image has zero size (" + std::to_string(info.width) + "x" +
             std::to_string(info.height) + ")",
         kReexport);
  if (info.width > limits.max_side || info.height > limits.max_side ||
      int64_t(info.width) * info.height > limits.max_pixels)
    Fail(name,
         "image header claims " + std::to_string(info.width) + "x" + std::to_string(info.height) +
             " pixels, beyond the limit of " + std::to_string(limits.max_side) + " per side / " +
             std::to_string(limits.max_pixels) + " in all",
         "The header is corrupt, or the camera resolution is set far too high: crop or bin it");
  if (info.bit_depth != 0 && info.bit_depth != 8 && info.bit_depth != 16)
    Fail(name, "unsupported bit depth " + std::to_string(info.bit_depth),
         "Save the image with 8 or 16 bits per channel");
  return info;
}

int FullScale(int bit_depth, int declared_max, int max_sample) {
  const int full = bit_depth > 8 ? 65535 : 255;
  // A declaration of the container's whole range says nothing: OpenCV, for one, writes every
  // 16-bit PGM with maxval 65535.
  if (declared_max > 0 && declared_max < full && max_sample <= declared_max) return declared_max;
  if (bit_depth <= 8) return full;
  for (int bits : {8, 10, 12, 14})
    if (max_sample < (1 << bits)) return (1 << bits) - 1;
  return full;
}

cv::Mat DecodeGrey(std::span<const uint8_t> bytes, const std::string& name,
                   const DecodeLimits& limits, ImageInfo* info_out) {
  ImageInfo info = ProbeImage(bytes, name, limits);
  cv::Mat raw;
  try {
    // imdecode wants a Mat header over the bytes; it does not modify them.
    cv::Mat buf(1, static_cast<int>(bytes.size()), CV_8UC1, const_cast<uint8_t*>(bytes.data()));
    // A JPEG decodes straight to its luma plane: libjpeg skips the chroma and the colour
    // conversion, about 5x faster than decoding colour and converting (issue 12, section 4).
    const int flags =
        info.format == "jpeg" ? cv::IMREAD_GRAYSCALE : cv::IMREAD_ANYDEPTH | cv::IMREAD_ANYCOLOR;
    raw = cv::imdecode(buf, flags);
  } catch (const cv::Exception& e) {
    Fail(name, std::string("decoder failed: ") + e.what(), "Copy the file again from the source");
  }
  if (raw.empty())
    Fail(name, info.format + " data is corrupt or truncated (decoder produced no image)",
         "Copy the file again from the source; if it persists, check the camera's output");
  if (raw.cols != info.width || raw.rows != info.height)
    Fail(name, "decoded size differs from the header", "Copy the file again from the source");
  if (raw.depth() != CV_8U && raw.depth() != CV_16U)
    Fail(name, "unsupported pixel type", "Save the image with 8 or 16 bits per channel");
  if (raw.channels() != 1 && raw.channels() != 3 && raw.channels() != 4)
    Fail(name, "unsupported channel count " + std::to_string(raw.channels()),
         "Save the image as grey or RGB");
  // The largest colour sample (alpha aside) decides the range of data that declares none. Only
  // 16-bit data and 8-bit data that declares a smaller range need the pass over the pixels.
  const int depth_bits = raw.depth() == CV_16U ? 16 : 8;
  int max_sample = 0;
  if (depth_bits == 16 || (info.declared_max > 0 && info.declared_max < 255)) {
    const int ch = raw.channels(), colours = std::min(ch, 3);
    for (int y = 0; y < raw.rows; ++y) {
      if (depth_bits == 16) {
        const uint16_t* p = raw.ptr<uint16_t>(y);
        for (int x = 0; x < raw.cols; ++x)
          for (int k = 0; k < colours; ++k) max_sample = std::max<int>(max_sample, p[x * ch + k]);
      } else {
        const uint8_t* p = raw.ptr<uint8_t>(y);
        for (int x = 0; x < raw.cols; ++x)
          for (int k = 0; k < colours; ++k) max_sample = std::max<int>(max_sample, p[x * ch + k]);
      }
    }
  }
  info.full_scale = FullScale(depth_bits, info.declared_max, max_sample);
  cv::Mat grey;
  switch (raw.channels()) {
    case 1:
      grey = raw;
      break;
    case 3:
      cv::cvtColor(raw, grey, cv::COLOR_BGR2GRAY);
      break;
    default:
      cv::cvtColor(raw, grey, cv::COLOR_BGRA2GRAY);
      break;
  }
  if (grey.depth() != CV_8U || info.full_scale != 255) {
    cv::Mat g8;
    grey.convertTo(g8, CV_8U, 255.0 / info.full_scale);
    grey = g8;
  }
  if (info_out) *info_out = info;
  return grey;
}

std::vector<uint8_t> ReadFileBytes(const std::filesystem::path& path, size_t max_bytes) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec))
    throw Error(ErrorCategory::kInput, path.string() + ": is a folder, not a file",
                "Pass an image file");
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in)
    throw Error(ErrorCategory::kIo, path.string() + ": cannot be opened",
                "Check that the file exists and is readable");
  std::streamoff size = in.tellg();
  if (size < 0)
    throw Error(ErrorCategory::kIo, path.string() + ": cannot read its size", "Check the file");
  if (static_cast<size_t>(size) > max_bytes)
    throw Error(ErrorCategory::kImage,
                path.string() + ": file is " + std::to_string(size) + " bytes, over the limit of " +
                    std::to_string(max_bytes),
                "Pass an image file of a sensible size");
  if (size == 0)
    throw Error(ErrorCategory::kImage, path.string() + ": file is empty (0 bytes)",
                "Check that the camera finished writing it");
  std::vector<uint8_t> bytes(static_cast<size_t>(size));
  in.seekg(0);
  if (size > 0 && !in.read(reinterpret_cast<char*>(bytes.data()), size))
    throw Error(ErrorCategory::kIo, path.string() + ": read failed", "Check the disk and retry");
  return bytes;
}

cv::Mat LoadGrey(const std::filesystem::path& path, const DecodeLimits& limits) {
  std::vector<uint8_t> bytes = ReadFileBytes(path, limits.max_file_bytes);
  return DecodeGrey(bytes, path.string(), limits);
}

bool HasImageExtension(const std::filesystem::path& path) {
  static const char* kExt[] = {".jpg", ".jpeg", ".png", ".tif", ".tiff",
                               ".bmp", ".pgm",  ".ppm", ".pnm"};
  std::string ext = Lower(path.extension().string());
  return std::any_of(std::begin(kExt), std::end(kExt), [&](const char* e) { return ext == e; });
}

namespace {

namespace fs = std::filesystem;

bool EndsWithMask(const fs::path& p) {
  const std::string stem = p.stem().string();
  return stem.size() > 5 && stem.compare(stem.size() - 5, 5, "_mask") == 0;
}

bool IsPng(const fs::path& p) { return Lower(p.extension().string()) == ".png"; }

std::string Plural(int n, const std::string& one, const std::string& many) {
  return std::to_string(n) + " " + (n == 1 ? one : many);
}

// "a", "a and b", "a, b and c".
std::string JoinAnd(const std::vector<std::string>& parts) {
  std::string out;
  for (size_t i = 0; i < parts.size(); ++i)
    out += (i == 0 ? "" : i + 1 == parts.size() ? " and " : ", ") + parts[i];
  return out;
}

// Lists one folder into `out`.
void ScanFolder(const fs::path& dir, ImageListing& out) {
  std::error_code ec;
  std::vector<fs::path> candidates;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const fs::directory_entry& entry = *it;
    std::error_code e2;
    if (entry.is_symlink(e2) && !fs::exists(entry.path(), e2)) {
      out.dangling.emplace_back(entry.path(), fs::read_symlink(entry.path(), e2));
    } else if (entry.is_directory(e2)) {
      ++out.subfolders;
    } else if (entry.is_regular_file(e2) && HasImageExtension(entry.path())) {
      candidates.push_back(entry.path());
    } else {
      ++out.other[Lower(entry.path().extension().string())];
    }
  }
  if (ec)
    throw Error(ErrorCategory::kIo, dir.string() + ": cannot list folder (" + ec.message() + ")",
                "Check the folder's permissions");
  // Stems of the folder's images that are not PNG: a PNG of the same stem is their mask.
  std::vector<std::string> stems;
  for (const auto& p : candidates)
    if (!IsPng(p)) stems.push_back(p.stem().string());
  std::sort(stems.begin(), stems.end());
  std::sort(candidates.begin(), candidates.end());
  for (const auto& p : candidates) {
    const bool mask = EndsWithMask(p) || (IsPng(p) && std::binary_search(stems.begin(), stems.end(),
                                                                         p.stem().string()));
    (mask ? out.masks : out.images).push_back(p);
  }
}

}  // namespace

bool IsMaskFile(const fs::path& path) {
  if (EndsWithMask(path)) return true;
  if (!IsPng(path)) return false;
  std::error_code ec;
  // The image formats a mask may sit beside, in either case; HasImageExtension says which of
  // them this build reads.
  for (const char* ext : {".jpg", ".jpeg", ".bmp", ".pgm", ".ppm", ".pnm", ".tif", ".tiff"}) {
    std::string upper = ext;
    std::transform(upper.begin(), upper.end(), upper.begin(),
                   [](unsigned char c) { return std::toupper(c); });
    for (const std::string& e : {std::string(ext), upper}) {
      fs::path sibling = path;
      sibling.replace_extension(e);
      if (HasImageExtension(sibling) && fs::is_regular_file(sibling, ec)) return true;
    }
  }
  return false;
}

ImageListing ScanImages(const std::vector<fs::path>& paths) {
  ImageListing out;
  for (const auto& p : paths) {
    std::error_code ec;
    if (fs::is_directory(p, ec)) {
      ScanFolder(p, out);
    } else if (fs::exists(p, ec)) {
      (IsMaskFile(p) ? out.masks : out.images).push_back(p);
    } else if (fs::is_symlink(p, ec)) {
      throw Error(ErrorCategory::kInput,
                  p.string() + ": is a link to " + fs::read_symlink(p, ec).string() +
                      ", which does not exist",
                  "Fix or remove the link");
    } else {
      throw Error(ErrorCategory::kInput, p.string() + ": no such file or folder", "Check the path");
    }
  }
  return out;
}

std::vector<fs::path> ListImages(const std::vector<fs::path>& paths) {
  return ScanImages(paths).images;
}

std::string ImageListing::SkippedSummary() const {
  std::vector<std::string> parts;
  if (!masks.empty())
    parts.push_back(Plural(static_cast<int>(masks.size()), "mask file", "mask files"));
  if (subfolders) parts.push_back(Plural(subfolders, "subfolder", "subfolders"));
  int n_other = 0;
  std::string exts;
  for (const auto& [ext, n] : other) {
    n_other += n;
    exts += (exts.empty() ? "" : ", ") + (ext.empty() ? std::string("no extension") : ext);
  }
  if (n_other) parts.push_back(Plural(n_other, "other file", "other files") + " (" + exts + ")");
  std::string out;
  if (!parts.empty()) out = "skipped " + JoinAnd(parts);
  if (!dangling.empty()) {
    out += (out.empty() ? "" : ", ") +
           Plural(static_cast<int>(dangling.size()), "dangling link", "dangling links") + ": ";
    for (size_t i = 0; i < dangling.size() && i < 3; ++i)
      out += (i ? ", " : "") + dangling[i].first.filename().string() + " -> " +
             dangling[i].second.string();
    if (dangling.size() > 3) out += ", ...";
  }
  return out;
}

std::string ImageListing::Seen() const {
  std::vector<std::string> parts;
  if (subfolders) parts.push_back(Plural(subfolders, "subfolder", "subfolders"));
  if (!masks.empty())
    parts.push_back(Plural(static_cast<int>(masks.size()), "mask file", "mask files"));
  for (const auto& [ext, n] : other)
    parts.push_back(ext.empty() ? Plural(n, "file without extension", "files without extension")
                                : Plural(n, ext + " file", ext + " files"));
  if (!dangling.empty())
    parts.push_back(Plural(static_cast<int>(dangling.size()), "dangling link", "dangling links"));
  return parts.empty() ? "nothing" : JoinAnd(parts);
}

}  // namespace linesight
