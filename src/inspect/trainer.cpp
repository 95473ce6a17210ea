#include "inspect/trainer.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <ctime>
#include <optional>

#include <opencv2/imgproc.hpp>

#include "core/clock.h"
#include "core/error.h"
#include "core/sha256.h"
#include "core/version.h"
#include "inspect/decision.h"
#include "inspect/inspector.h"
#include "inspect/outline_check.h"
#include "vision/image_io.h"

namespace linesight {
namespace {

// Indices 0..n-1 thinned to at most `max` evenly spread ones.
std::vector<size_t> Spread(size_t n, int max) {
  std::vector<size_t> idx;
  size_t m = (max > 0 && static_cast<size_t>(max) < n) ? static_cast<size_t>(max) : n;
  for (size_t i = 0; i < m; ++i) idx.push_back(i * n / m);
  return idx;
}

// One usable good part: its canvas image (the expensive, per-image part of training) and what
// the manifest and the decision rule need of it.
struct Sample {
  cv::Mat canvas;
  std::string name, sha256;
  double radius = 0;            // disc: pose.radius_fraction
  double scale = 1;             // pose.scale, canvas pixels per image pixel
  float score = 0;              // out-of-fold decision score
  cv::Matx23d image_to_canvas;  // pose.image_to_canvas
  cv::Size frame;               // the image's size
};

struct Samples {
  std::vector<Sample> used;
  std::vector<TrainingImage> skipped;  // with the reason
};

void Skip(Samples& s, const std::string& name, const std::string& sha, const std::string& why,
          const TrainOptions& options) {
  s.skipped.push_back({name, sha, 0, TrainingImage::Status::kSkipped, why});
  if (options.skipped) options.skipped(name, why);
}

void AddCanvas(const Recipe& recipe, const cv::Mat& image, const std::string& name,
               const std::string& sha, const TrainOptions& options, Samples& out) {
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
    return Skip(out, name, sha, std::string("locating the part failed: ") + e.what(), options);
  }
  if (!pose.found) return Skip(out, name, sha, "part not found: " + pose.failure, options);
  out.used.push_back(
      {canvas, name, sha, pose.radius_fraction, pose.scale, 0, pose.image_to_canvas, image.size()});
}

// The good parts' outer radius (median), for round parts. Parts whose rim was found far from it
// were located on something else (an inner ring, a shadow): they are dropped, not learned from.
double LearnPartRadius(const Recipe& recipe, Samples& s, const TrainOptions& options) {
  if (recipe.locate.method != LocateMethod::kDisc || s.used.size() < 4) return 0;
  std::vector<double> sorted;
  for (const auto& u : s.used) sorted.push_back(u.radius);
  std::nth_element(sorted.begin(), sorted.begin() + sorted.size() / 2, sorted.end());
  const double median = sorted[sorted.size() / 2];
  const double tol = recipe.locate.radius_tolerance;
  std::vector<Sample> kept;
  for (auto& u : s.used) {
    if (std::abs(u.radius - median) <= tol * median) {
      kept.push_back(std::move(u));
      continue;
    }
    Skip(s, u.name, u.sha256,
         "part found with radius " + std::to_string(std::lround(u.radius * 100)) +
             "% of the short side, most good parts have " +
             std::to_string(std::lround(median * 100)) + "%: the rim was probably missed",
         options);
  }
  s.used = std::move(kept);
  return median;
}

// The anomaly models fitted on one share of the samples: the recipe's, and its companion's.
struct FittedModels {
  CellStatsModel first;
  std::optional<CellStatsModel> companion;
};

// Fits the anomaly models on every sample whose index is not in `skip_fold` (folds dealt every
// k-th sample); skip_fold == folds fits on all of them.
class FoldFitter {
 public:
  FoldFitter(const Recipe& recipe, const std::vector<Sample>& used, size_t folds,
             const TrainOptions& options)
      : recipe_(recipe), used_(used), folds_(folds), options_(options) {
    const int passes = recipe.cells.tail_quantile > 0 ? 2 : 1;  // moments, then tails
    const int models = recipe.companion_cells ? 2 : 1;
    steps_ = static_cast<int>(models * passes * folds * used.size() + used.size());
  }

