#include "server/die_watch.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include <nlohmann/json.hpp>

#include "server/api_json.h"

namespace linesight::server {
namespace {

constexpr int kPage = 1000;
constexpr size_t kRecentSeen = 64;  // findings kept per die to show where a place was seen

std::string Fixed(double v, int decimals) {
  char text[48];
  std::snprintf(text, sizeof text, "%.*f", decimals, v);
  return text;
}

}  // namespace

DieWatch::DieWatch(const DieWatchOptions& options) : options_(options), health_(options.health) {}

std::vector<AlertCandidate> DieWatch::Evaluate(store::Store& store) {
  if (cursor_ < 0) cursor_ = std::max<int64_t>(0, store.LastSeq() - options_.backfill_parts);
  for (int read = 0; read < options_.parts_per_evaluation;) {
    const std::vector<store::PartSummary> page = store.PartsAfter(cursor_, kPage);
    for (const store::PartSummary& part : page) {
      Feed(store, part);
      cursor_ = part.seq;
    }
    read += static_cast<int>(page.size());
    if (page.size() < static_cast<size_t>(kPage)) break;
  }
  std::vector<AlertCandidate> out;
  for (const process::DieWarning& w : health_.Warnings()) {
    if (w.kind == process::DieWarningKind::kLifeShare) continue;
    const auto it = dies_.find(w.die);
    if (it != dies_.end()) out.push_back(Candidate(w, it->second));
  }
  for (const auto& [id, die] : dies_)
    if (die.mark) out.push_back(MarkCandidate(id, die));
  return out;
}

void DieWatch::Feed(store::Store& store, const store::PartSummary& part) {
  if (part.decision == Decision::kHold || part.die.empty() || part.die_shot <= 0) return;
  std::string& current = die_of_machine_[part.machine];
  if (!current.empty() && current != part.die) {
    health_.DieChanged(current);
    dies_.erase(current);
  }
  current = part.die;
  Die& die = dies_[part.die];
  if (part.die_shot <= die.last_shot) return;
  die.machine = part.machine;
  const std::vector<process::DefectSighting> sightings = Sightings(store, part, die);
  die.last_shot = part.die_shot;
  ++parts_read_;
  for (const process::DieWarning& w : health_.AddPart(part.die, part.die_shot, sightings))
    die.raised_ms[static_cast<int>(w.kind)] = part.time_ms;
}

// The placed findings of the part's first view (other views look at the part from elsewhere:
// their places are another frame) and the mark its station's die memory saw there, in
// DieHealth's reference px. A passed part is read too when it may carry a die mark.
std::vector<process::DefectSighting> DieWatch::Sightings(store::Store& store,
                                                         const store::PartSummary& part,
                                                         Die& die) const {
  std::vector<process::DefectSighting> out;
  const std::optional<store::PartDetail> detail = store.GetPart(part.part_id);
  if (!detail || detail->record.views.empty()) return out;
  const ViewResult& view = detail->record.views.front();
  FollowMark(part, view, die);
  const double r = options_.reference_radius_px;
  for (const Finding& f : view.findings) {
    if (!f.placed || !(f.place_size > 0) || !std::isfinite(f.place_x) || !std::isfinite(f.place_y))
      continue;
    out.push_back(
        {part.die, part.die_shot, f.type, f.place_x * r, f.place_y * r, f.place_size * r});
    die.recent.push_back({part.part_id,
                          view.image,
                          f.place_x * r,
                          f.place_y * r,
                          {f.box.x, f.box.y, f.box.width, f.box.height}});
    if (die.recent.size() > kRecentSeen) die.recent.pop_front();
  }
  if (const auto& m = view.die_mark; m && m->size > 0 && std::isfinite(m->x + m->y)) {
    out.push_back({part.die, part.die_shot, "die_mark", m->x * r, m->y * r, m->size * r});
    // No box: the mark is a place of the part's frame, which of its repeats on this image unknown.
    die.recent.push_back({part.part_id, view.image, m->x * r, m->y * r, {}});
    if (die.recent.size() > kRecentSeen) die.recent.pop_front();
  }
  return out;
}

void DieWatch::FollowMark(const store::PartSummary& part, const ViewResult& view, Die& die) const {
  if (!view.recurring_mark) {
    die.mark.reset();
    return;
  }
  if (!die.mark) die.mark = Mark{{}, part.time_ms, part.die_shot, 0, {}};
  Mark& m = *die.mark;
  m.at = *view.recurring_mark;
  ++m.parts;
  // The finding nearest the mark, if this part showed it, so that a person sees it on a part.
  const Finding* nearest = nullptr;
  double best = 0.1;  // rim radii
  for (const Finding& f : view.findings) {
    if (!f.placed) continue;
    const double d = std::hypot(f.place_x - m.at.x, f.place_y - m.at.y);
    if (d < best) best = d, nearest = &f;
  }
  if (nearest)
    m.seen = {part.part_id,
              view.image,
              nearest->place_x,
              nearest->place_y,
              {nearest->box.x, nearest->box.y, nearest->box.width, nearest->box.height}};
}

AlertCandidate DieWatch::MarkCandidate(const std::string& die_id, const Die& die) const {
  const Mark& m = *die.mark;
  nlohmann::json detail = {{"place", {{"x", m.at.x}, {"y", m.at.y}}},
                           {"size", m.at.size},
                           {"parts", m.at.parts},
                           {"window", m.at.window},
                           {"since_shot", m.since_shot},
                           {"parts_rejected", m.parts}};
  if (!m.seen.part_id.empty()) {
    detail["part_id"] = m.seen.part_id;
    detail["image"] = m.seen.image;
    detail["box"] = m.seen.box;
  }
  return {"die_mark:" + die_id,
          "die_mark",
          store::AlertSeverity::kAlarm,
          die.machine,
          die_id,
          "die " + die_id + " on " + die.machine + ": findings recur at one place of its parts (" +
              std::to_string(m.at.parts) + " of " + std::to_string(m.at.window) +
              " parts): the station rejects its parts until the mark stops or the die is "
              "changed; " +
              std::to_string(m.parts) + " parts since shot " + std::to_string(m.since_shot) +
              " of the die",
          JsonText(detail),
          m.since_ms};
}

AlertCandidate DieWatch::Candidate(const process::DieWarning& w, const Die& die) const {
  const auto raised = die.raised_ms.find(static_cast<int>(w.kind));
  const int64_t evidence = raised == die.raised_ms.end() ? 0 : raised->second;
  const std::string head = "die " + w.die + " on " + die.machine + ": ";
  if (w.kind == process::DieWarningKind::kFlashGrowth) {
    return {"die_flash:" + w.die,
            "die_flash",
            store::AlertSeverity::kWarning,
            die.machine,
            w.die,
            head + "flash on " + Fixed(w.flash_rate * 100, 1) + "% of parts, rising " +
                Fixed(w.flash_rate_per_100 * 100, 2) + " points per 100 shots (die wear)",
            JsonText({{"flash_rate", w.flash_rate},
                      {"flash_rate_per_100", w.flash_rate_per_100},
                      {"raised_shot", w.raised_shot},
                      {"updated_shot", w.updated_shot}}),
            evidence};
  }
  const double r = options_.reference_radius_px;
  nlohmann::json detail = {{"place", {{"x", w.x / r}, {"y", w.y / r}}},
                           {"size_px", w.size_px},
                           {"growth_pct_per_100", w.growth_pct_per_100},
                           {"shots_left", w.shots_left},
                           {"shots_left_low", w.shots_left_low},
                           {"shots_left_high", w.shots_left_high},
                           {"critical_size_px", options_.health.critical_size_px},
                           {"raised_shot", w.raised_shot},
                           {"updated_shot", w.updated_shot}};
  // The newest part the mark was seen on, so that a person sees it drawn on a real part.
  const double near = options_.health.match_radius_px + w.size_px / 2;
  for (auto it = die.recent.rbegin(); it != die.recent.rend(); ++it) {
    if (std::hypot(it->x - w.x, it->y - w.y) > near) continue;
    detail["part_id"] = it->part_id;
    detail["image"] = it->image;
    if (!it->box.empty()) detail["box"] = it->box;
    break;
  }
  const std::string left = w.shots_left_high < 0 ? "at least " + Fixed(w.shots_left_low, 0)
                                                 : "about " + Fixed(w.shots_left, 0) + " (" +
                                                       Fixed(w.shots_left_low, 0) + "-" +
                                                       Fixed(w.shots_left_high, 0) + ")";
  return {"die_crack:" + w.die,
          "die_crack",
          store::AlertSeverity::kAlarm,
          die.machine,
          w.die,
          head + "a mark recurs at one place of the part and grows " +
              Fixed(w.growth_pct_per_100, 1) + "% per 100 shots, now " + Fixed(w.size_px, 0) +
              " px: a die crack? " + left + " shots left before it reaches " +
              Fixed(options_.health.critical_size_px, 0) + " px",
          JsonText(detail),
          evidence};
}

}  // namespace linesight::server
