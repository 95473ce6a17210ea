#include "store/store.h"

#include <array>

#include "store/pg_store.h"
#include "store/sqlite_store.h"

namespace linesight::store {
namespace {

constexpr std::array<std::string_view, 3> kRoleNames = {"operator", "quality_engineer", "admin"};

bool IsPostgresUri(std::string_view location) {
  return location.starts_with("postgresql://") || location.starts_with("postgres://");
}

}  // namespace

int64_t ShiftCalendar::ShiftStart(int64_t time_ms) const {
  if (length_ms <= 0) return time_ms;
  int64_t into = (time_ms - origin_ms) % length_ms;
  if (into < 0) into += length_ms;  // floor, also before the origin
  return time_ms - into;
}

std::string_view RoleName(Role r) { return kRoleNames.at(static_cast<size_t>(r)); }

std::optional<Role> ParseRole(std::string_view name) {
  for (size_t i = 0; i < kRoleNames.size(); ++i)
    if (kRoleNames[i] == name) return static_cast<Role>(i);
  return std::nullopt;
}

std::unique_ptr<Store> OpenStore(const std::string& location) {
  if (IsPostgresUri(location)) return OpenPgStore(location);
  return OpenSqliteStore(location);
}

}  // namespace linesight::store
