// cli/commands.h: the `linesight <command>` front end. Each command lives in its own cmd_*.cpp
// and registers itself on the CLI11 app; Main() parses, runs one command and returns the exit code.
#pragma once

namespace CLI {
class App;
}

namespace linesight::cli {

// Exit codes shared by all commands.
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;  // the command could not do what was asked
inline constexpr int kExitUsage = 2;    // bad arguments

// Runs linesight with the process arguments; never throws.
int Main(int argc, char** argv);

}  // namespace linesight::cli
