// io/http_client.h: a small blocking HTTP(S) client for one server (the station's uplink to the
// factory server): keep-alive, timeouts, POST/PUT with a body. One request at a time; Cancel()
// may be called from another thread to abort the request under way.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace httplib {
class Client;
}

namespace linesight::io {

struct HttpClientOptions {
  // "http://host:port" or "https://host:port", optionally with a path prefix that is put before
  // every request's path ("http://proxy:80/linesight"). Port defaults to 80 / 443.
  std::string base_url;
  double connect_timeout_s = 5;  // TCP (and TLS) connect
  double timeout_s = 30;  // each read or write on the socket; a server silent this long fails
  // https only: a PEM file of CA certificates to trust; "" = the system's (/etc/ssl/certs).
  std::string ca_file;
};

// A request's answer. Any status is an answer; only the transport failing throws.
struct HttpAnswer {
  int status = 0;
  std::string body;
};

using HttpHeaders = std::vector<std::pair<std::string, std::string>>;

class HttpClient {
 public:
  // Checks the URL; connects lazily on the first request. Throws Error{kInput} naming the URL
  // for a scheme other than http/https, a missing host or a bad port.
  explicit HttpClient(const HttpClientOptions& options);
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // Sends one request and returns the server's answer, whatever its status. The connection is
  // kept open for the next request. Throws Error{kIo} naming host:port and the cause
  // (connection refused, timed out, TLS failure, cancelled) when no answer came; the request
  // may or may not have reached the server. Never throws anything else.
  // REQUIRES: one request at a time (not thread-safe, except Cancel()).
  HttpAnswer Post(const std::string& path, const std::string& body, const std::string& content_type,
                  const HttpHeaders& headers = {});
  HttpAnswer Put(const std::string& path, const std::string& body, const std::string& content_type,
                 const HttpHeaders& headers = {});

  // Aborts the request under way (it throws Error{kIo} "cancelled") by shutting its socket.
  // Thread-safe; a no-op when none is under way. Later requests work as usual.
  void Cancel();

  // "host:port", as messages name the server.
  const std::string& endpoint() const { return endpoint_; }

 private:
  enum class Method { kPost, kPut };
  HttpAnswer Send(Method method, const std::string& path, const std::string& body,
                  const std::string& content_type, const HttpHeaders& headers);

  HttpClientOptions options_;
  std::string endpoint_;  // host:port
  std::string prefix_;    // path prefix from the URL, "" or "/x" without a trailing slash
  std::unique_ptr<httplib::Client> client_;
  std::mutex cancel_mu_;    // Cancel() vs. a request starting or ending
  bool cancelled_ = false;  // under cancel_mu_: Cancel() hit the request under way
};

}  // namespace linesight::io
