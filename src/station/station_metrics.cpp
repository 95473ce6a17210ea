#include "station/station_metrics.h"

#include <cmath>
#include <sstream>

#include "core/outcome.h"

namespace linesight::station {
namespace {

// Label values are escaped as the exposition format requires (backslash, quote, newline).
std::string Escaped(const std::string& v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}

void Header(std::ostringstream& o, const char* name, const char* type, const char* help) {
  o << "# HELP " << name << ' ' << help << "\n# TYPE " << name << ' ' << type << '\n';
}

void Histogram(std::ostringstream& o, const LatencyHistogram::Counts& h) {
  Header(o, "linesight_latency_seconds", "histogram", "Trigger to result, per part.");
  uint64_t cumulative = 0;
  for (size_t i = 0; i < kLatencyBucketsS.size(); ++i) {
    cumulative += h.buckets[i];
    o << "linesight_latency_seconds_bucket{le=\"" << kLatencyBucketsS[i] << "\"} " << cumulative
      << '\n';
  }
  cumulative += h.buckets.back();
  o << "linesight_latency_seconds_bucket{le=\"+Inf\"} " << cumulative << '\n';
  o << "linesight_latency_seconds_sum " << h.sum_s << '\n';
  o << "linesight_latency_seconds_count " << cumulative << '\n';
}

void UplinkMetrics(std::ostringstream& o, const UplinkStats& u) {
  Header(o, "linesight_uplink_sent_total", "counter",
         "Records and images the factory server acknowledged, by kind.");
  o << "linesight_uplink_sent_total{kind=\"parts\"} " << u.parts_sent << '\n'
    << "linesight_uplink_sent_total{kind=\"events\"} " << u.events_sent << '\n'
    << "linesight_uplink_sent_total{kind=\"images\"} " << u.images_sent << '\n';
  Header(o, "linesight_uplink_batches_total", "counter", "Batches the server acknowledged.");
  o << "linesight_uplink_batches_total " << u.batches << '\n';
  Header(o, "linesight_uplink_retries_total", "counter",
         "Failed attempts (transport, 5xx, 429, 401, ...) retried after a backoff.");
  o << "linesight_uplink_retries_total " << u.retries << '\n';
  Header(o, "linesight_uplink_images_missing_total", "counter",
         "Images a part named that were gone from disk or refused; the part was sent without.");
  o << "linesight_uplink_images_missing_total " << u.images_missing << '\n';
  Header(o, "linesight_uplink_parked_total", "counter",
         "Records the server refused for good (4xx), parked in the outbox, by kind.");
  o << "linesight_uplink_parked_total{kind=\"parts\"} " << u.parts_parked << '\n'
    << "linesight_uplink_parked_total{kind=\"events\"} " << u.events_parked << '\n';
  Header(o, "linesight_outbox_pruned_total", "counter",
         "Delivered records deleted from the outbox after outbox.keep_sent_days.");
  o << "linesight_outbox_pruned_total " << u.records_pruned << '\n';
  Header(o, "linesight_uplink_pending", "gauge", "Records in the outbox not yet sent, by kind.");
  o << "linesight_uplink_pending{kind=\"parts\"} " << u.pending_parts << '\n'
    << "linesight_uplink_pending{kind=\"events\"} " << u.pending_events << '\n';
  Header(o, "linesight_uplink_parked", "gauge", "Parked records in the outbox, by kind.");
  o << "linesight_uplink_parked{kind=\"parts\"} " << u.parked_parts << '\n'
    << "linesight_uplink_parked{kind=\"events\"} " << u.parked_events << '\n';
  Header(o, "linesight_uplink_connected", "gauge", "1 while the server answers the uplink.");
  o << "linesight_uplink_connected " << (u.connected ? 1 : 0) << '\n';
  Header(o, "linesight_uplink_last_status", "gauge",
         "HTTP status of the server's last answer (0: none, or the transport failed).");
  o << "linesight_uplink_last_status " << u.last_status << '\n';
  Header(o, "linesight_uplink_backoff_seconds", "gauge", "Wait before the next retry; 0 if none.");
  o << "linesight_uplink_backoff_seconds " << u.backoff_s << '\n';
}

}  // namespace

void LatencyHistogram::Record(double seconds) {
  size_t i = 0;
  while (i < kLatencyBucketsS.size() && seconds > kLatencyBucketsS[i]) ++i;
  buckets_[i].fetch_add(1, std::memory_order_relaxed);
  count_.fetch_add(1, std::memory_order_relaxed);
  const double us = std::isfinite(seconds) && seconds > 0 ? seconds * 1e6 : 0;
  sum_us_.fetch_add(static_cast<uint64_t>(std::llround(us)), std::memory_order_relaxed);
}

LatencyHistogram::Counts LatencyHistogram::Read() const {
  Counts c;
  for (size_t i = 0; i < buckets_.size(); ++i)
    c.buckets[i] = buckets_[i].load(std::memory_order_relaxed);
  c.count = count_.load(std::memory_order_relaxed);
  c.sum_s = static_cast<double>(sum_us_.load(std::memory_order_relaxed)) / 1e6;
  return c;
}

std::string MetricsText(const StationSnapshot& s) {
  std::ostringstream o;
  const StationCounters& c = s.counters;
  Header(o, "linesight_parts_total", "counter", "Parts judged, by decision.");
  o << "linesight_parts_total{decision=\"pass\"} " << c.pass << '\n'
    << "linesight_parts_total{decision=\"reject\"} " << c.reject << '\n'
    << "linesight_parts_total{decision=\"hold\"} " << c.hold << '\n';
  Header(o, "linesight_holds_total", "counter", "Held parts, by reason.");
  for (size_t r = 1; r < 16; ++r) {
    const std::string_view name = HoldReasonName(static_cast<HoldReason>(r));
    if (ParseHoldReason(name) != static_cast<HoldReason>(r)) continue;  // codes no reason uses
    o << "linesight_holds_total{reason=\"" << name << "\"} " << c.holds_by_reason[r] << '\n';
  }
  Header(o, "linesight_outbox_errors_total", "counter",
         "Parts whose record could not be stored at once.");
  o << "linesight_outbox_errors_total " << c.outbox_errors << '\n';
  Header(o, "linesight_duplicate_parts_total", "counter",
         "Parts held because the PLC sent a part id the outbox already holds.");
  o << "linesight_duplicate_parts_total " << c.duplicate_parts << '\n';
  Header(o, "linesight_model_swaps_total", "counter", "Model files swapped in between parts.");
  o << "linesight_model_swaps_total " << c.model_swaps << '\n';
  Header(o, "linesight_recurring_mark_parts_total", "counter",
         "Parts rejected only because a mark recurring at one place of their die's parts stood.");
  o << "linesight_recurring_mark_parts_total " << c.recurring_mark_parts << '\n';
  Header(
      o, "linesight_recurring_mark_clears_total", "counter",
      "Standing recurring marks cleared through the PLC (CLEAR_MARK) after the die was checked.");
  o << "linesight_recurring_mark_clears_total " << c.recurring_mark_clears << '\n';
  Histogram(o, s.latency);
  Header(o, "linesight_die_memory_parts", "gauge",
         "Parts of the current die in the die memory; it judges from memory_min_parts on.");
  o << "linesight_die_memory_parts " << s.die_memory_parts << '\n';
  Header(o, "linesight_holds_in_a_row", "gauge",
         "The latest parts held in a row (0 once one is judged); HOLD_STREAK from hold_streak on.");
  o << "linesight_holds_in_a_row " << c.holds_in_a_row << '\n';
  Header(o, "linesight_outbox_pending_parts", "gauge", "Parts stored but not yet sent upstream.");
  o << "linesight_outbox_pending_parts " << s.outbox_pending << '\n';
  Header(o, "linesight_plc_connected", "gauge", "1 while a PLC client is connected.");
  o << "linesight_plc_connected " << (s.plc_connected ? 1 : 0) << '\n';
  Header(o, "linesight_model_loaded", "gauge", "1 while the view has a loaded model.");
  for (const auto& [view, id] : s.models)
    o << "linesight_model_loaded{view=\"" << Escaped(view) << "\"} " << (id.empty() ? 0 : 1)
      << '\n';
  if (std::isfinite(s.last_risk)) {
    Header(o, "linesight_shot_risk", "gauge",
           "Defect risk of the latest shot from its process values alone (0..1).");
    o << "linesight_shot_risk " << s.last_risk << '\n';
  }
  if (s.uplink_enabled) UplinkMetrics(o, s.uplink);
  return o.str();
}

nlohmann::json HealthJson(const StationSnapshot& s) {
  nlohmann::json models = nlohmann::json::object();
  for (const auto& [view, id] : s.models)
    models[view] = id.empty() ? nlohmann::json(nullptr) : nlohmann::json(id);
  nlohmann::json j{{"ok", !s.fault},
                   {"state", s.fault ? "fault" : "running"},
                   {"station", s.station},
                   {"machine", s.machine},
                   {"models", models},
                   {"camera", s.camera_ok ? "ok" : "failing"},
                   {"plc_connected", s.plc_connected},
                   {"outbox_pending", s.outbox_pending},
                   {"outbox_unsaved", s.unsaved},
                   {"holds_in_a_row", s.counters.holds_in_a_row}};
  j["last_part_age_s"] =
      s.last_part_age_s < 0 ? nlohmann::json(nullptr) : nlohmann::json(s.last_part_age_s);
  if (s.uplink_enabled)
    j["uplink"] = {{"connected", s.uplink.connected},
                   {"last_status", s.uplink.last_status},
                   {"last_error", s.uplink.last_error},
                   {"pending_parts", s.uplink.pending_parts},
                   {"parked_parts", s.uplink.parked_parts}};
  return j;
}

nlohmann::json StatusJson(const StationSnapshot& s) {
  nlohmann::json j = HealthJson(s);
  const StationCounters& c = s.counters;
  j["counters"] = {{"parts", c.parts},
                   {"pass", c.pass},
                   {"reject", c.reject},
                   {"hold", c.hold},
                   {"outbox_errors", c.outbox_errors},
                   {"duplicate_parts", c.duplicate_parts},
                   {"model_swaps", c.model_swaps}};
  j["time_ms"] = s.time_ms;
  return j;
}

}  // namespace linesight::station
