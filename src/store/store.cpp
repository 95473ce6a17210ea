#include "store/store.h"

#include <algorithm>
#include <array>

#include "core/error.h"

#include "store/pg_store.h"
#include "store/sqlite_store.h"

namespace linesight::store {
namespace {

constexpr std::array<std::string_view, 3> kRoleNames = {"operator", "quality_engineer", "admin"};
constexpr std::array<std::string_view, 2> kSeverityNames = {"warning", "alarm"};

bool IsPostgresUri(std::string_view location) {
  return location.starts_with("postgresql://") || location.starts_with("postgres://");
}

}  // namespace

void CheckCountCap(int64_t cap) {
  if (cap < 1)
    throw Error(ErrorCategory::kInput,
                "a count's cap must be at least 1, not " + std::to_string(cap),
                "give the most rows to count, e.g. 10001 to show \"10000+\"");
}

int64_t Store::CountPartsUpTo(const PartFilter& filter, int64_t cap) {
  CheckCountCap(cap);
  return std::min(CountParts(filter), cap);
}

std::string_view RoleName(Role r) { return kRoleNames.at(static_cast<size_t>(r)); }

std::optional<Role> ParseRole(std::string_view name) {
  for (size_t i = 0; i < kRoleNames.size(); ++i)
    if (kRoleNames[i] == name) return static_cast<Role>(i);
  return std::nullopt;
}

std::string_view SeverityName(AlertSeverity s) { return kSeverityNames.at(static_cast<size_t>(s)); }

std::optional<AlertSeverity> ParseSeverity(std::string_view name) {
  for (size_t i = 0; i < kSeverityNames.size(); ++i)
    if (kSeverityNames[i] == name) return static_cast<AlertSeverity>(i);
  return std::nullopt;
}

std::unique_ptr<Store> OpenStore(const std::string& location) {
  if (IsPostgresUri(location)) return OpenPgStore(location);
  return OpenSqliteStore(location);
}

}  // namespace linesight::store
