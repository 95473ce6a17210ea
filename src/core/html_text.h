// core/html_text.h: text for the reports linesight writes (eval, demo, plant report): made safe
// to place in HTML or SVG, in an element or a quoted attribute, and numbers formatted.
#pragma once

#include <string>
#include <string_view>

namespace linesight {

// & < > " ' as character references; everything else as it is.
[[nodiscard]] std::string HtmlEscape(std::string_view text);

// `v` printed by `format`, a printf format with one double conversion ("%.2f%%").
[[nodiscard]] std::string FormatNumber(const char* format, double v);

// `v` with 4 significant digits (%.4g): how the reports show scores and thresholds.
[[nodiscard]] std::string ShortNumber(double v);

}  // namespace linesight
