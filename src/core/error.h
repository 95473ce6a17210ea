// core/error.h: the one exception type linesight throws at its edges (files, parsing, config).
// Each Error names what went wrong and how to fix it; the category tells the caller what to do.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

namespace linesight {

// What the caller should do about an error. Stored in logs: never renumber.
enum class ErrorCategory : uint8_t {
  kInput = 1,     // a bad argument or path: fix the command line
  kImage = 2,     // an image cannot be decoded or is unusable: skip that image (part is held)
  kModel = 3,     // a model file is missing, corrupt or foreign: retrain or pick another file
  kRecipe = 4,    // a recipe is malformed or out of range: fix the recipe file
  kIo = 5,        // a read or write failed: check the path, permissions, disk space; may retry
  kData = 6,      // a data set is unusable (empty folder, too few images): supply more data
  kInternal = 7,  // a bug in linesight: report it
};

// Returns a short lower-case name of `category` ("image", "model", ...).
std::string_view CategoryName(ErrorCategory category);

// An error with a cause and a fix. what() returns "<cause>. <fix>" so it reads as one message.
class Error : public std::runtime_error {
 public:
  Error(ErrorCategory category, std::string cause, std::string fix);

  ErrorCategory category() const { return category_; }
  const std::string& cause() const { return cause_; }
  const std::string& fix() const { return fix_; }

 private:
  ErrorCategory category_;
  std::string cause_;
  std::string fix_;
};

}  // namespace linesight
