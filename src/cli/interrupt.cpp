#include "cli/interrupt.h"

#include <cerrno>
#include <csignal>

#include <unistd.h>

namespace linesight::cli {
namespace {

// A signal handler can only reach static storage; this is the one place linesight keeps state
// outside an object, and only while an InterruptFlag lives.
volatile std::sig_atomic_t g_signal = 0;

extern "C" void OnSignal(int signo) { g_signal = signo; }

struct sigaction g_old_int, g_old_term;

}  // namespace

InterruptFlag::InterruptFlag() {
  g_signal = 0;
  struct sigaction sa = {};
  sa.sa_handler = OnSignal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;  // writes and reads in progress carry on; the flag is checked after
  sigaction(SIGINT, &sa, &g_old_int);
  sigaction(SIGTERM, &sa, &g_old_term);
}

InterruptFlag::~InterruptFlag() {
  sigaction(SIGINT, &g_old_int, nullptr);
  sigaction(SIGTERM, &g_old_term, nullptr);
}

int InterruptFlag::signal() const { return g_signal; }

bool WriteAll(int fd, const std::string& text) {
  const char* p = text.data();
  size_t left = text.size();
  while (left > 0) {
    const ssize_t n = ::write(fd, p, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    p += n;
    left -= static_cast<size_t>(n);
  }
  return true;
}

}  // namespace linesight::cli