  FittedModels Fit(size_t skip_fold) {
    FittedModels out{FitOne(skip_fold, recipe_.cells), std::nullopt};
    if (recipe_.companion_cells) out.companion = FitOne(skip_fold, *recipe_.companion_cells);
    return out;
  }

  void Progress(const char* stage) {
    if (options_.progress) options_.progress(++done_, steps_, stage);
  }
  CellStatsWorkspace& workspace() { return ws_; }

 private:
  CellStatsModel FitOne(size_t skip_fold, const CellStatsOptions& cells) {
    CellStatsModel::Fitter fitter(cells);
    for (size_t i = 0; i < used_.size(); ++i) {
      if (i % folds_ == skip_fold) continue;
      fitter.Add(used_[i].canvas, ws_);
      Progress("fit");
    }
    if (cells.tail_quantile > 0)
      for (size_t i = 0; i < used_.size(); ++i) {
        if (i % folds_ == skip_fold) continue;
        fitter.AddTail(used_[i].canvas, ws_);
        Progress("fit tails");
      }
    return fitter.Finish();
  }

  const Recipe& recipe_;
  const std::vector<Sample>& used_;
  size_t folds_;
  const TrainOptions& options_;
  CellStatsWorkspace ws_;
  int done_ = 0, steps_ = 0;
};

// With training.outliers: drop, training is fitted again at most this many times.
constexpr int kMaxDropRounds = 3;

// Cross-fitted calibration: the samples are dealt into folds (every k-th to the same fold, so
// each spans the whole list); each fold is scored by statistics fitted on the other folds. Every
// sample then has a score from a model that did not see it, and the quantile is taken over all
// of them: with a single held-out share it rested on a few dozen scores and, at a 1% target, on
// the highest one or two, so the false-reject rate a line got varied from one training to the
// next. holdout_fraction sets the fold size: 0.3 gives 3 folds.
size_t FoldCount(const Recipe& recipe, size_t n) {
  return std::clamp<size_t>(static_cast<size_t>(std::lround(1.0 / recipe.holdout_fraction)), 2,
                            std::min<size_t>(n / 2, 10));
}

// Scores every sample out of fold with the line's own rule (inspect/decision.h), so that the
// calibrated rate is the line's rate.
void ScoreOutOfFold(const Recipe& recipe, std::vector<Sample>& used, size_t folds,
                    FoldFitter& fitter) {
  cv::Mat map, second, weighted, weights;
  CellStatsWorkspace companion_ws;
  AreaPeakScratch area;
  for (size_t fold = 0; fold < folds; ++fold) {
    const FittedModels partial = fitter.Fit(fold);
    if (weights.empty()) weights = BuildWeightMap(recipe, partial.first.support());
    for (size_t i = fold; i < used.size(); i += folds) {
      partial.first.Score(used[i].canvas, fitter.workspace(), map);
      if (partial.companion) {
        ScoreCompanion(*partial.companion, partial.first, used[i].canvas, fitter.workspace(),
                       companion_ws, second);
        AverageMaps(map, second);
      }
      cv::multiply(map, weights, weighted);
      if (recipe.locate.method == LocateMethod::kDisc)
        ClearNearFrameEdge(weighted, used[i].image_to_canvas, used[i].frame,
                           FrameMarginCanvasPx(partial.first.options().bands));
      used[i].score =
          DecisionScore(weighted, CanvasMinArea(recipe.min_defect_area_px, used[i].scale), area);
      fitter.Progress("calibrate");
    }
  }
}

// The (1 - target FRR) quantile of the out-of-fold scores, interpolated.
double Quantile(std::vector<float> scores, double target_frr) {
  std::sort(scores.begin(), scores.end());
  const double q = (1.0 - target_frr) * static_cast<double>(scores.size() - 1);
  const size_t lo = static_cast<size_t>(std::floor(q)), hi = std::min(lo + 1, scores.size() - 1);
  return scores[lo] + (q - static_cast<double>(lo)) * (scores[hi] - scores[lo]);
}

void RequireEnough(size_t n, size_t skipped) {
  if (n < 4)
    throw Error(
        ErrorCategory::kData,
        "only " + std::to_string(n) + " usable good images (" + std::to_string(skipped) +
            " skipped)",
        "Train on at least 4 good images (30 or more recommended) that show the whole part");
}

std::string Percent(double fraction) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3g%%", fraction * 100);
  return buf;
}

