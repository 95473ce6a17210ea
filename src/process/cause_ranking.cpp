// process/cause_ranking.cpp: candidate quantile conditions per variable, their 2x2 counts and
// Katz relative-risk intervals, the Mantel–Haenszel check of one condition against another, and
// the evidence ranking.
#include "process/cause_ranking.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <optional>

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

// The Katz log relative-risk interval of `c`'s 2x2 counts, and its excess rejects. Empty cells
// get the usual 0.5 correction so the interval stays finite.
void Katz(Cause& c, double z, double z_adj) {
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
}

// Counts of the 2x2 table of a condition, and its interval.
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
  Katz(c, z, z_adj);
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

bool Meets(Cause::Kind k, double t, double x) {
  return k == Cause::Kind::kMissing ? std::isnan(x) : k == Cause::Kind::kBelow ? x <= t : x >= t;
}

std::vector<std::uint8_t> Inside(const std::vector<double>& x, Cause::Kind k, double t) {
  std::vector<std::uint8_t> in(x.size());
  for (std::size_t i = 0; i < x.size(); ++i) in[i] = Meets(k, t, x[i]);
  return in;
}

// The shots of some rows a ranking judges (normal, labelled), their targets, each variable's
// values on them and its candidate conditions.
struct Judged {
  std::vector<std::size_t> use;
  std::vector<std::int8_t> y;
  std::vector<std::vector<double>> xs;
  std::vector<std::vector<std::pair<Cause::Kind, double>>> cands;
  std::size_t tried = 0, left_out = 0, rejects = 0;
};

bool Counts(const ShotTable& t, std::size_t i, const std::vector<std::int8_t>& target,
            const CauseOptions& o) {
  return !(o.normal_only && !t.Normal(i)) && (target[i] == 0 || target[i] == 1);
}

