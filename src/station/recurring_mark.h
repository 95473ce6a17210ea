// station/recurring_mark.h: a mark that recurs at one place of a die's parts is the die's (a
// heat-check vein fills the die's crack, PROCESS.md), so it is on every further part even when
// one part's inspection misses it: the watch finds such a place and rejects the die's parts
// until the mark stops showing or the die changes. One per station; one thread.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/part_record.h"
#include "inspect/die_memory.h"
#include "inspect/inspector.h"

namespace linesight::station {

struct RecurringMarkOptions {
  // These change verdicts (docs/station.md, "Recurring marks", says why each default).
  bool enabled = true;
  int window_parts = 12;  // the parts looked back on, this one included
  int min_parts = 4;      // of them with a finding at the place
  double radius = 0.06;   // rim radii between two findings at one place
  int clear_after = 20;   // parts in a row without a finding there end the watch
  int warmup_shots = 5;   // shots after a restart whose findings are not counted
  // A passed part's faint places (Inspector::FaintPlaces: its map reached this share of the
  // threshold over the minimum defect area) count as findings at their places; 0: off.
  double faint_share = 0.8;
  // The die memory's mark (inspect/die_memory.h: a vein too faint for one part's inspection,
  // seen over the die's last hundreds of parts) counts as a finding at its place on each part.
  bool die_memory = true;
  // A mark the die memory stood up or confirmed ends only after this many parts in a row
  // without it: the memory's mark rests on its last ~200 parts (DieMemoryOptions::short_parts)
  // and comes and goes while a young vein stands near its limit.
  int memory_clear_after = 200;
  // The die memory's horizons (its parts in the short and long means, and before it judges): a
  // plant whose dies live far shorter or longer than 100k shots may scale them.
  DieMemoryOptions memory;
};

// The place a die's parts keep showing: the part's own frame, rim radii (Finding::place).
struct RecurringMark {
  double x = 0, y = 0, size = 0;
  int parts = 0;           // parts of the window that showed it when it was found
  int window = 0;          // the window's length then
  int missed = 0;          // parts in a row since it last showed
  bool by_memory = false;  // the die memory's mark stood it up or last confirmed it
};

// Places of one part a watch takes before it allocates (findings, faint places and the memory's
// mark together: more is rare, and then allocates once).
inline constexpr size_t kRecurringPlacesReserved = 64;

class RecurringMarkWatch {
 public:
  explicit RecurringMarkWatch(const RecurringMarkOptions& options = {});

  // One part of `die`, in shot order: its first view's findings (those with a place count), the
  // die memory's mark on it if any, the shots since its machine last stopped, this one being 1
  // (process::RestartCounter; NaN: unknown), and its faint places (counted like findings when
  // options.faint_share > 0). The mark standing after this part, if any:
  // the part should not pass. A new die or `model_id` starts the watch again ("" = unknown: a
  // held part's; the watch goes on). Lives in memory: a restarted station starts again.
  std::optional<RecurringMark> Add(const std::string& die, const std::string& model_id,
                                   std::span<const Finding> findings, double shots_since_restart,
                                   const std::optional<DieMarkSeen>& die_mark = std::nullopt,
                                   std::span<const FaintPlace> faint = {});

  // A person checked the die (and found the mark false, or polished it out): forgets the mark
  // and the findings it stood on, so the die's next parts are judged by inspection alone until
  // findings recur again. Returns the mark that stood, if one did.
  std::optional<RecurringMark> Clear();

 private:
  struct Place {
    double x, y, size;
  };
  bool Near(const Place& a, const Place& b) const;
  int PartsShowing(const Place& p) const;  // recent parts with a finding near p, this one too
  void Forget();

  RecurringMarkOptions options_;
  std::string die_, model_id_;
  std::vector<std::vector<Place>> recent_;  // ring of the last window_parts - 1 parts' places
  size_t next_ = 0;
  std::vector<Place> now_;  // this part's counted places
  std::optional<RecurringMark> mark_;
};

}  // namespace linesight::station