// Names of the first few outliers with their scores, for messages.
std::string ListOutliers(const std::vector<Sample>& used, const std::vector<size_t>& idx) {
  std::string out;
  for (size_t k = 0; k < idx.size() && k < 8; ++k) {
    char score[32];
    std::snprintf(score, sizeof score, "%.3g", used[idx[k]].score);
    out += (k ? ", " : "") + used[idx[k]].name + " (" + score + ")";
  }
  if (idx.size() > 8) out += " and " + std::to_string(idx.size() - 8) + " more";
  return out;
}

// Applies the recipe's outlier policy. Returns the warnings to record; throws for kRefuse; for
// kDrop removes the outliers from `s.used` (into s.skipped) and returns true in `dropped`.
std::vector<std::string> ScreenOutliers(const Recipe& recipe, Samples& s, bool& dropped,
                                        const TrainOptions& options) {
  std::vector<float> scores;
  for (const auto& u : s.used) scores.push_back(u.score);
  const std::vector<size_t> idx = FindOutliers(scores);
  dropped = false;
  std::vector<std::string> warnings;
  if (idx.empty()) return warnings;
  const double fraction = static_cast<double>(idx.size()) / static_cast<double>(s.used.size());
  const std::string what =
      std::to_string(idx.size()) + " of " + std::to_string(s.used.size()) + " good images (" +
      Percent(fraction) +
      ") score far above the others, as defective parts would: " + ListOutliers(s.used, idx);
  const bool too_many = fraction > recipe.max_outlier_fraction;
  if (recipe.outlier_policy == OutlierPolicy::kRefuse && too_many)
    throw Error(ErrorCategory::kData, what,
                "Look at these images and remove the defective ones from the good set (more than " +
                    Percent(recipe.max_outlier_fraction) +
                    " of them, training.max_outlier_fraction), or set training.outliers: drop");
  if (recipe.outlier_policy == OutlierPolicy::kDrop) {
    std::vector<bool> out(s.used.size(), false);
    for (size_t i : idx) out[i] = true;
    std::vector<Sample> kept;
    for (size_t i = 0; i < s.used.size(); ++i) {
      if (!out[i]) {
        kept.push_back(std::move(s.used[i]));
        continue;
      }
      s.skipped.push_back({s.used[i].name, s.used[i].sha256, s.used[i].score,
                           TrainingImage::Status::kOutlierDropped,
                           "outlier among the good images: dropped (training.outliers: drop)"});
      if (options.skipped)
        options.skipped(s.used[i].name, "outlier among the good images: dropped");
    }
    s.used = std::move(kept);
    dropped = true;
    warnings.push_back(what + "; dropped, and the model fitted again without them");
  } else {
    warnings.push_back(what + (too_many ? "; they raise the threshold and let defects pass: look "
                                          "at them, remove the defective ones and train again "
                                          "(or set training.outliers: drop)"
                                        : "; few enough to keep, but look at them"));
  }
  return warnings;
}

std::vector<std::string> SizeWarnings(const Recipe& recipe, size_t n) {
  std::vector<std::string> w;
  const double needed = std::ceil(1.0 / recipe.target_false_reject_rate);
  if (n < 30 || static_cast<double>(n) < needed)
    w.push_back("only " + std::to_string(n) +
                " usable good images: a target false-reject rate of " +
                Percent(recipe.target_false_reject_rate) + " needs at least " +
                std::to_string(static_cast<long>(std::max(30.0, needed))) +
                " for the threshold to rest on more than the single highest score; the line's "
                "rate may differ widely from the target. Train on more good parts");
  return w;
}