Judged Judge(const ShotTable& t, const std::vector<std::size_t>& rows,
             const std::vector<std::int8_t>& target, const CauseOptions& o) {
  Judged j;
  for (std::size_t i : rows) {
    if (!Counts(t, i, target, o)) {
      ++j.left_out;
      continue;
    }
    j.use.push_back(i);
    j.y.push_back(target[i]);
    j.rejects += static_cast<std::size_t>(target[i]);
  }
  j.xs.resize(t.features.size());
  j.cands.resize(t.features.size());
  for (std::size_t f = 0; f < t.features.size(); ++f) {
    for (std::size_t i : j.use) j.xs[f].push_back(t.features[f][i]);
    j.cands[f] = Candidates(j.xs[f], o);
    j.tried += j.cands[f].size();
  }
  return j;
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
  const Judged j = Judge(t, rows, target, o);
  const auto& y = j.y;
  const auto& xs = j.xs;
  const auto& cands = j.cands;
  g.shots = j.use.size(), g.rejects = j.rejects, g.left_out = j.left_out;
  g.conditions_tried = j.tried;
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
      // A condition no reject met explains none; its ratio would be the empty-cell correction's
      // (0.5 of a reject), which reads "2.9x more likely" over "0 of 17 rejects".
      if (c.shots_inside == 0 || c.shots_outside == 0 || c.rejects_inside == 0) continue;
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

// The conditions of all groups' shots together that may be judged across groups.
struct Pooled {
  std::vector<Cause> conditions;  // supported ones, with their counts over all shots
  std::size_t tried = 0;          // conditions tried to find them
};

// Every candidate condition of every variable over `rows` whose evidence is supported (adjusted
// for all the conditions tried), with its counts over those rows.
Pooled SupportedConditions(const ShotTable& t, const std::vector<std::size_t>& rows,
                           const std::vector<std::int8_t>& target, const CauseOptions& o) {
  const Judged j = Judge(t, rows, target, o);
  const auto& xs = j.xs;
  const std::size_t tried = j.tried;
  const double z = NormalTwoSidedZ(0.05);
  const double z_adj = NormalTwoSidedZ(0.05 / static_cast<double>(std::max<std::size_t>(1, tried)));
  Pooled out;
  out.tried = tried;
  for (std::size_t f = 0; f < t.features.size(); ++f)
    for (const auto& [kind, thr] : j.cands[f]) {
      Cause c = Evaluate(Inside(xs[f], kind, thr), j.y, z, z_adj);
      if (c.shots_inside == 0 || c.shots_outside == 0 || c.adjusted_low <= 1 ||
          c.rejects_inside < o.min_rejects_inside)
        continue;
      c.variable = t.feature_names[f], c.kind = kind, c.threshold = thr, c.supported = true;
      out.conditions.push_back(c);
    }
  return out;
}

// Of `causes`, the one with the strongest evidence per variable, strongest first.
std::vector<Cause> StrongestPerVariable(std::vector<Cause> causes) {
  std::stable_sort(causes.begin(), causes.end(),
                   [](const Cause& a, const Cause& b) { return a.adjusted_low > b.adjusted_low; });
  std::vector<Cause> best;
  for (Cause& c : causes)
    if (std::none_of(best.begin(), best.end(),
                     [&](const Cause& b) { return b.variable == c.variable; }))
      best.push_back(std::move(c));
  return best;
}

// A group counts as inside a condition found across groups when at least this share of its
// shots meet it: then it has too few shots outside to compare within itself.
constexpr double kAcrossCoverage = 0.8;

// Pooled condition `p` judged for one group (`rows`, of `shots` judged shots): its shots inside
// against all groups' shots outside. Nothing unless at least kAcrossCoverage of the group's
// shots meet it, and the other groups' shots alone show the same effect (a rate inside above
// the rate outside, 95% interval, with enough rejects inside to be supported): a condition that
// only sets this group apart (a sensor it lacks, a set point only it runs) is not a cause seen
// across groups.
std::optional<Cause> AcrossCause(const ShotTable& t, const std::vector<std::size_t>& rows,
                                 const std::vector<std::int8_t>& target, const CauseOptions& o,
                                 const Cause& p, std::size_t shots, double z, double z_adj) {
  const auto& x = t.features[static_cast<std::size_t>(t.FeatureIndex(p.variable))];
  Cause c = p, others = p;
  c.shots_inside = c.rejects_inside = 0;
  for (std::size_t i : rows) {
    if (!Counts(t, i, target, o)) continue;
    const auto y = static_cast<std::size_t>(target[i]);
    if (Meets(p.kind, p.threshold, x[i])) {
      ++c.shots_inside, c.rejects_inside += y;
      --others.shots_inside, others.rejects_inside -= y;
    } else {
      --others.shots_outside, others.rejects_outside -= y;
    }
  }
  if (static_cast<double>(c.shots_inside) < kAcrossCoverage * static_cast<double>(shots) ||
      others.shots_inside == 0 || others.shots_outside == 0)
    return std::nullopt;
  Katz(others, z, z);
  if (!(others.ci_low > 1) || others.rejects_inside < o.min_rejects_inside) return std::nullopt;
  Katz(c, z, z_adj);
  c.attributed_excess = c.excess_rejects;
  c.shares_with.clear();
  c.explained_by.clear();
  c.across_groups = true;
  return c;
}

// Adds to `g` (the causes of `rows`) the best per variable of `pooled`'s conditions that
// AcrossCause supports for g and that g's own conditions do not already support (Bonferroni over
// all the conditions tried on the pooled shots, since they were picked there). Such causes go
// after g's own supported, unexplained ones and replace g's weak evidence on the same variable.
// A die wearing out all week shows no change within the week; against the cell's other dies (or
// its own earlier weeks) it does.
void AddAcrossGroups(const ShotTable& t, const std::vector<std::size_t>& rows,
                     const std::vector<std::int8_t>& target, const CauseOptions& o,
                     const Pooled& pooled, const std::map<std::string, double>& shap,
                     CauseGroup& g) {
  if (g.rejects < o.min_group_rejects || g.rejects == g.shots) return;
  const double z = NormalTwoSidedZ(0.05);
  const double z_adj =
      NormalTwoSidedZ(0.05 / static_cast<double>(std::max<std::size_t>(1, pooled.tried)));
  std::vector<Cause> found;
  for (const Cause& p : pooled.conditions) {
    const bool own = std::any_of(g.causes.begin(), g.causes.end(), [&](const Cause& c) {
      return c.supported && c.variable == p.variable;
    });
    if (own || t.FeatureIndex(p.variable) < 0) continue;
    auto c = AcrossCause(t, rows, target, o, p, g.shots, z, z_adj);
    if (!c || !(c->adjusted_low > 1) || c->rejects_inside < o.min_rejects_inside) continue;
    c->supported = true;
    if (auto it = shap.find(c->variable); it != shap.end()) c->mean_abs_shap = it->second;
    found.push_back(std::move(*c));
  }
  found = StrongestPerVariable(std::move(found));
  std::erase_if(g.causes, [&](const Cause& c) {
    return !c.supported && std::any_of(found.begin(), found.end(),
                                       [&](const Cause& a) { return a.variable == c.variable; });
  });
  const auto at = std::find_if(g.causes.begin(), g.causes.end(), [](const Cause& c) {
    return !c.supported || !c.explained_by.empty();
  });
  g.causes.insert(at, found.begin(), found.end());
  if (!found.empty() && g.note.rfind("no condition stands out", 0) == 0) g.note.clear();
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
  if (across_groups) {
    return target + " " + Num(relative_risk) + "× more likely when " + Condition() + ", which " +
           std::to_string(shots_inside) + " shots of this group meet, than on every group's " +
           "shots where it does not hold (95% CI " + Num(ci_low) + "–" + Num(ci_high) + "; " +
           std::to_string(rejects_inside) + " rejects here against " +
           std::to_string(rejects_outside) + " in " + std::to_string(shots_outside) +
           " shots there, about " + Num(std::max(0.0, excess_rejects), 0) + " beyond that rate)";
  }
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
  Pooled pooled;  // conditions of every group's shots together
  if (groups.size() > 1) {
    std::vector<std::size_t> all(t.size());
    for (std::size_t i = 0; i < all.size(); ++i) all[i] = i;
    pooled = SupportedConditions(t, all, target, o);
  }
  std::vector<CauseGroup> out;
  for (const auto& [key, rows] : groups) {
    out.push_back(RankGroup(t, rows, target, o, shap_map));
    AddAcrossGroups(t, rows, target, o, pooled, shap_map, out.back());
    out.back().group = key;
    out.back().target = target_name;
  }
  return out;
}

}  // namespace linesight::process
