// cli/interrupt.h: Ctrl-C (SIGINT) and SIGTERM turned into a flag that a long command checks
// between items, so that it stops cleanly: no half-written line, a summary, exit 128 + signal.
#pragma once

#include <string>

namespace linesight::cli {

// While alive, SIGINT and SIGTERM set a flag instead of ending the process; the handlers in
// place before are restored when it dies. One at a time per process (signals are per process).
class InterruptFlag {
 public:
  InterruptFlag();
  ~InterruptFlag();
  InterruptFlag(const InterruptFlag&) = delete;
  InterruptFlag& operator=(const InterruptFlag&) = delete;

  // The signal received (SIGINT or SIGTERM), 0 if none. Safe from any thread.
  int signal() const;
};

// Writes `text` to file descriptor `fd` in as few write() calls as it takes (one for a line up to
// the pipe buffer size), so that a reader never sees part of a line from a stop between calls.
// Returns false if the write failed (a closed pipe, a full disk).
bool WriteAll(int fd, const std::string& text);

}  // namespace linesight::cli
