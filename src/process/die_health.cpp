// process/die_health.cpp: per die, clusters of sightings by place, binned size trends, flash
// rate bins and the shot counter. Warnings live in the clusters and tracks they describe, so a
// die change (dropping the track) clears them and an update never raises a second one.
#include "process/die_health.h"

#include <algorithm>
#include <cmath>
#include <cstddef>

#include "core/error.h"
#include "process/median.h"
#include "process/theil_sen.h"

namespace linesight::process {
namespace {

double Median(std::vector<double> v) { return MedianInPlace(v); }

template <typename T>
void KeepLast(std::vector<T>& v, int n) {
  if (static_cast<int>(v.size()) > n) v.erase(v.begin(), v.end() - n);
}

void CheckSighting(const DefectSighting& s, std::string_view die, int64_t die_shot) {
  if (s.die != die || s.die_shot != die_shot) {
    throw Error(ErrorCategory::kInput,
                "sighting of " + s.die + " shot " + std::to_string(s.die_shot) +
                    " passed with part " + std::string(die) + " shot " + std::to_string(die_shot),
                "Pass each part's own sightings");
  }
  if (!(s.size > 0) || !std::isfinite(s.x) || !std::isfinite(s.y) || !std::isfinite(s.size)) {
    throw Error(ErrorCategory::kInput, "sighting of " + s.die + " has a bad place or size",
                "Report finite places and sizes > 0");
  }
}

}  // namespace

std::string_view DieWarningKindName(DieWarningKind kind) {
  switch (kind) {
    case DieWarningKind::kCrack:
      return "crack";
    case DieWarningKind::kFlashGrowth:
      return "flash_growth";
    case DieWarningKind::kLifeShare:
      return "life_share";
  }
  return "unknown";
}

DieHealth::DieHealth(const DieHealthOptions& options) : options_(options) {}

std::vector<DieWarning> DieHealth::AddPart(std::string_view die, int64_t die_shot,
                                           std::span<const DefectSighting> sightings) {
  for (const DefectSighting& s : sightings) CheckSighting(s, die, die_shot);
  auto it = dies_.find(die);
  if (it == dies_.end()) {
    it = dies_.emplace(std::string(die), DieTrack{}).first;
    it->second.die = die;
  }
  DieTrack& track = it->second;
  track.shot = die_shot;
  std::vector<DieWarning> raised;
  JudgeLife(track, raised);
  JudgeFlash(track, die_shot, raised);
  CloseBins(track, raised);
  bool flash = false;
  for (const DefectSighting& s : sightings) {
    flash = flash || s.type == "flash";
    AddSighting(track, s);
  }
  track.flash_hits += flash ? 1 : 0;
  ++track.flash_parts;
  // Forget places not seen lately, unless warned (a warning stands until the die changes).
  std::erase_if(track.clusters, [&](const Cluster& c) {
    return !c.warned && die_shot - c.last_shot > options_.forget_shots;
  });
  return raised;
}

void DieHealth::JudgeLife(DieTrack& track, std::vector<DieWarning>& raised) const {
  const double share = static_cast<double>(track.shot) / options_.expected_life_shots;
  if (track.life_warned || share < options_.life_warn_share) return;
  track.life_warned = true;
  track.life.kind = DieWarningKind::kLifeShare;
  track.life.die = track.die;
  track.life.raised_shot = track.life.updated_shot = track.shot;
  raised.push_back(track.life);
}

// The first part of a new bin closes the clusters' last bins before it adds its own sightings,
// so each bin is judged once, on the clusters merged at that moment.
void DieHealth::CloseBins(DieTrack& track, std::vector<DieWarning>& raised) const {
  const int64_t bin = track.shot / options_.trend_bin_shots;
  if (bin != track.merged_bin) {
    MergeNear(track);
    track.merged_bin = bin;
  }
  for (Cluster& c : track.clusters) {
    std::erase_if(c.recent, [&](int64_t s) { return track.shot - s >= options_.recur_shots; });
    if (c.bin.index >= 0 && bin != c.bin.index) {
      CloseBin(c);
      JudgeCluster(track, c, raised);
    }
  }
}

void DieHealth::AddSighting(DieTrack& track, const DefectSighting& s) {
  Cluster* best = nullptr;
  double best_d = options_.match_radius_px + s.size / 2;
  for (Cluster& c : track.clusters) {
    const double d = std::hypot(c.x - s.x, c.y - s.y);
    if (d <= best_d) best_d = d, best = &c;
  }
  if (best == nullptr) {
    best = &track.clusters.emplace_back();
    best->x = s.x, best->y = s.y;
  } else {
    best->x += options_.place_weight * (s.x - best->x);
    best->y += options_.place_weight * (s.y - best->y);
  }
  Cluster& c = *best;
  if (c.recent.empty() || c.recent.back() != s.die_shot) c.recent.push_back(s.die_shot);
  c.last_shot = s.die_shot;
  const int64_t bin = s.die_shot / options_.trend_bin_shots;
  if (c.bin.index != bin) {
    CloseBin(c);
    c.bin.index = bin;
  }
  c.bin.log_sizes.push_back(std::log(s.size));
}

// Two clusters at one place (a vein whose first sightings scattered, or a random defect that
// happened to sit where a vein then grew) would split its sightings and could warn twice: the
// one with a warning, else the longer history, absorbs the other.
void DieHealth::MergeNear(DieTrack& track) const {
  auto& cs = track.clusters;
  for (size_t i = 0; i < cs.size(); ++i) {
    for (size_t j = i + 1; j < cs.size();) {
      if (std::hypot(cs[i].x - cs[j].x, cs[i].y - cs[j].y) > options_.match_radius_px) {
        ++j;
        continue;
      }
      const bool keep_j = cs[j].warned > cs[i].warned ||
                          (cs[j].warned == cs[i].warned && cs[j].trend.size() > cs[i].trend.size());
      if (keep_j) std::swap(cs[i], cs[j]);
      Cluster& keep = cs[i];
      const Cluster& gone = cs[j];
      keep.recent.insert(keep.recent.end(), gone.recent.begin(), gone.recent.end());
      std::sort(keep.recent.begin(), keep.recent.end());
      keep.recent.erase(std::unique(keep.recent.begin(), keep.recent.end()), keep.recent.end());
      keep.last_shot = std::max(keep.last_shot, gone.last_shot);
      if (keep.bin.index == gone.bin.index) {
        keep.bin.log_sizes.insert(keep.bin.log_sizes.end(), gone.bin.log_sizes.begin(),
                                  gone.bin.log_sizes.end());
      }
      cs.erase(cs.begin() + static_cast<std::ptrdiff_t>(j));
    }
  }
}

void DieHealth::CloseBin(Cluster& c) const {
  // A bin of one or two sightings is too noisy to stand for its shots.
  if (c.bin.log_sizes.size() >= 3) {
    const double centre =
        (static_cast<double>(c.bin.index) + 0.5) * static_cast<double>(options_.trend_bin_shots);
    c.trend.emplace_back(centre, Median(c.bin.log_sizes));
    KeepLast(c.trend, options_.trend_max_bins);
  }
  c.bin = Bin{};
}

void DieHealth::JudgeCluster(DieTrack& track, Cluster& c, std::vector<DieWarning>& raised) const {
  if (static_cast<int>(c.trend.size()) < options_.trend_min_bins) return;
  const SenLine fit = FitSenLine(c.trend);
  const bool recurs = static_cast<int>(c.recent.size()) >= options_.recur_hits;
  const bool grows = fit.low * 100 > options_.min_growth_per_100;
  if (!c.warned && !(recurs && grows)) return;
  DieWarning& w = c.warning;
  const double now = static_cast<double>(track.shot);
  const double log_now = fit.intercept + fit.slope * now;
  const double to_go = std::max(0.0, std::log(options_.critical_size_px) - log_now);
  const auto shots_at = [&](double slope) { return slope > 0 ? to_go / slope : -1.0; };
  w.x = c.x, w.y = c.y;
  w.size_px = std::exp(log_now);
  w.growth_pct_per_100 = 100 * (std::exp(100 * fit.slope) - 1);
  w.shots_left = shots_at(fit.slope);
  w.shots_left_low = shots_at(fit.high);
  w.shots_left_high = shots_at(fit.low);
  w.updated_shot = track.shot;
  if (c.warned) return;
  c.warned = true;
  w.kind = DieWarningKind::kCrack;
  w.die = track.die;
  w.raised_shot = track.shot;
  raised.push_back(w);
}

void DieHealth::JudgeFlash(DieTrack& track, int64_t die_shot,
                           std::vector<DieWarning>& raised) const {
  const int64_t bin = die_shot / options_.flash_bin_shots;
  if (bin == track.flash_bin) return;
  if (track.flash_bin >= 0 && track.flash_parts > 0) {
    const double centre = (static_cast<double>(track.flash_bin) + 0.5) *
                          static_cast<double>(options_.flash_bin_shots);
    const double rate =
        static_cast<double>(track.flash_hits) / static_cast<double>(track.flash_parts);
    track.flash_bins.emplace_back(centre, rate);
    KeepLast(track.flash_bins, options_.flash_max_bins);
  }
  track.flash_bin = bin;
  track.flash_parts = track.flash_hits = 0;
  if (static_cast<int>(track.flash_bins.size()) < options_.flash_min_bins) return;
  const SenLine fit = FitSenLine(track.flash_bins);
  const double rate = track.flash_bins.back().second;
  DieWarning& w = track.flash;
  if (!track.flash_warned && !(rate >= options_.flash_rate_warn && fit.low > 0)) return;
  w.flash_rate = rate;
  w.flash_rate_per_100 = 100 * fit.slope;
  w.updated_shot = die_shot;
  if (track.flash_warned) return;
  track.flash_warned = true;
  w.kind = DieWarningKind::kFlashGrowth;
  w.die = track.die;
  w.raised_shot = die_shot;
  raised.push_back(w);
}

void DieHealth::DieChanged(std::string_view die) {
  const auto it = dies_.find(die);
  if (it != dies_.end()) dies_.erase(it);
}

std::vector<DieWarning> DieHealth::Warnings() const {
  std::vector<DieWarning> out;
  for (const auto& [id, track] : dies_) {
    for (const Cluster& c : track.clusters) {
      if (c.warned) out.push_back(c.warning);
    }
    if (track.flash_warned) out.push_back(track.flash);
    if (track.life_warned) out.push_back(track.life);
  }
  return out;
}

const DieWarning* DieHealth::CrackWarning(std::string_view die) const {
  const auto it = dies_.find(die);
  if (it == dies_.end()) return nullptr;
  const DieWarning* best = nullptr;
  const auto left = [](const DieWarning& w) { return w.shots_left < 0 ? 1e300 : w.shots_left; };
  for (const Cluster& c : it->second.clusters) {
    if (c.warned && (best == nullptr || left(c.warning) < left(*best))) best = &c.warning;
  }
  return best;
}

}  // namespace linesight::process
