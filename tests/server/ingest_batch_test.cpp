// The ingest reader on the fuzz corpus (fuzz/corpus/ingest) and on batches built to be wrong.
#include "server/ingest_batch.h"

#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "server/api_json.h"

namespace linesight::server {
namespace {

std::string Slurp(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST(IngestBatchTest, TheFuzzCorpusReads) {
  const auto dir = std::filesystem::path(LINESIGHT_SOURCE_DIR) / "fuzz" / "corpus" / "ingest";
  int files = 0;
  for (const auto& f : std::filesystem::directory_iterator(dir)) {
    EXPECT_NO_THROW(ParseIngestBatch(Slurp(f.path()), "S1")) << f.path();
    ++files;
  }
  EXPECT_GE(files, 3);
  const IngestBatch b = ParseIngestBatch(Slurp(dir / "batch.json"), "S1");
  ASSERT_EQ(b.parts.size(), 1u);
  EXPECT_EQ(b.parts[0].views.at(0).findings.at(0).type, "crack");
  EXPECT_TRUE(std::isnan(b.parts[0].shot.process.die_temp_c)) << "null reads as not measured";
  ASSERT_EQ(b.events.size(), 1u);
  EXPECT_EQ(b.events[0].reason, "die_failure");
}

// A sensor reading out of range (65535 from a dead channel, 1e308) is kept as not measured and
// named back, as telemetry does; the part itself is stored.
TEST(IngestBatchTest, ImplausibleProcessValuesAreNotMeasuredAndNamed) {
  const auto dir = std::filesystem::path(LINESIGHT_SOURCE_DIR) / "fuzz" / "corpus" / "ingest";
  nlohmann::json body = nlohmann::json::parse(Slurp(dir / "batch.json"));
  auto& process = body["parts"][0]["shot"]["process"];
  process["melt_temp_c"] = 65535;
  process["intensification_bar"] = 1e308;
  process["spray_s"] = 2.5;
  const IngestBatch b = ParseIngestBatch(body.dump(), "S1");
  ASSERT_EQ(b.parts.size(), 1u);
  EXPECT_TRUE(std::isnan(b.parts[0].shot.process.melt_temp_c));
  EXPECT_TRUE(std::isnan(b.parts[0].shot.process.intensification_bar));
  EXPECT_EQ(b.parts[0].shot.process.spray_s, 2.5);
  ASSERT_EQ(b.implausible.size(), 2u);
  const std::string id = b.parts[0].part_id;
  EXPECT_EQ(b.implausible[0], id + " melt_temp_c=65535");
  EXPECT_EQ(b.implausible[1], id + " intensification_bar=1e+308");
}

TEST(IngestBatchTest, WrongBatchesNameTheRecordAndField) {
  const auto dir = std::filesystem::path(LINESIGHT_SOURCE_DIR) / "fuzz" / "corpus" / "ingest";
  const std::string good = Slurp(dir / "batch.json");
  const auto message = [](const std::string& body, std::string_view station = "S1") {
    try {
      ParseIngestBatch(body, station);
    } catch (const BadRequest& e) {
      return std::string(e.what());
    }
    return std::string("accepted");
  };
  EXPECT_NE(message(good, "S2").find("parts[0].station"), std::string::npos);
  EXPECT_NE(message("{\"parts\": {}}").find("must be an array"), std::string::npos);
  EXPECT_NE(message("{\"parts\": [{\"part_id\": 7}]}").find("parts[0]"), std::string::npos);
  EXPECT_NE(message("{\"events\": [1]}").find("events[0]"), std::string::npos);
  EXPECT_NE(message("{\"parts\": [], \"x\": 1}").find("unknown member"), std::string::npos);
  EXPECT_NE(message("\"text\"").find("JSON object"), std::string::npos);
  EXPECT_NE(message(std::string("{\"parts\": [") + std::string(3, '[')).find("not valid JSON"),
            std::string::npos);
}

}  // namespace
}  // namespace linesight::server
