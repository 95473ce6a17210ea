// `linesight server` administration from the command line: users, station tokens, backups, and
// clear errors for bad options.
#include <gtest/gtest.h>

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
  // A site MQTT cannot publish under would lose every alert without a word.
  for (const char* site : {"'a/#'", "+", "''"}) {
    r = RunLinesight("server --store " + db + " --listen 127.0.0.1:0 --alert-mqtt 127.0.0.1:1 " +
                     "--site " + site);
    EXPECT_NE(r.exit_code, 0);
    EXPECT_TRUE(testing::Contains(r.err, "is not one MQTT topic level")) << testing::DescribeRun(r);
  }
}

}  // namespace
}  // namespace linesight