InspectionModel Fit(const Recipe& recipe, Samples& s, const TrainOptions& options,
                    SteadyClock::time_point start) {
  const double part_radius = LearnPartRadius(recipe, s, options);
  RequireEnough(s.used.size(), s.skipped.size());
  size_t folds = FoldCount(recipe, s.used.size());
  std::optional<FoldFitter> fitter(std::in_place, recipe, s.used, folds, options);
  ScoreOutOfFold(recipe, s.used, folds, *fitter);
  bool dropped = false;
  std::vector<std::string> warnings = ScreenOutliers(recipe, s, dropped, options);
  // The statistics and scores saw the outliers: start again without them. Defects that the worst
  // ones hid (they widened the cells' spread) stand out then, so a few rounds may be needed.
  for (int round = 0; dropped && round < kMaxDropRounds; ++round) {
    RequireEnough(s.used.size(), s.skipped.size());
    folds = FoldCount(recipe, s.used.size());
    fitter.emplace(recipe, s.used, folds, options);
    ScoreOutOfFold(recipe, s.used, folds, *fitter);
    if (round + 1 == kMaxDropRounds) break;
    for (auto& w : ScreenOutliers(recipe, s, dropped, options)) warnings.push_back(std::move(w));
  }
  for (auto& w : SizeWarnings(recipe, s.used.size())) warnings.push_back(std::move(w));
  std::vector<float> scores;
  for (const auto& u : s.used) scores.push_back(u.score);
  const double thr = Quantile(scores, recipe.target_false_reject_rate);

  // Refit on every usable image: more data, same threshold (slightly conservative).
  FittedModels all = fitter->Fit(folds);
  InspectionModel model{recipe,
                        RecipeHash(recipe),
                        static_cast<float>(std::max(thr, 1e-3)),
                        "",
                        {},
                        std::move(all.first),
                        std::move(all.companion)};
  model.part_radius = part_radius;
  for (const auto& u : s.used) {
    model.scale_min = model.scale_min > 0 ? std::min(model.scale_min, u.scale) : u.scale;
    model.scale_max = std::max(model.scale_max, u.scale);
  }
  // The quality the good parts showed, for the recipe's auto quality gates.
  std::vector<cv::Mat> canvases;
  for (const auto& u : s.used) canvases.push_back(u.canvas);
  model.quality =
      ObserveQuality(canvases, QualityRadiusFraction(recipe.locate.method == LocateMethod::kDisc,
                                                     recipe.locate.canvas_radius));
  std::vector<OutlineSample> outline_parts;
  for (const auto& u : s.used) outline_parts.push_back({&u.canvas, u.image_to_canvas, u.frame});
  const OutlineLearned outline =
      LearnOutlineCheck(recipe, BuildWeightMap(recipe, model.anomaly.support()), outline_parts);
  // The scale is kept within what a model file may hold (inspection_model.cpp); a threshold that
  // would need more is beyond any scale of the anomaly map.
  const float scale =
      outline.threshold > 0 ? std::min(kOutlineCeiling, model.threshold / outline.threshold) : 0;
  model.outline_threshold = scale > 0 ? outline.threshold : 0;
  model.outline_scale = scale;
  model.outline_good_max = scale > 0 ? outline.good_max : 0;
  model.outline_off_reason = outline.off_reason;
  if (!outline.warning.empty()) warnings.push_back(outline.warning);
  // A part in a fixed pose (blocks) has a whole to recognise; a texture has none.
  if (recipe.locate.method == LocateMethod::kNone && recipe.cells.layout == CellLayout::kBlocks) {
    std::vector<size_t> odd;
    model.match = PartMatch::Learn(canvases, &odd);
    if (!odd.empty()) {
      std::string names;
      for (size_t i = 0; i < odd.size() && i < 5; ++i)
        names += (i ? ", " : "") + s.used[odd[i]].name;
      if (odd.size() > 5) names += " and " + std::to_string(odd.size() - 5) + " more";
      warnings.push_back(std::to_string(odd.size()) +
                         " good image(s) look like none of the others and were left out of the "
                         "part match (a part like them will be held part_not_found): " +
                         names + ". Check that they show the part as the line presents it");
    }
    if (model.match.learned() && model.match.min_match() < PartMatch::kWeakMatch) {
      char text[96];
      std::snprintf(text, sizeof text, "%.2f (their median %.2f)", model.match.loo_low(),
                    model.match.loo_median());
      warnings.push_back(
          std::string("the part match is weak: some good parts match the others only ") + text +
          ", so a part turned or mirrored, another product or an empty fixture may pass it. "
          "Train on good parts presented alike (the same way round, the same crop), or check "
          "that none of the training images shows a turned or wrong part");
    }
  }
  model.threshold_source = "calibrated: the " + Percent(1 - recipe.target_false_reject_rate) +
                           " quantile of " + std::to_string(s.used.size()) +
                           " out-of-fold scores of good images";
  TrainingSummary& t = model.training;
  t.good_images = static_cast<int>(s.used.size());
  t.calibration_images = static_cast<int>(s.used.size());
  t.skipped_images = static_cast<int>(s.skipped.size());
  t.warnings = std::move(warnings);
  // Regions that ignore (nearly) the whole part make a model that passes every defect.
  const cv::Mat& support = model.anomaly.support();
  const int scored = cv::countNonZero(support);
  const int weighed = cv::countNonZero(BuildWeightMap(recipe, support) > 0);
  if (scored > 0 && weighed < scored / 20)
    t.warnings.push_back("the recipe's regions leave " + Percent(double(weighed) / scored) +
                         " of the part inspected: a defect anywhere else passes unseen. Check "
                         "the regions marked ignore: true (docs/recipe.md)");
  const std::vector<size_t> outliers = FindOutliers(scores);
  std::vector<bool> is_outlier(s.used.size(), false);
  for (size_t i : outliers) is_outlier[i] = true;
  for (size_t i = 0; i < s.used.size(); ++i)
    t.manifest.push_back(
        {s.used[i].name, s.used[i].sha256, s.used[i].score,
         is_outlier[i] ? TrainingImage::Status::kOutlierKept : TrainingImage::Status::kUsed, ""});
  for (auto& k : s.skipped) t.manifest.push_back(std::move(k));
  t.created = UtcNow();
  t.linesight_version = kVersion;
  t.seconds = MillisSince(start) / 1000.0;
  return model;
}

}  // namespace

