#include "vision/area_peak.h"

#include <algorithm>

namespace linesight {
namespace {

// Histogram bins over (0, peak]. Batches of pixels are taken bin by bin from the top, and a bin is
// monotone in value, so batch after batch keeps one descending order over all pixels taken.
constexpr int kBins = 1024;

int BinOf(float v, float bins_per_unit) {
  return std::min(static_cast<int>(v * bins_per_unit), kBins - 1);
}

int32_t Root(int32_t* parent, int32_t x) {
  while (parent[x] != x) {
    parent[x] = parent[parent[x]];  // path halving
    x = parent[x];
  }
  return x;
}

// Sizes the buffers for `pixels`; `node` keeps its invariant (-1 everywhere) across calls.
void Reserve(AreaPeakScratch& s, size_t pixels) {
  if (s.node.size() < pixels) s.node.resize(pixels, -1);
  if (s.parent.size() < pixels) {
    s.parent.resize(pixels);
    s.size.resize(pixels);
  }
  if (s.order.capacity() < pixels) s.order.reserve(pixels);
  s.hist.assign(kBins, 0);
  s.order.clear();
}

// Appends the pixels of bins [lo, hi) to s.order, sorted by decreasing value (ties: raster order).
void TakeBatch(const cv::Mat& map, float bins_per_unit, int lo, int hi, AreaPeakScratch& s) {
  const size_t first = s.order.size();
  for (int y = 0; y < map.rows; ++y) {
    // A row whose peak falls below the batch has no pixel in it (bins are monotone in value).
    if (!(s.row_peak[static_cast<size_t>(y)] > 0) ||
        BinOf(s.row_peak[static_cast<size_t>(y)], bins_per_unit) < lo)
      continue;
    const float* v = map.ptr<float>(y);
    for (int x = 0; x < map.cols; ++x) {
      if (!(v[x] > 0)) continue;
      const int b = BinOf(v[x], bins_per_unit);
      if (b >= lo && b < hi) s.order.emplace_back(v[x], y * map.cols + x);
    }
  }
  std::sort(s.order.begin() + static_cast<std::ptrdiff_t>(first), s.order.end(),
            [](const auto& a, const auto& b) {
              return a.first > b.first || (a.first == b.first && a.second < b.second);
            });
}

// Adds pixel `k` of s.order to the forest, joining it with its 8 neighbours already taken.
// Returns the size of the region it ends up in.
int32_t AddPixel(size_t k, int w, int h, AreaPeakScratch& s) {
  const int32_t idx = s.order[k].second, self = static_cast<int32_t>(k);
  int32_t* parent = s.parent.data();
  int32_t* size = s.size.data();
  s.node[static_cast<size_t>(idx)] = self;
  parent[self] = self;
  size[self] = 1;
  int32_t root = self;
  const int x = idx % w, y = idx / w;
  for (int dy = -1; dy <= 1; ++dy)
    for (int dx = -1; dx <= 1; ++dx) {
      const int nx = x + dx, ny = y + dy;
      if ((dx == 0 && dy == 0) || nx < 0 || ny < 0 || nx >= w || ny >= h) continue;
      const int32_t other = s.node[static_cast<size_t>(ny * w + nx)];
      if (other < 0) continue;
      int32_t r = Root(parent, other);
      if (r == root) continue;
      if (size[r] > size[root]) std::swap(r, root);
      parent[r] = root;
      size[root] += size[r];
    }
  return size[root];
}

}  // namespace

void AreaPeaks(const cv::Mat& map, std::span<const int> min_areas, std::span<float> levels,
               AreaPeakScratch& s) {
  CV_Assert(map.type() == CV_32FC1 && min_areas.size() == levels.size());
  CV_Assert(std::is_sorted(min_areas.begin(), min_areas.end()));
  std::fill(levels.begin(), levels.end(), 0.0f);
  if (min_areas.empty() || map.empty()) return;
  if (s.row_peak.size() < static_cast<size_t>(map.rows))
    s.row_peak.resize(static_cast<size_t>(map.rows));
  float peak = 0;
  for (int y = 0; y < map.rows; ++y) {
    const float* v = map.ptr<float>(y);
    float row = 0;
    for (int x = 0; x < map.cols; ++x) row = v[x] > row ? v[x] : row;  // NaN is skipped
    s.row_peak[static_cast<size_t>(y)] = row;
    peak = row > peak ? row : peak;
  }
  if (!(peak > 0)) return;
  Reserve(s, map.total());
  const float bins_per_unit = kBins / peak;
  for (int y = 0; y < map.rows; ++y) {
    const float* v = map.ptr<float>(y);
    for (int x = 0; x < map.cols; ++x)
      if (v[x] > 0) ++s.hist[static_cast<size_t>(BinOf(v[x], bins_per_unit))];
  }
  // Batches of about `want` pixels, from the top bins down, until every area has been reached.
  size_t next = 0;
  size_t want = std::max<size_t>(64, 8 * static_cast<size_t>(std::max(1, min_areas.back())));
  for (int hi = kBins; hi > 0 && next < min_areas.size(); want *= 2) {
    int lo = hi;
    for (size_t count = 0; lo > 0 && count < want;) count += s.hist[static_cast<size_t>(--lo)];
    const size_t first = s.order.size();
    TakeBatch(map, bins_per_unit, lo, hi, s);
    for (size_t k = first; k < s.order.size() && next < min_areas.size(); ++k) {
      const int32_t largest = AddPixel(k, map.cols, map.rows, s);
      while (next < min_areas.size() && largest >= std::max(1, min_areas[next]))
        levels[next++] = s.order[k].first;
    }
    hi = lo;
  }
  for (const auto& taken : s.order) s.node[static_cast<size_t>(taken.second)] = -1;
}

float AreaPeak(const cv::Mat& map, int min_area, AreaPeakScratch& scratch) {
  float level = 0;
  AreaPeaks(map, std::span<const int>(&min_area, 1), std::span<float>(&level, 1), scratch);
  return level;
}

}  // namespace linesight
