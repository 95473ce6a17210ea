// Stored parts as a shot table: see stored_shots.h.
#include "server/stored_shots.h"

#include <algorithm>
#include <map>

#include "process/line_shots.h"

namespace linesight::server {
namespace {

struct Judged {
  std::string part_id;
  process::LineShot shot;
};

// The newest `limit` parts of `filter` with their verdicts, by part id.
std::map<std::string, process::LineShot> JudgedParts(store::Store& s,
                                                     const store::PartFilter& filter, int limit) {
  std::map<std::string, process::LineShot> shots;
  store::PartPage page;
  page.limit = std::min(limit, 1000);
  while (static_cast<int>(shots.size()) < limit) {
    const auto batch = s.FindParts(filter, page);
    for (const store::PartSummary& p : batch)
      shots[p.part_id] = {p.time_ms, p.machine, p.die, p.die_shot, p.decision, {}};
    if (static_cast<int>(batch.size()) < page.limit) break;
    page.before_time_ms = batch.back().time_ms;
    page.before_part_id = batch.back().part_id;
    page.limit = std::min(limit - static_cast<int>(shots.size()), 1000);
  }
  return shots;
}

// Each variable's values joined to the parts on part id (the series reads the same newest shots).
void AddProcessValues(store::Store& s, const store::PartFilter& filter, int limit,
                      std::map<std::string, process::LineShot>& shots) {
  for (const ProcessVariable& v : ProcessVariables())
    for (const store::ProcessPoint& p : s.ProcessSeries(filter, v.name, limit)) {
      const auto it = shots.find(p.part_id);
      if (it != shots.end()) it->second.process.*v.field = p.value;
    }
}

// Stops and die changes of the parts' machines over their period, and the last one before it.
std::vector<MachineEvent> EventsOf(store::Store& s, const std::vector<Judged>& shots) {
  std::map<std::string, std::pair<int64_t, int64_t>> span;  // machine -> first, last shot time
  for (const Judged& j : shots) {
    auto [it, fresh] = span.try_emplace(j.shot.machine, j.shot.time_ms, j.shot.time_ms);
    it->second.first = std::min(it->second.first, j.shot.time_ms);
    it->second.second = std::max(it->second.second, j.shot.time_ms);
  }
  std::vector<MachineEvent> events;
  for (const auto& [machine, t] : span) {
    for (MachineEvent& e : s.Events(machine, t.first, t.second + 1)) events.push_back(std::move(e));
    if (auto before = s.EventBefore(machine, t.first)) events.push_back(std::move(*before));
  }
  return events;
}

}  // namespace

StoredShots LoadStoredShots(store::Store& store, const store::PartFilter& filter, int limit) {
  auto parts = JudgedParts(store, filter, limit);
  AddProcessValues(store, filter, limit, parts);
  std::vector<Judged> judged;
  for (auto& [id, shot] : parts) judged.push_back({id, std::move(shot)});
  // The order LineShotTable keeps (its sort is stable), so part_ids line up with its rows.
  std::stable_sort(judged.begin(), judged.end(), [](const Judged& a, const Judged& b) {
    return a.shot.time_ms < b.shot.time_ms;
  });
  const std::vector<MachineEvent> events = EventsOf(store, judged);
  StoredShots out;
  std::vector<process::LineShot> shots;
  for (Judged& j : judged) {
    out.part_ids.push_back(std::move(j.part_id));
    shots.push_back(std::move(j.shot));
  }
  if (!shots.empty()) out.first_ms = shots.front().time_ms, out.last_ms = shots.back().time_ms;
  out.table = process::LineShotTable(std::move(shots), events);
  return out;
}

}  // namespace linesight::server
