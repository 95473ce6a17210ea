// vision/regions.h: finds the 8-connected regions of a float map above a threshold, with each
// region's area, bounding box and peak, in one pass and without allocating once its scratch is
// sized (the line path's replacement for cv::connectedComponentsWithStats). Thread-compatible.
#pragma once

#include <cstdint>
#include <vector>

#include <opencv2/core.hpp>

namespace linesight {

// One connected region, in map pixels.
struct Region {
  cv::Rect box;    // bounding box
  int area = 0;    // pixels
  float peak = 0;  // highest value
};

// Buffers of FindRegions. Sized on first use for the worst case of the map's size (about 7 bytes
// per map pixel), so that no later map of that size makes them grow.
struct RegionScratch {
  std::vector<int32_t> rows;    // provisional labels of the previous and the current row
  std::vector<int32_t> parent;  // union-find forest over provisional labels
  std::vector<Region> regions;  // per provisional label; then the regions found
};

// Finds the 8-connected regions of the pixels of `map` (CV_32FC1) whose value is above
// `threshold`. Returns their number; scratch.regions[0 .. count) holds them ordered by their
// first pixel in raster order. The regions, areas and boxes are those of
// cv::connectedComponentsWithStats(map > threshold, ..., 8). Allocates nothing once `scratch`
// has been used with a map of this size or larger.
int FindRegions(const cv::Mat& map, float threshold, RegionScratch& scratch);

}  // namespace linesight
