#include "core/model_file.h"
#include "core/json_text.h"

#include <cstring>
#include <fstream>

#include "core/checksum.h"
#include "core/error.h"

namespace linesight {
namespace {

constexpr char kMagic[8] = {'L', 'S', 'M', 'O', 'D', 'E', 'L', '\x1a'};
constexpr size_t kFixedHeader = 24;  // magic, version u32, header_len u32, payload_len u64
// The header carries the training manifest (~200 bytes a good image): room for 100,000s.
constexpr size_t kMaxHeader = size_t{64} << 20;
constexpr uint64_t kMaxPayload = 1ull << 30;

void PutU32(std::vector<uint8_t>& out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<uint8_t>(v >> (8 * i)));
}
void PutU64(std::vector<uint8_t>& out, uint64_t v) {
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<uint8_t>(v >> (8 * i)));
}
uint64_t GetLe(const uint8_t* p, int bytes) {
  uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) v |= uint64_t(p[i]) << (8 * i);
  return v;
}

[[noreturn]] void Bad(const std::string& name, const std::string& cause) {
  throw Error(ErrorCategory::kModel, name + ": " + cause,
              "Use a model file written by `linesight train`, or train the model again");
}

}  // namespace

void WriteModelFile(const std::filesystem::path& path, const ModelFile& file,
                    const std::function<void(const std::filesystem::path&)>& verify) {
  std::string header = JsonText(file.header);
  if (header.size() > kMaxHeader)
    throw Error(ErrorCategory::kInput,
                path.string() + ": the model's header would be " + std::to_string(header.size()) +
                    " bytes, over the " + std::to_string(kMaxHeader >> 20) +
                    " MiB a model file holds (its training manifest lists every image by path)",
                "Train on fewer images (--max-images) or from a folder with shorter paths");
  std::vector<uint8_t> out(kMagic, kMagic + 8);
  PutU32(out, kModelFormatVersion);
  PutU32(out, static_cast<uint32_t>(header.size()));
  PutU64(out, file.payload.size());
  out.insert(out.end(), header.begin(), header.end());
  out.insert(out.end(), file.payload.begin(), file.payload.end());
  PutU32(out, Crc32(out));

  std::filesystem::path tmp = path;
  tmp += ".tmp";
  {
    std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
    if (!f)
      throw Error(ErrorCategory::kIo, path.string() + ": cannot create the model file",
                  "Check that the folder exists and is writable");
    f.write(reinterpret_cast<const char*>(out.data()), static_cast<std::streamsize>(out.size()));
    if (!f.flush()) {
      f.close();
      std::error_code ignored;
      std::filesystem::remove(tmp, ignored);  // a disk-full write leaves no half file behind
      throw Error(ErrorCategory::kIo, path.string() + ": write failed",
                  "Check free disk space and retry");
    }
  }
  std::error_code ec;
  if (verify) {
    try {
      verify(tmp);
    } catch (...) {
      std::filesystem::remove(tmp, ec);
      throw;
    }
  }
  std::filesystem::rename(tmp, path, ec);
  if (ec)
    throw Error(ErrorCategory::kIo,
                path.string() + ": cannot move the model into place (" + ec.message() + ")",
                "Check the folder's permissions");
}

ModelFile ParseModelFile(const std::vector<uint8_t>& b, const std::string& name) {
  if (b.size() < kFixedHeader + 4 || std::memcmp(b.data(), kMagic, 8) != 0) {
    if (b.size() >= 8 && std::memcmp(b.data(), kMagic, 8) == 0)
      Bad(name, "model file is truncated");
    Bad(name, "not a linesight model file (wrong magic bytes)");
  }
  uint32_t version = static_cast<uint32_t>(GetLe(&b[8], 4));
  if (version > kModelFormatVersion)
    throw Error(ErrorCategory::kModel,
                name + ": model file format " + std::to_string(version) +
                    " is newer than this linesight reads (" + std::to_string(kModelFormatVersion) +
                    ")",
                "Upgrade linesight, or retrain the model with this version");
  if (version == 0) Bad(name, "model file has format version 0");
  uint64_t header_len = GetLe(&b[12], 4), payload_len = GetLe(&b[16], 8);
  if (header_len > kMaxHeader || payload_len > kMaxPayload)
    Bad(name, "model file header declares absurd section sizes (corrupt)");
  uint64_t expected = kFixedHeader + header_len + payload_len + 4;
  if (b.size() < expected) Bad(name, "model file is truncated");
  if (b.size() > expected) Bad(name, "model file has trailing bytes (corrupt or concatenated)");
  uint32_t stored = static_cast<uint32_t>(GetLe(&b[expected - 4], 4));
  if (Crc32(std::span<const uint8_t>(b.data(), expected - 4)) != stored)
    Bad(name, "model file checksum does not match (the file is corrupt)");
  ModelFile f;
  try {
    f.header = nlohmann::json::parse(b.begin() + kFixedHeader,
                                     b.begin() + static_cast<ptrdiff_t>(kFixedHeader + header_len));
  } catch (const nlohmann::json::exception& e) {
    Bad(name, std::string("model header is not valid JSON: ") + e.what());
  }
  if (!f.header.is_object()) Bad(name, "model header is not a JSON object");
  f.payload.assign(b.begin() + static_cast<ptrdiff_t>(kFixedHeader + header_len),
                   b.begin() + static_cast<ptrdiff_t>(expected - 4));
  return f;
}

ModelFile ReadModelFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  std::error_code ec;
  if (!in && !std::filesystem::exists(path, ec))  // a wrong path: a usage error (exit code 2)
    throw Error(ErrorCategory::kInput, path.string() + ": no such model file",
                "Check the path, or train a model with `linesight train`");
  if (!in)
    throw Error(ErrorCategory::kModel, path.string() + ": model file cannot be opened",
                "Check the file's permissions, or train a model with `linesight train`");
  std::streamoff size = in.tellg();
  if (size < 0 || static_cast<uint64_t>(size) > kMaxPayload + kMaxHeader + 64)
    Bad(path.string(), "model file size is unreadable or absurd");
  std::vector<uint8_t> bytes(static_cast<size_t>(size));
  in.seekg(0);
  if (size > 0 && !in.read(reinterpret_cast<char*>(bytes.data()), size))
    throw Error(ErrorCategory::kIo, path.string() + ": read failed", "Check the disk and retry");
  return ParseModelFile(bytes, path.string());
}

void AppendFloats(std::vector<uint8_t>& payload, const std::vector<float>& values) {
  static_assert(sizeof(float) == 4);
  for (float v : values) {
    uint32_t u;
    std::memcpy(&u, &v, 4);
    PutU32(payload, u);
  }
}

std::vector<float> ReadFloats(const std::vector<uint8_t>& payload, size_t& offset, size_t count,
                              const std::string& name) {
  if (count > payload.size() / 4 || offset > payload.size() - count * 4)
    Bad(name, "model payload is shorter than its header declares");
  std::vector<float> out(count);
  for (size_t i = 0; i < count; ++i) {
    uint32_t u = static_cast<uint32_t>(GetLe(&payload[offset + 4 * i], 4));
    std::memcpy(&out[i], &u, 4);
  }
  offset += count * 4;
  return out;
}

}  // namespace linesight
