// process/csv_import.cpp: the CSV reader (RFC 4180 records, UTF-8 check) and the conversion of
// each record into one shot of a ShotTable, counting blanks, faults and broken rows.
#include "process/csv_import.h"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>
#include <fstream>
#include <limits>
#include <sstream>
#include <unordered_set>

#include "core/clock.h"
#include "core/error.h"

namespace linesight::process {
namespace {

// Returns the 1-based line of the first byte that is not valid UTF-8, or 0 if all are valid.
std::size_t FirstInvalidUtf8Line(std::string_view s) {
  std::size_t line = 1;
  for (std::size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c == '\n') ++line;
    std::size_t len = c < 0x80           ? 1
                      : (c >> 5) == 0x6  ? 2
                      : (c >> 4) == 0xE  ? 3
                      : (c >> 3) == 0x1E ? 4
                                         : 0;
    if (len == 0 || (len == 2 && c < 0xC2) || i + len > s.size()) return line;
    for (std::size_t k = 1; k < len; ++k)
      if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return line;
    i += len;
  }
  return 0;
}

// Splits CSV text into records. Quoted fields may hold delimiters, "" and newlines.
class CsvReader {
 public:
  CsvReader(std::string_view text, char delimiter) : text_(text), delim_(delimiter) {}

  // Reads the next record into `fields`; false at the end. `line` is the record's first line.
  // `ok` is false if a quote was not closed: that record is its first line alone, and reading
  // goes on at the next line (else the quote would swallow the rest of the file).
  bool Next(std::vector<std::string>& fields, std::size_t& line, bool& ok) {
    if (pos_ >= text_.size()) return false;
    fields.clear();
    line = line_;
    ok = true;
    const std::size_t start = pos_;
    std::string field;
    bool quoted = false, was_quoted = false;
    while (pos_ < text_.size()) {
      const char c = text_[pos_++];
      if (quoted) {
        if (c == '"' && pos_ < text_.size() && text_[pos_] == '"') {
          field += '"';
          ++pos_;
        } else if (c == '"') {
          quoted = false;
        } else {
          line_ += c == '\n';
          field += c;
        }
      } else if (c == '"' && field.empty() && !was_quoted) {
        quoted = was_quoted = true;
      } else if (c == delim_) {
        fields.push_back(std::move(field));
        field.clear();
        was_quoted = false;
      } else if (c == '\n') {
        ++line_;
        break;
      } else if (c != '\r') {
        field += c;
      }
    }
    ok = !quoted;
    fields.push_back(std::move(field));
    start_ = start;
    start_line_ = line;
    if (!ok) RestartAfterFirstLine();
    return true;
  }

  // The last record ran over more than one line (a quoted field held a line break).
  bool SpannedLines() const { return line_ > start_line_ + 1; }

  // Reads on from the line after the last record's first line: a stray quote closed by a quote
  // lines later made one record of every line between.
  void RestartAfterFirstLine() {
    const std::size_t end = text_.find('\n', start_);
    pos_ = end == std::string_view::npos ? text_.size() : end + 1;
    line_ = start_line_ + 1;
  }

