#include "inspect/report_charts.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>
#include <utility>
#include <vector>

#include "inspect/metrics.h"

namespace linesight {
namespace {

constexpr int kHistogramBins = 40;
// Every chart is drawn in a 440 x 340 box with a 356 x 250 plot area.
constexpr double kW = 440, kH = 340, kLeft = 64, kTop = 34, kPlotW = 356, kPlotH = 250;

std::string Fmt(const char* format, double v) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), format, v);
  return buf;
}
std::string Num(double v) { return Fmt("%.4g", v); }

// Chart text is made here, never taken from the user; this only keeps it well-formed XML.
std::string Text(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == '<') {
      out += "&lt;";
    } else if (c == '&') {
      out += "&amp;";
    } else {
      out += c;
    }
  }
  return out;
}

double X(double u) { return kLeft + u * kPlotW; }  // u in [0, 1]
double Y(double v) { return kTop + (1 - v) * kPlotH; }

std::string SvgOpen(const std::string& label) {
  return "<svg viewBox=\"0 0 " + Num(kW) + " " + Num(kH) +
         "\" xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" aria-label=\"" + Text(label) +
         "\">\n<rect x=\"" + Num(kLeft) + "\" y=\"" + Num(kTop) + "\" width=\"" + Num(kPlotW) +
         "\" height=\"" + Num(kPlotH) + "\" class=\"plot\"/>\n";
}

// Grid lines and tick labels: `xs`/`ys` are positions in [0, 1] with their labels.
std::string Axes(const std::vector<std::pair<double, std::string>>& xs,
                 const std::vector<std::pair<double, std::string>>& ys, const std::string& x_label,
                 const std::string& y_label) {
  std::ostringstream s;
  for (const auto& [u, text] : xs) {
    s << "<line class=\"grid\" x1=\"" << X(u) << "\" y1=\"" << Y(0) << "\" x2=\"" << X(u)
      << "\" y2=\"" << Y(1) << "\"/><text x=\"" << X(u) << "\" y=\"" << Y(0) + 16
      << "\" text-anchor=\"middle\">" << Text(text) << "</text>\n";
  }
  for (const auto& [v, text] : ys) {
    s << "<line class=\"grid\" x1=\"" << X(0) << "\" y1=\"" << Y(v) << "\" x2=\"" << X(1)
      << "\" y2=\"" << Y(v) << "\"/><text x=\"" << X(0) - 6 << "\" y=\"" << Y(v) + 4
      << "\" text-anchor=\"end\">" << Text(text) << "</text>\n";
  }
  s << "<text class=\"axis\" x=\"" << X(0.5) << "\" y=\"" << kH - 8 << "\" text-anchor=\"middle\">"
    << Text(x_label) << "</text>\n"
    << "<text class=\"axis\" transform=\"translate(16 " << Y(0.5)
    << ") rotate(-90)\" text-anchor=\"middle\">" << Text(y_label) << "</text>\n";
  return s.str();
}

std::vector<std::pair<double, std::string>> RateTicks() {
  return {{0, "0"}, {0.25, "0.25"}, {0.5, "0.5"}, {0.75, "0.75"}, {1, "1"}};
}

std::string NoData(const std::string& why) { return "<p class=\"nodata\">" + Text(why) + "</p>"; }

}  // namespace

