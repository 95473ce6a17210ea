// store/image_folder.h: the station's folder of kept images. Each file is named by its content
// (sha256 hex + "." + extension) and written atomically: temp file, fsync, rename, fsync folder.
// Not thread-safe: the Outbox serialises calls.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace linesight::store {

class ImageFolder {
 public:
  // Creates `dir` if missing. With `sync`, every write is fsync'd before Write() returns.
  // Throws Error{kIo} if the folder cannot be created.
  ImageFolder(std::filesystem::path dir, bool sync);

  // The content address of `bytes`: sha256 hex + "." + `extension`. Throws Error{kInput} if the
  // extension is not 1-8 lower-case letters or digits (so a name can never leave the folder).
  static std::string NameFor(std::span<const uint8_t> bytes, std::string_view extension);

  bool Has(const std::string& name) const;
  // Writes `bytes` as file `name`, replacing nothing that is already there. Throws Error{kIo}
  // naming the cause (disk full, read-only, I/O error); no partial file is left behind.
  void Write(const std::string& name, std::span<const uint8_t> bytes);
  // Deletes file `name` if present; never throws (a file left over is swept at the next open).
  void Remove(const std::string& name) noexcept;
  // Deletes temp files and every content-addressed file for which `known(name)` is false; files
  // with other names are left alone. Returns how many went.
  size_t Sweep(const std::function<bool(const std::string&)>& known);

  // A content-addressed file in the folder.
  struct Entry {
    std::string name;
    int64_t bytes = 0;
    int64_t modified_ms = 0;  // UTC ms
  };
  // The content-addressed files (not temp files, not other names), in no particular order.
  std::vector<Entry> List() const;

  const std::filesystem::path& dir() const { return dir_; }

 private:
  std::filesystem::path dir_;
  bool sync_;
};

}  // namespace linesight::store
