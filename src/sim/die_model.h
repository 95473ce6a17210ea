// sim/die_model.h: the life of one die in the simulated cell: when it starts heat checking, where
// its crack is, how the crack's vein grows on the castings, and when the die fails. Plain value.
#pragma once

#include <cstdint>
#include <string>

#include <opencv2/core.hpp>

#include "sim/part_renderer.h"
#include "sim/rng.h"

namespace linesight::sim {

// Die-life figures (docs/simulator.md gives each one's source, PROCESS.md "Dies").
// The shot counts are multiplied by DrawDie's `life_scale`.
struct DieLifeOptions {
  double median_life = 100000;  // shots, Weibull end of life
  double life_shape = 3;        // Weibull shape: 5-95% of lives ~42k-163k at scale 1
  double infant_share = 0.02;   // share of dies failing under 1,000 shots (bad heat treatment)
  double onset_median = 11000;  // shots to heat-checking onset, Weibull (5-95%: ~4.6k-18k)
  double onset_shape = 3;
  double vein_visible_share = 0.03;  // the vein shows for this last share of heat-checked life
  double vein_visible_px = 4;        // its length when it first shows, px at 300 px
  double vein_final_px = 60;         // its length when the die fails, px at 300 px
};

// One die and where it is in its life.
struct DieState {
  std::string id;           // "<machine>-D<nn>", e.g. "M3-D02"
  int64_t shots = 0;        // shots made on this die so far
  int64_t life = 0;         // the die fails at this shot (it makes life - 1 parts)
  int64_t onset = 0;        // heat checking starts after this many shots (> life: never)
  int64_t vein_from = 0;    // its vein shows from this shot on (> life: never)
  double median_life = 0;   // the scaled median life, for wear = shots / median_life
  cv::Point2d vein_at;      // where the crack is, part coordinates
  double vein_heading = 0;  // radians, part frame
  uint64_t vein_shape_seed = 0;
  double vein_visible_px = 4, vein_final_px = 60;

  // Shots relative to the median life: 0 new, 1 at the median.
  double wear() const { return median_life > 0 ? shots / median_life : 0; }
  bool heat_checked() const { return shots >= onset; }
  // Length of the vein on the part of shot number `shot` of this die, px at 300 px; 0 while too
  // small to see. Grows exponentially (faster as the crack deepens) to vein_final_px at `life`.
  double VeinLength(int64_t shot) const;
  // The vein of shot `shot` for the renderer; length 0 if none shows.
  DieVein Vein(int64_t shot) const;
};

// Draws a new die `id` from `rng`. If `random_age`, it starts at a uniformly random point of its
// life (as the dies of a running cell do); otherwise new (0 shots).
// `life_scale` multiplies every shot count of `options` (< 1: dies age faster, for short demos).
DieState DrawDie(std::string id, const DieLifeOptions& options, double life_scale, bool random_age,
                 Rng& rng);

}  // namespace linesight::sim
