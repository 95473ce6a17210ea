// process/cause_ranking.cpp: candidate quantile conditions per variable, their 2x2 counts and
// Katz relative-risk intervals, the Mantel–Haenszel check of one condition against another, and
// the evidence ranking.
#include "process/cause_ranking.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>

#include "core/error.h"

namespace linesight::process {
namespace {

std::string Num(double v, int digits = 1) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}

// A threshold in the data's own precision: integers stay integers.
std::string Value(double v) {
  return v == std::floor(v) && std::fabs(v) < 1e15 ? Num(v, 0) : Num(v, 3);
}

// Counts of the 2x2 table of a condition, and its Katz log relative-risk interval. Empty cells
// get the usual 0.5 correction so the interval stays finite.
Cause Evaluate(const std::vector<std::uint8_t>& inside, const std::vector<std::int8_t>& y, double z,
               double z_adj) {
  Cause c;
  for (std::size_t i = 0; i < y.size(); ++i) {
    if (inside[i]) {
      ++c.shots_inside;
      c.rejects_inside += y[i];
    } else {
      ++c.shots_outside;
      c.rejects_outside += y[i];
    }
  }
  double a = c.rejects_inside, n1 = c.shots_inside, b = c.rejects_outside, n2 = c.shots_outside;
  if (a == 0 || b == 0) {
    a += 0.5, b += 0.5, n1 += 1, n2 += 1;
  }
  const double log_rr = std::log((a / n1) / (b / n2));
  const double se = std::sqrt(std::max(0.0, 1 / a - 1 / n1 + 1 / b - 1 / n2));
  c.relative_risk = std::exp(log_rr);
  c.ci_low = std::exp(log_rr - z * se);
  c.ci_high = std::exp(log_rr + z * se);
  c.adjusted_low = std::exp(log_rr - z_adj * se);
  const double outside_rate = static_cast<double>(c.rejects_outside) /
                              static_cast<double>(std::max<std::size_t>(1, c.shots_outside));
  c.excess_rejects =
      static_cast<double>(c.rejects_inside) - outside_rate * static_cast<double>(c.shots_inside);
  return c;
}

double Quantile(const std::vector<double>& sorted, double q) {
  return sorted[static_cast<std::size_t>(q * static_cast<double>(sorted.size() - 1))];
}

// Candidate conditions of one variable as (kind, threshold).
std::vector<std::pair<Cause::Kind, double>> Candidates(const std::vector<double>& x,
                                                       const CauseOptions& o) {
  std::vector<double> v;
  for (double d : x)
    if (!std::isnan(d)) v.push_back(d);
  std::vector<std::pair<Cause::Kind, double>> out;
  if (v.size() < 2) return out;
  std::sort(v.begin(), v.end());
  for (double q : o.low_quantiles) {
    const double t = Quantile(v, q);
    if (t < v.back()) out.emplace_back(Cause::Kind::kBelow, t);
  }
  for (double q : o.high_quantiles) {
    const double t = Quantile(v, q);
    if (t > v.front()) out.emplace_back(Cause::Kind::kAbove, t);
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  const std::size_t missing = x.size() - v.size();
  if (o.missing_condition && missing > 0) out.emplace_back(Cause::Kind::kMissing, 0);
  return out;
}

std::vector<std::uint8_t> Inside(const std::vector<double>& x, Cause::Kind k, double t) {
  std::vector<std::uint8_t> in(x.size());
  for (std::size_t i = 0; i < x.size(); ++i) {
    in[i] = k == Cause::Kind::kMissing ? std::isnan(x[i])
            : k == Cause::Kind::kBelow ? x[i] <= t
                                       : x[i] >= t;
  }
  return in;
}

// Mantel–Haenszel relative risk of condition `x` within the strata of condition `s` (shots
// inside s, shots outside), and the lower bound of its interval at `z` (Greenland–Robins
// variance). 0 when no stratum compares shots inside and outside x: nothing is left of x's
// effect once s is accounted for.
double StratifiedLow(const std::vector<std::uint8_t>& x, const std::vector<std::uint8_t>& s,
                     const std::vector<std::int8_t>& y, double z) {
  double num = 0, den = 0, var = 0;
  for (std::uint8_t k = 0; k < 2; ++k) {
    double a = 0, n1 = 0, b = 0, n0 = 0;
    for (std::size_t i = 0; i < y.size(); ++i) {
      if (s[i] != k) continue;
      (x[i] ? n1 : n0) += 1;
      (x[i] ? a : b) += y[i];
    }
    if (n1 == 0 || n0 == 0) continue;
    if (a == 0 || b == 0) a += 0.5, b += 0.5, n1 += 1, n0 += 1;  // as Evaluate does
    const double n = n1 + n0;
    num += a * n0 / n;
    den += b * n1 / n;
    var += (n1 * n0 * (a + b) - a * b * n) / (n * n);
  }
  if (num <= 0 || den <= 0) return 0;
  const double se = std::sqrt(std::max(0.0, var / (num * den)));
  return std::exp(std::log(num / den) - z * se);
}

// Marks each supported cause that another supported cause explains away: adjusted for the other,
// its own lower bound falls to 1 or below while the other's, adjusted for it, stays above. Of
// several such, the one with the strongest evidence is named.
void MarkExplained(std::vector<Cause>& causes, const std::vector<std::vector<std::uint8_t>>& inside,
                   const std::vector<std::int8_t>& y, double z_adj) {
  const std::size_t n = causes.size();
  std::vector<std::uint8_t> holds(n * n, 0);  // [i * n + j]: i still supported within j's strata
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t j = 0; j < n; ++j)
      if (i != j && causes[i].supported && causes[j].supported)
        holds[i * n + j] = StratifiedLow(inside[i], inside[j], y, z_adj) > 1;
  std::vector<std::string> by(n);
  for (std::size_t i = 0; i < n; ++i) {
    const Cause* best = nullptr;
    for (std::size_t j = 0; j < n; ++j) {
      if (j == i || !causes[i].supported || !causes[j].supported) continue;
      if (holds[i * n + j] || !holds[j * n + i]) continue;
      if (!best || causes[j].adjusted_low > best->adjusted_low) best = &causes[j];
    }
    if (best) by[i] = best->Condition();
  }
  for (std::size_t i = 0; i < n; ++i) causes[i].explained_by = by[i];
}

// Gives each shot inside any supported, unexplained cause to the one of them with the strongest
// evidence, and sets each one's attributed_excess: its shots' rejects less what the rate of the
// shots inside none of them would give. Two causes of one group's rejects then share the shots
// they both hold, instead of both counting them. A cause left with under half its excess names
// the cause that holds most of its other rejects (shares_with).
void AttributeRejects(std::vector<Cause>& causes,
                      const std::vector<std::vector<std::uint8_t>>& inside,
                      const std::vector<std::int8_t>& y) {
  std::vector<std::size_t> order;
  for (std::size_t c = 0; c < causes.size(); ++c)
    if (causes[c].supported && causes[c].explained_by.empty()) order.push_back(c);
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    return causes[a].adjusted_low > causes[b].adjusted_low;
  });
  const std::size_t none = causes.size();
  std::vector<std::size_t> owner(y.size(), none);
  std::vector<double> shots(causes.size() + 1, 0), rejects(causes.size() + 1, 0);
  for (std::size_t i = 0; i < y.size(); ++i) {
    for (std::size_t c : order)
      if (inside[c][i]) {
        owner[i] = c;
        break;
      }
    shots[owner[i]] += 1, rejects[owner[i]] += y[i];
  }
  const double rest_rate = shots[none] > 0 ? rejects[none] / shots[none] : 0;
  for (std::size_t c : order) {
    Cause& cause = causes[c];
    cause.attributed_excess = rejects[c] - rest_rate * shots[c];
    if (cause.attributed_excess >= 0.5 * cause.excess_rejects) continue;
    std::vector<std::size_t> held(causes.size() + 1, 0);  // c's rejects, by their shot's owner
    for (std::size_t i = 0; i < y.size(); ++i)
      if (inside[c][i] && y[i] && owner[i] != c) ++held[owner[i]];
    const auto most = std::max_element(held.begin(), held.end() - 1) - held.begin();
    if (held[most] > 0) cause.shares_with = causes[most].Condition();
  }
}

