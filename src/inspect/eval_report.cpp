#include "inspect/eval_report.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <map>
#include <sstream>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "core/error.h"
#include "core/html_text.h"
#include "inspect/base64.h"
#include "inspect/report_charts.h"

namespace linesight {
namespace {

constexpr int kMaxOverlaySide = 320;  // pixels; overlays are shrunk to this in the HTML

std::string Pct(double fraction) { return FormatNumber("%.2f%%", 100.0 * fraction); }
std::string Metric(double v) { return FormatNumber("%.4f", v); }

// A float as the double with the fewest digits that reads back as the same float, so that JSON
// shows 0.85 rather than 0.85000002384185791.
double Shortest(float v) {
  for (int digits = 6; digits < 9; ++digits) {
    char buf[32];
    std::snprintf(buf, sizeof(buf), "%.*g", digits, static_cast<double>(v));
    const double d = std::strtod(buf, nullptr);
    if (static_cast<float>(d) == v) return d;
  }
  return v;
}

double Rate(int64_t count, int64_t total) {
  return total > 0 ? static_cast<double>(count) / static_cast<double>(total) : 0.0;
}

bool HasBothClasses(const EvalReport& r) {
  return !r.good_scores.empty() && !r.defect_scores.empty();
}

// ---- HTML sections ----

std::string InfoRow(const std::string& label, const std::string& value) {
  if (value.empty()) return "";
  return "<dt>" + HtmlEscape(label) + "</dt><dd>" + HtmlEscape(value) + "</dd>\n";
}

std::string Header(const EvalReport& r) {
  std::ostringstream s;
  s << "<header><h1>" << HtmlEscape(r.title) << "</h1><p class=\"sub\">" << r.good_scores.size()
    << " good and " << r.defect_scores.size() << " defect parts evaluated";
  if (r.good_held + r.defect_held > 0)
    s << ", " << r.good_held + r.defect_held << " of them held (rejected by the line)";
  if (!r.generated_at.empty()) s << " · " << HtmlEscape(r.generated_at);
  s << "</p></header>\n<section class=\"card\"><h2>Model</h2><dl class=\"info\">\n"
    << InfoRow("Model file", r.model_path) << InfoRow("Kind", r.model_kind)
    << InfoRow("Version", r.model_version) << InfoRow("Recipe", r.recipe_name)
    << InfoRow("Trained on",
               r.trained_images > 0 ? std::to_string(r.trained_images) + " images" : "")
    << InfoRow("Evaluated on", r.data_path) << "</dl></section>\n";
  return s.str();
}

std::string Kpi(const std::string& label, const std::string& value, const std::string& note) {
  return "<div class=\"kpi\"><div class=\"v\">" + HtmlEscape(value) + "</div><div class=\"l\">" +
         HtmlEscape(label) + "</div><div class=\"n\">" + HtmlEscape(note) + "</div></div>\n";
}

// A table row; NaN rates and thresholds show as a dash.
std::string OperatingRow(const std::string& name, const OperatingPoint& p) {
  auto cell = [](double v, bool pct) {
    return std::isnan(v) ? std::string("—") : pct ? Pct(v) : ShortNumber(v);
  };
  return "<tr><td>" + HtmlEscape(name) + "</td><td class=\"num\">" + cell(p.threshold, false) +
         "</td><td class=\"num\">" + cell(p.false_reject_rate, true) + "</td><td class=\"num\">" +
         cell(p.escape_rate, true) + "</td></tr>\n";
}

std::string MetricsSection(const EvalReport& r) {
  const Confusion& c = r.confusion;
  const int64_t n_good = c.good_passed + c.good_rejected;
  const int64_t n_defect = c.defect_passed + c.defect_rejected;
  std::ostringstream s;
  s << "<section class=\"card\"><h2>Metrics</h2><div class=\"kpis\">\n"
    << Kpi("Image AUROC", Metric(r.image_auroc), "1 = perfect separation");
  if (r.pixel_auroc) s << Kpi("Pixel AUROC", Metric(*r.pixel_auroc), "over all mask pixels");
  if (r.aupro) s << Kpi("AUPRO", Metric(*r.aupro), "per-region overlap, FPR ≤ 30%");
  s << Kpi("False rejects at ≤ 1% escapes", Pct(r.frr_at_escape_1pct), "best threshold")
    << Kpi("Escapes at ≤ 2% false rejects", Pct(r.escape_at_frr_2pct), "best threshold")
    << "</div>\n<div class=\"tables\">\n";

  // The report stores one rate of each operating point; the scores give the rest.
  const double nan = std::nan("");
  OperatingPoint at_escape{nan, r.frr_at_escape_1pct, nan};
  OperatingPoint at_frr{nan, nan, r.escape_at_frr_2pct};
  if (HasBothClasses(r)) {
    at_escape = FrrAtEscape(r.good_scores, r.defect_scores, 0.01);
    at_frr = EscapeAtFrr(r.good_scores, r.defect_scores, 0.02);
  }
  const OperatingPoint model{r.threshold, Rate(c.good_rejected, n_good),
                             Rate(c.defect_passed, n_defect)};
  s << "<div><h3>Operating points</h3><table><thead><tr><th>Operating point</th>"
       "<th class=\"num\">Threshold</th><th class=\"num\">False rejects</th>"
       "<th class=\"num\">Escapes</th></tr></thead><tbody>\n"
    << OperatingRow("Model threshold", model) << OperatingRow("Escapes ≤ 1%", at_escape)
    << OperatingRow("False rejects ≤ 2%", at_frr)
    << "</tbody></table><p class=\"note\">A part is rejected when its score is above the "
       "threshold.</p></div>\n";
  const bool decided = !r.parts.empty();
  s << "<div><h3>Verdicts at the model threshold</h3><table class=\"confusion\"><thead><tr>"
       "<th></th><th class=\"num\">Passed</th><th class=\"num\">Rejected</th>"
       "<th class=\"num\">of which held</th></tr></thead><tbody>"
    << "<tr><th>Good (" << n_good << ")</th><td class=\"num ok\">" << c.good_passed
    << "</td><td class=\"num bad\">" << c.good_rejected << " <small>false rejects</small></td>"
    << "<td class=\"num\">" << r.good_held << "</td></tr>"
    << "<tr><th>Defect (" << n_defect << ")</th><td class=\"num bad\">" << c.defect_passed
    << " <small>escapes</small></td><td class=\"num ok\">" << c.defect_rejected << "</td>"
    << "<td class=\"num\">" << r.defect_held << "</td></tr></tbody></table><p class=\"note\">"
    << (decided ? "Counted from the verdicts the line gives. A held part (the inspection could "
                  "not finish) is rejected by the line: a held good part counts as a false "
                  "reject, a held defect as caught."
                : "Counted at score &gt; threshold.")
    << "</p></div>\n</div></section>\n";
  return s.str();
}

// The scores as the charts take them: held parts left out of the histograms (their scores are
// placeholders), kept in the ROC curve (the line rejects them at any threshold).
struct ChartScores {
  std::vector<float> good, defect;
  int64_t held = 0;
};

ChartScores Unheld(const EvalReport& r) {
  ChartScores out;
  if (r.parts.empty()) {
    out.good = r.good_scores;
    out.defect = r.defect_scores;
    return out;
  }
  for (const EvaluatedPart& p : r.parts) {
    if (p.decision == Decision::kHold) {
      ++out.held;
      continue;
    }
    (p.is_defect ? out.defect : out.good).push_back(p.score);
  }
  return out;
}

std::string ChartsSection(const EvalReport& r) {
  const ChartScores u = Unheld(r);
  const Confusion* line = r.parts.empty() ? nullptr : &r.confusion;
  std::ostringstream s;
  s << "<section class=\"card\"><div class=\"charts\"><div><h2>ROC curve</h2>"
    << RocCurveSvg(r.good_scores, r.defect_scores, r.threshold, line)
    << "<p class=\"note\">The false-reject axis is logarithmic: the line's working range (below a "
       "few percent) takes most of the width.</p></div>"
    << "<div><h2>Scores around the threshold</h2>"
    << ScoreHistogramSvg(u.good, u.defect, r.threshold, OverlapRange(u.good, u.defect, r.threshold))
    << "<p class=\"note\">Where good and defect parts mix. Good bars right of the threshold are "
       "false rejects, defect bars left of it escapes. Counts on a log scale; the end bins hold "
       "everything beyond them.</p></div>"
    << "<div><h2>All scores</h2>" << ScoreHistogramSvg(u.good, u.defect, r.threshold);
  if (u.held > 0)
    s << "<p class=\"note\">" << u.held
      << " held parts are not in the histograms: they have no real score (the line rejects "
         "them).</p>";
  s << "</div></div></section>\n";
  return s.str();
}

// A file path as a relative URL from the report's folder (percent-encoding what a URL path
// cannot hold), so the link works wherever the report and the images are moved together.
std::string FileLink(const std::string& target, const std::filesystem::path& report) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::path base = report.parent_path().empty() ? fs::path(".") : report.parent_path();
  fs::path rel = fs::proximate(fs::path(target), base, ec);
  if (ec || rel.empty()) rel = fs::path(target);
  std::string out;
  for (unsigned char c : rel.generic_string()) {
    if (std::isalnum(c) || std::strchr("/-._~", c) != nullptr) {
      out += static_cast<char>(c);
    } else {
      char buf[4];
      std::snprintf(buf, sizeof(buf), "%%%02X", c);
      out += buf;
    }
  }
  return out;
}

std::string ClassSection(const EvalReport& r) {
  if (r.parts.empty()) return "";
  const std::vector<DefectClassStats> classes = DefectClassTable(r);
  if (classes.empty()) return "";
  std::ostringstream s;
  s << "<section class=\"card\"><h2>Defect classes</h2><table><thead><tr><th>Class</th>"
       "<th class=\"num\">Parts</th><th class=\"num\">Caught</th><th class=\"num\">of which "
       "held</th><th class=\"num\">Escaped</th><th class=\"num\">Escape rate</th>"
       "<th class=\"num\">AUROC</th></tr></thead><tbody>\n";
  for (const DefectClassStats& c : classes) {
    s << "<tr><td>" << HtmlEscape(c.name) << "</td><td class=\"num\">" << c.parts
      << "</td><td class=\"num\">" << c.rejected + c.held << "</td><td class=\"num\">" << c.held
      << "</td><td class=\"num" << (c.escaped > 0 ? " bad" : "") << "\">" << c.escaped
      << "</td><td class=\"num\">" << Pct(Rate(c.escaped, c.parts)) << "</td><td class=\"num\">"
      << (std::isnan(c.auroc) ? std::string("—") : Metric(c.auroc)) << "</td></tr>\n";
  }
  s << "</tbody></table><p class=\"note\">At the model threshold, from the line's verdicts. "
       "AUROC: this class against all good parts. A class is the defect image's subfolder, or "
       "its file name up to the first '_'.</p></section>\n";
  return s.str();
}

constexpr size_t kRowsPerPage = 100;

// Every part the line got wrong (a good part not passed, a defect passed) and every hold, linked
// to its image, in pages of kRowsPerPage.
std::string WrongSection(const EvalReport& r, const std::filesystem::path& report_path) {
  if (r.parts.empty()) return "";
  std::vector<const EvaluatedPart*> rows;
  for (const EvaluatedPart& p : r.parts) {
    const bool wrong = p.is_defect ? p.decision == Decision::kPass : p.decision != Decision::kPass;
    if (wrong || p.decision == Decision::kHold) rows.push_back(&p);
  }
  // False rejects by falling score, then escapes by rising score, then held defects.
  auto rank = [](const EvaluatedPart* p) {
    return !p->is_defect ? 0 : p->decision == Decision::kPass ? 1 : 2;
  };
  std::stable_sort(rows.begin(), rows.end(), [&](const auto* a, const auto* b) {
    if (rank(a) != rank(b)) return rank(a) < rank(b);
    return rank(a) == 1 ? a->score < b->score : a->score > b->score;
  });
  std::ostringstream s;
  s << "<section class=\"card\" id=\"wrong\"><h2>Wrong verdicts and holds (" << rows.size()
    << ")</h2><p>";
  if (rows.empty()) s << "None: every good part passed and every defect was rejected. ";
  if (!r.scores_csv.empty()) {
    s << "Every part's score and verdict: <a href=\"" << FileLink(r.scores_csv, report_path)
      << "\">" << HtmlEscape(std::filesystem::path(r.scores_csv).filename().string()) << "</a>.";
  } else {
    s << "<span class=\"note\">Run <code>eval --scores FILE</code> to get every part's score as "
         "CSV.</span>";
  }
  s << "</p>\n";
  for (size_t page = 0; page * kRowsPerPage < rows.size(); ++page) {
    const size_t begin = page * kRowsPerPage;
    const size_t end = std::min(rows.size(), begin + kRowsPerPage);
    s << "<details" << (page == 0 ? " open" : "") << "><summary>" << begin + 1 << "–" << end
      << " of " << rows.size()
      << "</summary><table class=\"wrong\"><thead><tr><th>#</th>"
         "<th>Part</th><th>Truth</th><th class=\"num\">Score</th><th>Verdict</th><th>What it "
         "means</th></tr></thead><tbody>\n";
    for (size_t i = begin; i < end; ++i) {
      const EvaluatedPart& p = *rows[i];
      const std::string verdict(DecisionName(p.decision));
      std::string meaning =
          p.is_defect ? (p.decision == Decision::kPass ? "escape" : "caught") : "false reject";
      if (p.decision == Decision::kHold)
        meaning += std::string(", held: ") + std::string(HoldReasonName(p.reason));
      s << "<tr><td class=\"num\">" << i + 1 << "</td><td class=\"name\">";
      if (p.path.empty()) {
        s << HtmlEscape(p.name);
      } else {
        s << "<a href=\"" << FileLink(p.path, report_path) << "\">" << HtmlEscape(p.name) << "</a>";
      }
      s << "</td><td>" << (p.is_defect ? "defect: " + HtmlEscape(p.defect_class) : "good")
        << "</td><td class=\"num\">" << (p.decision == Decision::kHold ? "—" : ShortNumber(p.score))
        << "</td><td><span class=\"badge " << verdict << "\">" << verdict << "</span></td><td>"
        << HtmlEscape(meaning) << "</td></tr>\n";
    }
    s << "</tbody></table></details>\n";
  }
  s << "</section>\n";
  return s.str();
}

// The overlay as a data URI, shrunk to kMaxOverlaySide. REQUIRES: 8-bit, 1 or 3 channels.
std::string PngDataUri(const cv::Mat& overlay) {
  cv::Mat img = overlay;
  const int side = std::max(overlay.cols, overlay.rows);
  if (side > kMaxOverlaySide) {
    const double f = static_cast<double>(kMaxOverlaySide) / side;
    cv::resize(overlay, img, cv::Size(), f, f, cv::INTER_AREA);
  }
  std::vector<uint8_t> png;
  if (!cv::imencode(".png", img, png)) {
    throw Error(ErrorCategory::kInternal, "PNG encoding of a report overlay failed",
                "report this bug with the image that caused it");
  }
  return "data:image/png;base64," + Base64Encode(png);
}

std::string PartCard(const ReportPart& p, double threshold) {
  std::string verdict = p.verdict;
  std::transform(verdict.begin(), verdict.end(), verdict.begin(),
                 [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
  // Wrong when the line is: a good part rejected or held (the line rejects held parts), a defect
  // passed. Without a verdict, judge by the score.
  const bool held = verdict == "hold";
  const bool rejected = verdict.empty() ? p.score > threshold : verdict == "reject" || held;
  const bool passed = verdict.empty() ? !rejected : verdict == "pass";
  const bool wrong = p.is_defect ? passed : rejected;
  const std::string badge = verdict == "pass" || verdict == "reject" || verdict == "hold"
                                ? verdict
                                : std::string("other");
  std::ostringstream s;
  s << "<figure" << (wrong ? " class=\"wrong\"" : "") << ">";
  if (p.overlay.empty()) {
    s << "<div class=\"noimg\">no heatmap</div>";
  } else {
    s << "<img alt=\"heatmap of " << HtmlEscape(p.name) << "\" src=\"" << PngDataUri(p.overlay)
      << "\">";
  }
  s << "<figcaption><div class=\"name\">" << HtmlEscape(p.name) << "</div><div class=\"meta\">"
    << (p.is_defect ? "defect" : "good") << " · score " << (held ? "—" : ShortNumber(p.score))
    << " <span class=\"badge " << badge << "\">" << HtmlEscape(p.verdict.empty() ? "—" : p.verdict)
    << "</span>";
  if (wrong)
    s << " <span class=\"flag\">"
      << (p.is_defect ? "escape"
          : held      ? "false reject (held)"
                      : "false reject")
      << "</span>";
  s << "</div>";
  if (!p.detail.empty()) s << "<div class=\"detail\">" << HtmlEscape(p.detail) << "</div>";
  s << "</figcaption></figure>\n";
  return s.str();
}

std::string PartsSection(const EvalReport& r) {
  if (r.worst_parts.empty()) return "";
  std::ostringstream s;
  s << "<section class=\"card\"><h2>Worst-scored parts</h2>\n<p class=\"note\">Colour: anomaly "
       "in units of the threshold, clear below 0.5, <span class=\"sw heat\"></span> blue to red "
       "from 0.5 to 2 (1 = the threshold). <span class=\"sw box\"></span> findings, with their "
       "severity; <span class=\"sw rim\"></span> rim found; <span class=\"sw ign\"></span> "
       "ignored regions; <span class=\"sw mask\"></span> the defect's mask, when given. A held "
       "part not found shows <span class=\"sw search\"></span> the search region and size range, "
       "<span class=\"sw edge\"></span> the edges seen and <span class=\"sw tried\"></span> the "
       "rim tried and rejected.</p>\n";
  if (!r.parts.empty())
    s << "<p class=\"note\">Every wrong verdict and hold is listed <a "
         "href=\"#wrong\">below</a>.</p>\n";
  for (const bool defect : {false, true}) {
    std::vector<const ReportPart*> parts;
    for (const ReportPart& p : r.worst_parts) {
      if (p.is_defect == defect) parts.push_back(&p);
    }
    if (parts.empty()) continue;
    // Worst first: good parts by falling score, defects by rising score.
    std::stable_sort(parts.begin(), parts.end(), [defect](const auto* a, const auto* b) {
      return defect ? a->score < b->score : a->score > b->score;
    });
    s << "<h3>"
      << (defect ? "Defects with the lowest scores" : "Good parts with the highest scores")
      << "</h3><div class=\"grid\">\n";
    for (const ReportPart* p : parts) s << PartCard(*p, r.threshold);
    s << "</div>\n";
  }
  s << "</section>\n";
  return s.str();
}

constexpr const char* kCss = R"css(
:root{--good:#2f74b5;--defect:#dd6b20;--ink:#1f2933;--muted:#66788a;--line:#e2e8f0;--bg:#f4f6f9}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--ink);
  font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}
main{max-width:1140px;margin:0 auto;padding:32px 24px 56px}
header h1{margin:0;font-size:26px;letter-spacing:-.01em}
.sub{margin:2px 0 0;color:var(--muted)}
.card{background:#fff;border:1px solid var(--line);border-radius:10px;padding:20px 24px;
  margin:20px 0;box-shadow:0 1px 2px rgba(16,24,40,.04)}
h2{font-size:17px;margin:0 0 14px}
h3{font-size:14px;margin:18px 0 8px;color:var(--muted);font-weight:600}
dl.info{display:grid;grid-template-columns:max-content 1fr;gap:4px 24px;margin:0}
dt{color:var(--muted)}
dd{margin:0;font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:14px;
  word-break:break-all}
.kpis{display:grid;grid-template-columns:repeat(auto-fit,minmax(170px,1fr));gap:12px}
.kpi{border:1px solid var(--line);border-radius:8px;padding:12px 14px;background:#fbfcfd}
.kpi .v{font-size:26px;font-weight:650;font-variant-numeric:tabular-nums}
.kpi .l{font-size:13px;font-weight:600}
.kpi .n{font-size:12px;color:var(--muted)}
.tables{display:flex;flex-wrap:wrap;gap:16px 48px}
table{border-collapse:collapse;font-size:14px}
th,td{padding:6px 12px;border-bottom:1px solid var(--line);text-align:left}
thead th{color:var(--muted);font-weight:600;font-size:13px}
.num{text-align:right;font-variant-numeric:tabular-nums}
.confusion td.ok{background:#eef8f1}
.confusion td.bad{background:#fdf0ec}
small{color:var(--muted)}
.note{font-size:12px;color:var(--muted);margin:6px 0 0}
.nodata{color:var(--muted);font-style:italic}
.charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(420px,1fr));gap:24px}
svg{width:100%;height:auto;max-width:560px;display:block}
svg text{font-size:12px;fill:#52606d;font-family:system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif}
svg text.axis{font-size:13px;fill:var(--ink)}
svg .plot{fill:#fbfcfd;stroke:#cbd2d9}
svg .grid{stroke:#e4e7eb}
svg .diag{fill:none;stroke:#9aa5b1;stroke-dasharray:5 4}
svg .roc{fill:none;stroke:var(--good);stroke-width:2.2;stroke-linejoin:round}
svg .roc-area{fill:var(--good);opacity:.08}
svg .thr{fill:#fff;stroke:#1f2933;stroke-width:2}
svg text.thr-label,svg text.legend{fill:var(--ink);font-weight:600}
svg .thr-line{stroke:#1f2933;stroke-width:1.5;stroke-dasharray:6 4}
svg .bar-good{fill:var(--good);opacity:.55}
svg .bar-defect{fill:var(--defect);opacity:.55}
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(200px,1fr));gap:14px}
figure{margin:0;border:1px solid var(--line);border-radius:8px;overflow:hidden;background:#fff}
figure.wrong{border-color:#e9a48f;box-shadow:0 0 0 2px #fbe1d8}
figure img{display:block;width:100%;height:260px;object-fit:contain;background:#111}
.noimg{aspect-ratio:1;display:flex;align-items:center;justify-content:center;color:var(--muted);
  background:#eef1f4;font-size:13px}
figcaption{padding:8px 10px;font-size:13px}
.name{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;word-break:break-all}
.meta{color:var(--muted);margin-top:2px}
.badge{display:inline-block;white-space:nowrap;padding:0 8px;border-radius:999px;font-size:12px;font-weight:600}
.badge.pass{background:#e3f4e8;color:#1e7b3c}
.badge.reject{background:#fde5df;color:#b3321b}
.badge.hold{background:#fff3d1;color:#8a5a00}
.badge.other{background:#eef1f4;color:#3e4c59}
.flag{color:#b3321b;font-weight:600;font-size:12px;white-space:nowrap}
footer{color:var(--muted);font-size:12px;text-align:center}
.detail{color:var(--muted);font-size:12px;margin-top:2px}
td.bad{color:#b3321b;font-weight:600}
details{margin:8px 0}
summary{cursor:pointer;color:var(--muted);font-size:13px}
table.wrong td.name{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:13px;word-break:break-all}
a{color:#1f5f99}
.sw{display:inline-block;width:14px;height:10px;vertical-align:middle;border-radius:2px}
.sw.heat{width:40px;background:linear-gradient(90deg,#00f,#0ff,#ff0,#f00,#800)}
.sw.box{border:2px solid #eb2828}
.sw.rim{border:2px solid #3cd23c;border-radius:50%}
.sw.ign{background:repeating-linear-gradient(135deg,#8caac8 0 2px,#dde6ef 2px 5px)}
.sw.mask{border:2px solid #ff3cff}
.sw.search{border:2px dashed #ffd700}
.sw.edge{background:radial-gradient(#50e6ff 35%,transparent 40%) 0 0/5px 5px}
.sw.tried{border:2px solid #ff8200;border-radius:50%}
)css";

}  // namespace

void FillImageMetrics(EvalReport& report) {
  if (!report.parts.empty()) {
    report.good_scores.clear();
    report.defect_scores.clear();
    report.confusion = Confusion();
    report.good_held = report.defect_held = 0;
    for (const EvaluatedPart& p : report.parts) {
      (p.is_defect ? report.defect_scores : report.good_scores).push_back(p.score);
      // The line's decision, never a rule of the report's own: a hold is rejected.
      const bool passed = p.decision == Decision::kPass;
      const bool held = p.decision == Decision::kHold;
      if (p.is_defect) {
        ++(passed ? report.confusion.defect_passed : report.confusion.defect_rejected);
        report.defect_held += held;
      } else {
        ++(passed ? report.confusion.good_passed : report.confusion.good_rejected);
        report.good_held += held;
      }
    }
  }
  report.image_auroc = Auroc(report.good_scores, report.defect_scores);
  report.frr_at_escape_1pct =
      FrrAtEscape(report.good_scores, report.defect_scores, 0.01).false_reject_rate;
  report.escape_at_frr_2pct =
      EscapeAtFrr(report.good_scores, report.defect_scores, 0.02).escape_rate;
  if (report.parts.empty())
    report.confusion = ConfusionAt(report.good_scores, report.defect_scores, report.threshold);
}

std::string DefectClassOf(const std::filesystem::path& image, const std::filesystem::path& root) {
  const std::filesystem::path rel = image.lexically_relative(root);
  if (!rel.empty() && *rel.begin() != ".." && std::distance(rel.begin(), rel.end()) > 1)
    return rel.begin()->string();
  const std::string stem = image.stem().string();
  const size_t cut = stem.find('_');
  if (cut == std::string::npos || cut == 0) return "unlabelled";
  // The simulator's names: part_<number>_<class>.
  const size_t cut2 = stem.find('_', cut + 1);
  if (cut2 != std::string::npos && cut2 + 1 < stem.size() && cut2 > cut + 1 &&
      std::all_of(stem.begin() + static_cast<std::ptrdiff_t>(cut + 1),
                  stem.begin() + static_cast<std::ptrdiff_t>(cut2),
                  [](unsigned char c) { return std::isdigit(c) != 0; }))
    return stem.substr(cut2 + 1);
  return stem.substr(0, cut);
}

std::vector<DefectClassStats> DefectClassTable(const EvalReport& report) {
  std::map<std::string, DefectClassStats> by_name;
  std::map<std::string, std::vector<float>> scores;
  std::vector<float> good;
  for (const EvaluatedPart& p : report.parts) {
    if (!p.is_defect) {
      good.push_back(p.score);
      continue;
    }
    const std::string name = p.defect_class.empty() ? "unlabelled" : p.defect_class;
    DefectClassStats& c = by_name[name];
    c.name = name;
    ++c.parts;
    c.rejected += p.decision == Decision::kReject;
    c.held += p.decision == Decision::kHold;
    c.escaped += p.decision == Decision::kPass;
    scores[name].push_back(p.score);
  }
  std::vector<DefectClassStats> out;
  for (auto& [name, c] : by_name) {
    c.auroc = good.empty() ? std::nan("") : Auroc(good, scores[name]);
    out.push_back(c);
  }
  return out;
}

nlohmann::json ToJson(const EvalReport& r) {
  nlohmann::json j;
  j["title"] = r.title;
  j["model"] = {{"path", r.model_path},
                {"kind", r.model_kind},
                {"version", r.model_version},
                {"recipe", r.recipe_name},
                {"trained_images", r.trained_images}};
  if (!r.data_path.empty()) j["data_path"] = r.data_path;
  if (!r.generated_at.empty()) j["generated_at"] = r.generated_at;
  j["n_good"] = r.good_scores.size();
  j["n_defect"] = r.defect_scores.size();
  j["image_auroc"] = r.image_auroc;
  if (r.pixel_auroc) j["pixel_auroc"] = *r.pixel_auroc;
  if (r.aupro) j["aupro"] = *r.aupro;
  j["frr_at_escape_1pct"] = r.frr_at_escape_1pct;
  j["escape_at_frr_2pct"] = r.escape_at_frr_2pct;
  j["threshold"] = r.threshold;
  j["confusion"] = {{"good_passed", r.confusion.good_passed},
                    {"good_rejected", r.confusion.good_rejected},
                    {"defect_passed", r.confusion.defect_passed},
                    {"defect_rejected", r.confusion.defect_rejected}};
  j["held"] = {{"good", r.good_held}, {"defect", r.defect_held}};
  if (!r.parts.empty()) {
    nlohmann::json classes = nlohmann::json::array();
    for (const DefectClassStats& c : DefectClassTable(r)) {
      nlohmann::json row = {{"class", c.name},
                            {"parts", c.parts},
                            {"rejected", c.rejected},
                            {"held", c.held},
                            {"escaped", c.escaped}};
      row["auroc"] = std::isnan(c.auroc) ? nlohmann::json() : nlohmann::json(c.auroc);
      classes.push_back(std::move(row));
    }
    j["by_class"] = std::move(classes);
  }
  nlohmann::json parts = nlohmann::json::array();
  for (const ReportPart& p : r.worst_parts) {
    parts.push_back({{"name", p.name},
                     {"is_defect", p.is_defect},
                     {"score", Shortest(p.score)},
                     {"verdict", p.verdict}});
  }
  j["worst_parts"] = std::move(parts);
  return j;
}

void WriteHtmlReport(const EvalReport& report, const std::filesystem::path& path) {
  for (const ReportPart& p : report.worst_parts) {
    if (!p.overlay.empty() && p.overlay.type() != CV_8UC3 && p.overlay.type() != CV_8UC1) {
      throw Error(
          ErrorCategory::kInput,
          "the overlay of part '" + p.name + "' has type " + cv::typeToString(p.overlay.type()),
          "pass heatmap overlays as 8-bit BGR images (CV_8UC3)");
    }
  }
  std::ostringstream html;
  html << "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
       << "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>"
       << HtmlEscape(report.title) << "</title>\n<style>" << kCss
       << "</style></head>\n<body><main>\n"
       << Header(report) << MetricsSection(report) << ClassSection(report) << ChartsSection(report)
       << PartsSection(report) << WrongSection(report, path)
       << "<footer>Generated by linesight eval.</footer>\n"
       << "</main></body></html>\n";
  const std::string text = html.str();

  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) {
    throw Error(ErrorCategory::kIo, "cannot open '" + path.string() + "' to write the report",
                "check that the folder exists and is writable");
  }
  out.write(text.data(), static_cast<std::streamsize>(text.size()));
  out.close();
  if (!out) {
    throw Error(ErrorCategory::kIo, "writing the report to '" + path.string() + "' failed",
                "check the disk space and permissions, then retry");
  }
}

}  // namespace linesight
