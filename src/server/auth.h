// server/auth.h: who is asking the factory server: stations by bearer token (ingest), people by
// session cookie (Argon2id passwords, HttpOnly cookies, a CSRF token for writes), and what each
// role may do. Thread-safe; state lives in the Store, so any server process can check any caller.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>

#include "io/http_server.h"
#include "store/store.h"

namespace linesight::server {

// Argon2id hash in libsodium's string form (salt and limits inside). Throws Error{kInternal} if
// the machine lacks the memory the hash needs.
std::string HashPassword(std::string_view password);
bool VerifyPassword(const std::string& hash, std::string_view password);
// 32 random bytes as hex: session cookies, CSRF tokens and station tokens.
std::string NewToken();
// What the store keeps of a token: its SHA-256 hex.
std::string TokenHash(std::string_view token);

// A logged-in person making a request.
struct Caller {
  std::string user;
  store::Role role = store::Role::kOperator;
  std::string csrf;
  std::string token_hash;
};

struct AuthOptions {
  int session_hours = 12;
  bool secure_cookie = false;  // add "Secure" (set when serving TLS)
};

class Auth {
 public:
  Auth(store::Store& store, AuthOptions options);

  struct LoginResult {
    Caller caller;
    std::string set_cookie;  // the Set-Cookie header value
  };
  // Checks name and password; nullopt if either is wrong or the user is disabled (the same
  // answer and about the same time for each, so names cannot be probed).
  std::optional<LoginResult> LogIn(std::string_view name, std::string_view password,
                                   int64_t now_ms);
  // Holds sign-ins of one user name to one at a time in this process while alive, so that
  // parallel guesses cannot all pass the failed-sign-in count before any is counted.
  class OneAttempt {
   public:
    OneAttempt(Auth& auth, std::string user);
    ~OneAttempt();
    OneAttempt(const OneAttempt&) = delete;
    OneAttempt& operator=(const OneAttempt&) = delete;

   private:
    Auth& auth_;
    std::string user_;
  };
  // Ends the request's session, if any; returns the Set-Cookie value that clears the cookie.
  std::string LogOut(const io::HttpRequest& request);
  // The person behind the request's session cookie, if the session is live and the user enabled.
  std::optional<Caller> Person(const io::HttpRequest& request, int64_t now_ms);
  // True while `caller`'s session is live and its user enabled: a stream opened by a session
  // that logged out, expired or lost its user since ends (LiveFeed re-checks).
  bool StillLive(const Caller& caller, int64_t now_ms);
  // The station behind the request's "Authorization: Bearer" token, if known.
  std::optional<std::string> Station(const io::HttpRequest& request);
  // True if the request echoes the caller's CSRF token in X-CSRF-Token.
  static bool CsrfOk(const io::HttpRequest& request, const Caller& caller);
  // True if `role` may do what needs `needed` (operator < quality engineer < admin).
  static bool Allows(store::Role role, store::Role needed) { return role >= needed; }

 private:
  store::Store& store_;
  AuthOptions options_;
  std::string dummy_hash_;  // verified against for unknown users, to spend the same time
  std::mutex attempts_mu_;
  std::condition_variable attempt_done_;
  std::set<std::string> attempting_;  // user names with a sign-in under way (OneAttempt)
};

}  // namespace linesight::server
