// fuzz/ingest_batch_fuzz.cpp: libFuzzer target for the factory server's ingest reader. Any bytes
// given to ParseIngestBatch must either give records that write back to JSON and read again to
// the same JSON, or throw BadRequest. Anything else (a crash, a sanitizer report, another
// exception type escaping, a record that does not round-trip) is a bug in src/.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "server/api_json.h"
#include "server/ingest_batch.h"

namespace {

[[noreturn]] void Violation(const char* what) {
  std::fprintf(stderr, "ingest_batch_fuzz: contract violated: %s\n", what);
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace linesight;
  server::IngestBatch batch;
  try {
    batch = server::ParseIngestBatch({reinterpret_cast<const char*>(data), size}, "S1");
  } catch (const server::BadRequest&) {
    return 0;
  }
  if (batch.parts.size() > server::kMaxBatchRecords) Violation("more parts than the limit");
  for (const auto& p : batch.parts) {
    if (p.station != "S1") Violation("a part of another station was accepted");
    const auto once = ToJson(p);
    if (ToJson(PartRecordFromJson(once)) != once) Violation("a part does not round-trip");
  }
  for (const auto& e : batch.events) {
    const auto once = ToJson(e);
    if (ToJson(MachineEventFromJson(once)) != once) Violation("an event does not round-trip");
  }
  return 0;
}