 private:
  std::string_view text_;
  char delim_;
  std::size_t pos_ = 0;
  std::size_t line_ = 1;
  std::size_t start_ = 0, start_line_ = 1;  // where the last record began
};

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool ParseDouble(std::string_view s, double& out) {
  if (!s.empty() && s.front() == '+') s.remove_prefix(1);
  const auto r = std::from_chars(s.data(), s.data() + s.size(), out);
  return r.ec == std::errc() && r.ptr == s.data() + s.size() && std::isfinite(out);
}

bool ParseInt(std::string_view s, int64_t& out) {
  const auto r = std::from_chars(s.data(), s.data() + s.size(), out);
  return r.ec == std::errc() && r.ptr == s.data() + s.size();
}

int64_t DaysInMonth(int64_t y, int64_t m) {
  static constexpr int64_t kDays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  return m == 2 && leap ? 29 : kDays[m - 1];
}

// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil).
int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

// "YYYY-MM-DD[ T]hh:mm[:ss[.fff]][Z]" (or with '/' in the date) as local milliseconds.
bool ParseIso(std::string_view s, int64_t& ms) {
  int64_t y = 0, mo = 0, d = 0, h = 0, mi = 0, sec = 0, frac = 0;
  auto num = [&s](std::size_t at, std::size_t len, int64_t& v) {
    return at + len <= s.size() && ParseInt(s.substr(at, len), v);
  };
  if (s.size() < 16 || !num(0, 4, y) || !num(5, 2, mo) || !num(8, 2, d) || !num(11, 2, h) ||
      !num(14, 2, mi))
    return false;
  if ((s[4] != '-' && s[4] != '/') || s[7] != s[4] || (s[10] != ' ' && s[10] != 'T') ||
      s[13] != ':')
    return false;
  std::size_t at = 16;
  if (at < s.size() && s[at] == ':') {
    if (!num(at + 1, 2, sec)) return false;
    at += 3;
    if (at < s.size() && s[at] == '.') {
      std::size_t end = at + 1;
      while (end < s.size() && std::isdigit(static_cast<unsigned char>(s[end]))) ++end;
      std::string digits(s.substr(at + 1, std::min<std::size_t>(end - at - 1, 3)));
      digits.resize(3, '0');
      if (!ParseInt(digits, frac)) return false;
      at = end;
    }
  }
  if (at < s.size() && s.substr(at) != "Z") return false;
  if (mo < 1 || mo > 12 || d < 1 || d > DaysInMonth(y, mo) || h > 23 || mi > 59 || sec > 60)
    return false;  // 2024-02-30 is no date (not 2024-03-01)
  const int64_t days = DaysFromCivil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d));
  ms = ((days * 24 + h) * 60 + mi) * 60000 + sec * 1000 + frac;
  return true;
}

// A shot dated far from all the file's others is a clock that jumped (a controller reset to
// 1970, a mistyped year): kept, it would stretch the time span that analyses split and rate
// over (one row of 1970 left a fit period with one shot). "Far": beyond the span of the middle
// 98% of the shots (at least one shot cut from each end), and at least 30 days, outside it.
// Such rows are broken rows: returns which rows to keep, empty if all.
std::vector<bool> JumpedClocks(const ShotTable& t, const std::vector<std::size_t>& lines,
                               const std::string& time_column, const ImportOptions& o,
                               ImportReport& r) {
  const std::size_t n = t.size();
  if (n < 20) return {};  // too few shots to say where the file's time lies
  std::vector<int64_t> sorted = t.time_ms;
  std::sort(sorted.begin(), sorted.end());
  const std::size_t trim = std::max<std::size_t>(1, n / 100);  // the jumped row is not the span
  const int64_t lo = sorted[trim], hi = sorted[n - 1 - trim];
  const int64_t margin = std::max<int64_t>(hi - lo, int64_t{30} * 86400000);
  std::vector<bool> keep(n, true);
  bool any = false;
  for (std::size_t i = 0; i < n; ++i) {
    const int64_t at = t.time_ms[i];
    if (at >= lo - margin && at <= hi + margin) continue;
    const std::string why = "the time " + FormatUtc(at, "%Y-%m-%d") +
                            " UTC lies far outside the file's other shots (" +
                            FormatUtc(lo, "%Y-%m-%d") + " to " + FormatUtc(hi, "%Y-%m-%d") +
                            "): a clock that jumped or a mistyped date";
    if (o.bad_rows == BadRowPolicy::kStrict)
      throw Error(ErrorCategory::kData,
                  "line " + std::to_string(lines[i]) + ", column '" + time_column + "': " + why,
                  "Correct the row's time, or remove the row");
    keep[i] = false;
    any = true;
    ++r.skipped;
    if (r.first_bad_rows.size() < o.max_listed_bad_rows)
      r.first_bad_rows.push_back({lines[i], time_column, why});
  }
  if (!any) keep.clear();
  return keep;
}

// Epoch times beyond the year 9999 are not times (and would overflow the shift arithmetic).
constexpr double kMaxEpochMs = 253402300800000.0;

