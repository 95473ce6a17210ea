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
  } else {
    Fail(name, "not a supported image (expected JPEG, PNG, BMP or PGM/PPM)",
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

cv::Mat DecodeGrey(std::span<const uint8_t> bytes, const std::string& name,
                   const DecodeLimits& limits) {
  ImageInfo info = ProbeImage(bytes, name, limits);
  cv::Mat raw;
  try {
    // imdecode wants a Mat header over the bytes; it does not modify them.
    cv::Mat buf(1, static_cast<int>(bytes.size()), CV_8UC1, const_cast<uint8_t*>(bytes.data()));
    raw = cv::imdecode(buf, cv::IMREAD_ANYDEPTH | cv::IMREAD_ANYCOLOR);
  } catch (const cv::Exception& e) {
    Fail(name, std::string("decoder failed: ") + e.what(), "Copy the file again from the source");
  }
  if (raw.empty())
    Fail(name, info.format + " data is corrupt or truncated (decoder produced no image)",
         "Copy the file again from the source; if it persists, check the camera's output");
  if (raw.cols != info.width || raw.rows != info.height)
    Fail(name, "decoded size differs from the header", "Copy the file again from the source");
  cv::Mat grey;
  switch (raw.channels()) {
    case 1:
      grey = raw;
      break;
    case 3:
      cv::cvtColor(raw, grey, cv::COLOR_BGR2GRAY);
      break;
    case 4:
      cv::cvtColor(raw, grey, cv::COLOR_BGRA2GRAY);
      break;
    default:
      Fail(name, "unsupported channel count " + std::to_string(raw.channels()),
           "Save the image as grey or RGB");
  }
  if (grey.depth() == CV_16U) {
    cv::Mat g8;
    grey.convertTo(g8, CV_8U, 1.0 / 257.0);
    grey = g8;
  } else if (grey.depth() != CV_8U) {
    Fail(name, "unsupported pixel type", "Save the image with 8 or 16 bits per channel");
  }
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
  static const char* kExt[] = {".jpg", ".jpeg", ".png", ".bmp", ".pgm", ".ppm", ".pnm"};
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
