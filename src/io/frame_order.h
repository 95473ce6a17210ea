// io/frame_order.h: which trigger a frame from a GenICam camera's stream answers. Pure logic,
// apart from Aravis, so that each case (a late frame, a lost one, one cut short) is tested alone.
#pragma once

#include <cstddef>
#include <cstdint>

namespace linesight::io {

enum class FrameTurn {
  kOwed,   // answers an earlier trigger whose part timed out: hand it back
  kStale,  // began arriving before this trigger (or request, free-running): hand it back
  kOurs,   // this trigger's frame (complete or not)
};

// The turn of a frame popped from the stream after this capture's trigger (or, free-running,
// its request) at host time `since_ns`. `began_ns` is the buffer's host time of the frame's first
// packet (0 if unknown); `owed` counts earlier triggers still waiting for their frame, and a
// frame that pays one off decrements it.
FrameTurn TurnOf(bool complete, uint64_t began_ns, uint64_t since_ns, size_t& owed, bool free_run);

}  // namespace linesight::io
