#include "io/http_server.h"

#include <httplib.h>

#include <atomic>
#include <chrono>

#include "core/error.h"

namespace linesight::io {

HttpServer::HttpServer(const HttpServerOptions& options, HttpRoutes routes)
    : server_(std::make_unique<httplib::Server>()), host_(options.host) {
  const int threads = options.threads < 1 ? 1 : options.threads;
  server_->new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  for (auto& [path, handler] : routes)
    server_->Get(path, [handler = handler](const httplib::Request&, httplib::Response& res) {
      HttpResponse r;
      try {
        r = handler();
      } catch (const std::exception& e) {
        r = HttpResponse{500, "text/plain; charset=utf-8", std::string("error: ") + e.what()};
      }
      res.status = r.status;
      res.set_content(r.body, r.content_type.c_str());
    });
  // Any other method on any path: 405 says "GET only" rather than a misleading 404.
  const auto not_allowed = [](const httplib::Request&, httplib::Response& res) {
    res.status = 405;
    res.set_content("only GET is served\n", "text/plain; charset=utf-8");
  };
  server_->Post(".*", not_allowed);
  server_->Put(".*", not_allowed);
  server_->Delete(".*", not_allowed);
  server_->set_keep_alive_timeout(2);
  // httplib's default adds SO_REUSEPORT, which lets a second server share a port in use.
  server_->set_socket_options([](socket_t sock) {
    int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  });
  bool bound = false;
  if (options.port == 0) {
    port_ = server_->bind_to_any_port(host_);
    bound = port_ > 0;
  } else {
    port_ = options.port;
    bound = server_->bind_to_port(host_, port_);
  }
  if (!bound)
    throw Error(ErrorCategory::kIo,
                "HTTP: cannot listen on " + host_ + ":" + std::to_string(options.port),
                "Free that port, pick another one (0 = any free port) or an address of this "
                "machine");
  auto ended = std::make_shared<std::atomic<bool>>(false);
  thread_ = std::thread([this, ended] {
    server_->listen_after_bind();
    *ended = true;
  });
  // stop() only works once listening has begun (0.11 has no wait_until_ready).
  while (!server_->is_running() && !*ended)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
}

HttpServer::~HttpServer() {
  server_->stop();
  thread_.join();
}

}  // namespace linesight::io
