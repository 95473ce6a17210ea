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
#include "vision/ring_alignment.h"
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
  // rings: length of a cell along its ring, pixels; 0 = each ring is one cell. With arcs, the
  // part's turn is found first (RingAlignment) and each arc keeps the statistics of one place on
  // the part, so a crack on the face between two vanes is judged against that face, not against
  // the vane edges on the same ring.
  double arc_px = 1.0;
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
  RingAlignmentScratch align;
  std::vector<int32_t> cells;  // arcs: the cell of each canvas pixel for this part's turn
  RingTurn turn;               // arcs: the turn found for the last part
  cv::Mat raw_map;
};

// Which cell each canvas pixel belongs to. Fixed for blocks, whole and plain rings; for arcs it
// depends on the part's turn. Cells are numbered so that neighbours along a ring (or a row of
// blocks) have neighbouring numbers; tail groups gather a few neighbouring cells.
class CellMap {
 public:
  CellMap() = default;
  explicit CellMap(const CellStatsOptions& options);
  // The cell of every canvas pixel (-1 = not scored) for a part turned by `turn` (the layout's
  // outermost ring is its max_radius); `buffer` is used when the map depends on the turn.
  const int32_t* Cells(const RingTurn& turn, std::vector<int32_t>& buffer) const;
  bool turns() const { return !ring_of_.empty(); }
  int cells() const { return cells_; }
  int tail_groups() const { return tail_groups_; }
  int tail_group(int cell) const { return tail_group_[static_cast<size_t>(cell)]; }
  const cv::Mat& support() const { return support_; }
  // First and one-past-last scored pixel of canvas row `y` (equal when the row has none).
  int span_begin(int y) const { return span_[2 * static_cast<size_t>(y)]; }
  int span_end(int y) const { return span_[2 * static_cast<size_t>(y) + 1]; }
  // True when every pixel of every row's span is scored (a disc, a full canvas).
  bool spans_whole() const { return spans_whole_; }

 private:
  int canvas_ = 0, cells_ = 0, tail_groups_ = 0;
  cv::Mat support_;
  std::vector<int32_t> span_;  // per row: span_begin, span_end
  bool spans_whole_ = true;
  std::vector<int32_t> cell_of_;           // fixed layouts
  std::vector<int32_t> ring_of_;           // arcs: ring of each pixel, -1 = not scored
  std::vector<float> angle_of_;            // arcs: angle of each pixel, samples
  std::vector<int32_t> ring_base_, arcs_;  // arcs: first cell and cell count of each ring
  std::vector<float> ring_rho_;            // arcs: radius of each ring, as RingTurn reads it
  std::vector<int32_t> tail_group_;        // per cell
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
    std::shared_ptr<const CellMap> map_;
    int cells_ = 0;
    int count_ = 0;
    int channels_ = 0;
    BandKernels kernels_;
    std::unique_ptr<RingResidual> ring_;
    std::shared_ptr<const RingAlignment> align_;  // arcs only
    std::vector<float> template_sum_;             // arcs: aligned signatures, summed
    std::vector<double> sum_, sum_sq_, n_;        // [cell * channels + channel]
    // Pass 2: histograms of |z| per tail group and channel, kTailBins bins of kTailBinWidth.
    CellStatsModel Moments() const;
    std::unique_ptr<CellStatsModel> moments_;  // frozen by the first AddTail
    std::vector<uint32_t> tail_hist_;
    int tail_count_ = 0;
  };

  // Scores `canvas` (CV_8UC1, canvas x canvas) into `map` (CV_32F, same size, >= 0; 0 where not
  // scored). `map` is reused if already sized; once `ws` and `map` have been used, scoring
  // allocates nothing. REQUIRES: ws used by one thread at a time; map is not ws.raw_map.
  void Score(const cv::Mat& canvas, CellStatsWorkspace& ws, cv::Mat& map) const;

  // True when this model's features are the first channels of `first`'s, computed alike: whole
  // rings beside arcs on the same canvas, support, bands and ring windows. ScoreShared() then
  // reads them instead of computing them again (they are most of a part's scoring).
  [[nodiscard]] bool SharesFeaturesOf(const CellStatsModel& first) const;
  // As Score(), for the canvas that `first` last scored with `first_ws`, from the features it
  // left there; scores exactly as Score() would. REQUIRES: SharesFeaturesOf(first), and
  // first_ws is not ws.
  void ScoreShared(const CellStatsWorkspace& first_ws, CellStatsWorkspace& ws, cv::Mat& map) const;
  // The signed deviation at canvas pixel (x, y) of the canvas last scored with `ws`: of the
  // two-sided channels, the z with the largest magnitude (< 0: darker or lower than good parts
  // there, > 0: brighter or higher). 0 where nothing is scored. Reads what Score() left in `ws`.
  [[nodiscard]] float SignedZ(const CellStatsWorkspace& ws, int x, int y) const;

  // Arcs: how far the part last scored with `ws` is turned (at mid radius), radians, counter to
  // the canvas's angles (x right, y down); known only up to a multiple of 2 pi / symmetry().
  // 0 for layouts that do not find the turn (the part is judged as presented).
  [[nodiscard]] double TurnRadians(const CellStatsWorkspace& ws) const;
  // Arcs: how many times a turn the good parts repeat themselves (RingAlignment::Symmetry), 1 if
  // they do not or for other layouts.
  int symmetry() const { return symmetry_; }

  // Mask of the scored pixels (CV_8UC1, 255 = scored).
  const cv::Mat& support() const { return map_->support(); }
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
  std::shared_ptr<const CellMap> map_;
  std::shared_ptr<const RingAlignment> align_;  // arcs only
  std::vector<float> template_;                 // arcs: the good parts' mean signature
  int symmetry_ = 1;                            // arcs: RingAlignment::Symmetry(template_)
  int cells_ = 0;
  std::vector<float> mean_, inv_std_;  // [cell * channels + channel]
  // Computes the features of `canvas` and the cells of its pixels (finding the turn for arcs).
  const int32_t* Prepare(const cv::Mat& canvas, CellStatsWorkspace& ws) const;
  // The anomaly map from `features` (this model's channels first) and each pixel's cell; ws
  // gives the scratch.
  void ScoreFeatures(const BandFeatures& features, const int32_t* cell_of, CellStatsWorkspace& ws,
                     cv::Mat& map) const;
};

// Number of feature channels a model with `options` uses.
int ChannelCount(const CellStatsOptions& options);

// Computes every feature channel of `canvas` into ws.features (the band features with
// `kernels`; with `ring`, the fine band, the ring residuals and, if `roughness`, the roughness
// after them). `support` marks the scored pixels.
// Allocates nothing once `ws` is sized.
void ComputeFeatures(const cv::Mat& canvas, const cv::Mat& support, const BandKernels& kernels,
                     const RingResidual* ring, CellStatsWorkspace& ws, bool roughness = false);

// Builds the cell index of every canvas pixel (-1 = not scored) and the support mask, for an
// unturned part. Returns the number of cells.
int BuildCells(const CellStatsOptions& options, std::vector<int32_t>& cell_of, cv::Mat& support);

}  // namespace linesight
