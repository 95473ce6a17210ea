// vision/outline.h: how far a round part's outline bulges beyond its rim (flash: a fin of metal
// on the parting line), measured all round the canvas in spreads of the part's own outline.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include <opencv2/core.hpp>

namespace linesight {

// The largest bulge of one part's outline. Unmeasured when the rim does not stand out from the
// table over most of its turn (a bright rim on a bright table): then it says nothing.
struct OutlineBulge {
  bool measured = false;
  float z = 0;            // the bulge in robust spreads of this part's outline, 0 if none
  float width_px = 0;     // how much wider the outline is there, canvas px
  double angle_rad = 0;   // where, canvas angle about the centre (x right, y down)
  double half_span = 0;   // half the arc over which it stands above half its height, radians
  float valid_share = 0;  // share of the turn where the rim stood out enough to measure
};

// Directions measured a turn, and radial steps: step = rim / kOutlineRefRim canvas px, one pixel
// of the reference camera (the casting images' 125 px rim).
inline constexpr int kOutlineDirections = 800;
inline constexpr double kOutlineRefRim = 125;
inline constexpr int kOutlineInnerStep = -3;  // the first step read, inside the rim
inline constexpr int kOutlineOuterStep = 10;  // the farthest step read beyond the rim

// Buffers of MeasureOutlineBulge; sized on first use, then reused without allocating.
struct OutlineScratch {
  std::vector<float> rim_level, table, band, rim_trend, table_trend;  // per direction
  std::vector<float> width, trend, detrended, smooth, sorted, window, knots;
  // Where each direction's samples fall on a canvas of table_cols with its rim at table_rim:
  // the top-left pixel's offset and the bilinear fractions (built once per canvas and rim).
  std::vector<int> tap;
  std::vector<float> fx, fy;
  int table_cols = 0;
  double table_rim = 0;
};

// Along kOutlineDirections directions from the canvas centre, the outline's "rim-like width"
// just beyond `rim_px`: sum over a band across the rim of (p - table) / (rim - table), each level
// taken locally, so a fin of any shade and a soft edge count alike; a direction whose levels
// stray far from their running medians along the rim (a chip shows the table inside the rim) is
// left out, and so is one `skip` marks (non-zero; `skip` empty or kOutlineDirections long: an
// ignored region, a band beyond the camera's frame). A slow trend (a slightly oval fit, lighting)
// is removed by a running median, the rest averaged over a short arc and divided by its robust
// spread (1.4826 MAD). REQUIRES: canvas CV_8UC1, continuous, square, with the part's centre at
// its centre ((cols - 1) / 2); rim_px > 20.
OutlineBulge MeasureOutlineBulge(const cv::Mat& canvas, double rim_px, OutlineScratch& scratch,
                                 std::span<const uint8_t> skip = {});

}  // namespace linesight
