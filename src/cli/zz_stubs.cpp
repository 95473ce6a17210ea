#include "cli/commands.h"
namespace linesight::cli {
void AddDemoCommand(CLI::App&, CommandBody&) {}
}
