// server/alert_sources.h: the conditions that raise alerts (docs/process.md, "Alerts"): a
// machine's reject rate beyond its p-chart's limit, a process value that leaves its long-term
// spread and stays out, a die near its expected life. Pure reads of the store.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "store/store.h"

namespace linesight::server {

struct AlertSourceOptions {
  int64_t die_life_shots = 100000;  // a die's expected life in shots
  double die_life_share = 0.9;      // warn once a die has made this share of it
  // Process values the watch judges (names of ProcessVariables()); empty = all of them.
  std::vector<std::string> process_variables;
};

// Throws Error{kInput} naming the known variables if `options` names an unknown one.
void CheckAlertSourceOptions(const AlertSourceOptions& options);

// A condition found now, as the store raises it; its evidence_ms dates what was seen (an hour's
// start, a shot's time; 0 for a die's life), so that evidence a person already acknowledged is
// not raised again.
using AlertCandidate = store::AlertInput;

// Western Electric rule 1 above the p-chart's upper limit on the latest complete hour of each
// machine that made parts in it; limits from up to 24 hours before it. Key
// "reject_rate:<machine>:<hour start ms>", severity alarm.
std::vector<AlertCandidate> RejectRateAlerts(store::Store& store, int64_t now_ms);

// For each process variable of each machine that made parts in the last hour: an on-delay (4 of
// 5 successive production shots beyond 3 sigma, one side) ending at any of the latest 20 (or
// more, see `judged`), against limits from the long-term spread of the up to 600 production
// shots before them
// (process/process_alarm.h). Warm-up shots (the first 15 after a restart) are left out. Key
// "process:<machine>:<variable>", severity alarm.
// `judged` (machine -> time of the newest production shot judged), kept by the caller between
// evaluations, widens the scan to every shot stored since, so that a backlog (a station
// uplinking after an outage, a fast simulated cell) is judged, as far as a full baseline of 600
// production shots stays before it among the 700 loaded (about 100 shots); a machine it has no
// entry for is judged over its last 8 hours within the same bound. This call updates it. A station
// clock that ran ahead and was then set back leaves its future-dated parts the newest until the
// server's clock passes them (at most the 24 h a part may lead it by): its new shots are judged
// only then.
using JudgedUpTo = std::map<std::string, int64_t>;
std::vector<AlertCandidate> ProcessAlerts(store::Store& store, int64_t now_ms,
                                          const AlertSourceOptions& options = {},
                                          JudgedUpTo* judged = nullptr);

// Each die whose highest die_shot (over the last 90 days' parts) reached the share of its
// expected life. Key "die_life:<die>", severity warning.
std::vector<AlertCandidate> DieLifeAlerts(store::Store& store, int64_t now_ms,
                                          const AlertSourceOptions& options);

// Parts dated this far or more ahead of the watch's clock mean a station clock that runs ahead.
inline constexpr int64_t kClockLeadAlertMs = 5 * 60'000;

// Each machine whose newest part is dated kClockLeadAlertMs or more ahead of `clock()`, read after
// the parts (a clock read before could lag parts stored meanwhile; the demo's cell clock is the
// newest part itself): the
// station's clock, or the machine's whose shot time the station takes, runs ahead, and lists,
// shifts and OEE place its parts in the future. The newest part stays the newest until the
// server's clock passes it, so the condition outlasts a clock set right by the lead. Key
// "clock:<machine>", severity warning; evidence is the day of that part (on its own clock), so an
// acknowledged alert comes back at most once a day while the clock stays wrong.
std::vector<AlertCandidate> ClockAlerts(store::Store& store, const std::function<int64_t()>& clock);

}  // namespace linesight::server
