// server/server_fixture.h: a real factory server on 127.0.0.1 over a fresh store, with an admin,
// an operator, a station token, and helpers that speak its API as a browser and a station do.
#pragma once

#include <httplib.h>

#include <functional>
#include <memory>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "core/part_record.h"
#include "server/factory_server.h"
#include "store/store.h"
#include "testing/test_util.h"

namespace linesight::testing {

// A part of machine `machine`, shot `shot`, judged at station "S1" at time `time_ms`.
PartRecord ServerTestPart(const std::string& machine, int64_t shot, Decision d, int64_t time_ms,
                          float score = 0.5f);

// Polls `done` every 20 ms for up to 30 s; true once it holds (no timing assertions in tests).
bool Eventually(const std::function<bool()>& done);
// The value of one metric line of the server's /metrics (`name` may carry labels), -1 if absent.
double MetricValue(const server::FactoryServer& s, const std::string& name);

// A logged-in browser: the session cookie and CSRF token.
struct Browser {
  std::string cookie;  // "ls_session=..."
  std::string csrf;
  httplib::Headers Headers(bool write = false) const;
};

// Parameterised by the store's engine: "sqlite" or "postgresql" (a real server on 127.0.0.1,
// started once per test process, a fresh database per test).
class ServerFixture : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override;
  void TearDown() override;
  // Where the store lives for this test's engine.
  std::string StoreLocation();

  httplib::Client Client() const;
  Browser LogIn(const std::string& user, const std::string& password);
  // POST /api/v1/parts as station S1; returns status and body.
  httplib::Result Ingest(const nlohmann::json& batch, const std::string& token = "");
  static nlohmann::json Batch(const std::vector<PartRecord>& parts,
                              const std::vector<MachineEvent>& events = {});

  std::unique_ptr<TempDir> dir_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<server::FactoryServer> server_;
  std::string station_token_;
  Browser admin_, operator_;
};

}  // namespace linesight::testing
