#include "io/frame_order.h"

namespace linesight::io {

FrameTurn TurnOf(bool complete, uint64_t began_ns, uint64_t since_ns, size_t& owed, bool free_run) {
  // Triggered frames come in the order of their triggers, so the first ones answer the oldest.
  if (owed > 0) {
    --owed;
    return FrameTurn::kOwed;
  }
  // Aravis stamps a buffer when the frame's leader packet arrives. A frame cut short may have
  // lost that packet and still carry the time of the frame its buffer held before, so its time
  // proves nothing: with no earlier trigger owed a frame, it is this trigger's. A free-running
  // camera's broken frames are skipped whatever their time.
  if (!complete && !free_run) return FrameTurn::kOurs;
  return began_ns != 0 && began_ns < since_ns ? FrameTurn::kStale : FrameTurn::kOurs;
}

}  // namespace linesight::io
