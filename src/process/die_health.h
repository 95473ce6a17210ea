// process/die_health.h: watches each die through what inspection sees on its parts and warns
// before it fails: a crack (a defect recurring at one place and growing), flash growing with
// wear, and the die's shot count against its expected life. One DieHealth per server; one thread.
#pragma once

#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace linesight::process {

// One finding on a part, as the station reports it. Places are in the aligned part's frame: px
// of the 300 px reference render with the part's centre at (0, 0), so the same place of the die
// has the same (x, y) on every part.
struct DefectSighting {
  std::string die;       // the die that made the part, e.g. "M3-D02"
  int64_t die_shot = 0;  // the part's shot number on that die
  std::string type;      // the finding's type, e.g. "die_vein", "flash", "blow_hole"
  double x = 0, y = 0;   // centre of the finding, px (see above)
  double size = 0;       // its length (longest side of its box), px at 300 px; > 0
};

// Thresholds of DieHealth. All change results; docs/process.md "Die health" says why each default.
struct DieHealthOptions {
  // Clustering: a sighting joins the nearest cluster of its die within match_radius_px + half its
  // size (a growing vein's centre moves by half its growth); otherwise it starts a new cluster.
  double match_radius_px = 8;
  double place_weight = 0.1;   // weight of a new sighting on its cluster's place (EWMA)
  int64_t forget_shots = 300;  // a cluster unseen for this many die shots is dropped
  // Recurrence: a place recurs when seen on at least recur_hits of the die's last recur_shots.
  int recur_shots = 20;
  int recur_hits = 5;
  // Growth: sizes are summarised per bin of trend_bin_shots die shots (median log size of the
  // bin's sightings, bins with >= 3 sightings); Theil-Sen over the last trend_max_bins bins.
  int64_t trend_bin_shots = 50;
  int trend_min_bins = 4;
  int trend_max_bins = 40;
  // A crack warning needs the growth's lower confidence bound (90% two-sided, Sen's interval)
  // above this, in log size per 100 shots (0.01: 1% larger every 100 shots).
  double min_growth_per_100 = 0.01;
  double critical_size_px = 60;  // the size at which the die fails (shots-left target)
  // Flash: the flash rate per bin of flash_bin_shots die shots; warn when the latest bin's rate
  // is at least flash_rate_warn and the rate's Theil-Sen trend over the last flash_max_bins bins
  // (at least flash_min_bins) rises.
  int64_t flash_bin_shots = 500;
  int flash_min_bins = 3;
  int flash_max_bins = 20;
  double flash_rate_warn = 0.02;
  // Shot counter: warn once a die's shots reach life_warn_share of expected_life_shots.
  double expected_life_shots = 100000;
  double life_warn_share = 0.9;
};

// What a warning is about. Stored and sent in alerts: never renumber.
enum class DieWarningKind : uint8_t { kCrack = 1, kFlashGrowth = 2, kLifeShare = 3 };

// "crack", "flash_growth", "life_share".
std::string_view DieWarningKindName(DieWarningKind kind);

// One warning, kept up to date while it stands. Fields a kind does not use stay 0.
struct DieWarning {
  DieWarningKind kind = DieWarningKind::kCrack;
  std::string die;
  int64_t raised_shot = 0;   // the die shot at which it was raised
  int64_t updated_shot = 0;  // the die shot of its latest figures
  // kCrack: the place, the size now (fitted), growth in % per 100 shots, and the shots until the
  // size reaches critical_size_px: estimate and a 90% band from Sen's interval of the growth
  // (shots_left_high is -1 when the band's slow end does not grow: no upper bound).
  double x = 0, y = 0, size_px = 0, growth_pct_per_100 = 0;
  double shots_left = 0, shots_left_low = 0, shots_left_high = 0;
  // kFlashGrowth: flash rate of the latest bin (share of parts), its rise per 100 shots.
  double flash_rate = 0, flash_rate_per_100 = 0;
};

class DieHealth {
 public:
  explicit DieHealth(const DieHealthOptions& options = {});

  // One inspected part: made by `die` as its shot `die_shot`, with every finding inspection
  // reported on it (none for a good part). Parts of one die come in shot order. Returns the
  // warnings this part raised; a standing warning is updated in place, not raised again.
  // Throws Error{kInput} if a sighting names another die or shot, or its size is not > 0.
  std::vector<DieWarning> AddPart(std::string_view die, int64_t die_shot,
                                  std::span<const DefectSighting> sightings);

  // `die` was taken off its machine: forget it and clear its warnings.
  void DieChanged(std::string_view die);

  // Standing warnings, by die then kind.
  [[nodiscard]] std::vector<DieWarning> Warnings() const;
  // The standing crack warning of `die` with the fewest shots left, or nullptr. Valid until the
  // next call of a non-const member.
  [[nodiscard]] const DieWarning* CrackWarning(std::string_view die) const;

 private:
  struct Bin {
    int64_t index = -1;  // die_shot / trend_bin_shots
    std::vector<double> log_sizes;
  };
  struct Cluster {
    double x = 0, y = 0;
    int64_t last_shot = 0;
    std::vector<int64_t> recent;                   // die shots of its sightings within recur_shots
    std::vector<std::pair<double, double>> trend;  // (bin centre shot, median log size)
    Bin bin;
    bool warned = false;
    DieWarning warning;
  };
  struct DieTrack {
    std::string die;
    int64_t shot = 0;
    std::vector<Cluster> clusters;
    std::vector<std::pair<double, double>> flash_bins;  // (bin centre shot, flash rate)
    int64_t flash_bin = -1, flash_parts = 0, flash_hits = 0;
    int64_t merged_bin = -1;  // the trend bin whose start last merged nearby clusters
    bool flash_warned = false, life_warned = false;
    DieWarning flash, life;
  };

  void AddSighting(DieTrack& track, const DefectSighting& s);
  void JudgeLife(DieTrack& track, std::vector<DieWarning>& raised) const;
  void CloseBins(DieTrack& track, std::vector<DieWarning>& raised) const;
  void CloseBin(Cluster& c) const;
  void MergeNear(DieTrack& track) const;
  void JudgeCluster(DieTrack& track, Cluster& c, std::vector<DieWarning>& raised) const;
  void JudgeFlash(DieTrack& track, int64_t die_shot, std::vector<DieWarning>& raised) const;

  DieHealthOptions options_;
  std::map<std::string, DieTrack, std::less<>> dies_;
};

}  // namespace linesight::process
