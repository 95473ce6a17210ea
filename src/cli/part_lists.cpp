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
  auto all = ListImages({dir});
  std::vector<fs::path> out;
  for (const auto& p : all) {
    const std::string stem = p.stem().string();
    bool is_mask = stem.size() > 5 && stem.substr(stem.size() - 5) == "_mask";
    if (!is_mask && p.extension() == ".png")
      for (const char* ext : {".jpg", ".jpeg", ".bmp"})
        if (fs::exists(p.parent_path() / (stem + ext))) is_mask = true;
    if (!is_mask) out.push_back(p);
  }
  return out;
}

}  // namespace linesight::cli
