// The GET-route HTTP server, queried by a real HTTP client over 127.0.0.1.
#include "io/http_server.h"

#include <httplib.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>

#include <gtest/gtest.h>

#include "testing/test_util.h"

namespace linesight::io {
namespace {

TEST(HttpServer, ServesRoutesOnAFreePort) {
  std::atomic<int> calls{0};
  HttpServer server({}, {{"/healthz",
                          [&] {
                            ++calls;
                            return HttpResponse{200, "text/plain", "ok\n"};
                          }},
                         {"/down", [] {
                            return HttpResponse{503, "application/json", "{}"};
                          }}});
  ASSERT_GT(server.port(), 0);
  httplib::Client client("127.0.0.1", server.port());
  auto r = client.Get("/healthz");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "ok\n");
  EXPECT_EQ(r->get_header_value("Content-Type"), "text/plain");
  r = client.Get("/down");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 503);
  EXPECT_EQ(r->get_header_value("Content-Type"), "application/json");
  EXPECT_EQ(calls.load(), 1);
}

TEST(HttpServer, UnknownPathIs404AndOtherMethods405) {
  HttpServer server({}, {{"/a", [] { return HttpResponse{}; }}});
  httplib::Client client("127.0.0.1", server.port());
  auto r = client.Get("/b");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 404);
  r = client.Post("/a", "x", "text/plain");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 405);
}

TEST(HttpServer, AThrowingHandlerIs500) {
  HttpServer server({}, {{"/x", []() -> HttpResponse { throw std::runtime_error("broken"); }}});
  httplib::Client client("127.0.0.1", server.port());
  auto r = client.Get("/x");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 500);
  EXPECT_TRUE(testing::Contains(r->body, "broken"));
}

TEST(HttpServer, RoutesByMethodAndPatternWithCapturesParamsAndCookies) {
  std::vector<HttpRoute> routes;
  routes.push_back({"GET", "/items/([^/]+)", [](const HttpRequest& r) {
                      return HttpResponse{200, "text/plain",
                                          r.matches.at(0) + "|" + r.Param("q") + "|" +
                                              r.Cookie("sid") + "|" + r.Header("x-custom")};
                    }});
  routes.push_back({"POST", "/items/([^/]+)", [](const HttpRequest& r) {
                      HttpResponse out{201, "text/plain", r.method + ":" + r.body};
                      out.headers.emplace_back("X-Seen", "yes");
                      return out;
                    }});
  HttpServer server({}, std::move(routes));
  httplib::Client client("127.0.0.1", server.port());
  auto r = client.Get("/items/a7?q=two%20words",
                      {{"Cookie", "other=1; sid=abc"}, {"X-Custom", "hello"}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->body, "a7|two words|abc|hello");
  r = client.Post("/items/a7", "payload", "text/plain");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 201);
  EXPECT_EQ(r->body, "POST:payload");
  EXPECT_EQ(r->get_header_value("X-Seen"), "yes");
  r = client.Delete("/items/a7");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 405);
  EXPECT_TRUE(testing::Contains(r->body, "method_not_allowed"));
  r = client.Get("/items/a7/deeper");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 404);
}

TEST(HttpServer, OversizedBodiesGet413WithoutReachingTheHandler) {
  std::atomic<int> calls{0};
  HttpServerOptions o;
  o.max_body_bytes = 1000;
  HttpServer server(o, std::vector<HttpRoute>{{"POST", "/in", [&](const HttpRequest&) {
                                                 ++calls;
                                                 return HttpResponse{};
                                               }}});
  httplib::Client client("127.0.0.1", server.port());
  auto r = client.Post("/in", std::string(5000, 'x'), "text/plain");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 413);
  EXPECT_EQ(calls.load(), 0);
}

// Sends `request` as is over a new connection and returns what comes back within 10 s.
std::string RawExchange(int port, const std::string& request) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  timeval tv{10, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  std::string reply;
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
      send(fd, request.data(), request.size(), 0) == static_cast<ssize_t>(request.size())) {
    char buf[4096];
    for (ssize_t n;
         reply.find("\r\n\r\n") == std::string::npos && (n = recv(fd, buf, sizeof buf, 0)) > 0;)
      reply.append(buf, static_cast<size_t>(n));
  }
  close(fd);
  return reply;
}

