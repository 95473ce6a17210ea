// server/die_watch.h: die health on the line. Feeds every inspected part the store holds, in the
// order it was stored, to process::DieHealth (where on the part each die's findings fall, which
// places recur and grow, each die's flash rate) and turns its crack and flash-growth warnings into
// alerts. Rebuilt from the store's recent parts when a server starts; one per alert watch.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "process/die_health.h"
#include "server/alert_sources.h"
#include "store/store.h"

namespace linesight::server {

struct DieWatchOptions {
  // Crack and flash thresholds (docs/process.md, "Die health"); a die's life is DieLifeAlerts'.
  process::DieHealthOptions health;
  // DieHealth reads places and sizes in px of a part whose rim has this radius (the 300 px
  // reference render); findings give them in rim radii (PartRecord, "place").
  double reference_radius_px = 120;
  int64_t backfill_parts = 50'000;    // a starting server reads this many of the newest parts
  int parts_per_evaluation = 20'000;  // at most this many parts each evaluation (the rest next)
};

class DieWatch {
 public:
  explicit DieWatch(const DieWatchOptions& options = {});

  // Reads the parts stored since the last call and returns every standing crack warning (key
  // "die_crack:<die>", severity alarm), every die whose latest part a station rejected for a
  // recurring mark ("die_mark:<die>", alarm) and flash-growth warning ("die_flash:<die>", warning),
  // dated by the part that raised it. Held parts and parts without a die are left out (nothing
  // was seen on them); a die's part older than one already read is left out too. A machine's
  // part from another die ends the old die's watch. Throws what the store throws; the parts of
  // a failed read are read again next time.
  std::vector<AlertCandidate> Evaluate(store::Store& store);

  int64_t parts_read() const { return parts_read_; }

 private:
  struct Seen {  // a recent finding of a die, to show where a warning's place was last seen
    std::string part_id, image;
    double x = 0, y = 0;
    std::vector<int> box;
  };
  // The station's recurring-mark watch (docs/station.md, "Recurring marks") as the die's latest
  // part reports it: standing while that part carries one.
  struct Mark {
    RecurringMarkSeen at;
    int64_t since_ms = 0, since_shot = 0;  // the first part of this stand
    int64_t parts = 0;                     // parts of the die it stood on so far
    Seen seen;                             // the latest part with a finding at the mark
  };
  struct Die {
    std::string machine;
    int64_t last_shot = 0;
    std::map<int, int64_t> raised_ms;  // by DieWarningKind: the raising part's time
    std::deque<Seen> recent;
    std::optional<Mark> mark;
  };
  void Feed(store::Store& store, const store::PartSummary& part);
  std::vector<process::DefectSighting> Sightings(store::Store& store,
                                                 const store::PartSummary& part, Die& die) const;
  AlertCandidate Candidate(const process::DieWarning& w, const Die& die) const;
  void FollowMark(const store::PartSummary& part, const ViewResult& view, Die& die) const;
  AlertCandidate MarkCandidate(const std::string& die_id, const Die& die) const;

  DieWatchOptions options_;
  process::DieHealth health_;
  int64_t cursor_ = -1;  // seq of the last part read; -1 = not started
  int64_t parts_read_ = 0;
  std::map<std::string, Die> dies_;
  std::map<std::string, std::string> die_of_machine_;
};

}  // namespace linesight::server
