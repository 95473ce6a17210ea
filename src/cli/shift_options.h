// cli/shift_options.h: the plant's shift calendar on the command line (--shift-start,
// --shift-hours, --shift-zone), one rule for the factory server and the plant report.
#pragma once

#include <string>

#include <CLI/CLI.hpp>

#include "store/store.h"

namespace linesight::cli {

struct ShiftArgs {
  std::string start = "06:00";  // a shift's start, HH:MM on the zone's clock
  double hours = 8;
  std::string zone;  // IANA time zone; empty = UTC
};

void AddShiftOptions(CLI::App& cmd, ShiftArgs& a);

// The calendar `a` gives. Throws Error{kInput} naming the fix if the start is not HH:MM, the
// length is not whole hours that divide a day, or the zone is unknown (shifts that drift across
// days would put a plant's 06:00 shift at 04:00 the next day).
store::ShiftCalendar ShiftCalendarOf(const ShiftArgs& a);

}  // namespace linesight::cli
