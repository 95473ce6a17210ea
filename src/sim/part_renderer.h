// sim/part_renderer.h: renders realistic grey images of an impeller-like cast part seen from
// above, with defects drawn on request and their pixel masks. Deterministic from a seed;
// const and thread-safe. Used by tests (instead of real images) and by the demo.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include <opencv2/core.hpp>

namespace linesight::sim {

// Kinds of casting defect the renderer can draw; sizes are for a 300 px image and scale with
// RenderOptions::size. Stored: never renumber.
enum class DefectType : uint8_t {
  kBlowHole = 1,  // round dark cavity, 6-20 px
  kPinHole = 2,   // small dark pit, 2-5 px, often a cluster
  kCrack = 3,     // thin dark jagged line, 20-80 px
  kFlash = 4,     // thin bright fin/burr protruding from the outer rim
  kEdgeChip = 5,  // a bite missing from the outer rim (background shows through)
  kColdShut = 6,  // a curved seam: faint dark line with a bright lip beside it
  kDieVein = 7,   // raised bright ridge, 1-3 px wide, from a crack in the die: placed by a DieVein
};

// Short lower-case name ("blow_hole", "pin_hole", "crack", "flash", "edge_chip", "cold_shut").
std::string_view DefectName(DefectType type);
// Inverse of DefectName; nullopt for an unknown name.
std::optional<DefectType> ParseDefectType(std::string_view name);
// The defect types Render() places at random, in enum order: all but kDieVein, which sits where
// its die puts it (see DieVein).
std::span<const DefectType> AllDefectTypes();

// A raised vein on the part where its die has a crack: at the same place on every part from that
// die, so it is given in part coordinates (fractions of the outer radius, in the part's own frame:
// it turns with the part). The same shape_seed gives the same path; a longer vein extends a
// shorter one along it. The path stops where it would leave the as-cast face.
struct DieVein {
  cv::Point2d at;           // where the vein starts, part coordinates (|at| in 0.40..0.85)
  double heading = 0;       // direction it grows, radians in the part's frame
  double length = 0;        // px along its path at a 300 px render (scales with size); <= 0: none
  uint64_t shape_seed = 0;  // its wiggles
};

// What the part looks like and how much parts vary. Fields change the rendered pixels.
struct RenderOptions {
  int size = 300;                   // output is size x size pixels
  int vanes = 6;                    // impeller vanes (design of the part type)
  double part_radius = 0.40;        // outer radius as a fraction of size
  double max_shift_px = 8.0;        // uniform shift of the centre in x and y, +-
  double max_scale = 0.04;          // relative size change, +-
  double max_rotation_deg = 180.0;  // rotation about the centre, +-
  double exposure_range = 0.25;     // overall brightness gain, 1 +- this
  double gamma_range = 0.20;        // gamma, 1 +- this
  double lighting_gradient = 0.15;  // strength of a random linear lighting gradient
  double noise_sigma = 2.0;         // sensor noise, grey levels (each part draws 0.5-1x this)
};

// One rendered part.
struct RenderedPart {
  cv::Mat image;                    // CV_8UC1, size x size
  cv::Mat mask;                     // CV_8UC1, size x size, 255 where a defect is, else 0
  std::vector<DefectType> defects;  // what was drawn (empty for a good part)
  cv::Point2d centre;               // true centre of the part in pixels
  double radius = 0;                // true outer radius in pixels
  double rotation_deg = 0;          // true rotation
};

class PartRenderer {
 public:
  // Throws Error{kInput} naming the field if `options` is out of range.
  explicit PartRenderer(const RenderOptions& options = {});

  // Renders the part for `seed` with the given defects (each placed at a random visible spot
  // chosen from the seed). Same seed and defects give the same pixels on any machine. Outside
  // its mask, a defect leaves every pixel of the same seed's good part unchanged. Throws
  // Error{kInput} for a DefectType outside the enum. Keeps its scratch planes per thread
  // (~2.5 MB at 300 px) for images up to 1024 x 1024.
  RenderedPart Render(uint64_t seed, std::span<const DefectType> defects = {}) const;

  // As above, then draws each of `veins` (kDieVein, in part.defects after `defects`) at its place.
  // The pixels outside the veins' masks equal those of Render(seed, defects).
  RenderedPart Render(uint64_t seed, std::span<const DefectType> defects,
                      std::span<const DieVein> veins) const;

  const RenderOptions& options() const { return options_; }

 private:
  RenderOptions options_;
};

}  // namespace linesight::sim
