// store/sample_parts.h: parts, events and image bytes for the outbox tests.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/part_record.h"
#include "store/outbox.h"

namespace linesight::store::testing {

// A part of machine "M3" with shot number `shot`, one "top" view with `decision`.
inline PartRecord SamplePart(int64_t shot, Decision decision = Decision::kPass) {
  PartRecord r;
  r.shot.machine = "M3";
  r.shot.die = "M3-D02";
  r.shot.shot = shot;
  r.shot.die_shot = shot;
  r.shot.time_ms = 1'796'000'000'000 + shot * 1000;
  r.shot.process.melt_temp_c = 676.5;
  r.part_id = PartId(r.shot.machine, r.shot.shot);
  r.station = "S3";
  ViewResult top;
  top.decision = decision;
  top.reason = decision == Decision::kHold ? HoldReason::kPartNotFound : HoldReason::kNone;
  top.detail = decision == Decision::kHold ? "rim not found" : "";
  top.score = decision == Decision::kReject ? 2.5f : 0.5f;
  top.threshold = 1.25f;
  top.model_id = "abc@2026/12345678";
  if (decision == Decision::kReject) top.findings.push_back({cv::Rect(1, 2, 3, 4), 12, 2.5f, 2});
  r.views = {top};
  CombineViews(r);
  r.trigger_time_ms = r.shot.time_ms + 10;
  r.latency_ms = 17.5;
  return r;
}

inline MachineEvent SampleEvent(int64_t time_ms) {
  MachineEvent e;
  e.machine = "M3";
  e.time_ms = time_ms;
  e.state = MachineState::kStopped;
  e.planned = false;
  e.reason = "machine_fault";
  e.die = "M3-D02";
  return e;
}

// `size` bytes that differ for each `seed` (stand-ins for an encoded PNG).
inline std::vector<uint8_t> ImageBytes(uint32_t seed, size_t size = 1000) {
  std::vector<uint8_t> bytes(size);
  uint32_t x = seed * 2654435761u + 1;
  for (auto& b : bytes) {
    x = x * 1664525u + 1013904223u;
    b = static_cast<uint8_t>(x >> 24);
  }
  return bytes;
}

}  // namespace linesight::store::testing
