// core/model_file.h: the sealed container every model file uses: magic, format version, a JSON
// header, a binary payload and a CRC-32 over all of it. See docs/model_format.md.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <vector>

#include <nlohmann/json.hpp>

namespace linesight {

// Version of the container layout. Bump when the layout changes; readers refuse newer ones.
inline constexpr uint32_t kModelFormatVersion = 1;

struct ModelFile {
  nlohmann::json header;         // kind, versions, recipe hash, options, threshold, ...
  std::vector<uint8_t> payload;  // the model's arrays, little-endian
};

// Writes `file` to `path` atomically (temp file + rename). `verify`, if given, reads the
// written temp file back before it replaces `path`: if it throws, the temp file is removed, the
// file at `path` is left as it was, and its Error is rethrown. Throws Error{kIo} on failure and
// Error{kInput} if the header is too large for a model file to hold.
void WriteModelFile(const std::filesystem::path& path, const ModelFile& file,
                    const std::function<void(const std::filesystem::path& written)>& verify = {});

// Reads and verifies a model file. Throws Error{kModel} naming the path if it is not a
// linesight model, is truncated, fails its checksum, or has a newer format version.
ModelFile ReadModelFile(const std::filesystem::path& path);

// Same as ReadModelFile, from bytes already in memory (`name` is used in messages).
ModelFile ParseModelFile(const std::vector<uint8_t>& bytes, const std::string& name);

// Appends/reads little-endian float arrays to/from a payload.
void AppendFloats(std::vector<uint8_t>& payload, const std::vector<float>& values);
// Reads `count` floats at `offset` (advanced). Throws Error{kModel} if out of bounds.
std::vector<float> ReadFloats(const std::vector<uint8_t>& payload, size_t& offset, size_t count,
                              const std::string& name);

}  // namespace linesight
