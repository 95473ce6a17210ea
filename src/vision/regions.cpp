#include "vision/regions.h"

#include <algorithm>

namespace linesight {
namespace {

int32_t Find(int32_t* parent, int32_t x) {
  while (parent[x] != x) {
    parent[x] = parent[parent[x]];  // path halving
    x = parent[x];
  }
  return x;
}

// Joins the trees of a and b under the smaller root, so that every root is the first label of
// its region in raster order.
int32_t Union(int32_t* parent, int32_t a, int32_t b) {
  a = Find(parent, a);
  b = Find(parent, b);
  if (a == b) return a;
  if (b < a) std::swap(a, b);
  parent[b] = a;
  return a;
}

// Adds the statistics of `from` to `to`; boxes are held as corners (x0, y0, x1, y1) meanwhile.
void Merge(const Region& from, Region& to) {
  to.box.x = std::min(to.box.x, from.box.x);
  to.box.y = std::min(to.box.y, from.box.y);
  to.box.width = std::max(to.box.width, from.box.width);
  to.box.height = std::max(to.box.height, from.box.height);
  to.area += from.area;
  to.peak = std::max(to.peak, from.peak);
}

}  // namespace

int FindRegions(const cv::Mat& map, float threshold, RegionScratch& s) {
  CV_Assert(map.type() == CV_32FC1);
  const int w = map.cols, h = map.rows;
  // A new label starts only at a pixel none of whose earlier neighbours is set, so no two such
  // pixels touch: at most one per 2 x 2 block, plus label 0 for the background.
  const size_t max_labels = static_cast<size_t>((w + 1) / 2) * static_cast<size_t>((h + 1) / 2) + 1;
  if (s.parent.size() < max_labels) {
    s.parent.resize(max_labels);
    s.regions.resize(max_labels);
  }
  if (s.rows.size() < 2 * static_cast<size_t>(w + 2)) s.rows.resize(2 * static_cast<size_t>(w + 2));
  // Rows of labels with a background pixel at each end: pixel x is at x + 1.
  int32_t* prev = s.rows.data();
  int32_t* cur = prev + w + 2;
  std::fill(s.rows.begin(), s.rows.begin() + 2 * (w + 2), 0);
  int32_t* parent = s.parent.data();
  Region* stats = s.regions.data();
  int32_t next = 1;
  for (int y = 0; y < h; ++y) {
    const float* v = map.ptr<float>(y);
    for (int x = 0; x < w; ++x) {
      int32_t l = 0;
      if (v[x] > threshold) {
        const int32_t up_left = prev[x], up = prev[x + 1], up_right = prev[x + 2], left = cur[x];
        // `up` touches every other earlier neighbour; up-left and left touch each other but
        // not necessarily up-right.
        if (up) {
          l = up;
        } else if (up_left) {
          l = up_right ? Union(parent, up_left, up_right) : up_left;
        } else if (left) {
          l = up_right ? Union(parent, left, up_right) : left;
        } else if (up_right) {
          l = up_right;
        } else {
          l = next++;
          parent[l] = l;
          stats[l] = Region{cv::Rect(x, y, x, y), 0, v[x]};
        }
        Region& r = stats[l];
        r.box.x = std::min(r.box.x, x);
        r.box.width = std::max(r.box.width, x);
        r.box.height = y;  // rows arrive in order
        r.area += 1;
        r.peak = std::max(r.peak, v[x]);
      }
      cur[x + 1] = l;
    }
    std::swap(prev, cur);
  }
  // Fold every label into its root (a smaller label, still in place), then pack the roots.
  for (int32_t l = 1; l < next; ++l) {
    const int32_t root = Find(parent, l);
    if (root != l) Merge(stats[l], stats[root]);
  }
  int count = 0;
  for (int32_t l = 1; l < next; ++l) {
    if (parent[l] != l) continue;
    Region r = stats[l];
    r.box = cv::Rect(r.box.x, r.box.y, r.box.width - r.box.x + 1, r.box.height - r.box.y + 1);
    stats[count++] = r;
  }
  return count;
}

}  // namespace linesight
