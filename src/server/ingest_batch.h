// server/ingest_batch.h: the strict reader of a station's ingest batch (docs/api.md, "Ingest"):
// the one place untrusted bytes from the network become records, fuzzed in fuzz/.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/part_record.h"

namespace linesight::server {

inline constexpr size_t kMaxBatchRecords = 1000;

struct IngestBatch {
  std::vector<PartRecord> parts;
  std::vector<MachineEvent> events;
  // Process values outside their sensor's plausible range (a dead thermocouple's 0, a counter's
  // 65535), set to not measured as telemetry does: "M1-000000007 melt_temp_c=65535".
  std::vector<std::string> implausible;
};

// Reads `body` ({"parts": [...], "events": [...]}) sent by station `station`. Throws BadRequest
// (server/api_json.h) naming the record and field that is wrong: not JSON, an unknown member,
// more than kMaxBatchRecords of either, a record that does not read, or a part of another station.
// Implausible process values are kept as not measured and listed, not refused: the part's
// verdict stands whatever a sensor read.
IngestBatch ParseIngestBatch(std::string_view body, std::string_view station);

}  // namespace linesight::server
