// cli/main_app.cpp: parses the command line, runs the chosen command and turns its errors into
// a message on stderr and an exit code.
#include <filesystem>
#include <iostream>

#include <CLI/CLI.hpp>

#include "cli/commands.h"
#include "core/error.h"
#include "core/version.h"

namespace linesight::cli {

int Main(int argc, char** argv) {
  CLI::App app{"linesight: visual inspection for production lines"};
  app.set_version_flag("--version", std::string("linesight ") + kVersion);
  app.require_subcommand(0, 1);
  CommandBody body;
  AddTrainCommand(app, body);
  AddInspectCommand(app, body);
  AddEvalCommand(app, body);
  AddBenchCommand(app, body);
  AddSimCommand(app, body);
  AddDemoCommand(app, body);
  AddModelCommand(app, body);
  AddTuneCommand(app, body);
  AddStationCommand(app, body);
  AddServerCommand(app, body);
  AddProcessCommand(app, body);
  AddReportCommand(app, body);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? kExitOk : kExitUsage;
  }
  if (!body) {
    std::cout << app.help();
    return kExitOk;
  }
  try {
    return body();
  } catch (const Error& e) {
    std::cerr << "linesight: error (" << CategoryName(e.category()) << "): " << e.what() << "\n";
    return e.category() == ErrorCategory::kInput ? kExitUsage : kExitFailure;
  } catch (const std::filesystem::filesystem_error& e) {
    // A file or folder operation that no check caught (a disk that filled, a permission taken
    // away while running): a failed write, not a bug.
    std::cerr << "linesight: error (io): " << e.path1().string() << ": " << e.code().message()
              << ". Check the path, its permissions and the free disk space\n";
    return kExitFailure;
  } catch (const std::exception& e) {
    std::cerr << "linesight: internal error: " << e.what()
              << ". This is a bug: please report it with the command you ran\n";
    return kExitFailure;
  }
}

}  // namespace linesight::cli