bool ParseTime(std::string_view s, const CsvMapping& m, int64_t& ms) {
  double v = 0;
  switch (m.time_format) {
    case TimeFormat::kEpochSeconds:
      if (!ParseDouble(s, v) || !(std::fabs(v) <= kMaxEpochMs / 1000)) return false;
      ms = std::llround(v * 1000);
      return true;
    case TimeFormat::kEpochMillis:
      if (!ParseDouble(s, v) || !(std::fabs(v) <= kMaxEpochMs)) return false;
      ms = std::llround(v);
      return true;
    case TimeFormat::kIso:
      if (!ParseIso(s, ms)) return false;
      ms -= int64_t{m.utc_offset_minutes} * 60000;
      return true;
  }
  return false;
}

bool Contains(const std::vector<std::string>& v, std::string_view s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

// Column indices of the mapping in the header; -1 for a role the mapping leaves out.
struct Layout {
  int time = -1, machine = -1, die = -1, label = -1, stopped = -1, try_shot = -1;
  std::vector<int> features, defects;
  std::size_t fields = 0;
};

Layout LocateColumns(const std::vector<std::string>& header, const CsvMapping& m) {
  Layout l;
  l.fields = header.size();
  auto find = [&header](const std::string& column, const std::string& role) {
    if (column.empty()) return -1;
    auto it = std::find(header.begin(), header.end(), column);
    if (it != header.end()) {
      // Two columns of one name: which one the mapping means is a guess, not a fact.
      if (auto again = std::find(it + 1, header.end(), column); again != header.end()) {
        throw Error(ErrorCategory::kData,
                    "the CSV header names the mapping's " + role + " column '" + column +
                        "' twice (fields " + std::to_string(it - header.begin() + 1) + " and " +
                        std::to_string(again - header.begin() + 1) + ")",
                    "Rename one of the two columns in the file's header line");
      }
      return static_cast<int>(it - header.begin());
    }
    std::string list;
    for (const auto& h : header) list += (list.empty() ? "" : ", ") + h;
    throw Error(ErrorCategory::kData,
                "the mapping's " + role + " column '" + column + "' is not in the CSV header",
                "Fix the mapping to use one of the file's columns: " + list);
  };
  l.time = find(m.time_column, "time");
  l.machine = find(m.machine_column, "machine");
  l.die = find(m.die_column, "die");
  l.label = find(m.label_column, "label");
  l.stopped = find(m.stopped.column, "stopped");
  l.try_shot = find(m.try_shot.column, "try_shot");
  for (const auto& f : m.features) l.features.push_back(find(f.column, "feature"));
  for (const auto& d : m.defects) l.defects.push_back(find(d.column, "defect"));
  return l;
}

// kHuge: a number beyond what a 32-bit float holds (the risk model's matrix): no sensor reads
// that, and it would reach the model as infinity.
enum class Cell : std::uint8_t { kMeasured, kBlank, kFault, kBad, kHuge };

// One cell of a feature column as a number, NaN for blanks and faults.
Cell ReadFeature(std::string_view raw, const FeatureColumn& f, const CsvMapping& m, double& v) {
  const std::string_view s = Trim(raw);
  v = kMissing;
  if (Contains(m.blank_values, s)) return Cell::kBlank;
  if (!f.categories.empty()) {
    auto it = f.categories.find(std::string(s));
    if (it == f.categories.end()) return Cell::kBad;
    v = it->second;
    return Cell::kMeasured;
  }
  double x = 0;
  if (!ParseDouble(s, x)) return Cell::kBad;
  if (std::find(f.faults.begin(), f.faults.end(), x) != f.faults.end()) return Cell::kFault;
  if (std::fabs(x) > std::numeric_limits<float>::max()) return Cell::kHuge;
  v = x;
  return Cell::kMeasured;
}

// Reads rows into `table`, one at a time; each row is converted fully before it is added.
class RowConverter {
 public:
  RowConverter(const CsvMapping& m, const Layout& l, ImportReport& r) : m_(m), l_(l), r_(r) {
    for (const auto& f : m.features) r.columns.push_back({f.column, f.name, 0, 0, 0});
    for (const auto& d : m.defects) r.columns.push_back({d.column, d.name, 0, 0, 0});
    values_.resize(m.features.size());
    defects_.resize(m.defects.size());
    cells_.resize(m.features.size() + m.defects.size());
  }

  // Converts one record; returns "" and appends it to `t`, or returns why the row is broken
  // (with `column` set to the culprit).
  std::string Convert(const std::vector<std::string>& fields, ShotTable& t, std::string& column) {
    if (fields.size() != l_.fields) {
      return "has " + std::to_string(fields.size()) + " fields, the header has " +
             std::to_string(l_.fields);
    }
    int64_t time = 0;
    const std::string_view ts = Trim(fields[l_.time]);
    if (!ParseTime(ts, m_, time)) {
      column = m_.time_column;
      return "'" + std::string(ts) + "' is not a time in the mapping's format";
    }
    std::int8_t label = kLabelUnknown;
    if (l_.label >= 0) {
      const std::string_view s = Trim(fields[l_.label]);
      if (Contains(m_.scrap_values, s))
        label = 1;
      else if (Contains(m_.pass_values, s))
        label = 0;
      else if (!Contains(m_.blank_values, s)) {
        column = m_.label_column;
        return "'" + std::string(s) + "' is neither a scrap nor a pass value";
      }
    }
    for (std::size_t f = 0; f < values_.size(); ++f) {
      cells_[f] = ReadFeature(fields[l_.features[f]], m_.features[f], m_, values_[f]);
      if (cells_[f] == Cell::kBad || cells_[f] == Cell::kHuge) {
        column = m_.features[f].column;
        return "'" + std::string(Trim(fields[l_.features[f]])) + "' is " +
               (cells_[f] == Cell::kHuge ? "too large for a measured value (over 3.4e38)"
                                         : "not a number") +
               (m_.features[f].categories.empty() ? "" : " nor a listed category");
      }
    }
    for (std::size_t d = 0; d < defects_.size(); ++d) {
      double v = 0;
      Cell& c = cells_[values_.size() + d];
      c = ReadFeature(fields[l_.defects[d]], m_.defects[d], m_, v);
      if (c == Cell::kBad || c == Cell::kHuge) {
        column = m_.defects[d].column;
        return "'" + std::string(Trim(fields[l_.defects[d]])) + "' is not a number of defects";
      }
      defects_[d] = std::isnan(v) ? kLabelUnknown : static_cast<std::int8_t>(v > 0);
    }
    Append(fields, time, label, t);
    return "";
  }

 private:
  void Append(const std::vector<std::string>& fields, int64_t time, std::int8_t label,
              ShotTable& t) {
    auto text = [&fields](int col, const std::string& fallback) {
      const std::string_view s = col < 0 ? std::string_view() : Trim(fields[col]);
      return s.empty() ? fallback : std::string(s);
    };
    t.time_ms.push_back(time);
    t.machine.push_back(text(l_.machine, m_.machine_constant));
    t.die.push_back(text(l_.die, m_.die_constant));
    t.label.push_back(label);
    auto flag = [&fields](int col, const FlagColumn& fc) -> std::uint8_t {
      return col >= 0 && Contains(fc.values, Trim(fields[col]));
    };
    t.stopped.push_back(flag(l_.stopped, m_.stopped));
    t.try_shot.push_back(flag(l_.try_shot, m_.try_shot));
    for (std::size_t f = 0; f < values_.size(); ++f) t.features[f].push_back(values_[f]);
    for (std::size_t d = 0; d < defects_.size(); ++d) t.defects[d].push_back(defects_[d]);
    cells_of_rows_.insert(cells_of_rows_.end(), cells_.begin(), cells_.end());
  }

 public:
  // Counts each column's measured, blank and faulty cells, and the unknown labels, over the
  // imported rows that `keep` keeps (all when it is empty): a row dropped after it was read
  // (a jumped clock) is in no bin.
  void CountKept(const ShotTable& t, const std::vector<bool>& keep) {
    const std::size_t cols = cells_.size();
    for (std::size_t i = 0; cols > 0 && i < cells_of_rows_.size() / cols; ++i) {
      if (!keep.empty() && !keep[i]) continue;
      for (std::size_t c = 0; c < cols; ++c) {
        ColumnReport& cr = r_.columns[c];
        const Cell cell = cells_of_rows_[i * cols + c];
        (cell == Cell::kMeasured ? cr.measured : cell == Cell::kBlank ? cr.blank : cr.fault)++;
      }
    }
    for (std::size_t i = 0; i < t.label.size(); ++i)
      r_.labels_unknown += (keep.empty() || keep[i]) && t.label[i] == kLabelUnknown;
  }

 private:
  std::vector<Cell> cells_of_rows_;  // each imported row's cells, row after row

  const CsvMapping& m_;
  const Layout& l_;
  ImportReport& r_;
  std::vector<double> values_;
  std::vector<std::int8_t> defects_;
  std::vector<Cell> cells_;
};

std::string FixFor(const std::string& column) {
  return column.empty() ? "Correct or delete the row so it has one value per header column"
                        : "Correct or delete the row, or list the value in the mapping (faults, "
                          "blank_values, categories or label values); --strict off skips such rows";
}

}  // namespace

