// cli/paths.h: checks on the paths a command is given, made before any work starts, so that a
// wrong path fails at once with a message naming the option, the path and the fix.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace linesight::cli {

// The part images in `paths` (vision/image_io.h's one listing rule). Prints one line on stderr
// naming what was left out (mask files, dangling links, subfolders, other files), if anything.
// Throws Error{kData} saying what the paths hold when no image is found, naming `option`.
std::vector<std::filesystem::path> ListInputImages(const std::vector<std::filesystem::path>& paths,
                                                   const std::string& option);

// The defect images for eval: those in `folder` and in each of its subfolders (one level; a
// subfolder is a defect class, docs/guide.md). Otherwise as ListInputImages.
std::vector<std::filesystem::path> ListDefectImages(const std::filesystem::path& folder,
                                                    const std::string& option);

// Throws Error{kInput} naming `option` unless `path` is an existing folder (missing, or a file).
void RequireFolder(const std::string& option, const std::filesystem::path& path);

// Makes `path` a folder to write into: creates it (and its parents) if missing. Throws
// Error{kInput} if it, or a parent, is a file; Error{kIo} if it cannot be created.
void PrepareOutputFolder(const std::string& option, const std::filesystem::path& path);

// Checks that a file can be written at `path` before any work is done: its folder exists and
// is writable, and `path` is not a folder. Creates nothing. Throws Error{kInput} naming `option`;
// `example` is a file name the fix suggests when `path` is a folder.
void RequireOutputFile(const std::string& option, const std::filesystem::path& path,
                       const std::string& example);

}  // namespace linesight::cli
