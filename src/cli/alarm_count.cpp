#include "cli/alarm_count.h"

namespace linesight {

std::map<std::string, int64_t> CountAlarms(store::Store& store, int64_t from_ms, int64_t to_ms) {
  std::map<std::string, int64_t> out;
  store::AlertQuery q;
  q.open_only = false;
  q.limit = 1000;
  for (;;) {
    const auto batch = store.Alerts(q);
    for (const auto& alert : batch)
      if (alert.first_ms >= from_ms && alert.first_ms < to_ms) ++out[alert.input.kind];
    if (batch.size() < 1000) break;
    q.before_id = batch.back().id;
  }
  return out;
}

std::optional<int64_t> NewestPartMs(store::Store& store) {
  store::PartPage page;
  page.limit = 1;
  const auto newest = store.FindParts({}, page);
  if (newest.empty()) return std::nullopt;
  return newest.front().time_ms;
}

int64_t TotalAlarms(const std::map<std::string, int64_t>& by_kind) {
  int64_t n = 0;
  for (const auto& [kind, count] : by_kind) n += count;
  return n;
}

}  // namespace linesight