std::string RocCurveSvg(std::span<const float> good, std::span<const float> defect,
                        double threshold) {
  if (good.empty() || defect.empty()) {
    return NoData("No ROC curve: it needs both good and defect parts.");
  }
  const std::vector<RocPoint> curve = RocCurve(good, defect);
  std::ostringstream s;
  s << SvgOpen("ROC curve");
  s << Axes(RateTicks(), RateTicks(), "false-reject rate (good parts rejected)",
            "defects caught (1 − escape rate)");
  s << "<line class=\"diag\" x1=\"" << X(0) << "\" y1=\"" << Y(0) << "\" x2=\"" << X(1)
    << "\" y2=\"" << Y(1) << "\"/>\n";
  std::ostringstream pts;
  for (const RocPoint& p : curve) pts << X(p.fpr) << "," << Y(p.tpr) << " ";
  s << "<polygon class=\"roc-area\" points=\"" << pts.str() << X(1) << "," << Y(0) << "\"/>\n";
  s << "<polyline class=\"roc\" points=\"" << pts.str() << "\"/>\n";
  const Confusion c = ConfusionAt(good, defect, threshold);
  const double fpr = static_cast<double>(c.good_rejected) / static_cast<double>(good.size());
  const double tpr = static_cast<double>(c.defect_rejected) / static_cast<double>(defect.size());
  const bool right = fpr > 0.6;  // keep the label inside the plot
  s << "<circle class=\"thr\" cx=\"" << X(fpr) << "\" cy=\"" << Y(tpr) << "\" r=\"5\"/>\n"
    << "<text class=\"thr-label\" x=\"" << X(fpr) + (right ? -9 : 9) << "\" y=\""
    << Y(tpr) + (tpr > 0.75 ? 18 : -8) << "\" text-anchor=\"" << (right ? "end" : "start")
    << "\">threshold " << Num(threshold) << "</text>\n";
  s << "<text class=\"legend\" x=\"" << X(0.97) << "\" y=\"" << Y(0.06)
    << "\" text-anchor=\"end\">AUROC " << Fmt("%.4f", Auroc(good, defect)) << "</text>\n";
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
                              std::span<const float> defect_scores, double threshold) {
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
  double lo = std::min<double>(all.front(), thr);
  double hi = std::max<double>(all.back(), thr);
  // A few far outliers would squash the plot: clip to the 99.5th percentile if they stretch it
  // more than twofold, and count everything above in the last bin.
  const double p995 = all[static_cast<size_t>(0.995 * static_cast<double>(all.size() - 1))];
  const bool clipped = hi - lo > 2 * (std::max<double>(p995, thr) - lo);
  if (clipped) hi = std::max<double>(p995, thr);
  if (!(hi - lo > 1e-6 * std::max(1.0, std::abs(hi)))) {  // one value: give it some room
    const double pad = std::max(0.5, std::abs(hi) * 0.01);
    lo -= pad;
    hi += pad;
  }
  // Widen the range to whole tick steps, so that the axis starts and ends on a tick.
  const double step = NiceStep(hi - lo, 5);
  lo = std::floor(lo / step) * step;
  if (!clipped) hi = std::ceil(hi / step) * step;

  auto bin_fractions = [&](std::span<const float> scores) {
    std::vector<double> f(kHistogramBins, 0.0);
    for (float v : scores) {
      if (std::isnan(v)) continue;
      const double b = std::floor((v - lo) / (hi - lo) * kHistogramBins);
      f[static_cast<int>(std::clamp(b, 0.0, kHistogramBins - 1.0))] += 1.0;
    }
    for (double& x : f) x /= static_cast<double>(std::max<size_t>(scores.size(), 1));
    return f;
  };
  const std::vector<double> good = bin_fractions(good_scores);
  const std::vector<double> defect = bin_fractions(defect_scores);
  const double top = std::max(*std::max_element(good.begin(), good.end()),
                              *std::max_element(defect.begin(), defect.end()));
  const double y_step = NiceStep(std::max(top, 0.01), 4);
  const double y_max = std::max(y_step, std::ceil(top / y_step - 1e-9) * y_step);

  std::vector<std::pair<double, std::string>> xs, ys;
  for (int i = 0; i <= 20; ++i) {  // about 5 ticks; the bound only guards against rounding
    const double v = lo + i * step;
    const double u = (v - lo) / (hi - lo);
    if (u > (clipped ? 0.9 : 1 + 1e-6)) break;  // leave room for the "≥" label when clipped
    xs.push_back({u, Num(std::round(v / step) * step)});
  }
  if (clipped) xs.push_back({1.0, "≥" + Num(hi)});
  for (int i = 0; i * y_step <= y_max + y_step * 1e-6; ++i) {
    ys.push_back({i * y_step / y_max, Fmt(y_step < 0.01 ? "%.1f%%" : "%.0f%%", 100 * i * y_step)});
  }

  std::ostringstream s;
  s << SvgOpen("score histograms");
  s << Axes(xs, ys, "anomaly score", "share of the class");
  const double bar_w = kPlotW / kHistogramBins;
  auto bars = [&](const std::vector<double>& f, const char* cls) {
    for (int b = 0; b < kHistogramBins; ++b) {
      if (f[b] <= 0) continue;
      const double h = f[b] / y_max * kPlotH;
      s << "<rect class=\"" << cls << "\" x=\"" << kLeft + b * bar_w << "\" y=\"" << Y(0) - h
        << "\" width=\"" << bar_w << "\" height=\"" << h << "\"/>\n";
    }
  };
  bars(good, "bar-good");
  bars(defect, "bar-defect");
  const double tx = X((thr - lo) / (hi - lo));
  const bool left = tx > X(0.75);  // keep the label inside the plot
  if (show_threshold) {
    s << "<line class=\"thr-line\" x1=\"" << tx << "\" y1=\"" << Y(0) << "\" x2=\"" << tx
      << "\" y2=\"" << Y(1) << "\"/>\n"
      << "<text class=\"thr-label\" x=\"" << tx + (left ? -5 : 5) << "\" y=\"" << Y(1) + 14
      << "\" text-anchor=\"" << (left ? "end" : "start") << "\">threshold " << Num(threshold)
      << "</text>\n";
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

}  // namespace linesight
