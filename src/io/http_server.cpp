#include "io/http_server.h"

#include <httplib.h>

#include <atomic>
#include <chrono>
#include <regex>

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/json_text.h"

namespace linesight::io {
namespace {

bool SameLetters(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i])))
      return false;
  return true;
}

struct CompiledRoute {
  std::string method;
  std::regex pattern;
  HttpHandler handler;
};

HttpRequest RequestOf(const httplib::Request& req, std::vector<std::string> matches) {
  HttpRequest r;
  r.method = req.method;
  r.path = req.path;
  r.matches = std::move(matches);
  for (const auto& [k, v] : req.params) r.params.emplace(k, v);
  for (const auto& [k, v] : req.headers) r.headers.emplace_back(k, v);
  r.body = req.body;
  r.remote_addr = req.remote_addr;
  return r;
}

bool HasHeader(const HttpResponse& r, std::string_view name) {
  return std::any_of(r.headers.begin(), r.headers.end(),
                     [&](const auto& h) { return SameLetters(h.first, name); });
}

void Send(const HttpResponse& r, httplib::Response& res) {
  res.status = r.status;
  for (const auto& [k, v] : r.headers) res.set_header(k, v);
  // Every answer is what its type says; JSON answers (sessions, CSRF tokens, plant data) are
  // not kept by browsers or proxies unless a route says otherwise.
  if (!HasHeader(r, "X-Content-Type-Options")) res.set_header("X-Content-Type-Options", "nosniff");
  if (!HasHeader(r, "Cache-Control") && r.content_type.starts_with("application/json"))
    res.set_header("Cache-Control", "no-store");
  if (!r.stream) {
    res.set_content(r.body, r.content_type.c_str());
    return;
  }
  auto stream = r.stream;
  res.set_chunked_content_provider(r.content_type, [stream](size_t, httplib::DataSink& sink) {
    stream([&sink](std::string_view s) {
      return sink.is_writable() && sink.write(s.data(), s.size());
    });
    sink.done();
    return true;
  });
}

// Finds the route for a request: its handler and captures, or the status (404 / 405) to answer.
HttpResponse Dispatch(const std::vector<CompiledRoute>& routes, const httplib::Request& req) {
  bool path_known = false;
  for (const auto& route : routes) {
    std::smatch m;
    if (!std::regex_match(req.path, m, route.pattern)) continue;
    path_known = true;
    if (route.method != req.method) continue;
    std::vector<std::string> captures;
    for (size_t i = 1; i < m.size(); ++i) captures.push_back(m[i].str());
    try {
      return route.handler(RequestOf(req, std::move(captures)));
    } catch (const std::exception& e) {
      return JsonError(500, "internal", e.what());
    }
  }
  if (path_known) return JsonError(405, "method_not_allowed", req.method + " is not served here");
  return JsonError(404, "not_found", "no such path: " + req.path);
}

std::vector<HttpRoute> GetRoutes(HttpRoutes routes) {
  std::vector<HttpRoute> out;
  for (auto& [path, handler] : routes)
    out.push_back({"GET", std::regex_replace(path, std::regex(R"([.^$|()\[\]{}*+?\\])"), "\\$&"),
                   [h = handler](const HttpRequest&) { return h(); }});
  return out;
}

}  // namespace

std::string HttpRequest::Header(std::string_view name) const {
  for (const auto& [k, v] : headers)
    if (SameLetters(k, name)) return v;
  return "";
}

std::string HttpRequest::Param(std::string_view name) const {
  const auto it = params.find(std::string(name));
  return it == params.end() ? "" : it->second;
}

