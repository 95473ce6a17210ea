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
  Header(o, "linesight_model_swaps_total", "counter", "Model files swapped in between parts.");
  o << "linesight_model_swaps_total " << c.model_swaps << '\n';
  Histogram(o, s.latency);
  Header(o, "linesight_outbox_pending_parts", "gauge", "Parts stored but not yet sent upstream.");
  o << "linesight_outbox_pending_parts " << s.outbox_pending << '\n';
  Header(o, "linesight_plc_connected", "gauge", "1 while a PLC client is connected.");
  o << "linesight_plc_connected " << (s.plc_connected ? 1 : 0) << '\n';
  Header(o, "linesight_model_loaded", "gauge", "1 while the view has a loaded model.");
  for (const auto& [view, id] : s.models)
    o << "linesight_model_loaded{view=\"" << Escaped(view) << "\"} " << (id.empty() ? 0 : 1)
      << '\n';
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
                   {"outbox_pending", s.outbox_pending}};
  j["last_part_age_s"] =
      s.last_part_age_s < 0 ? nlohmann::json(nullptr) : nlohmann::json(s.last_part_age_s);
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
                   {"model_swaps", c.model_swaps}};
  j["time_ms"] = s.time_ms;
  return j;
}

}  // namespace linesight::station
