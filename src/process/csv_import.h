// process/csv_import.h: reads a plant's shot history from a CSV file into a ShotTable, guided by
// a column mapping (YAML or JSON) that says which column is what and which values are faults.
// Pure functions of their inputs; safe on any thread. The mapping format is in docs/process.md.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "process/shot_table.h"

namespace linesight::process {

// One numeric feature column of the CSV.
struct FeatureColumn {
  std::string column;                        // header name in the CSV
  std::string name;                          // feature name in the table (default: column)
  std::vector<double> faults;                // sentinel values that mean "sensor fault" -> NaN
  std::map<std::string, double> categories;  // text value -> number, for a text column (A/B)
};

// A column whose listed text values set a per-shot flag (stopped, try shot).
struct FlagColumn {
  std::string column;  // "" = no such column in this plant's file
  std::vector<std::string> values;
};

enum class TimeFormat : std::uint8_t { kIso = 1, kEpochSeconds = 2, kEpochMillis = 3 };

// Which CSV column is what. Built by ParseCsvMapping or BuiltinCsvMapping.
struct CsvMapping {
  std::string time_column;
  TimeFormat time_format = TimeFormat::kIso;
  int utc_offset_minutes = 0;  // the file's local time minus UTC (KAMP, Korea: 540)
  std::string machine_column;  // "" = every shot is from machine_constant
  std::string machine_constant = "(one machine)";
  std::string die_column;  // "" = every shot is from die_constant
  std::string die_constant = "(one die)";
  std::string label_column;  // "" = no labels (all unknown)
  std::vector<std::string> scrap_values{"1"};
  std::vector<std::string> pass_values{"0"};
  FlagColumn stopped, try_shot;
  std::vector<FeatureColumn> features;
  std::vector<FeatureColumn> defects;         // defect-type columns: a number > 0 means present
  std::vector<std::string> blank_values{""};  // text that means "not recorded"
  char delimiter = ',';
};

// Parses a mapping from YAML (or JSON, which YAML reads too). Throws Error{kInput} naming the bad
// key and what it should be.
[[nodiscard]] CsvMapping ParseCsvMapping(std::string_view text);
// The text of a built-in mapping ("kamp-shots"); throws Error{kInput} listing the names.
[[nodiscard]] std::string_view BuiltinCsvMappingText(std::string_view name);
// A built-in mapping's name, or a mapping file's path. Throws Error{kInput} or Error{kIo}.
[[nodiscard]] CsvMapping ResolveCsvMapping(const std::string& name_or_path);

// How an import went for one feature (or defect) column: every value is counted in one bin.
struct ColumnReport {
  std::string column, name;
  std::size_t measured = 0, blank = 0, fault = 0;
};

// A row that could not be read, with the reason.
struct BadRow {
  std::size_t line = 0;  // 1-based line in the file; the header is line 1
  std::string column;    // "" for a whole-row problem (wrong field count)
  std::string message;
};

struct ImportReport {
  std::size_t rows = 0;            // data records in the file (not counting empty lines)
  std::size_t imported = 0;        // rows in the table
  std::size_t skipped = 0;         // broken rows left out (policy kSkip)
  std::size_t empty_lines = 0;     // lines with no characters, ignored
  std::size_t duplicate_rows = 0;  // rows equal to an earlier row field by field, left out
  std::size_t labels_unknown = 0;  // imported rows whose label was blank
  bool had_bom = false;
  std::vector<BadRow> first_bad_rows;  // the first ImportOptions::max_listed_bad_rows
  std::vector<ColumnReport> columns;   // features, then defects
  double seconds = 0;                  // wall time of the import

  // A few lines a person can read: rows, skipped rows (with the first row numbers), and per
  // column the blanks and faults turned into NaN.
  [[nodiscard]] std::string Summary() const;
};

enum class BadRowPolicy : std::uint8_t { kSkip = 1, kStrict = 2 };

struct ImportOptions {
  BadRowPolicy bad_rows = BadRowPolicy::kSkip;  // kStrict refuses a file with any broken row
  std::size_t max_listed_bad_rows = 5;
};

struct ImportResult {
  ShotTable table;
  ImportReport report;
};

// Reads CSV text (UTF-8, with or without BOM; RFC 4180 quoting). Throws Error{kData} for
// non-UTF-8 input (naming the line and how to convert), a missing column (listing the header),
// or, under kStrict, the first broken row. Returns a complete table or nothing.
[[nodiscard]] ImportResult ImportCsvText(std::string_view text, const CsvMapping& mapping,
                                         const ImportOptions& options = {});
// Reads a CSV file as ImportCsvText does; Error{kIo} if it cannot be read.
[[nodiscard]] ImportResult ImportCsvFile(const std::filesystem::path& path,
                                         const CsvMapping& mapping,
                                         const ImportOptions& options = {});

// Parses a time as the mapping would a cell of its time column ("2019-03-01 00:00:00", or a
// date alone for its midnight), in the mapping's local time; returns UTC ms. Throws
// Error{kInput} naming the text and the expected form.
[[nodiscard]] std::int64_t ParseMappingTime(std::string_view text, const CsvMapping& mapping);

}  // namespace linesight::process
