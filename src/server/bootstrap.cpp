#include "server/bootstrap.h"

#include <nlohmann/json.hpp>

#include "core/clock.h"
#include "core/error.h"
#include "server/auth.h"
#include "server/server_context.h"

namespace linesight::server {

void SetUser(store::Store& store, std::string_view name, store::Role role,
             std::string_view password, std::string_view by) {
  if (password.size() < 8)
    throw Error(ErrorCategory::kInput, "the password for " + std::string(name) + " is too short",
                "Use at least 8 characters");
  if (name.empty() || name.size() > 60)
    throw Error(ErrorCategory::kInput, "user name must have 1-60 characters", "Pick another");
  store::User user;
  user.name = name;
  user.role = role;
  user.password_hash = HashPassword(password);
  user.created_ms = UtcNowMs();
  const bool existed = store.GetUser(name).has_value();
  store.PutUser(user);
  store.Audit({0, user.created_ms, std::string(by), existed ? "user.update" : "user.create",
               user.name, nlohmann::json{{"role", store::RoleName(role)}}.dump()});
}

void DisableUser(store::Store& store, std::string_view name, std::string_view by) {
  auto user = store.GetUser(name);
  if (!user)
    throw Error(ErrorCategory::kInput, "no user " + std::string(name),
                "check the name: GET /api/v1/users lists the users");
  user->disabled = true;
  store.PutUser(*user);
  store.Audit({0, UtcNowMs(), std::string(by), "user.disable", user->name, "{}"});
}

std::string IssueStationToken(store::Store& store, std::string_view station, std::string_view by) {
  const std::string token = NewToken();
  store.PutStationToken(TokenHash(token), station);
  store.Audit({0, UtcNowMs(), std::string(by), "token.create", std::string(station), "{}"});
  return token;
}

std::filesystem::path FindWebDir(const std::filesystem::path& executable) {
  std::vector<std::filesystem::path> candidates{std::filesystem::current_path() / "web" / "dist"};
  std::error_code ec;
  std::filesystem::path dir = std::filesystem::canonical(executable, ec).parent_path();
  for (int up = 0; up < 4 && !ec && !dir.empty(); ++up, dir = dir.parent_path())
    candidates.push_back(dir / "web" / "dist");
  for (const auto& c : candidates)
    if (std::filesystem::exists(c / "index.html", ec)) return c;
  return {};
}

}  // namespace linesight::server
