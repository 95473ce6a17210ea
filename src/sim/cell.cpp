// sim/cell.cpp: option checks, the cell's machines and shot rendering.
#include "sim/cell.h"

#include <cmath>
#include <string>

#include "core/error.h"

namespace linesight::sim {

void CheckCellOptions(const CellOptions& o) {
  auto require = [](bool ok, const std::string& what) {
    if (!ok) {
      throw Error(ErrorCategory::kInput, "cell option out of range: " + what,
                  "use values within the ranges documented in sim/cell_options.h");
    }
  };
  const auto rate = [](double r) { return std::isfinite(r) && r >= 0; };
  require(o.machines >= 1 && o.machines <= 99, "machines must be 1..99");
  require(std::isfinite(o.shift_hours) && o.shift_hours >= 1 && o.shift_hours <= 24,
          "shift_hours must be 1..24");
  require(std::isfinite(o.die_life_scale) && o.die_life_scale >= 1e-3 && o.die_life_scale <= 10,
          "die_life_scale must be 0.001..10");
  require(rate(o.faults_per_hour) && o.faults_per_hour <= 10, "faults_per_hour must be 0..10");
  require(rate(o.excursions_per_hour) && o.excursions_per_hour <= 10,
          "excursions_per_hour must be 0..10");
  require(rate(o.random_defect_rate) && o.random_defect_rate <= 1,
          "random_defect_rate must be 0..1");
  require(rate(o.die_change_at_vein_px), "die_change_at_vein_px must be >= 0");
  const DieLifeOptions& d = o.die_life;
  require(d.median_life >= 1000 && d.onset_median >= 100 && d.life_shape > 0 && d.onset_shape > 0,
          "die_life: median_life >= 1000, onset_median >= 100, shapes > 0");
  require(d.infant_share >= 0 && d.infant_share <= 1 && d.vein_visible_share > 0 &&
              d.vein_visible_share <= 1,
          "die_life: infant_share in [0, 1], vein_visible_share in (0, 1]");
  require(d.vein_visible_px > 0 && d.vein_final_px >= d.vein_visible_px,
          "die_life: 0 < vein_visible_px <= vein_final_px");
}

Cell::Cell(const CellOptions& options) : options_(options) {
  CheckCellOptions(options_);
  machines_.reserve(static_cast<size_t>(options_.machines));
  for (int i = 0; i < options_.machines; ++i) machines_.emplace_back(options_, i);
}

RenderedPart RenderShot(const PartRenderer& renderer, const CellShot& shot) {
  std::vector<DefectType> types;
  for (const DefectTruth& d : shot.truth.defects) {
    if (d.type != DefectType::kDieVein) types.push_back(d.type);
  }
  return renderer.Render(shot.render_seed, types, shot.veins);
}

}  // namespace linesight::sim
