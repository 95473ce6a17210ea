// io/http_server.h: a small HTTP server (cpp-httplib) for the station's health and metrics and the
// factory server's API: routes by method and path pattern, request bodies, headers, cookies and
// streamed answers (Server-Sent Events), on its own threads so a slow client never touches the
// caller. Handlers run on the server's threads and must be thread-safe.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

namespace httplib {
class Server;
}

namespace linesight::io {

struct HttpRequest {
  std::string method;                              // "GET", "POST", ...
  std::string path;                                // without the query
  std::vector<std::string> matches;                // the route pattern's capture groups, in order
  std::multimap<std::string, std::string> params;  // query parameters, decoded
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::string remote_addr;

  // The first value of header `name` (case-insensitive), "" if absent.
  std::string Header(std::string_view name) const;
  // The first value of query parameter `name`, "" if absent.
  std::string Param(std::string_view name) const;
  bool HasParam(std::string_view name) const { return params.count(std::string(name)) > 0; }
  // The value of cookie `name` from the Cookie header, "" if absent.
  std::string Cookie(std::string_view name) const;
};

// Writes part of a streamed answer; returns false once the client has gone.
using HttpWrite = std::function<bool(std::string_view)>;

struct HttpResponse {
  HttpResponse() = default;
  HttpResponse(int s, std::string type, std::string text)
      : status(s), content_type(std::move(type)), body(std::move(text)) {}

  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // extra headers
  // When set, the answer is streamed (chunked): called once on the handler thread; it writes
  // through its argument until it returns or the client goes. `body` is then ignored.
  std::function<void(const HttpWrite&)> stream;
};

using HttpHandler = std::function<HttpResponse(const HttpRequest&)>;

struct HttpRoute {
  std::string method;   // "GET", "POST", "PUT", "DELETE"
  std::string pattern;  // ECMAScript regex over the whole path, e.g. "/api/v1/parts/([^/]+)"
  HttpHandler handler;
};

// Exact paths ("/healthz") to the handler that answers them (GET only).
using HttpRoutes = std::map<std::string, std::function<HttpResponse()>>;

struct HttpServerOptions {
  std::string host = "127.0.0.1";   // address to bind (0.0.0.0 for every interface)
  int port = 0;                     // 0 = any free port; see port()
  int threads = 2;                  // handler threads (each open stream holds one)
  size_t max_body_bytes = 1 << 20;  // larger requests get 413 before a handler runs
  int read_timeout_s = 10;          // a client that stalls mid-request is dropped
  // TLS: PEM certificate (chain) and private key files; both empty = plain HTTP.
  std::string tls_cert, tls_key;
};

class HttpServer {
 public:
  // Binds and starts serving `routes` (over TLS when the options name a certificate), tried in
  // order: the first whose method and pattern match answers. A path no route matches gets 404, a
  // known path with another method 405, both with a JSON error body. A handler that throws gives
  // 500 with the message. Throws Error{kIo} naming host:port if it cannot bind (port in use,
  // address not on this machine), Error{kInput} naming the files if the certificate or key cannot
  // be loaded.
  HttpServer(const HttpServerOptions& options, std::vector<HttpRoute> routes);
  // GET-only exact routes (health checks, metrics).
  HttpServer(const HttpServerOptions& options, HttpRoutes routes);
  // Stops accepting and waits for the server thread.
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  int port() const { return port_; }
  const std::string& host() const { return host_; }

 private:
  void Listen(const HttpServerOptions& options);

  std::unique_ptr<httplib::Server> server_;
  std::string host_;
  int port_ = 0;
  std::thread thread_;
};

// `{"error": code, "message": message}` with `status`, the error shape of every JSON API here.
HttpResponse JsonError(int status, std::string_view code, std::string_view message);

}  // namespace linesight::io
