// `linesight demo`: a shift of the simulated cell through 9 real stations and PLC sockets; its
// summary adds up, and every part it counts is in the station's outbox exactly once.
#include <fstream>
#include <map>
#include <numeric>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "store/outbox.h"
#include "store/store.h"
#include "testing/test_util.h"

namespace linesight {
namespace {

namespace fs = std::filesystem;
using testing::RunLinesight;
using testing::ShellQuote;
using testing::TempDir;

std::vector<std::string> CsvFields(const std::string& line) {
  std::vector<std::string> fields(1);
  for (char c : line) {
    if (c == ',')
      fields.emplace_back();
    else
      fields.back().push_back(c);
  }
  return fields;
}

// truth.csv has one line per part, and its verdicts against the truth are the summary's.
void ExpectTruthAddsUp(const fs::path& path, const nlohmann::json& summary) {
  std::ifstream f(path);
  std::string line;
  ASSERT_TRUE(std::getline(f, line)) << path;
  const auto header = CsvFields(line);
  ASSERT_EQ(header.size(), 13u) << line;
  EXPECT_EQ(header[0], "part_id");
  struct Counts {
    int parts = 0, passes = 0, rejects = 0, holds = 0, defective = 0, escapes = 0,
        false_rejects = 0;
  };
  std::map<std::string, Counts> by_machine;
  std::set<std::string> ids;
  while (std::getline(f, line)) {
    const auto v = CsvFields(line);
    ASSERT_EQ(v.size(), header.size()) << line;
    EXPECT_TRUE(ids.insert(v[0]).second) << "twice: " << line;
    EXPECT_TRUE(v[0].starts_with(v[1] + "-")) << line;
    const bool defective = v[5] == "1", passed = v[8] == "pass", held = v[8] == "hold";
    EXPECT_EQ(defective, !v[6].empty()) << "a defective part names its defects: " << line;
    if (passed) {
      EXPECT_TRUE(v[9].empty()) << "a pass has no defect type: " << line;
    }
    EXPECT_EQ(held, !v[10].empty()) << "a held part names why: " << line;
    Counts& c = by_machine[v[1]];
    ++c.parts;
    c.passes += passed;
    c.rejects += v[8] == "reject";
    c.holds += held;
    c.defective += defective;
    c.escapes += defective && passed;
    c.false_rejects += !defective && !passed;
  }
  for (const auto& m : summary.at("machines")) {
    const Counts& c = by_machine[m.at("machine").get<std::string>()];
    EXPECT_EQ(c.parts, m.at("parts").get<int>()) << m.dump();
    EXPECT_EQ(c.passes, m.at("passes").get<int>()) << m.dump();
    EXPECT_EQ(c.rejects, m.at("rejects").get<int>()) << m.dump();
    EXPECT_EQ(c.holds, m.at("holds").get<int>()) << m.dump();
    EXPECT_EQ(c.defective, m.at("defective").get<int>()) << m.dump();
    EXPECT_EQ(c.escapes, m.at("escapes").get<int>()) << m.dump();
    EXPECT_EQ(c.false_rejects, m.at("false_rejects").get<int>()) << m.dump();
  }
}

TEST(DemoTest, AShiftEndsWithASummaryThatTheOutboxesBearOut) {
  TempDir dir;
  const fs::path out = dir / "demo";
  // An earlier run's results in the folder: the demo removes them (its outboxes must hold this
  // shift's parts only) and leaves what is not its own.
  fs::create_directories(out / "M1");
  {
    store::OutboxOptions o;
    o.path = (out / "M1" / "outbox.db").string();
    store::Outbox earlier(o);
    PartRecord stale;
    stale.part_id = "M1-999999999";
    stale.station = "S1";
    stale.shot.machine = "M1";
    stale.shot.shot = 999999999;
    ASSERT_TRUE(earlier.Put(stale));
  }
  // An earlier model's die memory would be refused with a warning on every run.
  testing::WriteFile(out / "M1" / "outbox.die-memory", "an earlier run's die memory\n");
  testing::WriteFile(out / "notes.txt", "mine\n");
  testing::WriteFile(out / "model.lsm", "an earlier run's model\n");
  testing::WriteFile(out / "truth.csv", "an earlier run's truth\n");
  const auto r = RunLinesight("demo --out " + ShellQuote(out) +
                              " --train 30 --hours 0.4 --speed 0 --json --listen 127.0.0.1:0"
                              " --keep-pass-images 0");
  ASSERT_EQ(r.exit_code, 0) << testing::DescribeRun(r);
  const auto lines = testing::JsonLines(r.out);
  ASSERT_FALSE(lines.empty()) << testing::DescribeRun(r);
  const nlohmann::json& s = lines.back();
  ASSERT_EQ(s.at("machines").size(), 9u) << s.dump();
  int parts = 0;
  for (const auto& m : s.at("machines")) {
    for (const char* key : {"parts", "rejects", "holds", "escapes", "false_rejects", "downtime_min",
                            "latency_p50_ms", "latency_p99_ms", "die_changes_on_mark"})
      EXPECT_TRUE(m.contains(key)) << key << " missing in " << m.dump();
    const std::string machine = m.at("machine");
    store::OutboxOptions o;
    o.path = (out / machine / "outbox.db").string();
    const store::Outbox outbox(o);
    EXPECT_EQ(outbox.counts().parts, m.at("parts").get<int>()) << machine;
    EXPECT_EQ(outbox.counts().pending_parts, 0) << machine << ": the uplink left parts unsent";
    EXPECT_GT(m.at("parts").get<int>(), 0) << machine;
    EXPECT_LE(m.at("escapes").get<int>(), m.at("defective").get<int>());
    EXPECT_LE(m.at("latency_p50_ms").get<double>(), m.at("latency_p99_ms").get<double>());
    parts += m.at("parts").get<int>();
  }
  EXPECT_EQ(s.at("total").at("parts").get<int>(), parts);
  EXPECT_EQ(s.at("reports").at("truth"), (out / "truth.csv").string());
  ExpectTruthAddsUp(out / "truth.csv", s);
  EXPECT_TRUE(fs::exists(out / "notes.txt")) << "not the demo's: kept";
  EXPECT_FALSE(testing::Contains(r.err, "die memory")) << r.err;
  EXPECT_TRUE(testing::Contains(r.err, "removed an earlier run's results")) << r.err;
  // Every station judged each shot's defect risk with the model learned from the history before
  // the shift, and stored it with the part.
  ASSERT_TRUE(fs::exists(out / "risk.json"));
  EXPECT_EQ(s.at("risk").at("parts").get<int>(), parts) << s.at("risk").dump();
  const nlohmann::json& auroc = s.at("risk").at("auroc");
  EXPECT_TRUE(auroc.is_null() || (auroc.get<double>() >= 0 && auroc.get<double>() <= 1));
  // --json changes only what is printed: the reports are written too.
  EXPECT_TRUE(fs::exists(out / "plant_report.html"));
  EXPECT_EQ(s.at("reports").at("plant"), (out / "plant_report.html").string());
  if (s.contains("image_auroc")) {
    EXPECT_TRUE(fs::exists(out / "report.html"));
    EXPECT_GE(s.at("image_auroc").get<double>(), 0);
    EXPECT_LE(s.at("image_auroc").get<double>(), 1);
  }
  // The factory server the demo ran holds every part once, and the machines' events.
  const auto server = store::OpenStore((out / "linesight.db").string());
  EXPECT_EQ(server->Counts().parts, parts);
  EXPECT_GE(server->Counts().events, 9) << "each machine starts its shift with an event";
  EXPECT_EQ(server->Machines(0).size(), 9u);
  // --keep-pass-images 0: the image of every reject reached the server, none of a pass.
  int rejects = 0;
  store::PartPage page;
  page.limit = 1000;
  for (;;) {
    const auto found = server->FindParts({}, page);
    for (const store::PartSummary& p : found) {
      if (p.decision == Decision::kPass) {
        EXPECT_EQ(p.image, "") << p.part_id;
      }
      if (p.decision != Decision::kReject) continue;
      ++rejects;
      EXPECT_NE(p.image, "") << p.part_id << ": a reject without its image";
    }
    if (found.size() < 1000) break;
    page.before_time_ms = found.back().time_ms;
    page.before_part_id = found.back().part_id;
  }
  // A short shift may reject nothing (one under ASan in CI did).
  EXPECT_EQ(rejects, s.at("total").at("rejects").get<int>());
  // The alerts its watch raised are in the summary, by kind, as the store holds them.
  ASSERT_TRUE(s.contains("alerts")) << s.dump();
  store::AlertQuery q;
  q.open_only = false;
  q.limit = 1000;
  std::map<std::string, int> stored;
  for (const store::Alert& a : server->Alerts(q)) ++stored[a.input.kind];
  using Counts = std::map<std::string, int>;
  EXPECT_EQ(s.at("alerts").get<Counts>(), stored) << s.dump();
}

}  // namespace
}  // namespace linesight
