// models/cell_stats_model.h: the good-only anomaly model. Every canvas pixel belongs to a cell
// (a ring of a round part, a block of a fixed part, or the whole of a texture); the model learns
// each cell's feature statistics from good parts and scores a pixel by how far its features
// stray from its cell's. Immutable after fitting; Score() is const and thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <opencv2/core.hpp>

#include "vision/band_features.h"
#include "vision/ring_residual.h"

namespace linesight {

// How canvas pixels are grouped into cells. Stored in models: never renumber.
enum class CellLayout : uint8_t {
  kRings = 1,   // rings around the canvas centre: rotation-invariant (wheels, discs, impellers)
  kBlocks = 2,  // square blocks: a part in a fixed pose
  kWhole = 3,   // one cell: a uniform texture (strip, sheet, tile) at any position
};

// Options that change the model's results (all saved in the model file).
struct CellStatsOptions {
  CellLayout layout = CellLayout::kRings;
  int canvas = 320;  // canvas side, pixels
  double support_radius =
      0.49;  // rings: pixels farther than this (fraction of canvas) are not scored
  // blocks: block side, pixels. A part that is not aligned (symmetry none) is stretched onto the
  // canvas, so its borders, chamfers and shading change over a few canvas pixels, and so does how
  // far good parts stray there: the cells must be fine enough not to mix those places. On the
  // magnetic tiles, image AUROC rose steadily as blocks shrank (16 px 0.790, 8 px 0.835, 4 px
  // 0.848), with 200 and with 40 training images. Training memory grows with the cell count.
  int block = 4;
  // rings: angular windows (samples of 512 per ring) of the ring residuals; a feature narrower
  // than a window stands out in its residual. Two scales: pits and cracks, and blow holes.
  std::vector<int> ring_windows = {7, 21};
  double smooth_sigma = 1.0;  // anomaly map smoothing, pixels (suppresses single-pixel noise)
  // Each cell's scale is set so that this quantile of its good parts' |z| is the same in every
  // cell: cells whose good parts stray rarely but far (edges, glare) then raise no more false
  // alarms than smooth ones, and small defects on smooth surfaces count fully. 0 = off.
  double tail_quantile = 0.9998;
  BandOptions bands;
};

// Scratch for scoring one canvas at a time. One per thread; sized on first use, after which
// scoring allocates nothing.
struct CellStatsWorkspace {
  BandFeatures features;
  RingResidualScratch ring;
  cv::Mat raw_map;
};

class CellStatsModel {
 public:
  // Accumulates statistics from good parts, then builds the model.
  class Fitter {
   public:
    explicit Fitter(const CellStatsOptions& options);
    // Pass 1: adds one good part's canvas (CV_8UC1, canvas x canvas) to each cell's mean and
    // spread. `ws` is scratch. Throws Error{kInternal} once pass 2 has begun.
    void Add(const cv::Mat& canvas, CellStatsWorkspace& ws);
    // Pass 2 (when options.tail_quantile > 0), after every Add: adds the same parts again to
    // learn how far each cell strays in its worst moments. Throws Error{kData} if no part was
    // added in pass 1.
    void AddTail(const cv::Mat& canvas, CellStatsWorkspace& ws);
    int count() const { return count_; }
    // Builds the model. Throws Error{kData} if no part was added.
    CellStatsModel Finish() const;

   private:
    CellStatsOptions options_;
    std::vector<int32_t> cell_of_;  // per canvas pixel, -1 = not scored
    cv::Mat support_;
    int cells_ = 0;
    int count_ = 0;
    int channels_ = 0;
    BandKernels kernels_;
    std::unique_ptr<RingResidual> ring_;
    std::vector<double> sum_, sum_sq_, n_;  // [cell * channels + channel]
    // Pass 2: histograms of |z| per cell and channel, kTailBins bins of kTailBinWidth.
    CellStatsModel Moments() const;
    std::unique_ptr<CellStatsModel> moments_;  // frozen by the first AddTail
    std::vector<uint32_t> tail_hist_;
    int tail_count_ = 0;
  };

  // Scores `canvas` (CV_8UC1, canvas x canvas) into `map` (CV_32F, same size, >= 0; 0 where not
  // scored). `map` is reused if already sized; once `ws` and `map` have been used, scoring
  // allocates nothing. REQUIRES: ws used by one thread at a time; map is not ws.raw_map.
  void Score(const cv::Mat& canvas, CellStatsWorkspace& ws, cv::Mat& map) const;

  // Mask of the scored pixels (CV_8UC1, 255 = scored).
  const cv::Mat& support() const { return support_; }
  const CellStatsOptions& options() const { return options_; }

  // Serialisation: options go to the JSON header, statistics to the payload.
  nlohmann::json OptionsJson() const;
  void AppendPayload(std::vector<uint8_t>& payload) const;
  // Rebuilds a model from what OptionsJson/AppendPayload wrote. Throws Error{kModel} naming
  // `name` if the options are out of range or the payload does not match them.
  static CellStatsModel Load(const nlohmann::json& options, const std::vector<uint8_t>& payload,
                             size_t& offset, const std::string& name);

 private:
  CellStatsModel() = default;
  CellStatsOptions options_;
  int channels_ = 0;
  BandKernels kernels_;
  GaussianKernel smooth_;                     // of the anomaly map (options_.smooth_sigma)
  std::shared_ptr<const RingResidual> ring_;  // rings layout only; immutable, shared by copies
  std::vector<int32_t> cell_of_;
  cv::Mat support_;
  int cells_ = 0;
  std::vector<float> mean_, inv_std_;  // [cell * channels + channel]
};

// Number of feature channels a model with `options` uses.
int ChannelCount(const CellStatsOptions& options);

// Computes every feature channel of `canvas` into ws.features (the band features with
// `kernels`, plus the ring residual when `ring` is given). `support` marks the scored pixels.
// Allocates nothing once `ws` is sized.
void ComputeFeatures(const cv::Mat& canvas, const cv::Mat& support, const BandKernels& kernels,
                     const RingResidual* ring, CellStatsWorkspace& ws);

// Builds the cell index of every canvas pixel (-1 = not scored) and the support mask.
// Returns the number of cells.
int BuildCells(const CellStatsOptions& options, std::vector<int32_t>& cell_of, cv::Mat& support);

}  // namespace linesight
