// The GET-route HTTP server, queried by a real HTTP client over 127.0.0.1.
#include "io/http_server.h"

#include <httplib.h>

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

TEST(HttpServer, PortInUseIsAnIoErrorNamingThePort) {
  HttpServer first({}, {{"/a", [] { return HttpResponse{}; }}});
  HttpServerOptions o;
  o.port = first.port();
  const Error e = testing::Caught([&] { HttpServer second(o, {}); });
  EXPECT_EQ(e.category(), ErrorCategory::kIo);
  EXPECT_TRUE(testing::Contains(e.what(), std::to_string(first.port())));
}

}  // namespace
}  // namespace linesight::io
