#include "models/cell_stats_model.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <numbers>

#include "core/error.h"
#include "core/model_file.h"
#include "vision/target_clones.h"

namespace linesight {

namespace {
// Cells of an arc layout that share one tail histogram: enough samples for the tail quantile
// from a few dozen parts, and a bounded training memory (a histogram per pixel would not be).
constexpr int kArcsPerTailGroup = 32;

// out[x] = max(out[x], |z|) over one row span of channel `k`, every pixel of it scored; `z` is
// clamped at 0 instead of taking |z| for a one-sided channel. No branch, so it vectorises, for
// AVX2 too (LINESIGHT_CLONES: the cell statistics are gathered per pixel).
template <bool kOneSided>
LINESIGHT_CLONES void MaxZ(const float* __restrict f, const int32_t* __restrict cell, int n,
                           const float* __restrict mean, const float* __restrict inv, int nc, int k,
                           float* __restrict out) {
  for (int x = 0; x < n; ++x) {
    const int i = cell[x] * nc + k;
    const float z = (f[x] - mean[i]) * inv[i];
    out[x] = std::max(out[x], kOneSided ? std::max(z, 0.f) : std::abs(z));
  }
}
}  // namespace

CellMap::CellMap(const CellStatsOptions& o) : canvas_(o.canvas) {
  const int n = o.canvas;
  support_ = cv::Mat::zeros(n, n, CV_8UC1);
  const double c = (n - 1) / 2.0, r_max = o.support_radius * n;
  const bool arcs = o.layout == CellLayout::kRings && o.arc_px > 0;
  if (arcs) {
    const int rings = static_cast<int>(r_max) + 1;
    ring_base_.resize(static_cast<size_t>(rings));
    ring_rho_.resize(static_cast<size_t>(rings));
    arcs_.resize(static_cast<size_t>(rings));
    for (int r = 0; r < rings; ++r) {
      ring_base_[static_cast<size_t>(r)] = cells_;
      ring_rho_[static_cast<size_t>(r)] = static_cast<float>((r + 0.5) / r_max - 0.5);
      arcs_[static_cast<size_t>(r)] =
          std::max(1, static_cast<int>(std::lround(2 * CV_PI * (r + 0.5) / o.arc_px)));
      const int arcs_here = arcs_[static_cast<size_t>(r)];
      const int groups = (arcs_here + kArcsPerTailGroup - 1) / kArcsPerTailGroup;
      for (int a = 0; a < arcs_here; ++a)
        tail_group_.push_back(tail_groups_ +
                              static_cast<int>(static_cast<int64_t>(a) * groups / arcs_here));
      tail_groups_ += groups;
      cells_ += arcs_here;
    }
    ring_of_.assign(static_cast<size_t>(n) * n, -1);
    angle_of_.assign(static_cast<size_t>(n) * n, 0.f);
  } else {
    cell_of_.assign(static_cast<size_t>(n) * n, -1);
  }
  const int blocks_per_row = (n + o.block - 1) / o.block;
  for (int y = 0; y < n; ++y) {
    for (int x = 0; x < n; ++x) {
      const size_t i = static_cast<size_t>(y) * n + x;
      const double r = std::hypot(x - c, y - c);
      if (arcs) {
        if (r > r_max) continue;
        ring_of_[i] = static_cast<int32_t>(r);
        double t = std::atan2(y - c, x - c) / (2 * CV_PI);
        if (t < 0) t += 1;
        angle_of_[i] = static_cast<float>(t * RingAlignment::kAngles);
        support_.at<uint8_t>(y, x) = 255;
        continue;
      }
      int cell = -1;
      switch (o.layout) {
        case CellLayout::kRings:
          if (r <= r_max) cell = static_cast<int>(r);  // 1-pixel-wide rings
          break;
        case CellLayout::kBlocks:
          cell = (y / o.block) * blocks_per_row + x / o.block;
          break;
        case CellLayout::kWhole:
          cell = 0;
          break;
      }
      cell_of_[i] = cell;
      if (cell >= 0) {
        support_.at<uint8_t>(y, x) = 255;
        cells_ = std::max(cells_, cell + 1);
      }
    }
  }
  span_.assign(2 * static_cast<size_t>(n), 0);
  for (int y = 0; y < n; ++y) {
    const uint8_t* s = support_.ptr<uint8_t>(y);
    int x0 = 0, x1 = n;
    while (x0 < x1 && !s[x0]) ++x0;
    while (x1 > x0 && !s[x1 - 1]) --x1;
    span_[2 * static_cast<size_t>(y)] = x0;
    span_[2 * static_cast<size_t>(y) + 1] = x1;
    spans_whole_ = spans_whole_ && std::all_of(s + x0, s + x1, [](uint8_t v) { return v != 0; });
  }
  if (!arcs) {
    tail_groups_ = cells_;
    tail_group_.resize(static_cast<size_t>(cells_));
    for (int k = 0; k < cells_; ++k) tail_group_[static_cast<size_t>(k)] = k;
  }
}

namespace {
// 1 when v's sign bit is set (v < 0, or -0), else 0: a comparison GCC vectorises (a float
// comparison in a select does not vectorise at -O2 while it might trap).
inline float Negative(float v) {
  return static_cast<float>(static_cast<int32_t>(std::bit_cast<uint32_t>(v) >> 31));
}

// The arc of every canvas pixel for a part turned by `turn`: the pixel's angle turned back by the
// part's turn at its ring. Arithmetic instead of branches, so that it vectorises; the angles and
// cells are those a branch per pixel gives.
LINESIGHT_CLONES void CellsOfTurn(const RingTurn& turn, const int32_t* __restrict ring_of,
                                  const float* __restrict angle_of, const float* __restrict rho,
                                  const int* __restrict arcs_of, const int32_t* __restrict base_of,
                                  size_t total, int32_t* __restrict out) {
  constexpr float kTurn = RingAlignment::kAngles, kPerSample = 1.f / RingAlignment::kAngles;
  const float base = turn.base, twist = turn.twist;
  for (size_t i = 0; i < total; ++i) {
    const int32_t r = ring_of[i];
    const size_t ring = static_cast<size_t>(std::max(r, 0));
    float u = angle_of[i] - base - twist * rho[ring];
    u += kTurn * Negative(u);  // adds +0 otherwise, which changes no angle's cell
    u += kTurn * Negative(u);
    u -= kTurn * (1.f - Negative(u - kTurn));  // u - kTurn is exact near kTurn (Sterbenz)
    const int arcs = arcs_of[ring];
    const int a = std::min(arcs - 1, static_cast<int>(u * kPerSample * static_cast<float>(arcs)));
    const int32_t outside = r >> 31;  // -1 off the rings, else 0: no conditional load
    out[i] = ((base_of[ring] + a) & ~outside) | outside;
  }
}
}  // namespace

const int32_t* CellMap::Cells(const RingTurn& turn, std::vector<int32_t>& buffer) const {
  if (!turns()) return cell_of_.data();
  const size_t total = static_cast<size_t>(canvas_) * canvas_;
  buffer.resize(total);  // keeps its capacity: no allocation once sized
  CellsOfTurn(turn, ring_of_.data(), angle_of_.data(), ring_rho_.data(), arcs_.data(),
              ring_base_.data(), total, buffer.data());
  return buffer.data();
}

int BuildCells(const CellStatsOptions& options, std::vector<int32_t>& cell_of, cv::Mat& support) {
  const CellMap map(options);
  std::vector<int32_t> buffer;
  const int32_t* cells = map.Cells(RingTurn(), buffer);
  cell_of.assign(cells, cells + static_cast<size_t>(options.canvas) * options.canvas);
  support = map.support().clone();
  return map.cells();
}

namespace {
bool Arcs(const CellStatsOptions& o) { return o.layout == CellLayout::kRings && o.arc_px > 0; }
// Arcs add the roughness after the ring channels.
int RoughChannel(const CellStatsOptions& o) {
  if (o.layout != CellLayout::kRings) return 2;
  return Arcs(o) ? 1 + static_cast<int>(o.ring_windows.size()) : -1;
}
}  // namespace

// Rings use the fine band and the ring residual (the part compared with itself carries the
// coarser structure better than pooled statistics do), and arcs the roughness too (a seam of a
// dark line beside a bright lip cancels in the band-pass but not in its energy); other layouts
// use all band channels.
int ChannelCount(const CellStatsOptions& o) {
  if (o.layout != CellLayout::kRings) return kBandChannels;
  return 1 + static_cast<int>(o.ring_windows.size()) + (Arcs(o) ? 1 : 0);
}

namespace {
// Channels where only a high value is a defect (roughness); the others count both ways.
bool OneSided(const CellStatsOptions& o, int channel) { return channel == RoughChannel(o); }

std::unique_ptr<RingResidual> MakeRing(const CellStatsOptions& o) {
  if (o.layout != CellLayout::kRings) return nullptr;
  return std::make_unique<RingResidual>(o.canvas, o.support_radius * o.canvas, 512, o.ring_windows);
}

std::shared_ptr<const RingAlignment> MakeAlignment(const CellStatsOptions& o) {
  if (!Arcs(o)) return nullptr;
  return std::make_shared<RingAlignment>(o.canvas, o.support_radius * o.canvas);
}
}  // namespace

void ComputeFeatures(const cv::Mat& canvas, const cv::Mat& support, const BandKernels& kernels,
                     const RingResidual* ring, CellStatsWorkspace& ws, bool roughness) {
  if (ring) {
    ComputeBandFeatures(canvas, support, kernels, ws.features, 1);
    // Divided by the image's contrast in the pass that maps them back onto the canvas.
    const float inv = static_cast<float>(1.0 / ws.features.detail_scale);
    ring->Compute(ws.features.blur_fine, ws.ring, &ws.features.channel[1], inv);
    if (roughness) ComputeRoughness(kernels, ws.features, ws.features.channel[1 + ring->windows()]);
  } else {
    ComputeBandFeatures(canvas, support, kernels, ws.features, kBandChannels);
  }
}

CellStatsModel::Fitter::Fitter(const CellStatsOptions& options)
    : options_(options),
      map_(std::make_shared<CellMap>(options)),
      channels_(ChannelCount(options)),
      kernels_(options.bands),
      ring_(MakeRing(options)),
      align_(MakeAlignment(options)) {
  cells_ = map_->cells();
  sum_.assign(static_cast<size_t>(cells_) * channels_, 0);
  sum_sq_ = sum_;
  n_ = sum_;
  if (align_) template_sum_.assign(align_->size(), 0.f);
}

void CellStatsModel::Fitter::Add(const cv::Mat& canvas, CellStatsWorkspace& ws) {
  CV_Assert(canvas.type() == CV_8UC1 && canvas.rows == options_.canvas &&
            canvas.cols == options_.canvas);
  if (moments_)
    throw Error(ErrorCategory::kInternal, "a part was added after the tail pass began",
                "Add every part before the first AddTail");
  ComputeFeatures(canvas, map_->support(), kernels_, ring_.get(), ws, Arcs(options_));
  RingTurn turn;
  if (align_) {
    // The first part sets the frame; each later one is turned onto the sum of those before it,
    // which then holds it too, so the template sharpens as parts come in.
    align_->Signature(ws.features.channel[0], ws.align);
    if (count_ > 0) turn = align_->Find(template_sum_, ws.align);
    align_->Accumulate(ws.align, turn, template_sum_);
  }
  const int32_t* cell_of = map_->Cells(turn, ws.cells);
  const int n = options_.canvas;
  for (int k = 0; k < channels_; ++k) {
    const cv::Mat& ch = ws.features.channel[k];
    for (int y = 0; y < n; ++y) {
      const float* f = ch.ptr<float>(y);
      const int32_t* cell = cell_of + static_cast<size_t>(y) * n;
      for (int x = 0; x < n; ++x) {
        if (cell[x] < 0) continue;
        size_t i = static_cast<size_t>(cell[x]) * channels_ + k;
        sum_[i] += f[x];
        sum_sq_[i] += double(f[x]) * f[x];
        n_[i] += 1;
      }
    }
  }
  ++count_;
}

namespace {
constexpr int kTailBins = 1024;
constexpr float kTailBinWidth = 0.05f;  // |z| units; the last bin collects everything above
}  // namespace

const int32_t* CellStatsModel::Prepare(const cv::Mat& canvas, CellStatsWorkspace& ws) const {
  CV_Assert(canvas.type() == CV_8UC1 && canvas.rows == options_.canvas &&
            canvas.cols == options_.canvas);
  ComputeFeatures(canvas, map_->support(), kernels_, ring_.get(), ws, Arcs(options_));
  ws.turn = RingTurn();
  if (align_) {
    align_->Signature(ws.features.channel[0], ws.align);
    ws.turn = align_->Find(template_, ws.align);
  }
  return map_->Cells(ws.turn, ws.cells);
}

void CellStatsModel::Fitter::AddTail(const cv::Mat& canvas, CellStatsWorkspace& ws) {
  if (!moments_) {
    moments_ = std::make_unique<CellStatsModel>(Moments());
    tail_hist_.assign(static_cast<size_t>(map_->tail_groups()) * channels_ * kTailBins, 0);
  }
  const int32_t* cell_of = moments_->Prepare(canvas, ws);
  const int n = options_.canvas;
  const float* mean = moments_->mean_.data();
  const float* inv = moments_->inv_std_.data();
  for (int k = 0; k < channels_; ++k) {
    const bool one_sided = OneSided(options_, k);
    for (int y = 0; y < n; ++y) {
      const float* f = ws.features.channel[k].ptr<float>(y);
      const int32_t* cell = cell_of + static_cast<size_t>(y) * n;
      for (int x = 0; x < n; ++x) {
        if (cell[x] < 0) continue;
        const size_t i = static_cast<size_t>(cell[x]) * channels_ + k;
        float z = (f[x] - mean[i]) * inv[i];
        z = one_sided ? std::max(z, 0.f) : std::abs(z);
        const int bin = std::min(kTailBins - 1, static_cast<int>(z / kTailBinWidth));
        const size_t g = static_cast<size_t>(map_->tail_group(cell[x])) * channels_ + k;
        ++tail_hist_[g * kTailBins + bin];
      }
    }
  }
  ++tail_count_;
}

CellStatsModel CellStatsModel::Fitter::Finish() const {
  CellStatsModel m = Moments();
  if (tail_count_ == 0 || options_.tail_quantile <= 0) return m;
  // Each tail group's quantile of |z| (a group is one cell, or a few neighbouring arcs). A group
  // with too few samples for it (the innermost rings, few training parts) borrows its
  // neighbours' (groups next in number: adjacent rings or arcs, blocks of the same row) until
  // there are enough; a channel with too few samples altogether keeps its plain scales.
  const int groups = map_->tail_groups();
  std::vector<float> q(static_cast<size_t>(groups) * channels_, 0);
  std::vector<uint64_t> pooled(kTailBins);
  for (int k = 0; k < channels_; ++k) {
    for (int c = 0; c < groups; ++c) {
      std::fill(pooled.begin(), pooled.end(), 0);
      uint64_t total = 0;
      auto add = [&](int group) {
        const uint32_t* h = &tail_hist_[(static_cast<size_t>(group) * channels_ + k) * kTailBins];
        for (int b = 0; b < kTailBins; ++b) {
          pooled[b] += h[b];
          total += h[b];
        }
      };
      add(c);
      for (int reach = 1; reach < groups; ++reach) {
        if (total * (1 - options_.tail_quantile) >= 1) break;
        if (c - reach >= 0) add(c - reach);
        if (c + reach < groups) add(c + reach);
      }
      if (total * (1 - options_.tail_quantile) < 1) continue;
      const double want = options_.tail_quantile * static_cast<double>(total);
      uint64_t below = 0;
      for (int b = 0; b < kTailBins; ++b) {
        if (below + pooled[b] >= want) {  // interpolate within the bin
          q[static_cast<size_t>(c) * channels_ + k] =
              kTailBinWidth * (b + static_cast<float>((want - below) / pooled[b]));
          break;
        }
        below += pooled[b];
      }
    }
  }
  // Rescale so every group's tail lands on its channel's median tail; a group may be amplified
  // at most 4x (a cell that never strays must not turn noise into defects).
  for (int k = 0; k < channels_; ++k) {
    std::vector<float> tails;
    for (int c = 0; c < groups; ++c)
      if (q[static_cast<size_t>(c) * channels_ + k] > 0)
        tails.push_back(q[static_cast<size_t>(c) * channels_ + k]);
    if (tails.empty()) continue;
    std::nth_element(tails.begin(), tails.begin() + tails.size() / 2, tails.end());
    const float median = tails[tails.size() / 2];
    for (int c = 0; c < cells_; ++c) {
      const float tail = q[static_cast<size_t>(map_->tail_group(c)) * channels_ + k];
      const size_t i = static_cast<size_t>(c) * channels_ + k;
      if (tail > 0) m.inv_std_[i] *= median / std::max(tail, 0.25f * median);
    }
  }
  return m;
}

CellStatsModel CellStatsModel::Fitter::Moments() const {
  if (count_ == 0)
    throw Error(ErrorCategory::kData, "no good part could be used to fit the model",
                "Check that the training images show the part and match the recipe");
  CellStatsModel m;
  m.options_ = options_;
  m.map_ = map_;
  m.cells_ = cells_;
  m.channels_ = channels_;
  m.kernels_ = kernels_;
  m.smooth_ = GaussianKernel(options_.smooth_sigma);
  m.ring_ = MakeRing(options_);
  m.align_ = align_;
  m.template_.resize(template_sum_.size());
  for (size_t i = 0; i < template_sum_.size(); ++i)
    m.template_[i] = template_sum_[i] / static_cast<float>(count_);
  if (align_) m.symmetry_ = RingAlignment::Symmetry(m.template_);
  m.mean_.resize(sum_.size());
  m.inv_std_.resize(sum_.size());
  // A floor on each cell's spread, relative to the typical spread of that channel, keeps
  // near-constant cells (saturated glare, flat background) from turning noise into defects.
  std::vector<double> sd(sum_.size(), 0);
  for (size_t i = 0; i < sum_.size(); ++i) {
    if (n_[i] < 1) continue;
    double mean = sum_[i] / n_[i];
    m.mean_[i] = static_cast<float>(mean);
    sd[i] = std::sqrt(std::max(0.0, sum_sq_[i] / n_[i] - mean * mean));
  }
  if (Arcs(options_)) {
    // An arc sees one sample per part: its spread, from a few hundred samples at most, is noisy
    // and its largest values are its own training parts'. The spread is pooled with the arcs on
    // either side on the same ring (the same tail group), each about its own mean; the mean stays
    // the arc's own, so the part's features stay sharp.
    std::vector<double> var(sd.size());
    for (size_t i = 0; i < sd.size(); ++i) var[i] = sd[i] * sd[i];
    for (int c = 0; c < cells_; ++c)
      for (int k = 0; k < channels_; ++k) {
        double v = 0, n = 0;
        for (int d = -1; d <= 1; ++d) {
          const int nb = c + d;
          if (nb < 0 || nb >= cells_ || map_->tail_group(nb) != map_->tail_group(c)) continue;
          const size_t j = static_cast<size_t>(nb) * channels_ + k;
          v += var[j] * n_[j];
          n += n_[j];
        }
        if (n > 0) sd[static_cast<size_t>(c) * channels_ + k] = std::sqrt(v / n);
      }
  }
  for (int k = 0; k < channels_; ++k) {
    std::vector<double> ch;
    for (int c = 0; c < cells_; ++c)
      if (n_[static_cast<size_t>(c) * channels_ + k] > 0)
        ch.push_back(sd[static_cast<size_t>(c) * channels_ + k]);
    double floor = 1e-3;
    if (!ch.empty()) {
      std::nth_element(ch.begin(), ch.begin() + ch.size() / 2, ch.end());
      floor = std::max(floor, 0.25 * ch[ch.size() / 2]);
    }
    for (int c = 0; c < cells_; ++c) {
      size_t i = static_cast<size_t>(c) * channels_ + k;
      m.inv_std_[i] = static_cast<float>(1.0 / std::max(sd[i], floor));
    }
  }
  return m;
}

void CellStatsModel::Score(const cv::Mat& canvas, CellStatsWorkspace& ws, cv::Mat& map) const {
  ScoreFeatures(ws.features, Prepare(canvas, ws), ws, map);
}

bool CellStatsModel::SharesFeaturesOf(const CellStatsModel& first) const {
  const CellStatsOptions &a = options_, &b = first.options_;
  return a.layout == CellLayout::kRings && b.layout == CellLayout::kRings && !Arcs(a) &&
         a.canvas == b.canvas && a.support_radius == b.support_radius &&
         a.ring_windows == b.ring_windows && a.bands == b.bands && channels_ <= first.channels_;
}

void CellStatsModel::ScoreShared(const CellStatsWorkspace& first_ws, CellStatsWorkspace& ws,
                                 cv::Mat& map) const {
  CV_Assert(&first_ws != &ws && first_ws.features.channel[0].rows == options_.canvas);
  ws.turn = RingTurn();
  ScoreFeatures(first_ws.features, map_->Cells(ws.turn, ws.cells), ws, map);
}

void CellStatsModel::ScoreFeatures(const BandFeatures& features, const int32_t* cell_of,
                                   CellStatsWorkspace& ws, cv::Mat& map) const {
  const int n = options_.canvas;
  ws.raw_map.create(n, n, CV_32F);
  const float* mean = mean_.data();
  const float* inv = inv_std_.data();
  const int nc = channels_;
  bool one_sided[kMaxChannels];
  for (int k = 0; k < nc; ++k) one_sided[k] = OneSided(options_, k);
  const float* f[kMaxChannels];
  // One pass: each scored pixel reads its cell's statistics once for all channels, and rows are
  // visited only over their scored span (the corners of a round part's canvas are not).
  for (int y = 0; y < n; ++y) {
    for (int k = 0; k < nc; ++k) f[k] = features.channel[k].ptr<float>(y);
    const int32_t* cell = cell_of + static_cast<size_t>(y) * n;
    float* out = ws.raw_map.ptr<float>(y);
    const int x0 = map_->span_begin(y), x1 = map_->span_end(y);
    std::fill(out, out + x0, 0.f);  // not Mat::setTo, which allocates on every call
    std::fill(out + x1, out + n, 0.f);
    if (map_->spans_whole()) {
      std::fill(out + x0, out + x1, 0.f);
      for (int k = 0; k < nc; ++k)
        (one_sided[k] ? MaxZ<true> : MaxZ<false>)(f[k] + x0, cell + x0, x1 - x0, mean, inv, nc, k,
                                                  out + x0);
      continue;
    }
    for (int x = x0; x < x1; ++x) {
      const int c = cell[x];
      float best = 0;  // the largest |z| over the channels (max is exact in any order)
      if (c >= 0) {
        const float* m = mean + static_cast<size_t>(c) * nc;
        const float* s = inv + static_cast<size_t>(c) * nc;
        for (int k = 0; k < nc; ++k) {
          float z = (f[k][x] - m[k]) * s[k];
          z = one_sided[k] ? std::max(z, 0.f) : std::abs(z);
          best = std::max(best, z);
        }
      }
      out[x] = best;
    }
  }
  GaussianBlur(ws.raw_map, map, smooth_, ws.features.line);
  const cv::Mat& support = map_->support();
  for (int y = 0; y < n; ++y) {  // zero where not scored
    float* m = map.ptr<float>(y);
    const uint8_t* s = support.ptr<uint8_t>(y);
    for (int x = 0; x < n; ++x) m[x] = s[x] ? m[x] : 0.f;
  }
}

float CellStatsModel::SignedZ(const CellStatsWorkspace& ws, int x, int y) const {
  const int n = options_.canvas;
  if (x < 0 || y < 0 || x >= n || y >= n) return 0;
  const size_t at = static_cast<size_t>(y) * n + x;
  // Score() left this part's cells in ws.cells when they turn with it; fixed layouts keep theirs.
  std::vector<int32_t> unused;
  const int32_t c = map_->turns() ? (at < ws.cells.size() ? ws.cells[at] : -1)
                                  : map_->Cells(RingTurn(), unused)[at];
  if (c < 0) return 0;
  float best = 0;
  for (int k = 0; k < channels_; ++k) {
    if (OneSided(options_, k) || ws.features.channel[k].empty()) continue;
    const size_t i = static_cast<size_t>(c) * channels_ + k;
    const float z = (ws.features.channel[k].ptr<float>(y)[x] - mean_[i]) * inv_std_[i];
    if (std::abs(z) > std::abs(best)) best = z;
  }
  return best;
}

double CellStatsModel::TurnRadians(const CellStatsWorkspace& ws) const {
  if (!align_) return 0;
  return static_cast<double>(ws.turn.base) * 2 * std::numbers::pi / RingAlignment::kAngles;
}

nlohmann::json CellStatsModel::OptionsJson() const {
  const auto& o = options_;
  return {{"layout", static_cast<int>(o.layout)},
          {"canvas", o.canvas},
          {"support_radius", o.support_radius},
          {"block", o.block},
          {"ring_windows", o.ring_windows},
          {"arc_px", o.arc_px},
          {"smooth_sigma", o.smooth_sigma},
          {"tail_quantile", o.tail_quantile},
          {"cells", cells_},
          {"bands",
           {{"fine_sigma", o.bands.fine_sigma},
            {"mid_sigma", o.bands.mid_sigma},
            {"coarse_sigma", o.bands.coarse_sigma},
            {"rough_sigma", o.bands.rough_sigma}}}};
}

void CellStatsModel::AppendPayload(std::vector<uint8_t>& payload) const {
  AppendFloats(payload, mean_);
  AppendFloats(payload, inv_std_);
  if (align_) AppendFloats(payload, template_);
}

CellStatsModel CellStatsModel::Load(const nlohmann::json& j, const std::vector<uint8_t>& payload,
                                    size_t& offset, const std::string& name) {
  auto bad = [&](const std::string& why) {
    return Error(ErrorCategory::kModel, name + ": " + why,
                 "The model file is corrupt or from an incompatible version: train it again");
  };
  CellStatsModel m;
  auto& o = m.options_;
  try {
    int layout = j.at("layout").get<int>();
    if (layout < 1 || layout > 3) throw bad("unknown cell layout " + std::to_string(layout));
    o.layout = static_cast<CellLayout>(layout);
    o.canvas = j.at("canvas").get<int>();
    o.support_radius = j.at("support_radius").get<double>();
    o.block = j.at("block").get<int>();
    o.ring_windows = j.at("ring_windows").get<std::vector<int>>();
    if (o.ring_windows.size() > kMaxChannels - 1) throw bad("too many ring windows");
    for (int w : o.ring_windows)
      if (w < 3 || w > 255 || w % 2 == 0) throw bad("a ring window is out of range");
    o.arc_px = j.at("arc_px").get<double>();
    if (!(o.arc_px == 0 || (o.arc_px >= 0.5 && o.arc_px <= 64)))
      throw bad("arc length out of range");
    o.smooth_sigma = j.at("smooth_sigma").get<double>();
    // Absent in models written before tails were calibrated (their scales are plain spreads).
    o.tail_quantile = j.value("tail_quantile", 0.0);
    if (!(o.tail_quantile >= 0 && o.tail_quantile < 1)) throw bad("tail quantile out of range");
    const auto& b = j.at("bands");
    o.bands.fine_sigma = b.at("fine_sigma").get<double>();
    o.bands.mid_sigma = b.at("mid_sigma").get<double>();
    o.bands.coarse_sigma = b.at("coarse_sigma").get<double>();
    o.bands.rough_sigma = b.at("rough_sigma").get<double>();
    if (o.canvas < 32 || o.canvas > 2048) throw bad("canvas size out of range");
    if (o.block < 2 || o.block > o.canvas) throw bad("block size out of range");
    if (!(o.support_radius > 0.05 && o.support_radius <= 0.75))
      throw bad("support radius out of range");
    for (double s : {o.smooth_sigma, o.bands.fine_sigma, o.bands.mid_sigma, o.bands.coarse_sigma,
                     o.bands.rough_sigma})
      if (!(s > 0.1 && s < 64)) throw bad("a filter scale is out of range");
    m.map_ = std::make_shared<CellMap>(o);
    m.cells_ = m.map_->cells();
    m.align_ = MakeAlignment(o);
    m.channels_ = ChannelCount(o);
    m.kernels_ = BandKernels(o.bands);
    m.smooth_ = GaussianKernel(o.smooth_sigma);
    m.ring_ = MakeRing(o);
    if (j.at("cells").get<int>() != m.cells_) throw bad("cell count does not match the layout");
  } catch (const nlohmann::json::exception& e) {
    throw bad(std::string("model options are incomplete: ") + e.what());
  }
  size_t count = static_cast<size_t>(m.cells_) * m.channels_;
  m.mean_ = ReadFloats(payload, offset, count, name);
  m.inv_std_ = ReadFloats(payload, offset, count, name);
  if (m.align_) {
    m.template_ = ReadFloats(payload, offset, m.align_->size(), name);
    for (float v : m.template_)
      if (!std::isfinite(v)) throw bad("the alignment template contains invalid numbers");
    m.symmetry_ = RingAlignment::Symmetry(m.template_);
  }
  for (size_t i = 0; i < count; ++i)
    if (!std::isfinite(m.mean_[i]) || !std::isfinite(m.inv_std_[i]) || m.inv_std_[i] <= 0)
      throw bad("model statistics contain invalid numbers");
  return m;
}

}  // namespace linesight
