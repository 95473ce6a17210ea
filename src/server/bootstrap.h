// server/bootstrap.h: what an administrator does before anyone can use a new factory server:
// the first user, station tokens, where the built dashboard is. Used by `linesight server` and
// `linesight demo`.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "store/store.h"

namespace linesight::server {

// Creates user `name` with `role` and `password` (Argon2id), or replaces its password and role,
// and audits it as done by `by`. Throws Error{kInput} if the password has under 8 characters.
void SetUser(store::Store& store, std::string_view name, store::Role role,
             std::string_view password, std::string_view by);
// Makes a new token for `station`, stores its hash, audits it, and returns the token (shown once).
// Disables user `name` (audited as "user.disable" by `by`): no sign-in, and every session of
// theirs ends. Setting a password with SetUser enables them again. Throws Error{kInput} for an
// unknown user.
void DisableUser(store::Store& store, std::string_view name, std::string_view by);
std::string IssueStationToken(store::Store& store, std::string_view station, std::string_view by);
// The built dashboard: `web/dist` under the working folder or above the executable's folder
// (a build tree), "" if none was built.
std::filesystem::path FindWebDir(const std::filesystem::path& executable);

}  // namespace linesight::server