std::int64_t ParseMappingTime(std::string_view text, const CsvMapping& mapping) {
  std::string s(Trim(text));
  if (s.size() == 10 && mapping.time_format == TimeFormat::kIso) s += " 00:00";
  int64_t ms = 0;
  if (!ParseTime(s, mapping, ms)) {
    throw Error(ErrorCategory::kInput, "'" + std::string(text) + "' is not a time",
                mapping.time_format == TimeFormat::kIso
                    ? "Write it as YYYY-MM-DD or YYYY-MM-DD hh:mm[:ss], in the file's local time"
                    : "Write it as the file writes times (epoch seconds or milliseconds)");
  }
  return ms;
}

std::string ImportReport::Summary() const {
  std::ostringstream o;
  o << "read " << rows << " rows, imported " << imported << ", skipped " << skipped
    << " broken rows";
  if (skipped > 0) {
    o << " (first: ";
    for (std::size_t i = 0; i < first_bad_rows.size(); ++i) {
      const BadRow& b = first_bad_rows[i];
      o << (i ? "; " : "") << "line " << b.line << (b.column.empty() ? "" : " column " + b.column)
        << ": " << b.message;
    }
    o << ")";
  }
  if (duplicate_rows > 0)
    o << "; " << duplicate_rows << " rows repeat an earlier row exactly and are counted once";
  o << "; " << labels_unknown << " without a label; " << seconds << " s\n";
  for (const ColumnReport& c : columns) {
    if (c.blank == 0 && c.fault == 0) continue;
    o << "  " << c.name << ": " << c.measured << " measured, " << c.blank << " blank, " << c.fault
      << " faults -> not measured\n";
  }
  return o.str();
}

