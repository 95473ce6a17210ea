// cli/commands.h: the `linesight <command>` front end. Each command lives in its own cmd_*.cpp
// and registers itself on the CLI11 app; Main() parses, runs one command and returns the exit code.
#pragma once

#include <functional>

namespace CLI {
class App;
}

namespace linesight::cli {

// Exit codes shared by all commands.
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;  // the command could not do what was asked
inline constexpr int kExitUsage = 2;    // bad arguments

// A command's body, run after parsing succeeded. May throw linesight::Error.
using CommandBody = std::function<int()>;

// Each adds its subcommand to `app` and sets `body` to run when that subcommand is chosen.
void AddTrainCommand(CLI::App& app, CommandBody& body);
void AddInspectCommand(CLI::App& app, CommandBody& body);
void AddEvalCommand(CLI::App& app, CommandBody& body);
void AddBenchCommand(CLI::App& app, CommandBody& body);
void AddSimCommand(CLI::App& app, CommandBody& body);
void AddDemoCommand(CLI::App& app, CommandBody& body);
void AddModelCommand(CLI::App& app, CommandBody& body);
void AddTuneCommand(CLI::App& app, CommandBody& body);
void AddStationCommand(CLI::App& app, CommandBody& body);
void AddServerCommand(CLI::App& app, CommandBody& body);
void AddProcessCommand(CLI::App& app, CommandBody& body);
void AddReportCommand(CLI::App& app, CommandBody& body);

// Runs linesight with the process arguments; never throws.
int Main(int argc, char** argv);

}  // namespace linesight::cli