// The causes of one group's rows.
CauseGroup RankGroup(const ShotTable& t, const std::vector<std::size_t>& rows,
                     const std::vector<std::int8_t>& target, const CauseOptions& o,
                     const std::map<std::string, double>& shap) {
  CauseGroup g;
  std::vector<std::size_t> use;
  for (std::size_t i : rows) {
    if ((o.normal_only && !t.Normal(i)) || (target[i] != 0 && target[i] != 1)) {
      ++g.left_out;
      continue;
    }
    use.push_back(i);
    g.rejects += target[i];
  }
  g.shots = use.size();
  std::vector<std::int8_t> y;
  for (std::size_t i : use) y.push_back(target[i]);
  std::vector<std::vector<double>> xs(t.features.size());
  std::vector<std::vector<std::pair<Cause::Kind, double>>> cands(t.features.size());
  for (std::size_t f = 0; f < t.features.size(); ++f) {
    for (std::size_t i : use) xs[f].push_back(t.features[f][i]);
    cands[f] = Candidates(xs[f], o);
    g.conditions_tried += cands[f].size();
  }
  if (g.rejects < o.min_group_rejects || g.rejects == g.shots) {
    g.note = "only " + std::to_string(g.rejects) + " rejects of " + std::to_string(g.shots) +
             " shots: too few to claim any cause";
  }
  const double z = NormalTwoSidedZ(0.05);
  const double z_adj =
      NormalTwoSidedZ(0.05 / static_cast<double>(std::max<std::size_t>(1, g.conditions_tried)));
  std::vector<std::vector<std::uint8_t>> inside;  // of each cause in g.causes
  for (std::size_t f = 0; f < t.features.size(); ++f) {
    Cause best;
    bool any = false;
    for (const auto& [kind, thr] : cands[f]) {
      Cause c = Evaluate(Inside(xs[f], kind, thr), y, z, z_adj);
      if (c.shots_inside == 0 || c.shots_outside == 0) continue;
      c.kind = kind;
      c.threshold = thr;
      if (!any || c.adjusted_low > best.adjusted_low) best = c, any = true;
    }
    if (!any) continue;
    best.variable = t.feature_names[f];
    if (auto it = shap.find(best.variable); it != shap.end()) best.mean_abs_shap = it->second;
    best.supported =
        g.note.empty() && best.adjusted_low > 1 && best.rejects_inside >= o.min_rejects_inside;
    inside.push_back(Inside(xs[f], best.kind, best.threshold));
    g.causes.push_back(best);
  }
  MarkExplained(g.causes, inside, y, z_adj);
  AttributeRejects(g.causes, inside, y);
  // Unexplained supported causes with most of their rejects their own first, by those rejects
  // (shots in several causes go to the one with the strongest evidence); then those that mostly
  // share a stronger cause's shots, by evidence. Evidence alone put a narrow, sharp excursion
  // ahead of a cause that made more of the rejects (bench/process_causes.cpp: 176 of 416 misses);
  // rejects explained alone put a wide proxy first (a cold die after every stop holds the warm-up
  // shots too: 0.63 top-1 against 0.82). docs/process.md "Causes" has the figures.
  // A condition another explains away comes after the unexplained ones, still above weak evidence.
  std::stable_sort(g.causes.begin(), g.causes.end(), [](const Cause& a, const Cause& b) {
    if (a.supported != b.supported) return a.supported;
    if (a.explained_by.empty() != b.explained_by.empty()) return a.explained_by.empty();
    if (a.supported && a.explained_by.empty()) {
      if (a.shares_with.empty() != b.shares_with.empty()) return a.shares_with.empty();
      if (a.shares_with.empty() && a.attributed_excess != b.attributed_excess)
        return a.attributed_excess > b.attributed_excess;
    }
    return a.adjusted_low > b.adjusted_low;
  });
  if (g.note.empty() && (g.causes.empty() || !g.causes.front().supported))
    g.note = "no condition stands out: the evidence for every variable is weak";
  return g;
}

}  // namespace

