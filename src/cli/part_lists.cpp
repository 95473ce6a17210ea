#include "cli/part_lists.h"

#include "vision/image_io.h"

namespace linesight::cli {

namespace fs = std::filesystem;

fs::path FindMask(const fs::path& image, const std::string& masks_dir) {
  std::vector<fs::path> options;
  if (!masks_dir.empty()) options.push_back(fs::path(masks_dir) / (image.stem().string() + ".png"));
  if (image.extension() != ".png")
    options.push_back(image.parent_path() / (image.stem().string() + ".png"));
  options.push_back(image.parent_path() / (image.stem().string() + "_mask.png"));
  for (const auto& p : options) {
    std::error_code ec;
    if (fs::is_regular_file(p, ec)) return p;
  }
  return {};
}

std::vector<fs::path> ListParts(const std::string& dir) {
  // Mask files are left out by the one listing rule of every command (vision/image_io.h).
  return ListImages({dir});
}

}  // namespace linesight::cli
