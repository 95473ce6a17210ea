// cli/progress.h: a one-line progress bar on stderr for long commands (train, eval, bench).
// Redraws in place on a terminal; prints a few milestone lines when stderr is a file or pipe.
#pragma once

#include <string>

namespace linesight::cli {

class Progress {
 public:
  explicit Progress(std::string label);
  // Shows `done` of `total`, with an optional stage word.
  void Update(int done, int total, const char* stage = "");
  // Ends the line.
  void Finish();

 private:
  std::string label_;
  bool tty_;
  int last_decile_ = -1;
  bool open_ = false;
};

}  // namespace linesight::cli