double NormalTwoSidedZ(double alpha) {
  double lo = 0, hi = 40;  // erfc(z / sqrt 2) = alpha, decreasing in z
  for (int i = 0; i < 200; ++i) {
    const double mid = (lo + hi) / 2;
    (std::erfc(mid / std::sqrt(2.0)) > alpha ? lo : hi) = mid;
  }
  return (lo + hi) / 2;
}

std::string Cause::Condition() const {
  switch (kind) {
    case Kind::kBelow:
      return variable + " ≤ " + Value(threshold);
    case Kind::kAbove:
      return variable + " ≥ " + Value(threshold);
    case Kind::kMissing:
      return variable + " not measured";
  }
  return variable;
}

std::string Cause::Sentence(const std::string& target) const {
  const std::size_t total = rejects_inside + rejects_outside;
  std::string s =
      target + " " + Num(relative_risk) + "× " + (relative_risk >= 1 ? "more" : "less") +
      " likely when " + Condition() + " (95% CI " + Num(ci_low) + "–" + Num(ci_high) + "; " +
      std::to_string(rejects_inside) + " of " + std::to_string(total) + " rejects, about " +
      Num(std::max(0.0, excess_rejects), 0) + " beyond the rate elsewhere";
  if (!shares_with.empty())
    s += ", most of them where " + shares_with + " holds too";
  else if (supported && explained_by.empty() &&
           std::lround(attributed_excess) < std::lround(excess_rejects))
    s += ", " + Num(std::max(0.0, attributed_excess), 0) + " where no stronger cause holds";
  if (mean_abs_shap >= 0) s += "; mean |SHAP| " + Num(mean_abs_shap, 3);
  s += ")";
  if (!explained_by.empty()) s += ", explained by " + explained_by;
  if (!supported) s = "weak evidence: " + s;
  return s;
}

