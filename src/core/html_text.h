// core/html_text.h: text made safe to place in HTML or SVG, in an element or a quoted attribute,
// for the reports linesight writes (eval, demo, plant report).
#pragma once

#include <string>
#include <string_view>

namespace linesight {

// & < > " ' as character references; everything else as it is.
[[nodiscard]] std::string HtmlEscape(std::string_view text);

}  // namespace linesight
