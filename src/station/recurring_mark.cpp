// station/recurring_mark.cpp: finding a place a die's parts keep showing, and holding on to it.
#include "station/recurring_mark.h"

#include <algorithm>
#include <cmath>
#include <optional>

namespace linesight::station {

RecurringMarkWatch::RecurringMarkWatch(const RecurringMarkOptions& options)
    : options_(options), recent_(static_cast<size_t>(std::max(options.window_parts - 1, 0))) {
  now_.reserve(kRecurringPlacesReserved);
  for (auto& part : recent_) part.reserve(kRecurringPlacesReserved);
}

void RecurringMarkWatch::Forget() {
  for (auto& part : recent_) part.clear();
  next_ = 0;
  mark_.reset();
}

std::optional<RecurringMark> RecurringMarkWatch::Clear() {
  std::optional<RecurringMark> stood = mark_;
  Forget();
  return stood;
}

bool RecurringMarkWatch::Near(const Place& a, const Place& b) const {
  return std::hypot(a.x - b.x, a.y - b.y) <= options_.radius;
}

int RecurringMarkWatch::PartsShowing(const Place& p) const {
  int n = 1;
  for (const auto& part : recent_)
    for (const Place& q : part)
      if (Near(p, q)) {
        ++n;
        break;
      }
  return n;
}

std::optional<RecurringMark> RecurringMarkWatch::Add(const std::string& die,
                                                     const std::string& model_id,
                                                     std::span<const Finding> findings,
                                                     double shots_since_restart,
                                                     const std::optional<DieMarkSeen>& die_mark,
                                                     std::span<const FaintPlace> faint) {
  if (!options_.enabled) return std::nullopt;
  // Places of another die or frame mean nothing here; a part that names no model (held before
  // its model judged it) goes on with the watch's.
  if (die != die_ || (!model_id.empty() && model_id != model_id_)) {
    Forget();
    die_ = die;
    if (!model_id.empty()) model_id_ = model_id;
  }
  // Warm-up shots after a stop are mostly scrap (PROCESS.md: the first 5, 94%), their cold shuts
  // where the metal fronts meet: a recurrence of the restart, not of the die.
  const bool warmup = shots_since_restart <= options_.warmup_shots;
  now_.clear();
  std::optional<Place> memory;
  if (!warmup) {
    for (const Finding& f : findings)
      if (f.placed) now_.push_back({f.place_x, f.place_y, f.place_size});
    if (options_.faint_share > 0)
      for (const FaintPlace& f : faint) now_.push_back({f.x, f.y, f.size});
    if (die_mark && options_.die_memory) {
      memory = Place{die_mark->x, die_mark->y, die_mark->size};
      now_.push_back(*memory);
    }
  }

  if (mark_) {
    // A vein grows along its path, and its finding's centre with it: the mark follows it. The
    // die memory's mark is the die's wherever its peak now lies along a long vein.
    const Place at{mark_->x, mark_->y, mark_->size};
    const Place* seen = memory ? &*memory : nullptr;
    if (!memory)
      for (const Place& p : now_)
        if (Near(p, at) && (!seen || std::hypot(p.x - at.x, p.y - at.y) <
                                         std::hypot(seen->x - at.x, seen->y - at.y)))
          seen = &p;
    if (seen) {
      mark_->x = seen->x, mark_->y = seen->y, mark_->size = seen->size;
      mark_->missed = 0;
      mark_->by_memory = memory.has_value();
    } else if (++mark_->missed >= (mark_->by_memory
                                       ? std::max(options_.clear_after, options_.memory_clear_after)
                                       : options_.clear_after)) {
      mark_.reset();
    }
  }
  // The memory's mark already stands on the die's last hundreds of parts: it needs no recurrence
  // on the last few.
  if (!mark_ && memory)
    mark_ = RecurringMark{
        memory->x, memory->y, memory->size, PartsShowing(*memory), options_.window_parts, 0, true};
  if (!mark_)
    for (const Place& p : now_)
      if (const int n = PartsShowing(p); n >= options_.min_parts) {
        mark_ = RecurringMark{p.x, p.y, p.size, n, options_.window_parts, 0};
        break;
      }
  if (!recent_.empty()) {
    recent_[next_].assign(now_.begin(), now_.end());  // keeps its capacity: no allocation
    next_ = (next_ + 1) % recent_.size();
  }
  return mark_;
}

}  // namespace linesight::station
