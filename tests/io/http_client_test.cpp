// Tests io/http_client.cpp against a real HTTP server on 127.0.0.1 (the test ingest receiver).
#include "io/http_client.h"

#include <httplib.h>

#include <atomic>
#include <cstdlib>
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
// A real TLS server on 127.0.0.1 with a self-signed certificate made by the openssl tool: trusted
// through ca_file it answers; without it the client refuses the server.
TEST(HttpClient, HttpsWithATrustedCertificate) {
  if (std::system("openssl version > /dev/null 2>&1") != 0)
    GTEST_SKIP() << "the openssl tool is not installed (apt-get install openssl)";
  linesight::testing::TempDir dir;
  const std::string cert = (dir / "cert.pem").string(), key = (dir / "key.pem").string();
  const std::string make =
      "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 -subj "
      "/CN=127.0.0.1"
      " -addext subjectAltName=IP:127.0.0.1 -keyout " +
      key + " -out " + cert + " > /dev/null 2>&1";
  ASSERT_EQ(std::system(make.c_str()), 0);
  httplib::SSLServer server(cert.c_str(), key.c_str());
  ASSERT_TRUE(server.is_valid());
  server.Post("/api/v1/parts", [](const httplib::Request& req, httplib::Response& res) {
    res.set_content("got " + req.body, "text/plain");
  });
  const int port = server.bind_to_any_port("127.0.0.1");
  ASSERT_GT(port, 0);
  std::thread serving([&] { server.listen_after_bind(); });
  while (!server.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));

  HttpClientOptions o;
  o.base_url = "https://127.0.0.1:" + std::to_string(port);
  o.ca_file = cert;
  HttpClient trusted(o);
  const HttpAnswer a = trusted.Post("/api/v1/parts", "x", "text/plain");
  EXPECT_EQ(a.status, 200);
  EXPECT_EQ(a.body, "got x");
  o.ca_file.clear();  // the system's CAs do not know this certificate
  HttpClient untrusted(o);
  const Error e = ErrorOf([&] { untrusted.Post("/api/v1/parts", "x", "text/plain"); });
  EXPECT_EQ(e.category(), ErrorCategory::kIo);
  EXPECT_NE(e.cause().find("not trusted"), std::string::npos) << e.what();
  server.stop();
  serving.join();
}

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
