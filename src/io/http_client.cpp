#include "io/http_client.h"

#include <httplib.h>

#include <algorithm>
#include <cmath>

#include "core/error.h"

namespace linesight::io {
namespace {

struct ParsedUrl {
  std::string scheme, host, prefix;
  int port = 0;
};

[[noreturn]] void BadUrl(const std::string& url, const std::string& why) {
  throw Error(ErrorCategory::kInput, "HTTP: bad server URL '" + url + "': " + why,
              "Write it as http://host:port, e.g. http://127.0.0.1:8080");
}

ParsedUrl ParseUrl(const std::string& url) {
  ParsedUrl u;
  const size_t colon = url.find("://");
  if (colon == std::string::npos) BadUrl(url, "no scheme");
  u.scheme = url.substr(0, colon);
  if (u.scheme != "http" && u.scheme != "https")
    BadUrl(url, "scheme '" + u.scheme + "' is not http or https");
  std::string rest = url.substr(colon + 3);
  const size_t slash = rest.find('/');
  if (slash != std::string::npos) {
    u.prefix = rest.substr(slash);
    rest.resize(slash);
    while (!u.prefix.empty() && u.prefix.back() == '/') u.prefix.pop_back();
  }
  if (rest.find_first_of("@?#") != std::string::npos)
    BadUrl(url, "user names, queries and fragments are not supported");
  std::string port;
  if (!rest.empty() && rest.front() == '[') {  // [IPv6]:port
    const size_t close = rest.find(']');
    if (close == std::string::npos) BadUrl(url, "unclosed [ in the host");
    u.host = rest.substr(0, close + 1);
    if (close + 1 < rest.size()) {
      if (rest[close + 1] != ':') BadUrl(url, "junk after the host");
      port = rest.substr(close + 2);
    }
  } else {
    const size_t c = rest.rfind(':');
    u.host = rest.substr(0, c);
    if (c != std::string::npos) port = rest.substr(c + 1);
  }
  if (u.host.empty()) BadUrl(url, "no host");
  if (port.empty()) {
    u.port = u.scheme == "https" ? 443 : 80;
  } else {
    if (port.size() > 5 || port.find_first_not_of("0123456789") != std::string::npos)
      BadUrl(url, "port '" + port + "' is not a number");
    u.port = std::stoi(port);
    if (u.port < 1 || u.port > 65535) BadUrl(url, "port " + port + " is out of 1..65535");
  }
  return u;
}

std::string Cause(httplib::Error e) {
  switch (e) {
    case httplib::Error::Connection:
      return "cannot connect (connection refused, host unreachable or name unknown)";
    case httplib::Error::ConnectionTimeout:
      return "connect timed out";
    case httplib::Error::Read:
      return "no complete answer (connection closed or read timed out)";
    case httplib::Error::Write:
      return "connection lost while sending";
    case httplib::Error::SSLConnection:
      return "TLS handshake failed";
    case httplib::Error::SSLLoadingCerts:
      return "cannot load the CA certificates";
    case httplib::Error::SSLServerVerification:
      return "the server's certificate is not trusted";
    default:
      return "transport error (" + httplib::to_string(e) + ")";
  }
}

void SetTimeout(double s, auto&& set) {
  const double clamped = std::max(0.001, s);
  const auto sec = static_cast<time_t>(clamped);
  set(sec, static_cast<time_t>(std::lround((clamped - static_cast<double>(sec)) * 1e6)));
}

}  // namespace

HttpClient::HttpClient(const HttpClientOptions& options) : options_(options) {
  const ParsedUrl u = ParseUrl(options.base_url);
  endpoint_ = u.host + ":" + std::to_string(u.port);
  prefix_ = u.prefix;
#ifndef CPPHTTPLIB_OPENSSL_SUPPORT
  if (u.scheme == "https")
    throw Error(ErrorCategory::kInput,
                "HTTP: " + options.base_url +
                    " needs TLS, but this linesight was built with a cpp-httplib without OpenSSL",
                "Use http:// (e.g. behind a TLS-terminating proxy) or rebuild against a "
                "cpp-httplib with CPPHTTPLIB_OPENSSL_SUPPORT");
#endif
  try {
    client_ = std::make_unique<httplib::Client>(u.scheme + "://" + endpoint_);
  } catch (const std::exception& e) {
    BadUrl(options.base_url, e.what());
  }
  if (!client_->is_valid()) BadUrl(options.base_url, "cpp-httplib does not accept it");
  SetTimeout(options.connect_timeout_s,
             [&](time_t s, time_t us) { client_->set_connection_timeout(s, us); });
  SetTimeout(options.timeout_s, [&](time_t s, time_t us) {
    client_->set_read_timeout(s, us);
    client_->set_write_timeout(s, us);
  });
  client_->set_keep_alive(true);
  client_->set_tcp_nodelay(true);
#ifdef CPPHTTPLIB_OPENSSL_SUPPORT
  if (u.scheme == "https" && !options.ca_file.empty()) client_->set_ca_cert_path(options.ca_file);
#endif
}

HttpClient::~HttpClient() = default;

HttpAnswer HttpClient::Post(const std::string& path, const std::string& body,
                            const std::string& content_type, const HttpHeaders& headers) {
  return Send(Method::kPost, path, body, content_type, headers);
}

HttpAnswer HttpClient::Put(const std::string& path, const std::string& body,
                           const std::string& content_type, const HttpHeaders& headers) {
  return Send(Method::kPut, path, body, content_type, headers);
}

void HttpClient::Cancel() {
  std::lock_guard lock(cancel_mu_);
  cancelled_ = true;
  client_->stop();  // shuts the socket of a request in flight; thread-safe in cpp-httplib
}

HttpAnswer HttpClient::Send(Method method, const std::string& path, const std::string& body,
                            const std::string& content_type, const HttpHeaders& headers) {
  {
    std::lock_guard lock(cancel_mu_);
    cancelled_ = false;
  }
  const char* verb = method == Method::kPost ? "POST" : "PUT";
  const std::string target = prefix_ + path;
  try {
    httplib::Headers h;
    for (const auto& [k, v] : headers) h.emplace(k, v);
    httplib::Result r = method == Method::kPost ? client_->Post(target, h, body, content_type)
                                                : client_->Put(target, h, body, content_type);
    if (r) return HttpAnswer{r->status, r->body};
    bool cancelled = false;
    {
      std::lock_guard lock(cancel_mu_);
      cancelled = cancelled_;
    }
    throw Error(
        ErrorCategory::kIo,
        std::string("HTTP ") + verb + " " + target + " to " + endpoint_ + ": " +
            (cancelled ? "cancelled" : Cause(r.error())),
        "Check that the server runs at " + options_.base_url + " and is reachable; it is retried");
  } catch (const Error&) {
    throw;
  } catch (const std::exception& e) {
    throw Error(ErrorCategory::kIo,
                std::string("HTTP ") + verb + " " + target + " to " + endpoint_ + ": " + e.what(),
                "Check that the server runs at " + options_.base_url + "; it is retried");
  }
}

}  // namespace linesight::io