std::vector<CauseGroup> RankCauses(const ShotTable& t, GroupBy by, const CauseOptions& o,
                                   const std::vector<std::pair<std::string, double>>& shap) {
  std::vector<std::int8_t> target = t.label;
  std::string target_name = "scrap";
  if (!o.defect.empty()) {
    const int d = t.DefectIndex(o.defect);
    if (d < 0) {
      std::string names;
      for (const auto& n : t.defect_names) names += (names.empty() ? "" : ", ") + n;
      throw Error(ErrorCategory::kInput, "no defect column '" + o.defect + "'",
                  "Use one of: " + (names.empty() ? std::string("(none in this table)") : names));
    }
    target = t.defects[d];
    target_name = o.defect;
  }
  std::map<std::string, std::vector<std::size_t>> groups;
  for (std::size_t i = 0; i < t.size(); ++i) {
    const std::string key = by == GroupBy::kDie       ? "die " + t.die[i]
                            : by == GroupBy::kMachine ? "machine " + t.machine[i]
                                                      : "all";
    groups[key].push_back(i);
  }
  const std::map<std::string, double> shap_map(shap.begin(), shap.end());
  std::vector<CauseGroup> out;
  for (const auto& [key, rows] : groups) {
    out.push_back(RankGroup(t, rows, target, o, shap_map));
    out.back().group = key;
    out.back().target = target_name;
  }
  return out;
}

}  // namespace linesight::process
