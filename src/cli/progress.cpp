#include "cli/progress.h"

#include <cstdio>

#include <unistd.h>

namespace linesight::cli {

Progress::Progress(std::string label) : label_(std::move(label)), tty_(::isatty(2) != 0) {}

void Progress::Update(int done, int total, const char* stage) {
  if (total <= 0) return;
  int pct = static_cast<int>(100.0 * done / total);
  if (tty_) {
    int filled = pct * 30 / 100;
    std::fprintf(stderr, "\r%s %-9s [%.*s%*s] %3d%% (%d/%d)", label_.c_str(), stage, filled,
                 "##############################", 30 - filled, "", pct, done, total);
    open_ = true;
  } else if (pct / 10 != last_decile_) {
    last_decile_ = pct / 10;
    std::fprintf(stderr, "%s %s %d%% (%d/%d)\n", label_.c_str(), stage, pct, done, total);
  }
  if (done == total && tty_) last_decile_ = -1;
}

void Progress::Finish() {
  if (tty_ && open_) std::fprintf(stderr, "\n");
  open_ = false;
}

}  // namespace linesight::cli