std::vector<size_t> FindOutliers(const std::vector<float>& scores) {
  std::vector<size_t> out;
  if (scores.size() < 8) return out;
  std::vector<double> logs;
  for (float v : scores) logs.push_back(std::log(std::max(static_cast<double>(v), 1e-6)));
  std::vector<double> sorted = logs;
  std::nth_element(sorted.begin(), sorted.begin() + sorted.size() / 2, sorted.end());
  const double median = sorted[sorted.size() / 2];
  for (auto& v : sorted) v = std::abs(v - median);
  std::nth_element(sorted.begin(), sorted.begin() + sorted.size() / 2, sorted.end());
  const double spread = 1.4826 * sorted[sorted.size() / 2];
  const double limit = median + std::max(kOutlierZ * spread, std::log(kOutlierMinRatio));
  for (size_t i = 0; i < logs.size(); ++i)
    if (logs[i] > limit) out.push_back(i);
  std::sort(out.begin(), out.end(), [&](size_t a, size_t b) { return scores[a] > scores[b]; });
  return out;
}

InspectionModel Train(const Recipe& recipe, const std::vector<std::filesystem::path>& good,
                      const TrainOptions& options) {
  auto start = SteadyClock::now();
  Samples s;
  auto idx = Spread(good.size(), options.max_images);
  int done = 0;
  for (size_t i : idx) {
    const std::string name = good[i].string();
    std::string sha;
    try {
      // Read once: the manifest's digest is of the very bytes that were decoded.
      const std::vector<uint8_t> bytes = ReadFileBytes(good[i], DecodeLimits().max_file_bytes);
      sha = Sha256Hex(bytes);
      AddCanvas(recipe, DecodeGrey(bytes, name), name, sha, options, s);
    } catch (const Error& e) {
      Skip(s, name, sha, e.what(), options);
    }
    if (options.progress) options.progress(++done, static_cast<int>(idx.size()), "load");
  }
  return Fit(recipe, s, options, start);
}

InspectionModel TrainFromImages(const Recipe& recipe, const std::vector<cv::Mat>& good,
                                const std::vector<std::string>& names,
                                const TrainOptions& options) {
  auto start = SteadyClock::now();
  Samples s;
  for (size_t i : Spread(good.size(), options.max_images)) {
    const std::string& name = i < names.size() ? names[i] : std::to_string(i);
    if (good[i].empty() || good[i].type() != CV_8UC1) {
      Skip(s, name, "", "not an 8-bit grey image", options);
      continue;
    }
    const cv::Mat pixels = good[i].isContinuous() ? good[i] : good[i].clone();
    const std::string sha = Sha256Hex({pixels.data, pixels.total()});
    AddCanvas(recipe, good[i], name, sha, options, s);
  }
  return Fit(recipe, s, options, start);
}

}  // namespace linesight
