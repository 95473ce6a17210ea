// Tests process/csv_import.h on CSV text written here: blanks, sentinels, BOM, non-UTF-8 bytes,
// broken rows under both policies, wrong mappings, quoting, the built-in KAMP mapping.
#include "process/csv_import.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <string>

#include <gtest/gtest.h>

#include "core/error.h"

namespace linesight::process {
namespace {

const char* kMapping = R"(
time: {column: t, format: iso, utc_offset_minutes: 540}
die: {column: die}
machine: {constant: M1}
label: {column: fail, scrap: ["1"], pass: ["0"]}
stopped: {column: state, values: ["stop"]}
try_shot: {column: try, values: ["D"]}
features:
  - {column: count, name: shots_since_restart}
  - {column: melt, faults: [0]}
  - {column: speed, faults: [65534]}
)";

const char* kHeader = "t,die,fail,state,try,count,melt,speed\n";

ImportResult Import(const std::string& body, BadRowPolicy policy = BadRowPolicy::kSkip) {
  return ImportCsvText(body, ParseCsvMapping(kMapping), {policy, 5});
}

// The error message of `f`, or "" if it did not throw.
template <typename F>
std::string ErrorOf(F f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(CsvImport, BlanksAndSentinelsBecomeNaNAndAreCounted) {
  const ImportResult r = Import(std::string(kHeader) +
                                "2019-01-02 09:00:00,A,0,run,,10,700,110\n"
                                "2019-01-02 09:00:05,A,1,stop,,,0,65534\n"
                                "2019-01-02 09:00:09,B,0,run,D,12,,65534\n");
  ASSERT_EQ(r.table.size(), 3u);
  EXPECT_EQ(r.report.skipped, 0u);
  const auto melt = r.table.Feature("melt");
  EXPECT_EQ(melt[0], 700);
  EXPECT_TRUE(std::isnan(melt[1]));
  EXPECT_TRUE(std::isnan(melt[2]));
  EXPECT_TRUE(std::isnan(r.table.Feature("shots_since_restart")[1]));
  ASSERT_EQ(r.report.columns.size(), 3u);
  EXPECT_EQ(r.report.columns[1].measured, 1u);
  EXPECT_EQ(r.report.columns[1].blank, 1u);
  EXPECT_EQ(r.report.columns[1].fault, 1u);
  EXPECT_EQ(r.report.columns[2].fault, 2u);
  EXPECT_EQ(r.table.label[1], 1);
  EXPECT_EQ(r.table.stopped[1], 1);
  EXPECT_EQ(r.table.try_shot[2], 1);
  EXPECT_TRUE(r.table.Normal(0));
  EXPECT_FALSE(r.table.Normal(2));
  EXPECT_EQ(r.table.machine[0], "M1");
  EXPECT_EQ(r.table.die[2], "B");
  // 09:00 in Korea (UTC+9) is 00:00 UTC: 2019-01-02 is day 17898 since the epoch.
  EXPECT_EQ(r.table.time_ms[0], 17898LL * 86400000);
  EXPECT_EQ(r.table.time_ms[1] - r.table.time_ms[0], 5000);
  EXPECT_NE(r.report.Summary().find("melt: 1 measured, 1 blank, 1 faults"), std::string::npos);
}

TEST(CsvImport, Utf8BomIsSkipped) {
  const ImportResult r =
      Import("\xEF\xBB\xBF" + std::string(kHeader) + "2019-01-02 09:00:00,A,0,run,,1,700,110\n");
  EXPECT_TRUE(r.report.had_bom);
  EXPECT_EQ(r.table.size(), 1u);
}

TEST(CsvImport, NonUtf8IsRefusedNamingTheLineAndIconv) {
  // "\xB0\xA1\xB5\xBF" is CP949 for a Korean word; invalid as UTF-8.
  const std::string msg = ErrorOf([] {
    (void)Import(std::string(kHeader) + "2019-01-02 09:00:00,A,0,run,,1,700,110\n" +
                 "2019-01-02 09:00:01,A,0,\xB0\xA1\xB5\xBF,,2,700,110\n");
  });
  EXPECT_NE(msg.find("line 3"), std::string::npos) << msg;
  EXPECT_NE(msg.find("iconv -f CP949 -t UTF-8"), std::string::npos) << msg;
}

const std::string kBroken = std::string(kHeader) +
                            "2019-01-02 09:00:00,A,0,run,,1,700,110\n"
                            "2019-01-02 09:00:01,A,0,run,,2,700\n"          // line 3: 7 fields
                            "2019-01-02 09:00:02,A,0,run,,3,hot,110\n"      // line 4: not a number
                            "yesterday,A,0,run,,4,700,110\n"                // line 5: bad time
                            "2019-01-02 09:00:04,A,maybe,run,,5,700,110\n"  // line 6: bad label
                            "\n"
                            "2019-01-02 09:00:05,A,1,run,,6,690,110\n";

TEST(CsvImport, BrokenRowsAreSkippedAndReported) {
  const ImportResult r = Import(kBroken);
  EXPECT_EQ(r.table.size(), 2u);
  EXPECT_EQ(r.report.rows, 6u);
  EXPECT_EQ(r.report.skipped, 4u);
  EXPECT_EQ(r.report.empty_lines, 1u);
  ASSERT_EQ(r.report.first_bad_rows.size(), 4u);
  EXPECT_EQ(r.report.first_bad_rows[0].line, 3u);
  EXPECT_EQ(r.report.first_bad_rows[0].column, "");
  EXPECT_EQ(r.report.first_bad_rows[1].line, 4u);
  EXPECT_EQ(r.report.first_bad_rows[1].column, "melt");
  EXPECT_EQ(r.report.first_bad_rows[2].column, "t");
  EXPECT_EQ(r.report.first_bad_rows[3].column, "fail");
  EXPECT_NE(r.report.Summary().find("line 4 column melt"), std::string::npos);
}

TEST(CsvImport, StrictRefusesTheFirstBrokenRow) {
  const std::string msg = ErrorOf([] { (void)Import(kBroken, BadRowPolicy::kStrict); });
  EXPECT_NE(msg.find("line 3"), std::string::npos) << msg;
  EXPECT_NE(msg.find("7 fields"), std::string::npos) << msg;
}

// A quote opened and never closed would read the rest of the file as one field: only its line
// is the broken row, and the lines after it are read as usual.
TEST(CsvImport, AnUnclosedQuoteLosesOnlyItsOwnLine) {
  const ImportResult r = Import(std::string(kHeader) +
                                "2019-01-02 09:00:00,A,0,run,,1,700,100\n"
                                "2019-01-02 09:00:01,A,0,run,,2,\"700,100\n"
                                "2019-01-02 09:00:02,A,1,run,,3,710,101\n"
                                "2019-01-02 09:00:03,A,0,run,,4,720,102\n");
  EXPECT_EQ(r.table.size(), 3u);
  EXPECT_EQ(r.report.rows, 4u);
  EXPECT_EQ(r.report.skipped, 1u);
  ASSERT_EQ(r.report.first_bad_rows.size(), 1u);
  EXPECT_EQ(r.report.first_bad_rows[0].line, 3u);
  EXPECT_NE(r.report.first_bad_rows[0].message.find("quote that is not closed"), std::string::npos);
  EXPECT_EQ(r.table.time_ms.back(), 17898LL * 86400000 + 3000);

  // The same stray quote, closed by a quoted field two lines on: still only its own line is lost.
  const ImportResult later = Import(std::string(kHeader) +
                                    "2019-01-02 09:00:00,A,0,run,,1,700,100\n"
                                    "2019-01-02 09:00:01,A,0,run,,2,\"700,100\n"
                                    "2019-01-02 09:00:02,A,1,run,,3,710,101\n"
                                    "2019-01-02 09:00:03,\"A\",0,run,,4,720,102\n");
  EXPECT_EQ(later.table.size(), 3u);
  EXPECT_EQ(later.report.skipped, 1u);
  ASSERT_EQ(later.report.first_bad_rows.size(), 1u);
  EXPECT_EQ(later.report.first_bad_rows[0].line, 3u);
}

// Numbers no sensor reads (beyond a float: they would reach the risk model as infinity), days
// that no month has and epoch times past the year 9999 are broken rows, named.
TEST(CsvImport, HugeValuesImpossibleDatesAndFarEpochsAreBrokenRows) {
  const ImportResult r = Import(std::string(kHeader) +
                                "2019-01-02 09:00:00,A,0,run,,1,1e39,100\n"
                                "2019-02-29 09:00:00,A,0,run,,1,700,100\n"
                                "2020-02-29 09:00:00,A,0,run,,1,700,-3e38\n");
  EXPECT_EQ(r.table.size(), 1u) << "2020 is a leap year; 3e38 fits a float";
  ASSERT_EQ(r.report.first_bad_rows.size(), 2u);
  EXPECT_EQ(r.report.first_bad_rows[0].column, "melt");
  EXPECT_NE(r.report.first_bad_rows[0].message.find("too large"), std::string::npos);
  EXPECT_EQ(r.report.first_bad_rows[1].column, "t");
  EXPECT_THROW((void)ParseMappingTime("2024-02-30", ParseCsvMapping(kMapping)), Error);

  const CsvMapping epoch = ParseCsvMapping(
      "time: {column: t, format: epoch_s}\nmachine: {constant: M1}\nfeatures:\n  - {column: x}\n");
  const ImportResult e = ImportCsvText("t,x\n1546419600,1\n1e30,2\n9223372036854775807,3\n", epoch,
                                       {BadRowPolicy::kSkip, 5});
  EXPECT_EQ(e.table.size(), 1u);
  EXPECT_EQ(e.report.skipped, 2u);
}

// One row dated 1970 among a week of 2019 (a controller that lost its clock) would stretch the
// span every analysis splits and rates over: it is a broken row. A file with a real gap (two
// runs months apart, each with many shots) keeps every row.
TEST(CsvImport, AShotDatedFarFromAllOthersIsABrokenRow) {
  auto rows = [](int n, int day0) {
    std::string s;
    for (int i = 0; i < n; ++i) {
      char line[96];
      std::snprintf(line, sizeof line, "2019-%02d-%02d %02d:%02d:00,A,0,run,,%d,700,100\n",
                    1 + (day0 + i / 96) / 28, 1 + (day0 + i / 96) % 28, (i / 4) % 24, (i % 4) * 15,
                    i + 1);
      s += line;
    }
    return s;
  };
  const std::string week = rows(400, 0);
  const std::size_t half = week.find('\n', week.size() / 2) + 1;
  const ImportResult r = Import(std::string(kHeader) + week.substr(0, half) +
                                "1970-01-01 00:00:00,A,0,run,,1,700,100\n" + week.substr(half));
  EXPECT_EQ(r.table.size(), 400u);
  EXPECT_EQ(r.report.skipped, 1u);
  ASSERT_EQ(r.report.first_bad_rows.size(), 1u);
  EXPECT_EQ(r.report.first_bad_rows[0].column, "t");
  EXPECT_NE(
      r.report.first_bad_rows[0].message.find("the time 1969-12-31 UTC lies far outside the file's "
                                              "other shots (2018-12-31 to 2019-01-04)"),
      std::string::npos)
      << r.report.first_bad_rows[0].message;
  EXPECT_GE(*std::min_element(r.table.time_ms.begin(), r.table.time_ms.end()),
            17897LL * 86400000 - 9 * 3600000);
  const std::string strict = ErrorOf([&] {
    (void)Import(std::string(kHeader) + week + "1970-01-01 00:00:00,A,0,run,,1,700,100\n",
                 BadRowPolicy::kStrict);
  });
  EXPECT_NE(strict.find("line 402, column 't'"), std::string::npos) << strict;

  const ImportResult gap = Import(std::string(kHeader) + rows(300, 0) + rows(100, 140));
  EXPECT_EQ(gap.table.size(), 400u) << "two runs months apart are both kept";
  EXPECT_EQ(gap.report.skipped, 0u);

  // A small file too (the jumped row is never taken for the file's own span), and the dropped
  // row is in no column's counts.
  const ImportResult small =
      Import(std::string(kHeader) + rows(49, 0) + "1970-01-01 00:00:00,A,0,run,,1,0,100\n");
  EXPECT_EQ(small.table.size(), 49u);
  EXPECT_EQ(small.report.skipped, 1u);
  for (const ColumnReport& c : small.report.columns)
    EXPECT_EQ(c.measured + c.blank + c.fault, 49u) << c.name;
}

// A file exported twice and joined: each shot once, the repeats counted and said.
TEST(CsvImport, ARowRepeatedExactlyIsCountedOnce) {
  const std::string row1 = "2019-01-02 09:00:00,A,0,run,,1,700,100\n";
  const std::string row2 = "2019-01-02 09:01:00,A,1,run,,2,700,100\n";
  const ImportResult r = Import(std::string(kHeader) + row1 + row2 + row1 + row2 +
                                "2019-01-02 09:01:00,A,1,run,,2,701,100\n");
  EXPECT_EQ(r.table.size(), 3u);
  EXPECT_EQ(r.report.duplicate_rows, 2u);
  EXPECT_EQ(r.report.rows, 5u);
  EXPECT_NE(r.report.Summary().find("2 rows repeat an earlier row exactly"), std::string::npos)
      << r.report.Summary();
}

TEST(CsvImport, MappingColumnMissingFromHeaderListsTheHeader) {
  const CsvMapping m = ParseCsvMapping(R"(
time: t
features: [melt, pressure]
)");
  const std::string msg = ErrorOf([&m] {
    (void)ImportCsvText(std::string(kHeader) + "2019-01-02 09:00:00,A,0,run,,1,7,1\n", m);
  });
  EXPECT_NE(msg.find("'pressure'"), std::string::npos) << msg;
  EXPECT_NE(msg.find("t, die, fail, state, try, count, melt, speed"), std::string::npos) << msg;
}

TEST(CsvImport, QuotedFieldsKeepCommasQuotesAndNewlines) {
  const CsvMapping m = ParseCsvMapping(R"({"time": "t", "die": "die", "features": ["x"]})");
  const ImportResult r = ImportCsvText(
      "t,die,x\r\n\"2019-01-02 09:00:00\",\"A,\"\"big\"\"\nline\",\"1.5\"\r\n"
      "2019-01-02 09:00:01,B,2\r\n",
      m);
  ASSERT_EQ(r.table.size(), 2u);
  EXPECT_EQ(r.table.die[0], "A,\"big\"\nline");
  EXPECT_EQ(r.table.Feature("x")[0], 1.5);
  EXPECT_EQ(r.table.label[0], kLabelUnknown);
  EXPECT_EQ(r.report.labels_unknown, 2u);
}

TEST(CsvImport, BuiltinKampMappingReadsKampLikeRows) {
  const std::string header =
      "registration_time,mold_code,passorfail,count,working,emergency_stop,tryshot_signal,"
      "heating_furnace,molten_temp,facility_operation_cycleTime,production_cycletime,"
      "low_section_speed,high_section_speed,molten_volume,cast_pressure,biscuit_thickness,"
      "upper_mold_temp1,upper_mold_temp2,upper_mold_temp3,lower_mold_temp1,lower_mold_temp2,"
      "lower_mold_temp3,sleeve_temperature,physical_strength,Coolant_temperature,"
      "EMS_operation_time\n";
  const ImportResult r = ImportCsvText(
      header +
          "2019-01-02 16:45:06,8722,0,258,가동,,,,731,119,120,110,112,75,331,35,198,116,,234,316,"
          ",550,700,34,23\n"
          "2019-01-02 16:45:08,8412,1,3,정지,,D,B,0,98,125,65534,109,,309,48,250,113,1449,208,"
          "163,1449,481,0,30,25\n",
      ResolveCsvMapping("kamp-shots"));
  ASSERT_EQ(r.table.size(), 2u);
  EXPECT_EQ(r.report.skipped, 0u);
  EXPECT_EQ(r.table.die[1], "8412");
  EXPECT_EQ(r.table.stopped[1], 1);
  EXPECT_EQ(r.table.try_shot[1], 1);
  EXPECT_EQ(r.table.Feature("shots_since_restart")[1], 3);
  EXPECT_TRUE(std::isnan(r.table.Feature("molten_temp")[1]));
  EXPECT_TRUE(std::isnan(r.table.Feature("low_section_speed")[1]));
  EXPECT_TRUE(std::isnan(r.table.Feature("upper_mold_temp3")[1]));
  EXPECT_TRUE(std::isnan(r.table.Feature("physical_strength")[1]));
  EXPECT_EQ(r.table.Feature("heating_furnace")[1], 1);
  EXPECT_TRUE(std::isnan(r.table.Feature("heating_furnace")[0]));
}

// A field of megabytes is quoted by its start; a file whose lines end in CR alone is named so.
TEST(CsvImport, AHugeBrokenFieldIsQuotedShortAndCrOnlyLinesAreNamed) {
  const ImportResult r =
      Import(std::string(kHeader) + "2019-01-02 09:00:00,A,0,run,,1," + std::string(1 << 20, 'x') +
             ",110\n2019-01-02 09:00:01,A,0,run,,2,700,110\n");
  ASSERT_EQ(r.report.first_bad_rows.size(), 1u);
  EXPECT_LT(r.report.first_bad_rows[0].message.size(), 400u);
  EXPECT_NE(r.report.first_bad_rows[0].message.find("characters)"), std::string::npos);
  std::string cr = std::string(kHeader) + "2019-01-02 09:00:00,A,0,run,,1,700,110\n";
  std::replace(cr.begin(), cr.end(), '\n', '\r');
  const std::string e = ErrorOf([&] { (void)Import(cr); });
  EXPECT_NE(e.find("end in CR alone"), std::string::npos) << e;
}

TEST(CsvImport, BadMappingsAreRefused) {
  EXPECT_THROW((void)ParseCsvMapping("features: [x]"), Error);  // no time
  EXPECT_THROW((void)ParseCsvMapping("time: {column: t, format: unix}"), Error);
  EXPECT_THROW((void)ParseCsvMapping("time: t\nfeatures: {x: 1}"), Error);  // not a list
  EXPECT_THROW((void)ResolveCsvMapping("/no/such/mapping.yaml"), Error);
  // A misspelt key is named, with what is allowed there, instead of being ignored.
  const std::string misspelt = ErrorOf([] { (void)ParseCsvMapping("time: t\nfeaturez: [x]"); });
  EXPECT_NE(misspelt.find("'featurez' is not a key"), std::string::npos) << misspelt;
  EXPECT_NE(misspelt.find("features"), std::string::npos) << misspelt;
  const std::string inner =
      ErrorOf([] { (void)ParseCsvMapping("time: t\nfeatures: [{column: x, fault: [0]}]"); });
  EXPECT_NE(inner.find("'features[0].fault'"), std::string::npos) << inner;
  EXPECT_NO_THROW((void)ParseCsvMapping(BuiltinCsvMappingText("kamp-shots")));
  EXPECT_NE(ErrorOf([] { (void)ImportCsvText("", ParseCsvMapping("time: t")); }).find("empty"),
            std::string::npos);
  // Valid YAML with a value of the wrong type is named as that, not as broken YAML.
  const std::string type =
      ErrorOf([] { (void)ParseCsvMapping("time: t\nfeatures: [{column: x, faults: [abc]}]"); });
  EXPECT_NE(type.find("wrong type"), std::string::npos) << type;
  // A value both scrap and pass, and two features of one name, are contradictions.
  const std::string both = ErrorOf(
      [] { (void)ParseCsvMapping("time: t\nlabel: {column: f, scrap: [\"1\"], pass: [\"1\"]}"); });
  EXPECT_NE(both.find("both a scrap and a pass value"), std::string::npos) << both;
  const std::string twice =
      ErrorOf([] { (void)ParseCsvMapping("time: t\nfeatures: [x, {column: y, name: x}]"); });
  EXPECT_NE(twice.find("features[1]"), std::string::npos) << twice;
}

// Files that are no UTF-8 CSV at all, or whose header is ambiguous, are named as such.
TEST(CsvImport, Utf16AFolderAndARepeatedHeaderColumnAreNamed) {
  std::string utf16;
  for (char c : std::string(kHeader)) utf16 += std::string{c, '\0'};
  const std::string u = ErrorOf([&] { (void)Import(utf16); });
  EXPECT_NE(u.find("UTF-16"), std::string::npos) << u;
  EXPECT_NE(u.find("iconv -f UTF-16"), std::string::npos) << u;
  const std::string bom = ErrorOf([&] { (void)Import("\xFF\xFE" + utf16); });
  EXPECT_NE(bom.find("UTF-16"), std::string::npos) << bom;

  const std::string folder = ErrorOf([] {
    (void)ImportCsvFile(std::filesystem::temp_directory_path(), ParseCsvMapping(kMapping));
  });
  EXPECT_NE(folder.find("is a folder"), std::string::npos) << folder;

  const std::string twice =
      ErrorOf([] { (void)Import("t,die,fail,state,try,count,melt,speed,melt\n"); });
  EXPECT_NE(twice.find("'melt' twice (fields 7 and 9)"), std::string::npos) << twice;
}

TEST(CsvImport, ParseMappingTimeTakesADateOrATime) {
  const CsvMapping m = ParseCsvMapping(kMapping);
  EXPECT_EQ(ParseMappingTime("2019-01-02", m), 17898LL * 86400000 - 9 * 3600000);
  EXPECT_EQ(ParseMappingTime("2019-01-02 09:00", m), 17898LL * 86400000);
  EXPECT_THROW((void)ParseMappingTime("soon", m), Error);
}

}  // namespace
}  // namespace linesight::process
