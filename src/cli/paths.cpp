#include "cli/paths.h"

#include <algorithm>
#include <iostream>

#include <unistd.h>

#include "core/error.h"
#include "vision/image_io.h"

namespace linesight::cli {

namespace fs = std::filesystem;

std::vector<fs::path> ListInputImages(const std::vector<fs::path>& paths,
                                      const std::string& option) {
  ImageListing listing = ScanImages(paths);
  std::string where;
  for (const auto& p : paths) where += (where.empty() ? "" : ", ") + p.string();
  if (listing.images.empty()) {
    const std::string seen = listing.Seen();
    throw Error(ErrorCategory::kData,
                where + ": no images found" +
                    (seen == "nothing" ? std::string(" (empty)") : " (found " + seen + ")"),
                "Point " + option +
                    " at part images (JPEG, PNG, BMP, PGM or TIFF) or a folder that holds them; "
                    "subfolders are not searched, and mask files (X.png beside X.jpg, X_mask.png) "
                    "are never taken as parts");
  }
  const std::string skipped = listing.SkippedSummary();
  if (!skipped.empty()) std::cerr << "linesight: " << where << ": " << skipped << "\n";
  return std::move(listing.images);
}

std::vector<fs::path> ListDefectImages(const fs::path& folder, const std::string& option) {
  std::error_code ec;
  std::vector<fs::path> classes;
  if (fs::is_directory(folder, ec))
    for (const auto& e : fs::directory_iterator(folder, ec))
      if (e.is_directory(ec)) classes.push_back(e.path());
  if (classes.empty()) return ListInputImages({folder}, option);
  std::sort(classes.begin(), classes.end());
  // The folder's own images, then each subfolder's (a class); the note on what was left out is
  // the subfolders', since they are searched.
  std::vector<fs::path> images = ScanImages({folder}).images;
  ImageListing in_classes = ScanImages(classes);
  if (images.empty() && in_classes.images.empty())
    throw Error(ErrorCategory::kData,
                folder.string() + ": no images found in it or its " +
                    std::to_string(classes.size()) + " subfolders (found " + in_classes.Seen() +
                    ")",
                "Point " + option +
                    " at defect images (JPEG, PNG, BMP, PGM or TIFF), or a folder of one "
                    "subfolder per defect class that holds them");
  const std::string skipped = in_classes.SkippedSummary();
  if (!skipped.empty()) std::cerr << "linesight: " << folder.string() << ": " << skipped << "\n";
  images.insert(images.end(), in_classes.images.begin(), in_classes.images.end());
  return images;
}

void RequireFolder(const std::string& option, const fs::path& path) {
  std::error_code ec;
  if (fs::is_directory(path, ec)) return;
  if (fs::exists(path, ec))
    throw Error(ErrorCategory::kInput, option + " " + path.string() + ": is a file, not a folder",
                "Give the folder that holds the files");
  throw Error(ErrorCategory::kInput, option + " " + path.string() + ": no such folder",
              "Check the path");
}

void PrepareOutputFolder(const std::string& option, const fs::path& path) {
  std::error_code ec;
  if (fs::is_directory(path, ec)) return;
  // The nearest part of the path that exists must be a folder.
  for (fs::path p = path; !p.empty(); p = p.parent_path()) {
    if (fs::exists(p, ec) && !fs::is_directory(p, ec))
      throw Error(ErrorCategory::kInput,
                  option + " " + path.string() + ": " +
                      (p == path ? std::string("is a file, not a folder")
                                 : p.string() + " is a file, not a folder"),
                  "Give a folder for " + option + " (it is created if missing)");
    if (p == p.parent_path()) break;
  }
  fs::create_directories(path, ec);
  if (ec)
    throw Error(ErrorCategory::kIo,
                option + " " + path.string() + ": cannot create the folder (" + ec.message() + ")",
                "Check the permissions of its parent folder, or give another folder");
}

void RequireOutputFile(const std::string& option, const fs::path& path,
                       const std::string& example) {
  std::error_code ec;
  if (fs::is_directory(path, ec))
    throw Error(ErrorCategory::kInput, option + " " + path.string() + ": is a folder",
                "Give a file path, e.g. " + (path / example).string());
  const fs::path dir = path.parent_path().empty() ? fs::path(".") : path.parent_path();
  if (!fs::is_directory(dir, ec))
    throw Error(ErrorCategory::kInput,
                option + " " + path.string() + ": the folder " + dir.string() +
                    (fs::exists(dir, ec) ? " is a file" : " does not exist"),
                "Create the folder first (mkdir -p " + dir.string() + ") or give another path");
  if (::access(dir.c_str(), W_OK) != 0)
    throw Error(ErrorCategory::kInput,
                option + " " + path.string() + ": the folder " + dir.string() + " is not writable",
                "Give a path in a folder you can write to");
}

}  // namespace linesight::cli
