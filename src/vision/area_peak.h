// vision/area_peak.h: the level at which a map first holds a connected region of a given area (the
// peak of the map's area opening). Rejecting when it exceeds a threshold is the same as finding,
// with FindRegions(map, threshold), a region of at least that area: one score, one rule.
#pragma once

#include <cstdint>
#include <span>
#include <utility>
#include <vector>

#include <opencv2/core.hpp>

namespace linesight {

// Buffers of AreaPeaks. Sized on first use for the map's size (about 16 bytes per pixel), after
// which no map of that size or smaller makes them grow.
struct AreaPeakScratch {
  std::vector<int32_t> node;                     // per map pixel: its union-find node, or -1
  std::vector<int32_t> parent, size;             // union-find over the pixels taken so far
  std::vector<std::pair<float, int32_t>> order;  // pixels taken, as (value, index), descending
  std::vector<uint32_t> hist;                    // value histogram choosing each batch
  std::vector<float> row_peak;                   // per map row: its largest value
};

// For each min_areas[i] (pixels, ascending, >= 1) sets levels[i] to the highest level t such that
// an 8-connected region of the pixels with value >= t has at least min_areas[i] pixels, over the
// pixels with value > 0; 0 if no such region exists. Then, for any threshold thr >= 0,
// levels[i] > thr exactly when a region of {map > thr} of that area exists. A min area of 1 gives
// the map's peak. `map` is CV_32FC1 with values >= 0 (NaN counts as 0). Cost: two passes over the
// map plus a sort of the pixels above the answer (a few hundred on a good part). Allocates
// nothing once `scratch` has been used with a map of this size. Throws cv::Exception on a wrong
// type or sizes of min_areas and levels that differ.
void AreaPeaks(const cv::Mat& map, std::span<const int> min_areas, std::span<float> levels,
               AreaPeakScratch& scratch);

// The same for one area.
float AreaPeak(const cv::Mat& map, int min_area, AreaPeakScratch& scratch);

}  // namespace linesight
