#include "core/error.h"

namespace linesight {

std::string_view CategoryName(ErrorCategory category) {
  switch (category) {
    case ErrorCategory::kInput:
      return "input";
    case ErrorCategory::kImage:
      return "image";
    case ErrorCategory::kModel:
      return "model";
    case ErrorCategory::kRecipe:
      return "recipe";
    case ErrorCategory::kIo:
      return "io";
    case ErrorCategory::kData:
      return "data";
    case ErrorCategory::kInternal:
      return "internal";
  }
  return "unknown";
}

namespace {
std::string Compose(const std::string& cause, const std::string& fix) {
  if (fix.empty()) return cause;
  return cause + ". " + fix;
}
}  // namespace

Error::Error(ErrorCategory category, std::string cause, std::string fix)
    : std::runtime_error(Compose(cause, fix)),
      category_(category),
      cause_(std::move(cause)),
      fix_(std::move(fix)) {}

}  // namespace linesight
