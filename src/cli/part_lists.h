// cli/part_lists.h: the images of a folder of parts, as eval and tune read them: mask PNGs that
// sit beside images are ground truth, not parts.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace linesight::cli {

// Image files in `dir` by the one listing rule (vision/image_io.h's ScanImages): mask files that
// sit beside images (X.png beside X.jpg, and X_mask.png) are left out.
std::vector<std::filesystem::path> ListParts(const std::string& dir);

// The ground-truth mask of `image`: <masks>/<stem>.png, else <stem>.png or <stem>_mask.png
// beside the image. Empty path if none exists.
std::filesystem::path FindMask(const std::filesystem::path& image, const std::string& masks_dir);

}  // namespace linesight::cli
