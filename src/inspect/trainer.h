// inspect/trainer.h: learns an InspectionModel from good images only: scores every image out of
// fold, screens the set for outliers (defective parts among the good), sets the reject threshold
// for the recipe's target false-reject rate and records a manifest of the images it learned from.
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

// An out-of-fold score counts as an outlier when its log lies more than kOutlierZ robust standard
// deviations (1.4826 x the median absolute deviation) above the median log score, and the score
// is at least kOutlierMinRatio times the median: good parts' scores spread little in the log, a
// defective part's stands far off.
inline constexpr double kOutlierZ = 5.0;
inline constexpr double kOutlierMinRatio = 1.5;

// Indices of the outliers among `scores` (fewer than 8 scores: none), highest score first.
std::vector<size_t> FindOutliers(const std::vector<float>& scores);

// Trains a model for `recipe` from `good` image paths. Unreadable images and images where the
// part is not found are skipped (reported through options.skipped). Outliers are handled by the
// recipe's outlier policy; warnings (outliers, too few images) go to model.training.warnings.
// Throws Error{kData} if fewer than 4 usable images remain, naming how many were usable and why
// the others were not, or if the policy is `refuse` and there are too many outliers.
InspectionModel Train(const Recipe& recipe, const std::vector<std::filesystem::path>& good,
                      const TrainOptions& options);

// The same from images already in memory (CV_8UC1); `names` label them in messages.
InspectionModel TrainFromImages(const Recipe& recipe, const std::vector<cv::Mat>& good,
                                const std::vector<std::string>& names, const TrainOptions& options);

}  // namespace linesight
