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
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? kExitOk : kExitUsage;
  }
  if (app.get_subcommands().empty()) {
    std::cout << app.help();
    return kExitOk;
  }
  return kExitOk;
}

}  // namespace linesight::cli