std::string HttpRequest::Cookie(std::string_view name) const {
  for (const auto& [k, v] : headers) {
    if (!SameLetters(k, "Cookie")) continue;
    size_t pos = 0;
    while (pos < v.size()) {
      size_t end = v.find(';', pos);
      if (end == std::string::npos) end = v.size();
      std::string_view pair(v.data() + pos, end - pos);
      while (!pair.empty() && pair.front() == ' ') pair.remove_prefix(1);
      const size_t eq = pair.find('=');
      if (eq != std::string_view::npos && pair.substr(0, eq) == name)
        return std::string(pair.substr(eq + 1));
      pos = end + 1;
    }
  }
  return "";
}

HttpResponse JsonError(int status, std::string_view code, std::string_view message) {
  nlohmann::json j{{"error", code}, {"message", message}};
  return HttpResponse{status, "application/json", JsonText(j)};
}

HttpServer::HttpServer(const HttpServerOptions& options, HttpRoutes routes)
    : HttpServer(options, GetRoutes(std::move(routes))) {}

static std::unique_ptr<httplib::Server> MakeServer(const HttpServerOptions& options) {
  if (options.tls_cert.empty() && options.tls_key.empty())
    return std::make_unique<httplib::Server>();
  auto tls =
      std::make_unique<httplib::SSLServer>(options.tls_cert.c_str(), options.tls_key.c_str());
  if (!tls->is_valid())
    throw Error(ErrorCategory::kInput,
                "TLS: cannot load certificate " + options.tls_cert + " with key " + options.tls_key,
                "Give a PEM certificate and its unencrypted PEM private key, both readable");
  return tls;
}

HttpServer::HttpServer(const HttpServerOptions& options, std::vector<HttpRoute> routes)
    : server_(MakeServer(options)), host_(options.host) {
  const int threads = options.threads < 1 ? 1 : options.threads;
  server_->new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  auto compiled = std::make_shared<std::vector<CompiledRoute>>();
  for (auto& r : routes)
    compiled->push_back({r.method, std::regex(r.pattern), std::move(r.handler)});
  const auto handle = [compiled](const httplib::Request& req, httplib::Response& res) {
    Send(Dispatch(*compiled, req), res);
  };
  // A request with neither Content-Length nor Transfer-Encoding has an empty body (RFC 9112
  // 6.3), as `curl -X POST URL` sends it; httplib 0.11 would wait for one until the read timeout
  // and then answer 400, so such requests are answered here, before it reads.
  server_->set_pre_routing_handler([handle](const httplib::Request& req, httplib::Response& res) {
    if (req.method == "GET" || req.method == "HEAD" || req.has_header("Content-Length") ||
        req.has_header("Transfer-Encoding"))
      return httplib::Server::HandlerResponse::Unhandled;
    handle(req, res);
    return httplib::Server::HandlerResponse::Handled;
  });
  server_->Get(".*", handle);
  server_->Post(".*", handle);
  server_->Put(".*", handle);
  server_->Delete(".*", handle);
  server_->Patch(".*", handle);
  server_->set_payload_max_length(options.max_body_bytes);
  server_->set_read_timeout(options.read_timeout_s, 0);
  server_->set_error_handler([](const httplib::Request& req, httplib::Response& res) {
    // httplib's own refusals (413 payload too large, 400 malformed request) get a JSON body too.
    if (!res.body.empty()) return;
    const bool too_large = res.status == 413;
    // httplib takes at most 8 KB of a form-encoded body, which is what `curl -d` sends without a
    // Content-Type: the size is not the problem, the type is.
    const bool form =
        req.get_header_value("Content-Type").starts_with("application/x-www-form-urlencoded");
    Send(JsonError(res.status, too_large ? "too_large" : "bad_request",
                   !too_large ? "malformed HTTP request"
                   : form     ? "a body sent as a form (application/x-www-form-urlencoded, what "
                                "curl -d sends by default) is taken up to 8 KB only: send JSON as "
                                "application/json (curl --json, or -H 'Content-Type: "
                                "application/json') and images as application/octet-stream"
                              : "request body over the limit"),
         res);
  });
  server_->set_keep_alive_timeout(2);
  Listen(options);
}

void HttpServer::Listen(const HttpServerOptions& options) {
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
