#include "inspect/report_charts.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>
#include <utility>
#include <vector>

#include "core/html_text.h"
#include "inspect/metrics.h"

namespace linesight {
namespace {

constexpr int kHistogramBins = 40;
// Every chart is drawn in a 440 x 340 box with a 356 x 250 plot area.
constexpr double kW = 440, kH = 340, kLeft = 64, kTop = 34, kPlotW = 356, kPlotH = 250;

double X(double u) { return kLeft + u * kPlotW; }  // u in [0, 1]
double Y(double v) { return kTop + (1 - v) * kPlotH; }

std::string SvgOpen(const std::string& label) {
  return "<svg viewBox=\"0 0 " + ShortNumber(kW) + " " + ShortNumber(kH) +
         "\" xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" aria-label=\"" + HtmlEscape(label) +
         "\">\n<rect x=\"" + ShortNumber(kLeft) + "\" y=\"" + ShortNumber(kTop) + "\" width=\"" +
         ShortNumber(kPlotW) + "\" height=\"" + ShortNumber(kPlotH) + "\" class=\"plot\"/>\n";
}

// Grid lines and tick labels: `xs`/`ys` are positions in [0, 1] with their labels.
std::string Axes(const std::vector<std::pair<double, std::string>>& xs,
                 const std::vector<std::pair<double, std::string>>& ys, const std::string& x_label,
                 const std::string& y_label) {
  std::ostringstream s;
  for (const auto& [u, text] : xs) {
    s << "<line class=\"grid\" x1=\"" << X(u) << "\" y1=\"" << Y(0) << "\" x2=\"" << X(u)
      << "\" y2=\"" << Y(1) << "\"/><text x=\"" << X(u) << "\" y=\"" << Y(0) + 16
      << "\" text-anchor=\"middle\">" << HtmlEscape(text) << "</text>\n";
  }
  for (const auto& [v, text] : ys) {
    s << "<line class=\"grid\" x1=\"" << X(0) << "\" y1=\"" << Y(v) << "\" x2=\"" << X(1)
      << "\" y2=\"" << Y(v) << "\"/><text x=\"" << X(0) - 6 << "\" y=\"" << Y(v) + 4
      << "\" text-anchor=\"end\">" << HtmlEscape(text) << "</text>\n";
  }
  s << "<text class=\"axis\" x=\"" << X(0.5) << "\" y=\"" << kH - 8 << "\" text-anchor=\"middle\">"
    << HtmlEscape(x_label) << "</text>\n"
    << "<text class=\"axis\" transform=\"translate(16 " << Y(0.5)
    << ") rotate(-90)\" text-anchor=\"middle\">" << HtmlEscape(y_label) << "</text>\n";
  return s.str();
}

std::string NoData(const std::string& why) {
  return "<p class=\"nodata\">" + HtmlEscape(why) + "</p>";
}

}  // namespace

namespace {

// The log false-reject axis: 0 at the left end, then decades from `lo` to 1.
constexpr double kZeroGap = 0.1;  // share of the axis between 0 and `lo`

double LogU(double fpr, double lo) {
  if (fpr <= 0) return 0;
  return kZeroGap +
         (1 - kZeroGap) * (std::log10(std::max(fpr, lo)) - std::log10(lo)) / -std::log10(lo);
}

std::string PercentLabel(double fraction) {
  const double pct = 100 * fraction;
  return FormatNumber(pct >= 1      ? "%.0f%%"
                      : pct >= 0.1  ? "%.1f%%"
                      : pct >= 0.01 ? "%.2f%%"
                                    : "%.3f%%",
                      pct);
}

}  // namespace

std::string RocCurveSvg(std::span<const float> good, std::span<const float> defect,
                        double threshold, const Confusion* line) {
  if (good.empty() || defect.empty()) {
    return NoData("No ROC curve: it needs both good and defect parts.");
  }
  const std::vector<RocPoint> curve = RocCurve(good, defect);
  // The lowest decade starts at or below one false reject, so the curve's first step shows.
  const double lo = std::max(
      1e-6, std::pow(10.0, std::floor(std::log10(1.0 / static_cast<double>(good.size())))));
  auto x_of = [lo](double fpr) { return X(LogU(fpr, lo)); };
  std::vector<std::pair<double, std::string>> xs = {{0, "0"}};
  for (double d = lo; d <= 1.0 + 1e-9; d *= 10) xs.push_back({LogU(d, lo), PercentLabel(d)});
  const std::vector<std::pair<double, std::string>> ys = {
      {0, "0%"}, {0.25, "25%"}, {0.5, "50%"}, {0.75, "75%"}, {1, "100%"}};
  std::ostringstream s;
  s << SvgOpen("ROC curve");
  s << Axes(xs, ys, "false-reject rate (good parts rejected, log scale)", "defects caught");
  // Chance: as many defects caught as good parts rejected.
  s << "<polyline class=\"diag\" points=\"";
  for (double u = 0; u <= 1.0001; u += 0.02) {
    const double fpr = std::pow(10.0, std::log10(lo) * (1 - u));
    s << x_of(fpr) << "," << Y(fpr) << " ";
  }
  s << "\"/>\n";
  std::ostringstream pts;
  for (const RocPoint& p : curve) pts << x_of(p.fpr) << "," << Y(p.tpr) << " ";
  s << "<polygon class=\"roc-area\" points=\"" << pts.str() << X(1) << "," << Y(0) << "\"/>\n";
  s << "<polyline class=\"roc\" points=\"" << pts.str() << "\"/>\n";
  const Confusion c = line ? *line : ConfusionAt(good, defect, threshold);
  const double n_good = static_cast<double>(c.good_passed + c.good_rejected);
  const double n_defect = static_cast<double>(c.defect_passed + c.defect_rejected);
  const double fpr = n_good > 0 ? static_cast<double>(c.good_rejected) / n_good : 0;
  const double tpr = n_defect > 0 ? static_cast<double>(c.defect_rejected) / n_defect : 0;
  const bool right = LogU(fpr, lo) > 0.6;  // keep the label inside the plot
  s << "<circle class=\"thr\" cx=\"" << x_of(fpr) << "\" cy=\"" << Y(tpr) << "\" r=\"5\"/>\n"
    << "<text class=\"thr-label\" x=\"" << x_of(fpr) + (right ? -9 : 9) << "\" y=\""
    << Y(tpr) + (tpr > 0.75 ? 18 : -8) << "\" text-anchor=\"" << (right ? "end" : "start")
    << "\">threshold " << ShortNumber(threshold) << "</text>\n";
  s << "<text class=\"legend\" x=\"" << X(0.97) << "\" y=\"" << Y(0.06)
    << "\" text-anchor=\"end\">AUROC " << FormatNumber("%.4f", Auroc(good, defect)) << "</text>\n";
  s << "</svg>\n";
  return s.str();
}

namespace {

// A round tick step (1, 2 or 5 times a power of ten) giving about `count` ticks over `span`.
double NiceStep(double span, int count) {
  const double raw = span / count;
  const double mag = std::pow(10.0, std::floor(std::log10(raw)));
  const double norm = raw / mag;
  return (norm < 1.5 ? 1 : norm < 3 ? 2 : norm < 7 ? 5 : 10) * mag;
}

}  // namespace

std::string ScoreHistogramSvg(std::span<const float> good_scores,
                              std::span<const float> defect_scores, double threshold,
                              std::optional<std::pair<double, double>> range) {
  // The range covers the finite scores and the threshold; infinities count in the end bins and
  // NaN nowhere.
  std::vector<float> all;
  for (auto scores : {good_scores, defect_scores}) {
    for (float v : scores) {
      if (std::isfinite(v)) all.push_back(v);
    }
  }
  if (all.empty()) return NoData("No finite scores to plot.");
  std::sort(all.begin(), all.end());
  const bool show_threshold = std::isfinite(threshold);
  const double thr = show_threshold ? threshold : all.back();
  const bool zoom = range && std::isfinite(range->first) && std::isfinite(range->second) &&
                    range->first < range->second;
  double lo = 0, hi = 0;
  bool clipped_lo = false, clipped_hi = false;
  double step = 1;
  if (zoom) {
    lo = range->first;
    hi = range->second;
    clipped_lo = all.front() < lo;
    clipped_hi = all.back() > hi;
    step = NiceStep(hi - lo, 5);
  } else {
    lo = std::min<double>(all.front(), thr);
    hi = std::max<double>(all.back(), thr);
    // A few far outliers would squash the plot: clip to the 99.5th percentile if they stretch it
    // more than twofold, and count everything above in the last bin.
    const double p995 = all[static_cast<size_t>(0.995 * static_cast<double>(all.size() - 1))];
    clipped_hi = hi - lo > 2 * (std::max<double>(p995, thr) - lo);
    if (clipped_hi) hi = std::max<double>(p995, thr);
    if (!(hi - lo > 1e-6 * std::max(1.0, std::abs(hi)))) {  // one value: give it some room
      const double pad = std::max(0.5, std::abs(hi) * 0.01);
      lo -= pad;
      hi += pad;
    }
    // Widen the range to whole tick steps, so that the axis starts and ends on a tick.
    step = NiceStep(hi - lo, 5);
    lo = std::floor(lo / step) * step;
    if (!clipped_hi) hi = std::ceil(hi / step) * step;
  }

  auto bin_counts = [&](std::span<const float> scores) {
    std::vector<int64_t> n(kHistogramBins, 0);
    for (float v : scores) {
      if (std::isnan(v)) continue;
      const double b = std::floor((v - lo) / (hi - lo) * kHistogramBins);
      ++n[static_cast<int>(std::clamp(b, 0.0, kHistogramBins - 1.0))];
    }
    return n;
  };
  const std::vector<int64_t> good = bin_counts(good_scores);
  const std::vector<int64_t> defect = bin_counts(defect_scores);
  const int64_t top = std::max(*std::max_element(good.begin(), good.end()),
                               *std::max_element(defect.begin(), defect.end()));
  // Log counts: a bar of 1 part stands half a decade tall, so that it is never invisible.
  const int decades =
      std::max(1, static_cast<int>(std::ceil(std::log10(std::max<int64_t>(top, 1)) - 1e-9)));
  auto v_of = [decades](double count) {
    return count <= 0 ? 0.0 : (std::log10(count) + 0.5) / (decades + 0.5);
  };

  std::vector<std::pair<double, std::string>> xs, ys;
  const double first = std::ceil(lo / step - 1e-9) * step;
  for (int i = 0; i <= 40; ++i) {  // about 5 ticks; the bound only guards against rounding
    const double v = first + i * step;
    const double u = (v - lo) / (hi - lo);
    if (u > (clipped_hi ? 0.9 : 1 + 1e-6)) break;  // leave room for the "≥" label when clipped
    if (clipped_lo && u < 0.1) continue;
    xs.push_back({u, ShortNumber(std::round(v / step) * step)});
  }
  if (clipped_lo) xs.push_back({0.0, "≤" + ShortNumber(lo)});
  if (clipped_hi) xs.push_back({1.0, "≥" + ShortNumber(hi)});
  for (int d = 0; d <= decades; ++d) {
    ys.push_back({v_of(std::pow(10.0, d)), FormatNumber("%.0f", std::pow(10.0, d))});
  }

  std::ostringstream s;
  s << SvgOpen(zoom ? "score histograms around the threshold" : "score histograms");
  s << Axes(xs, ys, "anomaly score", "parts (log scale)");
  const double bar_w = kPlotW / kHistogramBins;
  auto bars = [&](const std::vector<int64_t>& n, const char* cls) {
    for (int b = 0; b < kHistogramBins; ++b) {
      if (n[b] <= 0) continue;
      const double h = v_of(static_cast<double>(n[b])) * kPlotH;
      s << "<rect class=\"" << cls << "\" x=\"" << kLeft + b * bar_w << "\" y=\"" << Y(0) - h
        << "\" width=\"" << bar_w << "\" height=\"" << h << "\"><title>" << n[b]
        << "</title></rect>\n";
    }
  };
  bars(good, "bar-good");
  bars(defect, "bar-defect");
  const double tx = X(std::clamp((thr - lo) / (hi - lo), 0.0, 1.0));
  const bool left = tx > X(0.75);  // keep the label inside the plot
  if (show_threshold) {
    s << "<line class=\"thr-line\" x1=\"" << tx << "\" y1=\"" << Y(0) << "\" x2=\"" << tx
      << "\" y2=\"" << Y(1) << "\"/>\n"
      << "<text class=\"thr-label\" x=\"" << tx + (left ? -5 : 5) << "\" y=\"" << Y(1) + 14
      << "\" text-anchor=\"" << (left ? "end" : "start") << "\">threshold "
      << ShortNumber(threshold) << "</text>\n";
  }
  // Legend in the top margin.
  const double ly = kTop - 22;
  s << "<rect class=\"bar-good\" x=\"" << X(0) << "\" y=\"" << ly
    << "\" width=\"12\" height=\"12\"/>"
    << "<text x=\"" << X(0) + 17 << "\" y=\"" << ly + 10 << "\">good (" << good_scores.size()
    << ")</text>\n<rect class=\"bar-defect\" x=\"" << X(0) + 110 << "\" y=\"" << ly
    << "\" width=\"12\" height=\"12\"/><text x=\"" << X(0) + 127 << "\" y=\"" << ly + 10
    << "\">defect (" << defect_scores.size() << ")</text>\n";
  s << "</svg>\n";
  return s.str();
}

namespace {

// The q-quantile (0..1) of the finite values of `scores`, or NaN if there are none.
double Quantile(std::span<const float> scores, double q) {
  std::vector<float> v;
  for (float x : scores) {
    if (std::isfinite(x)) v.push_back(x);
  }
  if (v.empty()) return std::nan("");
  const size_t k = static_cast<size_t>(q * static_cast<double>(v.size() - 1));
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(k), v.end());
  return v[k];
}

}  // namespace

std::pair<double, double> OverlapRange(std::span<const float> good, std::span<const float> defect,
                                       double threshold) {
  double lo = threshold, hi = threshold;
  const double d01 = Quantile(defect, 0.01), g99 = Quantile(good, 0.99);
  if (std::isfinite(d01)) lo = std::min(lo, d01);
  if (std::isfinite(g99)) hi = std::max(hi, g99);
  const double span = hi - lo;
  lo -= 0.15 * span;
  hi += 0.15 * span;
  const double room = 0.2 * std::max(std::abs(threshold), 1e-6);
  lo = std::min(lo, threshold - room);
  hi = std::max(hi, threshold + room);
  return {lo, hi};
}

}  // namespace linesight
