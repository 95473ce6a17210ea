// core/json_text.h: JSON to text for records, feeds and answers. A string that is not valid
// UTF-8 (a file name from a camera's disk, a message quoting one) must not make serialising a
// part throw and lose its record: such bytes become U+FFFD instead.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace linesight {

inline std::string JsonText(const nlohmann::json& j) {
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace linesight
