// sim/die_model.cpp: Weibull lives, heat-checking onset and the growth of the crack's vein.
#include "sim/die_model.h"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <utility>

namespace linesight::sim {
namespace {

// A Weibull draw with the given median and shape (inverse CDF).
double Weibull(Rng& rng, double median, double shape) {
  const double scale = median / std::pow(std::log(2.0), 1 / shape);
  const double u = 1.0 - rng.Uniform();  // (0, 1]
  return scale * std::pow(-std::log(u), 1 / shape);
}

}  // namespace

double DieState::VeinLength(int64_t shot) const {
  if (shot < vein_from || vein_from >= life) return 0;
  const double t = static_cast<double>(shot - vein_from) / static_cast<double>(life - vein_from);
  return vein_visible_px * std::pow(vein_final_px / vein_visible_px, std::min(t, 1.0));
}

DieVein DieState::Vein(int64_t shot) const {
  DieVein vein;
  vein.at = vein_at;
  vein.heading = vein_heading;
  vein.length = VeinLength(shot);
  vein.shape_seed = vein_shape_seed;
  return vein;
}

DieState DrawDie(std::string id, const DieLifeOptions& o, double life_scale, bool random_age,
                 Rng& rng) {
  DieState die;
  die.id = std::move(id);
  die.median_life = o.median_life * life_scale;
  const bool infant = rng.Uniform() < o.infant_share;
  const double infant_life = rng.Uniform(100, 1000) * life_scale;
  const double life = infant ? infant_life : Weibull(rng, die.median_life, o.life_shape);
  die.life = std::max<int64_t>(2, std::llround(life));
  die.onset =
      std::max<int64_t>(1, std::llround(Weibull(rng, o.onset_median * life_scale, o.onset_shape)));
  // The crack that ends the die shows only late: the last share of its heat-checked life.
  die.vein_from = die.onset >= die.life
                      ? die.life + 1
                      : die.life - std::llround(o.vein_visible_share *
                                                static_cast<double>(die.life - die.onset));
  // Cracks start at hot spots of the cavity face; this one is somewhere on the as-cast face.
  const double r = rng.Uniform(0.45, 0.80);
  const double theta = rng.Uniform(0, 2 * std::numbers::pi);
  die.vein_at = {r * std::cos(theta), r * std::sin(theta)};
  die.vein_heading = rng.Uniform(0, 2 * std::numbers::pi);
  die.vein_shape_seed = rng.Next();
  die.vein_visible_px = o.vein_visible_px;
  die.vein_final_px = o.vein_final_px;
  const double age = rng.Uniform();
  if (random_age) die.shots = std::llround(age * static_cast<double>(die.life - 1));
  return die;
}

}  // namespace linesight::sim
