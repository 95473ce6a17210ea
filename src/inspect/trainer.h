// inspect/trainer.h: learns an InspectionModel from good images only: fits the anomaly model on
// most of them and sets the reject threshold on the rest, for the recipe's target false-reject
// rate.
#pragma once

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "inspect/inspection_model.h"

namespace linesight {

struct TrainOptions {
  int max_images = 0;  // use at most this many good images (evenly spread); 0 = all
  // Called after each image with (done, total, stage); stage is "fit" or "calibrate".
  std::function<void(int, int, const char*)> progress;
  // Called for each image that cannot be used, with its path and the reason.
  std::function<void(const std::filesystem::path&, const std::string&)> skipped;
};

// Trains a model for `recipe` from `good` image paths. Unreadable images and images where the
// part is not found are skipped (reported through options.skipped). Throws Error{kData} if fewer
// than 4 usable images remain, naming how many were usable and why the others were not.
InspectionModel Train(const Recipe& recipe, const std::vector<std::filesystem::path>& good,
                      const TrainOptions& options);

// The same from images already in memory (CV_8UC1); `names` label them in messages.
InspectionModel TrainFromImages(const Recipe& recipe, const std::vector<cv::Mat>& good,
                                const std::vector<std::string>& names, const TrainOptions& options);

}  // namespace linesight