ImportResult ImportCsvText(std::string_view text, const CsvMapping& mapping,
                           const ImportOptions& options) {
  const auto start = std::chrono::steady_clock::now();
  ImportResult out;
  ImportReport& r = out.report;
  if (text.substr(0, 3) == "\xEF\xBB\xBF") {
    text.remove_prefix(3);
    r.had_bom = true;
  }
  // UTF-16 (Excel's "Unicode text", PowerShell's default) puts a zero byte beside every ASCII
  // character; with or without its byte-order mark it is no UTF-8 and no CP949 either.
  if (const std::string_view head = text.substr(0, 512);
      text.starts_with("\xFF\xFE") || text.starts_with("\xFE\xFF") ||
      head.find('\0') != std::string_view::npos) {
    throw Error(ErrorCategory::kData, "the CSV is UTF-16 (or holds zero bytes), not UTF-8 text",
                "Convert it to UTF-8 first, e.g. iconv -f UTF-16 -t UTF-8 in.csv > out.csv");
  }
  if (const std::size_t bad = FirstInvalidUtf8Line(text); bad > 0) {
    throw Error(ErrorCategory::kData,
                "the CSV is not UTF-8 (first invalid byte on line " + std::to_string(bad) + ")",
                "Convert it to UTF-8 first, e.g. iconv -f CP949 -t UTF-8 in.csv > out.csv "
                "(CP949/EUC-KR for Korean plant exports; use the file's real encoding)");
  }
  // Lines ending in CR alone (classic Mac, some exports) read as one huge line whose "header"
  // lacks the mapped columns: say what is wrong with the file instead.
  if (const std::string_view head = text.substr(0, 1 << 16);
      head.find('\r') != std::string_view::npos && head.find('\n') == std::string_view::npos) {
    throw Error(ErrorCategory::kData, "the CSV's lines end in CR alone, not LF or CR LF",
                "Convert its line ends first, e.g. tr '\\r' '\\n' < in.csv > out.csv");
  }
  CsvReader reader(text, mapping.delimiter);
  std::vector<std::string> fields;
  std::size_t line = 0;
  bool ok = true;
  if (!reader.Next(fields, line, ok) || (fields.size() == 1 && fields[0].empty())) {
    throw Error(ErrorCategory::kData, "the CSV is empty (no header line)",
                "Give a CSV file whose first line names the columns");
  }
  for (auto& h : fields) h = std::string(Trim(h));
  const Layout layout = LocateColumns(fields, mapping);
  ShotTable& t = out.table;
  for (const auto& f : mapping.features) t.feature_names.push_back(f.name);
  t.features.resize(mapping.features.size());
  for (const auto& d : mapping.defects) t.defect_names.push_back(d.name);
  t.defects.resize(mapping.defects.size());
  RowConverter convert(mapping, layout, r);
  std::vector<std::size_t> row_lines;  // the file's line of each imported row
  // Rows seen, field by field: a file exported twice and joined would count every shot twice
  // and narrow every interval. (Two real shots agree in time, machine and every value rarely.)
  std::unordered_set<std::string> seen;
  std::string key;
  while (reader.Next(fields, line, ok)) {
    if (fields.size() == 1 && fields[0].empty()) {
      ++r.empty_lines;
      continue;
    }
    ++r.rows;
    // A quote that is not closed on its line but by another quote lines later: the record
    // holds every line between, so it has the wrong number of fields; only its first line is
    // broken, and reading goes on after it.
    if (ok && reader.SpannedLines() && fields.size() != layout.fields) {
      reader.RestartAfterFirstLine();
      ok = false;
    }
    key.clear();
    for (const std::string& f : fields) (key += f) += '\x1f';
    if (ok && seen.count(key) > 0) {  // only rows that were imported count as seen
      ++r.duplicate_rows;
      continue;
    }
    std::string column;
    std::string why = ok ? convert.Convert(fields, t, column)
                         : "has a quote that is not closed (a quote inside a field is written "
                           "twice: \"\")";
    if (why.empty()) {
      row_lines.push_back(line);
      seen.insert(key);
      continue;
    }
    constexpr std::size_t kShown = 300;  // a broken field can be megabytes: quote its start
    if (why.size() > kShown)
      why = why.substr(0, kShown) + "... (" + std::to_string(why.size()) + " characters)";
    const std::string where =
        "line " + std::to_string(line) + (column.empty() ? "" : ", column '" + column + "'");
    if (options.bad_rows == BadRowPolicy::kStrict)
      throw Error(ErrorCategory::kData, where + ": " + why, FixFor(column));
    ++r.skipped;
    if (r.first_bad_rows.size() < options.max_listed_bad_rows)
      r.first_bad_rows.push_back({line, column, why});
  }
  const std::vector<bool> keep = JumpedClocks(t, row_lines, mapping.time_column, options, r);
  convert.CountKept(t, keep);
  if (!keep.empty()) t = SelectRows(t, keep);
  r.imported = t.size();
  t.CheckConsistent();
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return out;
}

ImportResult ImportCsvFile(const std::filesystem::path& path, const CsvMapping& mapping,
                           const ImportOptions& options) {
  const auto start = std::chrono::steady_clock::now();
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    throw Error(ErrorCategory::kIo, "'" + path.string() + "' is a folder, not a CSV file",
                "Give the path of the CSV file itself");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw Error(ErrorCategory::kIo, "cannot open CSV file '" + path.string() + "'",
                "Check the path and its permissions");
  }
  std::ostringstream text;
  text << in.rdbuf();
  ImportResult out = ImportCsvText(text.str(), mapping, options);
  // Report the time a user waits, reading the file included.
  out.report.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return out;
}

}  // namespace linesight::process
