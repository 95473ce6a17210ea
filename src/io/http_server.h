// io/http_server.h: a small HTTP server for read-only GET routes (health checks, metrics, later
// the factory server's API), on its own threads so a slow client never touches the caller.
// Handlers run on the server's threads and must be thread-safe.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>

namespace httplib {
class Server;
}

namespace linesight::io {

struct HttpResponse {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
};

// Exact paths ("/healthz") to the handler that answers them.
using HttpRoutes = std::map<std::string, std::function<HttpResponse()>>;

struct HttpServerOptions {
  std::string host = "127.0.0.1";  // address to bind (0.0.0.0 for every interface)
  int port = 0;                    // 0 = any free port; see port()
  int threads = 2;                 // handler threads
};

class HttpServer {
 public:
  // Binds and starts serving `routes`; other paths get 404, other methods 405. Throws
  // Error{kIo} naming host:port if it cannot bind (port in use, address not on this machine).
  HttpServer(const HttpServerOptions& options, HttpRoutes routes);
  // Stops accepting and waits for the server thread.
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  int port() const { return port_; }
  const std::string& host() const { return host_; }

 private:
  std::unique_ptr<httplib::Server> server_;
  std::string host_;
  int port_ = 0;
  std::thread thread_;
};

}  // namespace linesight::io
