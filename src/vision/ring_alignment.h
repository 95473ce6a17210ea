// vision/ring_alignment.h: finds how far a round part is turned about the canvas centre, and how
// much its features twist with the radius (spiral vanes that wind a little more or less from part
// to part), by matching its angular signature (how much fine detail each angle holds, band by
// band of radius) against a template learned from good parts. With the turn known, a model can
// keep statistics per place on the part (a vane edge, the face between vanes) instead of per
// ring. Const after construction; scratch is caller-owned.
#pragma once

#include <cstdint>
#include <vector>

#include <opencv2/core.hpp>

namespace linesight {

// Buffers of RingAlignment; sized on first use, then reused without allocating.
struct RingAlignmentScratch {
  std::vector<float> signature;  // bands x kAngles
  std::vector<float> coarse, coarse_template, band_scores;
  std::vector<float> band_rho;  // per band: its mid radius / max_radius - 0.5
};

// How a part is turned: at radius r its angle a shows what the template holds at
// a - (base + twist * (r / max_radius - 0.5)), in angle samples (RingAlignment::kAngles a turn).
struct RingTurn {
  float base = 0;
  float twist = 0;
  // The turn at radius `r` of a layout whose outermost radius is `max_radius`, in [0, kAngles).
  float At(double r, double max_radius) const;
};

class RingAlignment {
 public:
  // Angular samples of a signature; a turn is measured in these units, [0, kAngles).
  static constexpr int kAngles = 1024;

  RingAlignment() = default;
  // `canvas`: side of the square canvas; pixels within `max_radius` of its centre (and beyond
  // kMinRadius) take part.
  RingAlignment(int canvas, double max_radius);

  // The signature of `feature` (CV_32F, canvas size): per radial band and angle, the mean of
  // |feature| over the pixels there, each band's mean removed. Written to scratch.signature.
  void Signature(const cv::Mat& feature, RingAlignmentScratch& scratch) const;

  // The turn that best maps `templ` onto scratch.signature. The base is searched on the whole
  // circle at 1/8 resolution, then base and twist (up to kMaxTwist) together near it, band by
  // band, to a fraction of a sample. Allocates nothing once scratch is sized.
  RingTurn Find(const std::vector<float>& templ, RingAlignmentScratch& scratch) const;

  // Adds scratch.signature, turned back by `turn`, into `templ` (bands x kAngles), so a template
  // can be accumulated from many parts.
  void Accumulate(const RingAlignmentScratch& scratch, const RingTurn& turn,
                  std::vector<float>& templ) const;

  double max_radius() const { return max_radius_; }

  // How many times a turn the part described by `templ` (a template as Find() takes) repeats
  // itself (n vanes: n), from the template's angular harmonics: the strongest from kMinRepeat to
  // kMaxSymmetry cycles a turn, if it holds kMinEnergyShare of the template's energy and stands
  // kPeakOverNeighbours times above the harmonics beside it, brought down to the repeat it is a
  // multiple of (a divisor, or half of it, that holds kHarmonicShare of its power). 1 if no
  // harmonic stands out. Harmonics 1 and 2 are what light falling across the part makes, so a part
  // that repeats only twice a turn reads as 1. A turn Find() gives is known only up to 1/n of a
  // turn (any of the n repeats fits).
  static int Symmetry(const std::vector<float>& templ);
  static constexpr int kMinRepeat = 3;
  static constexpr int kMaxSymmetry = 24;
  static constexpr double kMinEnergyShare = 0.02;
  static constexpr double kPeakOverNeighbours = 4;
  static constexpr double kHarmonicShare = 0.25;

  // Largest twist searched, angle samples between the centre and max_radius (about 16 degrees).
  static constexpr int kMaxTwist = 48;

  size_t size() const { return static_cast<size_t>(bands_) * kAngles; }

 private:
  static constexpr int kBandWidth = 4;  // pixels of radius per signature band
  static constexpr int kMinRadius = 4;  // the centre has too few pixels to say an angle
  static constexpr int kCoarse = 8;     // angle samples merged by the first search
  int canvas_ = 0, bands_ = 0;
  double max_radius_ = 0;
  std::vector<int32_t> bin_of_;  // per canvas pixel: band * kAngles + angle, -1 = not used
  std::vector<float> inv_count_;
  std::vector<uint8_t> band_filled_;  // per bin: 1 if any pixel falls in it
};

}  // namespace linesight
