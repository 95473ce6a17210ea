#include "server/ingest_batch.h"

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "process/telemetry.h"
#include "server/api_json.h"

namespace linesight::server {
namespace {

template <typename T, typename Read>
std::vector<T> ReadArray(const nlohmann::json& body, const char* name, Read read) {
  std::vector<T> out;
  const auto it = body.find(name);
  if (it == body.end()) return out;
  if (!it->is_array()) throw BadRequest(std::string(name) + ": must be an array");
  if (it->size() > kMaxBatchRecords)
    throw BadRequest(std::string(name) + ": more than " + std::to_string(kMaxBatchRecords) +
                     " in one batch; send smaller batches");
  out.reserve(it->size());
  for (size_t i = 0; i < it->size(); ++i) {
    try {
      out.push_back(read((*it)[i]));
    } catch (const Error& e) {
      throw BadRequest(std::string(name) + "[" + std::to_string(i) + "]: " + e.what());
    } catch (const nlohmann::json::exception& e) {
      throw BadRequest(std::string(name) + "[" + std::to_string(i) + "]: " + e.what());
    }
  }
  return out;
}

}  // namespace

IngestBatch ParseIngestBatch(std::string_view text, std::string_view station) {
  const nlohmann::json body = nlohmann::json::parse(text, nullptr, false);
  if (body.is_discarded()) throw BadRequest("the body is not valid JSON");
  if (!body.is_object()) throw BadRequest("the body must be a JSON object");
  for (const auto& [key, value] : body.items())
    if (key != "parts" && key != "events")
      throw BadRequest("unknown member \"" + key + "\": a batch has parts and events");
  IngestBatch batch;
  batch.parts = ReadArray<PartRecord>(body, "parts", PartRecordFromJson);
  batch.events = ReadArray<MachineEvent>(body, "events", MachineEventFromJson);
  for (size_t i = 0; i < batch.parts.size(); ++i) {
    try {
      CheckIncomingPart(batch.parts[i]);
    } catch (const Error& e) {
      throw BadRequest("parts[" + std::to_string(i) + "]: " + e.what());
    }
    if (batch.parts[i].station != station)
      throw BadRequest("parts[" + std::to_string(i) + "].station: \"" + batch.parts[i].station +
                       "\" but the token belongs to station \"" + std::string(station) + "\"");
    for (const std::string& v : process::ClearImplausible(batch.parts[i].shot.process))
      batch.implausible.push_back(batch.parts[i].part_id + " " + v);
  }
  return batch;
}

}  // namespace linesight::server
