#include "inspect/trainer.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <ctime>

#include <opencv2/imgproc.hpp>

#include "core/clock.h"
#include "core/error.h"
#include "core/version.h"
#include "inspect/inspector.h"
#include "vision/image_io.h"

namespace linesight {
namespace {

std::string UtcNow() {
  std::time_t t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

// Indices 0..n-1 thinned to at most `max` evenly spread ones.
std::vector<size_t> Spread(size_t n, int max) {
  std::vector<size_t> idx;
  size_t m = (max > 0 && static_cast<size_t>(max) < n) ? static_cast<size_t>(max) : n;
  for (size_t i = 0; i < m; ++i) idx.push_back(i * n / m);
  return idx;
}

// A canvas image of each usable good part (the expensive, per-image part of training).
struct Canvases {
  std::vector<cv::Mat> images;
  std::vector<std::string> names;
  std::vector<double> radius;  // disc: pose.radius_fraction of each
  int skipped = 0;
};

void AddCanvas(const Recipe& recipe, const cv::Mat& image, const std::string& name,
               const TrainOptions& options, Canvases& out) {
  LocateScratch scratch;
  PartPose pose;
  cv::Mat canvas;
  // One image that breaks the locator or the warp (an OpenCV assertion, memory) is skipped like
  // an unreadable one; it must not end the whole training.
  try {
    pose = LocatePart(image, recipe.locate, scratch);
    if (pose.found)  // the warp Inspector uses, pixel for pixel
      WarpToCanvas(image, pose, recipe.locate.canvas, canvas, scratch);
  } catch (const std::exception& e) {
    ++out.skipped;
    if (options.skipped)
      options.skipped(name, std::string("locating the part failed: ") + e.what());
    return;
  }
  if (!pose.found) {
    ++out.skipped;
    if (options.skipped) options.skipped(name, "part not found: " + pose.failure);
    return;
  }
  out.images.push_back(canvas);
  out.names.push_back(name);
  out.radius.push_back(pose.radius_fraction);
}

// The good parts' outer radius (median), for round parts. Parts whose rim was found far from it
// were located on something else (an inner ring, a shadow): they are dropped, not learned from.
double LearnPartRadius(const Recipe& recipe, Canvases& c, const TrainOptions& options) {
  if (recipe.locate.method != LocateMethod::kDisc || c.radius.size() < 4) return 0;
  std::vector<double> sorted = c.radius;
  std::nth_element(sorted.begin(), sorted.begin() + sorted.size() / 2, sorted.end());
  const double median = sorted[sorted.size() / 2];
  const double tol = recipe.locate.radius_tolerance;
  Canvases kept;
  kept.skipped = c.skipped;
  for (size_t i = 0; i < c.images.size(); ++i) {
    if (std::abs(c.radius[i] - median) <= tol * median) {
      kept.images.push_back(c.images[i]);
      kept.names.push_back(c.names[i]);
      kept.radius.push_back(c.radius[i]);
      continue;
    }
    ++kept.skipped;
    if (options.skipped)
      options.skipped(c.names[i], "part found with radius " +
                                      std::to_string(std::lround(c.radius[i] * 100)) +
                                      "% of the short side, most good parts have " +
                                      std::to_string(std::lround(median * 100)) +
                                      "%: the rim was probably missed");
  }
  c = std::move(kept);
  return median;
}

InspectionModel Fit(const Recipe& recipe, Canvases& c, const TrainOptions& options,
                    SteadyClock::time_point start) {
  const double part_radius = LearnPartRadius(recipe, c, options);
  const size_t n = c.images.size();
  if (n < 4)
    throw Error(
        ErrorCategory::kData,
        "only " + std::to_string(n) + " usable good images (" + std::to_string(c.skipped) +
            " skipped)",
        "Train on at least 4 good images (30 or more recommended) that show the whole part");
  // Cross-fitted calibration: the images are dealt into folds (every k-th image to the same fold,
  // so each spans the whole list); each fold is scored by statistics fitted on the other folds.
  // Every image then has a score from a model that did not see it, and the quantile is taken over
  // all of them: with a single held-out share it rested on a few dozen scores and, at a 1% target,
  // on the highest one or two, so the false-reject rate a line got varied from one training to
  // the next. holdout_fraction sets the fold size: 0.3 gives 3 folds.
  const size_t folds =
      std::clamp<size_t>(static_cast<size_t>(std::lround(1.0 / recipe.holdout_fraction)), 2,
                         std::min<size_t>(n / 2, 10));
  CellStatsWorkspace ws;
  int done = 0;
  const int passes = recipe.cells.tail_quantile > 0 ? 2 : 1;   // moments, then tails
  const int steps = static_cast<int>(passes * folds * n + n);  // folds - 1 partial fits + 1 full
  auto fit = [&](size_t skip_fold) {  // skip_fold == folds: fit on every image
    CellStatsModel::Fitter fitter(recipe.cells);
    for (size_t i = 0; i < n; ++i) {
      if (i % folds == skip_fold) continue;
      fitter.Add(c.images[i], ws);
      if (options.progress) options.progress(++done, steps, "fit");
    }
    if (recipe.cells.tail_quantile > 0)
      for (size_t i = 0; i < n; ++i) {
        if (i % folds == skip_fold) continue;
        fitter.AddTail(c.images[i], ws);
        if (options.progress) options.progress(++done, steps, "fit tails");
      }
    return fitter.Finish();
  };

  std::vector<float> scores;
  cv::Mat map, weighted, weights;
  for (size_t fold = 0; fold < folds; ++fold) {
    const CellStatsModel partial = fit(fold);
    if (weights.empty()) weights = BuildWeightMap(recipe, partial.support());
    for (size_t i = fold; i < n; i += folds) {
      partial.Score(c.images[i], ws, map);
      cv::multiply(map, weights, weighted);
      double peak = 0;
      cv::minMaxLoc(weighted, nullptr, &peak);
      scores.push_back(static_cast<float>(peak));
      if (options.progress) options.progress(++done, steps, "calibrate");
    }
  }
  // Threshold: the (1 - target FRR) quantile of the out-of-fold scores, interpolated.
  std::sort(scores.begin(), scores.end());
  double q = (1.0 - recipe.target_false_reject_rate) * (scores.size() - 1);
  size_t lo = static_cast<size_t>(std::floor(q)), hi = std::min(lo + 1, scores.size() - 1);
  double thr = scores[lo] + (q - lo) * (scores[hi] - scores[lo]);

  // Refit on every usable image: more data, same threshold (slightly conservative).
  InspectionModel model{
      recipe, RecipeHash(recipe), static_cast<float>(std::max(thr, 1e-3)), {}, fit(folds)};
  model.part_radius = part_radius;
  model.quality =
      ObserveQuality(c.images, QualityRadiusFraction(recipe.locate.method == LocateMethod::kDisc,
                                                     recipe.locate.canvas_radius));
  model.training.good_images = static_cast<int>(n);
  model.training.calibration_images = static_cast<int>(n);
  model.training.skipped_images = c.skipped;
  model.training.created = UtcNow();
  model.training.linesight_version = kVersion;
  model.training.seconds = MillisSince(start) / 1000.0;
  return model;
}

}  // namespace

InspectionModel Train(const Recipe& recipe, const std::vector<std::filesystem::path>& good,
                      const TrainOptions& options) {
  auto start = SteadyClock::now();
  Canvases c;
  auto idx = Spread(good.size(), options.max_images);
  int done = 0;
  for (size_t i : idx) {
    try {
      AddCanvas(recipe, LoadGrey(good[i]), good[i].string(), options, c);
    } catch (const Error& e) {
      ++c.skipped;
      if (options.skipped) options.skipped(good[i], e.what());
    }
    if (options.progress) options.progress(++done, static_cast<int>(idx.size()), "load");
  }
  return Fit(recipe, c, options, start);
}

InspectionModel TrainFromImages(const Recipe& recipe, const std::vector<cv::Mat>& good,
                                const std::vector<std::string>& names,
                                const TrainOptions& options) {
  auto start = SteadyClock::now();
  Canvases c;
  for (size_t i : Spread(good.size(), options.max_images)) {
    const std::string& name = i < names.size() ? names[i] : std::to_string(i);
    if (good[i].empty() || good[i].type() != CV_8UC1) {
      ++c.skipped;
      if (options.skipped) options.skipped(name, "not an 8-bit grey image");
      continue;
    }
    AddCanvas(recipe, good[i], name, options, c);
  }
  return Fit(recipe, c, options, start);
}

}  // namespace linesight
