// `linesight server` administration from the command line: users, station tokens, backups, and
// clear errors for bad options.
#include <thread>

#include <gtest/gtest.h>
#include <httplib.h>
#include <nlohmann/json.hpp>

#include "server/bootstrap.h"
#include "store/store.h"
#include "testing/test_util.h"

namespace linesight {
namespace {

using testing::RunLinesight;
using testing::ShellQuote;

TEST(ServerCliTest, UsersTokensAndBackups) {
  testing::TempDir dir;
  const std::string db = ShellQuote(dir / "plant.db");
  testing::WriteFile(dir / "pw", "a-long-password\n");
  auto r = RunLinesight("server user --store " + db + " --name ana --role quality_engineer " +
                        "--password-file " + ShellQuote(dir / "pw"));
  ASSERT_EQ(r.exit_code, 0) << testing::DescribeRun(r);
  r = RunLinesight("server token --store " + db + " --station S3");
  ASSERT_EQ(r.exit_code, 0) << testing::DescribeRun(r);
  EXPECT_EQ(r.out.size(), 65u) << "a 64-hex-digit token and a newline: " << r.out;
  r = RunLinesight("server backup --store " + db + " --to " + ShellQuote(dir / "copy.db"));
  ASSERT_EQ(r.exit_code, 0) << testing::DescribeRun(r);
  const auto copy = store::OpenStore((dir / "copy.db").string());
  const auto ana = copy->GetUser("ana");
  ASSERT_TRUE(ana.has_value());
  EXPECT_EQ(ana->role, store::Role::kQualityEngineer);
  EXPECT_EQ(ana->password_hash.rfind("$argon2id$", 0), 0u) << "Argon2id, never the password";
  bool audited = false;
  for (const auto& e : copy->AuditLog(10, 0)) audited |= e.action == "token.create";
  EXPECT_TRUE(audited);
}

TEST(ServerCliTest, BadOptionsSayWhatToDo) {
  testing::TempDir dir;
  const std::string db = ShellQuote(dir / "plant.db");
  testing::WriteFile(dir / "short", "short\n");
  auto r = RunLinesight("server user --store " + db + " --name ana --password-file " +
                        ShellQuote(dir / "short"));
  EXPECT_NE(r.exit_code, 0);
  EXPECT_TRUE(testing::Contains(r.err, "at least 8")) << testing::DescribeRun(r);
  r = RunLinesight("server user --store " + db + " --name ana --role boss --password-file " +
                   ShellQuote(dir / "short"));
  EXPECT_NE(r.exit_code, 0);
  EXPECT_TRUE(testing::Contains(r.err, "operator, quality_engineer or admin"))
      << testing::DescribeRun(r);
  r = RunLinesight("server --store " + db + " --listen nowhere");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_TRUE(testing::Contains(r.err, "HOST:PORT")) << testing::DescribeRun(r);
  r = RunLinesight("server backup --store " + db + " --to " + ShellQuote(dir / "plant.db"));
  EXPECT_NE(r.exit_code, 0) << "a backup must never overwrite a file";
  r = RunLinesight("server --store " + db + " --listen 127.0.0.1:0 --alert-mqtt nowhere");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_TRUE(testing::Contains(r.err, "--alert-mqtt nowhere: not HOST:PORT"))
      << testing::DescribeRun(r);
  r = RunLinesight("server --store " + db + " --listen 127.0.0.1:0 --alert-webhook nowhere");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_TRUE(testing::Contains(r.err, "--alert-webhook: not a URL")) << testing::DescribeRun(r);
  r = RunLinesight("server --store " + db + " --die-life-share 2");
  EXPECT_NE(r.exit_code, 0);
  for (const char* cycle : {"90x", "=5", "M4=0", "M4="}) {
    r = RunLinesight("server --store " + db + " --listen 127.0.0.1:0 --planned-cycle " + cycle);
    EXPECT_NE(r.exit_code, 0);
    EXPECT_TRUE(testing::Contains(r.err, "not SECONDS or MACHINE=SECONDS"))
        << testing::DescribeRun(r);
  }
  r = RunLinesight("server --store " + db + " --listen 127.0.0.1:0 --shift-start 6:00");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_TRUE(testing::Contains(r.err, "--shift-start 6:00: not a time of day HH:MM"))
      << testing::DescribeRun(r);
  r = RunLinesight("server --store " + db + " --listen 127.0.0.1:0 --shift-zone Mars/Olympus");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_TRUE(testing::Contains(r.err, "--shift-zone: time zone 'Mars/Olympus'"))
      << testing::DescribeRun(r);
  r = RunLinesight("server --store " + db + " --listen 127.0.0.1:0 --shift-hours 10");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_TRUE(testing::Contains(r.err, "--shift-hours 10: not whole hours that divide a day"))
      << testing::DescribeRun(r);
  // A site MQTT cannot publish under would lose every alert without a word.
  for (const char* site : {"'a/#'", "+", "''"}) {
    r = RunLinesight("server --store " + db + " --listen 127.0.0.1:0 --alert-mqtt 127.0.0.1:1 " +
                     "--site " + site);
    EXPECT_NE(r.exit_code, 0);
    EXPECT_TRUE(testing::Contains(r.err, "is not one MQTT topic level")) << testing::DescribeRun(r);
  }
}

TEST(ServerCliTest, TheShiftCalendarIsThePlants) {
  // A plant in India whose 12 h shifts change at 06:00 and 18:00 local time (UTC+5:30): the
  // dashboard's "this shift" (the machines' since_ms) starts at 00:30 or 12:30 UTC, whatever the
  // time now.
  testing::TempDir dir;
  const std::string db = (dir / "plant.db").string();
  {
    auto store = store::OpenStore(db);
    server::SetUser(*store, "ana", store::Role::kOperator, "a-long-password", "test");
  }
  const int port = testing::FreeLoopbackPort();
  testing::ChildProcess server(
      std::string(LINESIGHT_BINARY) + " server --store " + ShellQuote(db) +
          " --listen 127.0.0.1:" + std::to_string(port) +
          " --web '' --shift-start 06:00 --shift-hours 12 --shift-zone Asia/Kolkata",
      dir / "server.log");
  httplib::Client c("127.0.0.1", port);
  const auto log_in = [&] {
    return c.Post("/api/v1/login", R"({"user":"ana","password":"a-long-password"})",
                  "application/json");
  };
  auto login = log_in();
  for (int i = 0; i < 300 && !login; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    login = log_in();
  }
  ASSERT_TRUE(login && login->status == 200) << (login ? login->body : "no answer");
  const std::string set_cookie = login->get_header_value("Set-Cookie");
  const auto machines =
      c.Get("/api/v1/machines", {{"Cookie", set_cookie.substr(0, set_cookie.find(';'))}});
  ASSERT_TRUE(machines && machines->status == 200) << (machines ? machines->body : "no answer");
  const nlohmann::json j = nlohmann::json::parse(machines->body);
  const int64_t since = j.at("since_ms").get<int64_t>(), now = j.at("now_ms").get<int64_t>();
  constexpr int64_t kHour = 3'600'000;
  EXPECT_EQ((since - kHour / 2) % (12 * kHour), 0) << since;
  EXPECT_LE(since, now);
  EXPECT_GT(since + 12 * kHour, now);
}

}  // namespace
}  // namespace linesight