// `curl -X POST URL` sends neither Content-Length nor a body, and keeps the connection open.
TEST(HttpServer, ABodilessPostWithoutContentLengthReachesItsHandler) {
  std::atomic<int> calls{0};
  HttpServer server({},
                    std::vector<HttpRoute>{
                        {"POST", "/ack",
                         [&](const HttpRequest& req) {
                           ++calls;
                           return HttpResponse{req.body.empty() ? 204 : 400, "text/plain", ""};
                         }},
                        {"GET", "/healthz", [](const HttpRequest&) { return HttpResponse{}; }}});
  EXPECT_TRUE(testing::Contains(
      RawExchange(server.port(), "POST /ack HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"), "HTTP/1.1 204"));
  EXPECT_EQ(calls.load(), 1);
  EXPECT_TRUE(testing::Contains(
      RawExchange(server.port(), "POST /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"),
      "HTTP/1.1 405"));
  EXPECT_TRUE(testing::Contains(
      RawExchange(server.port(), "DELETE /ack HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"),
      "HTTP/1.1 405"));
}

TEST(HttpServer, StreamsUntilTheHandlerReturns) {
  HttpServer server({},
                    std::vector<HttpRoute>{{"GET", "/s", [](const HttpRequest&) {
                                              HttpResponse r;
                                              r.content_type = "text/event-stream";
                                              r.stream = [](const HttpWrite& write) {
                                                for (int i = 0; i < 3; ++i)
                                                  if (!write("data: " + std::to_string(i) + "\n\n"))
                                                    return;
                                              };
                                              return r;
                                            }}});
  httplib::Client client("127.0.0.1", server.port());
  auto r = client.Get("/s");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->body, "data: 0\n\ndata: 1\n\ndata: 2\n\n");
  EXPECT_EQ(r->get_header_value("Content-Type"), "text/event-stream");
}

TEST(HttpServer, ServesHttpsWithAGivenCertificateAndRefusesABadOne) {
  testing::TempDir dir;
  const std::string cert = (dir / "cert.pem").string(), key = (dir / "key.pem").string();
  const std::string cmd =
      "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1 "
      "-keyout " +
      key + " -out " + cert + " 2>/dev/null";
  ASSERT_EQ(std::system(cmd.c_str()), 0) << "needs the openssl command (apt-get install openssl)";
  HttpServerOptions o;
  o.tls_cert = cert;
  o.tls_key = key;
  HttpServer server(o, HttpRoutes{{"/healthz", [] {
                                     return HttpResponse{200, "text/plain", "ok"};
                                   }}});
  httplib::SSLClient client("127.0.0.1", server.port());
  client.enable_server_certificate_verification(false);  // self-signed for the test
  auto r = client.Get("/healthz");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->body, "ok");
  httplib::Client plain("127.0.0.1", server.port());
  EXPECT_FALSE(plain.Get("/healthz") && plain.Get("/healthz")->status == 200);
  o.tls_key = cert;  // not a key
  const Error e = testing::Caught([&] { HttpServer bad(o, HttpRoutes{}); });
  EXPECT_EQ(e.category(), ErrorCategory::kInput);
  EXPECT_TRUE(testing::Contains(e.what(), "cert.pem"));
}

TEST(HttpServer, PortInUseIsAnIoErrorNamingThePort) {
  HttpServer first({}, {{"/a", [] { return HttpResponse{}; }}});
  HttpServerOptions o;
  o.port = first.port();
  const Error e = testing::Caught([&] { HttpServer second(o, HttpRoutes{}); });
  EXPECT_EQ(e.category(), ErrorCategory::kIo);
  EXPECT_TRUE(testing::Contains(e.what(), std::to_string(first.port())));
}

}  // namespace
}  // namespace linesight::io
