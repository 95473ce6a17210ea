#include "server/auth.h"

#include <sodium.h>

#include <vector>

#include "core/error.h"
#include "core/sha256.h"

namespace linesight::server {
namespace {

constexpr char kCookie[] = "ls_session";

std::string CookieValue(const std::string& token, int max_age_s, bool secure) {
  std::string c = std::string(kCookie) + "=" + token +
                  "; Path=/; HttpOnly; SameSite=Strict; Max-Age=" + std::to_string(max_age_s);
  if (secure) c += "; Secure";
  return c;
}

std::string BearerToken(const io::HttpRequest& request) {
  const std::string h = request.Header("Authorization");
  constexpr std::string_view kBearer = "Bearer ";
  if (h.size() <= kBearer.size() || h.compare(0, kBearer.size(), kBearer) != 0) return "";
  return h.substr(kBearer.size());
}

}  // namespace

std::string HashPassword(std::string_view password) {
  if (sodium_init() < 0)
    throw Error(ErrorCategory::kInternal, "libsodium cannot start", "Report this");
  char out[crypto_pwhash_STRBYTES];
  if (crypto_pwhash_str(out, password.data(), password.size(), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                        crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0)
    throw Error(ErrorCategory::kInternal, "not enough memory to hash a password (Argon2id, 64 MiB)",
                "Free memory on the server");
  return out;
}

bool VerifyPassword(const std::string& hash, std::string_view password) {
  if (sodium_init() < 0) return false;
  return crypto_pwhash_str_verify(hash.c_str(), password.data(), password.size()) == 0;
}

std::string NewToken() {
  if (sodium_init() < 0)
    throw Error(ErrorCategory::kInternal, "libsodium cannot start", "Report this");
  unsigned char bytes[32];
  randombytes_buf(bytes, sizeof bytes);
  char hex[2 * sizeof bytes + 1];
  sodium_bin2hex(hex, sizeof hex, bytes, sizeof bytes);
  return hex;
}

std::string TokenHash(std::string_view token) {
  return Sha256Hex({reinterpret_cast<const uint8_t*>(token.data()), token.size()});
}

Auth::Auth(store::Store& store, AuthOptions options)
    : store_(store), options_(options), dummy_hash_(HashPassword(NewToken())) {}

std::optional<Auth::LoginResult> Auth::LogIn(std::string_view name, std::string_view password,
                                             int64_t now_ms) {
  const auto user = store_.GetUser(name);
  const bool ok = VerifyPassword(user ? user->password_hash : dummy_hash_, password);
  if (!user || !ok || user->disabled) return std::nullopt;
  const std::string token = NewToken();
  store::Session s;
  s.token_hash = TokenHash(token);
  s.user = user->name;
  s.csrf = NewToken();
  s.created_ms = now_ms;
  s.expires_ms = now_ms + int64_t{options_.session_hours} * 3600 * 1000;
  store_.PutSession(s);
  return LoginResult{Caller{user->name, user->role, s.csrf, s.token_hash},
                     CookieValue(token, options_.session_hours * 3600, options_.secure_cookie)};
}

std::string Auth::LogOut(const io::HttpRequest& request) {
  const std::string token = request.Cookie(kCookie);
  if (!token.empty()) store_.DeleteSession(TokenHash(token));
  return CookieValue("", 0, options_.secure_cookie);
}

std::optional<Caller> Auth::Person(const io::HttpRequest& request, int64_t now_ms) {
  const std::string token = request.Cookie(kCookie);
  if (token.empty() || token.size() > 128) return std::nullopt;
  const std::string hash = TokenHash(token);
  const auto session = store_.GetSession(hash, now_ms);
  if (!session) return std::nullopt;
  const auto user = store_.GetUser(session->user);
  if (!user || user->disabled) return std::nullopt;
  return Caller{user->name, user->role, session->csrf, hash};
}

Auth::OneAttempt::OneAttempt(Auth& auth, std::string user) : auth_(auth), user_(std::move(user)) {
  std::unique_lock lock(auth_.attempts_mu_);
  auth_.attempt_done_.wait(lock, [&] { return !auth_.attempting_.contains(user_); });
  auth_.attempting_.insert(user_);
}

Auth::OneAttempt::~OneAttempt() {
  {
    std::lock_guard lock(auth_.attempts_mu_);
    auth_.attempting_.erase(user_);
  }
  auth_.attempt_done_.notify_all();
}

bool Auth::StillLive(const Caller& caller, int64_t now_ms) {
  if (!store_.GetSession(caller.token_hash, now_ms)) return false;
  const auto user = store_.GetUser(caller.user);
  return user && !user->disabled;
}

std::optional<std::string> Auth::Station(const io::HttpRequest& request) {
  const std::string token = BearerToken(request);
  if (token.empty() || token.size() > 128) return std::nullopt;
  return store_.StationForToken(TokenHash(token));
}

bool Auth::CsrfOk(const io::HttpRequest& request, const Caller& caller) {
  const std::string sent = request.Header("X-CSRF-Token");
  return !caller.csrf.empty() && sent.size() == caller.csrf.size() &&
         sodium_memcmp(sent.data(), caller.csrf.data(), sent.size()) == 0;
}

}  // namespace linesight::server
