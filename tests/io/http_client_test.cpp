// Tests io/http_client.cpp against a real HTTP server on 127.0.0.1 (the test ingest receiver).
#include "io/http_client.h"

#include <atomic>
#include <thread>

#include <gtest/gtest.h>

#include "core/error.h"
#include "core/sha256.h"
#include "testing/ingest_receiver.h"
#include "testing/test_util.h"

namespace linesight::io {
namespace {

using linesight::testing::IngestReceiver;

const HttpHeaders kAuth = {{"Authorization", "Bearer test-token"}};
constexpr const char* kEmptyBatch = R"({"parts":[],"events":[]})";

HttpClientOptions To(const IngestReceiver& r, double timeout_s = 30) {
  HttpClientOptions o;
  o.base_url = r.url();
  o.timeout_s = timeout_s;
  return o;
}

Error ErrorOf(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e;
  }
  ADD_FAILURE() << "no Error thrown";
  return Error(ErrorCategory::kInternal, "", "");
}

TEST(HttpClient, PostsAndPutsAndReturnsAnyStatus) {
  IngestReceiver receiver;
  HttpClient client(To(receiver));
  const HttpAnswer ok = client.Post("/api/v1/parts", kEmptyBatch, "application/json", kAuth);
  EXPECT_EQ(ok.status, 200);
  EXPECT_NE(ok.body.find("\"parts_new\":0"), std::string::npos) << ok.body;

  const std::string bytes = "not really a png";
  const std::string name =
      Sha256Hex({reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()}) + ".png";
  EXPECT_EQ(client.Put("/api/v1/images/" + name, bytes, "image/png", kAuth).status, 201);
  EXPECT_EQ(client.Put("/api/v1/images/" + name, bytes, "image/png", kAuth).status, 200);
  EXPECT_EQ(client.Put("/api/v1/images/" + name, "other", "image/png", kAuth).status, 400);
  // A 4xx is an answer, not an exception.
  EXPECT_EQ(client.Post("/api/v1/parts", kEmptyBatch, "application/json").status, 401);
  EXPECT_EQ(receiver.counts().unauthorized, 1);
}

TEST(HttpClient, PathPrefixFromTheUrlComesFirst) {
  IngestReceiver receiver;
  HttpClientOptions o = To(receiver);
  o.base_url += "/api/";
  HttpClient client(o);
  EXPECT_EQ(client.Post("/v1/parts", kEmptyBatch, "application/json", kAuth).status, 200);
}

TEST(HttpClient, ServerDownIsAnIoErrorNamingHostAndCause) {
  IngestReceiver receiver;
  const int port = receiver.port();
  receiver.Stop();
  HttpClient client(To(receiver));
  const Error e = ErrorOf([&] { client.Post("/api/v1/parts", kEmptyBatch, "application/json"); });
  EXPECT_EQ(e.category(), ErrorCategory::kIo);
  EXPECT_NE(e.cause().find("127.0.0.1:" + std::to_string(port)), std::string::npos) << e.what();
  EXPECT_NE(e.cause().find("cannot connect"), std::string::npos) << e.what();
  // The same client works once the server is back (a fresh connection).
  receiver.Start();
  EXPECT_EQ(client.Post("/api/v1/parts", kEmptyBatch, "application/json", kAuth).status, 200);
}

TEST(HttpClient, ConnectionCutMidAnswerIsAnIoError) {
  IngestReceiver receiver;
  HttpClient client(To(receiver));
  receiver.DropNext(1, /*after_store=*/false);
  const Error e =
      ErrorOf([&] { client.Post("/api/v1/parts", kEmptyBatch, "application/json", kAuth); });
  EXPECT_EQ(e.category(), ErrorCategory::kIo);
  EXPECT_NE(e.cause().find("no complete answer"), std::string::npos) << e.what();
  EXPECT_EQ(client.Post("/api/v1/parts", kEmptyBatch, "application/json", kAuth).status, 200);
}

TEST(HttpClient, SilentServerTimesOut) {
  IngestReceiver receiver;
  HttpClient client(To(receiver, /*timeout_s=*/0.3));
  receiver.HangNext(1);
  const Error e =
      ErrorOf([&] { client.Post("/api/v1/parts", kEmptyBatch, "application/json", kAuth); });
  EXPECT_EQ(e.category(), ErrorCategory::kIo);
  EXPECT_NE(e.cause().find("timed out"), std::string::npos) << e.what();
}

TEST(HttpClient, CancelAbortsARequestUnderWay) {
  IngestReceiver receiver;
  HttpClient client(To(receiver, /*timeout_s=*/120));
  receiver.HangNext(1);
  std::atomic<bool> done{false};
  std::thread canceller([&] {
    while (receiver.counts().hanging == 0)
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    while (!done) {
      client.Cancel();
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  });
  const Error e =
      ErrorOf([&] { client.Post("/api/v1/parts", kEmptyBatch, "application/json", kAuth); });
  done = true;
  canceller.join();
  EXPECT_EQ(e.category(), ErrorCategory::kIo);
  EXPECT_NE(e.cause().find("cancelled"), std::string::npos) << e.what();
}

TEST(HttpClient, BadUrlsAreInputErrors) {
  for (const char* url : {"ftp://127.0.0.1:21", "127.0.0.1:8080", "http://", "http://:80",
                          "http://host:70000", "http://host:8o", "http://user@host:80"}) {
    HttpClientOptions o;
    o.base_url = url;
    const Error e = ErrorOf([&] { HttpClient c(o); });
    EXPECT_EQ(e.category(), ErrorCategory::kInput) << url;
    EXPECT_NE(e.cause().find(url), std::string::npos) << e.what();
  }
}

#ifdef CPPHTTPLIB_OPENSSL_SUPPORT
TEST(HttpClient, HttpsToAPlainServerFailsAsTls) {
  IngestReceiver receiver;
  HttpClientOptions o = To(receiver, 5);
  o.base_url = "https://127.0.0.1:" + std::to_string(receiver.port());
  HttpClient client(o);
  const Error e = ErrorOf([&] { client.Post("/api/v1/parts", kEmptyBatch, "application/json"); });
  EXPECT_EQ(e.category(), ErrorCategory::kIo);
  EXPECT_NE(e.cause().find("TLS"), std::string::npos) << e.what();
}
#endif

}  // namespace
}  // namespace linesight::io
