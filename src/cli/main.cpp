// cli/main.cpp: entry point of the `linesight` binary; dispatches to the commands in cli/.
#include "cli/commands.h"

int main(int argc, char** argv) { return linesight::cli::Main(argc, argv); }
