#include "inspect/overlay.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>
#include <string_view>

#include <opencv2/imgproc.hpp>

#include "core/error.h"
#include "inspect/recipe.h"

namespace linesight {
namespace {

constexpr int kMinPictureWidth = 360;  // narrower frames are padded so that banner and legend fit
constexpr int kFont = cv::FONT_HERSHEY_SIMPLEX;
constexpr double kHeatLow = 0.5, kHeatHigh = 2.0;  // the colour scale, in units of the threshold

// BGR. Chosen to stay apart from the heatmap's blue-to-red scale where they are drawn over it.
const cv::Scalar kFindingColour(40, 40, 235);
const cv::Scalar kRimColour(60, 210, 60);
const cv::Scalar kIgnoredColour(200, 170, 140);
const cv::Scalar kTruthColour(255, 60, 255);
const cv::Scalar kSearchColour(0, 215, 255);
const cv::Scalar kEdgeColour(255, 230, 80);
const cv::Scalar kTriedColour(0, 130, 255);
const cv::Scalar kWhite(255, 255, 255);
const cv::Scalar kStripColour(38, 34, 31);
const cv::Scalar kPadColour(24, 24, 24);

// Line and text sizes that grow with the picture, so that marks stay visible at any frame size
// and after the frame was scaled down.
struct Style {
  int stroke = 1;     // line width, px
  double font = 0.5;  // Hershey font scale
  int text_thick = 1;
  int text_h = 10;  // cap height, px
  int line_h = 16;  // one line of text with its spacing, px
  int pad = 6;
};

Style StyleFor(int width) {
  Style s;
  s.stroke = std::max(1, static_cast<int>(std::lround(width / 320.0)));
  s.font = std::clamp(width / 760.0, 0.42, 1.0);
  s.text_thick = s.font >= 0.9 ? 2 : 1;
  int base = 0;
  s.text_h = cv::getTextSize("H", kFont, s.font, s.text_thick, &base).height;
  s.line_h = s.text_h * 9 / 5;
  s.pad = std::max(5, s.text_h * 2 / 3);
  return s;
}

// Hershey fonts draw ASCII only: anything else becomes '?'.
std::string Ascii(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (static_cast<unsigned char>(c) >= 128 || c < 32) c = '?';
  }
  return out;
}

int TextWidth(const std::string& text, const Style& st) {
  int base = 0;
  return cv::getTextSize(text, kFont, st.font, st.text_thick, &base).width;
}

// Greedy word wrap into lines no wider than `width`; a word longer than a line is cut.
std::vector<std::string> Wrap(const std::string& text, int width, const Style& st) {
  std::vector<std::string> lines;
  std::string line;
  size_t i = 0;
  while (i < text.size()) {
    size_t j = text.find(' ', i);
    if (j == std::string::npos) j = text.size();
    std::string word = text.substr(i, j - i);
    i = j + 1;
    if (word.empty()) continue;
    const std::string joined = line.empty() ? word : line + " " + word;
    if (TextWidth(joined, st) <= width) {
      line = joined;
      continue;
    }
    if (!line.empty()) lines.push_back(line);
    while (TextWidth(word, st) > width && word.size() > 1) {
      size_t n = word.size() - 1;
      while (n > 1 && TextWidth(word.substr(0, n), st) > width) --n;
      lines.push_back(word.substr(0, n));
      word = word.substr(n);
    }
    line = word;
  }
  if (!line.empty()) lines.push_back(line);
  return lines;
}

void Text(cv::Mat& img, const std::string& text, cv::Point baseline_left, const Style& st,
          const cv::Scalar& colour = kWhite) {
  cv::putText(img, text, baseline_left, kFont, st.font, colour, st.text_thick, cv::LINE_AA);
}

std::string TwoDecimals(double v) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.2f", v);
  return buf;
}

// The colour of an anomaly of `heat` times the threshold: JET from kHeatLow to kHeatHigh.
cv::Vec3b HeatColour(double heat) {
  const double u = std::clamp((heat - kHeatLow) / (kHeatHigh - kHeatLow), 0.0, 1.0);
  cv::Mat one(1, 1, CV_8UC1, cv::Scalar(std::lround(u * 255))), colour;
  cv::applyColorMap(one, colour, cv::COLORMAP_JET);
  return colour.at<cv::Vec3b>(0, 0);
}

// Blends the heatmap (units of the threshold) over `bgr`: clear below kHeatLow, more opaque up
// to the threshold.
void BlendHeat(const cv::Mat& heat, cv::Mat& bgr) {
  cv::Mat scaled, heat8, colour;
  heat.convertTo(scaled, CV_32F, 255.0 / (kHeatHigh - kHeatLow),
                 -kHeatLow * 255.0 / (kHeatHigh - kHeatLow));
  scaled.convertTo(heat8, CV_8U);
  cv::applyColorMap(heat8, colour, cv::COLORMAP_JET);
  for (int y = 0; y < bgr.rows; ++y) {
    auto* p = bgr.ptr<cv::Vec3b>(y);
    const auto* c = colour.ptr<cv::Vec3b>(y);
    const float* h = heat.ptr<float>(y);
    for (int x = 0; x < bgr.cols; ++x) {
      if (!(h[x] >= kHeatLow)) continue;
      const float a = std::min(h[x], 1.f) * 0.6f;
      for (int k = 0; k < 3; ++k)
        p[x][k] = cv::saturate_cast<uint8_t>((1 - a) * p[x][k] + a * c[x][k]);
    }
  }
}

// The affine map from picture pixels (the frame scaled by `scale`) to canvas pixels, with pixel
// centres kept in place: image = (picture + 0.5) / scale - 0.5.
cv::Matx23d PictureToCanvas(const PartPose& pose, double scale) {
  const cv::Matx23d& a = pose.image_to_canvas;
  const double d = 0.5 / scale - 0.5;
  cv::Matx23d m;
  for (int r = 0; r < 2; ++r) {
    m(r, 0) = a(r, 0) / scale;
    m(r, 1) = a(r, 1) / scale;
    m(r, 2) = a(r, 2) + (a(r, 0) + a(r, 1)) * d;
  }
  return m;
}

cv::Point2d ToPicture(const cv::Point2d& image_point, double scale) {
  return (image_point + cv::Point2d(0.5, 0.5)) * scale - cv::Point2d(0.5, 0.5);
}

cv::Point Round(const cv::Point2d& p) {
  return {static_cast<int>(std::lround(p.x)), static_cast<int>(std::lround(p.y))};
}

// The recipe's ignored regions (sensitivity 0) in picture pixels, as a CV_8U mask. Built with
// BuildWeightMap so that the regions drawn are exactly the ones inspection leaves out.
cv::Mat IgnoredInPicture(const Inspector& inspector, const PartPose& pose, double scale,
                         const cv::Size& size) {
  Recipe r = inspector.model().recipe;
  std::erase_if(r.regions, [](const RecipeRegion& g) { return g.sensitivity != 0; });
  if (r.regions.empty()) return {};
  r.sensitivity = 1;
  const cv::Mat all(inspector.model().anomaly.support().size(), CV_8UC1, cv::Scalar(255));
  const cv::Mat ignored = BuildWeightMap(r, all) == 0;
  cv::Mat out;
  cv::warpAffine(ignored, out, cv::Mat(PictureToCanvas(pose, scale)), size,
                 cv::INTER_NEAREST | cv::WARP_INVERSE_MAP, cv::BORDER_CONSTANT, 0);
  return out;
}

// Hatches `mask` on `bgr` (diagonal lines over a tint) and outlines it.
void Hatch(cv::Mat& bgr, const cv::Mat& mask, const cv::Scalar& colour, const Style& st) {
  const int period = std::max(6, st.stroke * 6);
  for (int y = 0; y < bgr.rows; ++y) {
    auto* p = bgr.ptr<cv::Vec3b>(y);
    const uint8_t* m = mask.ptr<uint8_t>(y);
    for (int x = 0; x < bgr.cols; ++x) {
      if (!m[x]) continue;
      const bool line = (x + y) % period < st.stroke;
      const double a = line ? 0.85 : 0.3;
      for (int k = 0; k < 3; ++k)
        p[x][k] = cv::saturate_cast<uint8_t>((1 - a) * p[x][k] + a * colour[k]);
    }
  }
  std::vector<std::vector<cv::Point>> contours;
  cv::findContours(mask.clone(), contours, cv::RETR_EXTERNAL, cv::CHAIN_APPROX_SIMPLE);
  cv::drawContours(bgr, contours, -1, colour, st.stroke, cv::LINE_AA);
}

void DashedLine(cv::Mat& img, cv::Point2d a, cv::Point2d b, const cv::Scalar& colour,
                const Style& st) {
  const double len = cv::norm(b - a), dash = 6.0 * st.stroke + 4;
  for (double t = 0; t < len; t += 2 * dash) {
    const cv::Point2d p = a + (b - a) * (t / len);
    const cv::Point2d q = a + (b - a) * (std::min(t + dash, len) / len);
    cv::line(img, Round(p), Round(q), colour, st.stroke, cv::LINE_AA);
  }
}

void DashedCircle(cv::Mat& img, cv::Point2d centre, double radius, const cv::Scalar& colour,
                  const Style& st) {
  if (radius <= 0) return;
  const double dash = 6.0 * st.stroke + 4;
  const int segments = std::max(8, static_cast<int>(2 * CV_PI * radius / (2 * dash)));
  const double step = 360.0 / segments;
  for (int i = 0; i < segments; ++i) {
    cv::ellipse(
        img, Round(centre),
        cv::Size(static_cast<int>(std::lround(radius)), static_cast<int>(std::lround(radius))), 0,
        i * step, i * step + step / 2, colour, st.stroke, cv::LINE_AA);
  }
}

// What the locator searched when it did not find the part: the search region, the edges it saw,
// the rim it tried and rejected, and the part size it expected around that rim's centre.
void DrawSearch(const Inspector& inspector, const Workspace& ws, const cv::Size& image_size,
                double scale, cv::Mat& bgr, const Style& st) {
  const LocateOptions o = inspector.model().Locate();
  const cv::Rect2d roi(o.roi.x * image_size.width, o.roi.y * image_size.height,
                       o.roi.width * image_size.width, o.roi.height * image_size.height);
  const LocateScratch& s = ws.locate;
  const double f = s.work_scale > 0 ? s.work_scale : 1;
  auto to_picture = [&](const cv::Point2d& work) {
    return ToPicture(work / f + s.work_origin, scale);
  };
  const int dot = std::max(1, st.stroke);
  for (const auto& ray : s.cand)
    for (const cv::Point2d& p : ray) cv::circle(bgr, Round(to_picture(p)), dot, kEdgeColour, -1);
  const double radius = s.tried_circle[2] / f * scale;
  if (radius > 0) {
    const cv::Point2d c = to_picture({s.tried_circle[0], s.tried_circle[1]});
    cv::circle(bgr, Round(c), static_cast<int>(std::lround(radius)), kTriedColour, st.stroke + 1,
               cv::LINE_AA);
    // The radius range the rim was looked for in, about the tried rim's centre.
    const double side = std::min(roi.width, roi.height) * scale;
    double lo = o.min_radius, hi = o.max_radius;
    if (o.expected_radius > 0) {
      lo = std::max(lo, o.expected_radius * (1 - o.radius_tolerance));
      hi = std::min(hi, o.expected_radius * (1 + o.radius_tolerance));
    }
    DashedCircle(bgr, c, lo * side, kSearchColour, st);
    DashedCircle(bgr, c, hi * side, kSearchColour, st);
  }
  const double inset = st.stroke / 2.0;
  const cv::Point2d a(roi.x * scale + inset, roi.y * scale + inset);
  const cv::Point2d b(std::min(roi.br().x * scale, bgr.cols - 1.0) - inset,
                      std::min(roi.br().y * scale, bgr.rows - 1.0) - inset);
  DashedLine(bgr, a, {b.x, a.y}, kSearchColour, st);
  DashedLine(bgr, {b.x, a.y}, b, kSearchColour, st);
  DashedLine(bgr, b, {a.x, b.y}, kSearchColour, st);
  DashedLine(bgr, {a.x, b.y}, a, kSearchColour, st);
}

// The findings' boxes in picture pixels, merged, each with the highest severity inside it.
void DrawFindings(const Verdict& v, double scale, cv::Mat& bgr, const Style& st) {
  std::vector<cv::Rect> boxes;
  for (const Finding& f : v.findings) {
    const cv::Point a = Round({f.box.x * scale, f.box.y * scale});
    const cv::Point b = Round({f.box.br().x * scale, f.box.br().y * scale});
    // Grown by the stroke, so that the line does not hide a small defect.
    boxes.emplace_back(a - cv::Point(st.stroke, st.stroke), b + cv::Point(st.stroke, st.stroke));
  }
  struct Drawn {
    cv::Rect box;
    float severity = 0;
    std::string_view type;  // of its most severe finding
  };
  std::vector<Drawn> drawn;
  for (const cv::Rect& box : MergeBoxes(boxes, 2 * st.stroke)) {
    Drawn& d = drawn.emplace_back(Drawn{box, 0.f, {}});
    for (size_t i = 0; i < boxes.size(); ++i)
      if ((boxes[i] & box) == boxes[i] && v.findings[i].severity > d.severity) {
        d.severity = v.findings[i].severity;
        d.type = v.findings[i].type;
      }
    cv::rectangle(bgr, box, kFindingColour, st.stroke, cv::LINE_AA);
  }
  // Labels (type and severity), most severe first, leaving out any that would cover another
  // label: a label that cannot be read is worse than none.
  std::stable_sort(drawn.begin(), drawn.end(),
                   [](const Drawn& a, const Drawn& b) { return a.severity > b.severity; });
  std::vector<cv::Rect> labels;
  for (const Drawn& d : drawn) {
    std::string label = TwoDecimals(d.severity) + "x";
    if (!d.type.empty() && d.type != "anomaly") label = std::string(d.type) + " " + label;
    const int w = TextWidth(label, st) + 4, h = st.text_h + 6;
    cv::Point at(d.box.x, d.box.y - h);  // above the box, or inside it at the top edge
    if (at.y < 0) at.y = d.box.y;
    at.x = std::clamp(at.x, 0, std::max(0, bgr.cols - w));
    const cv::Rect r(at.x, at.y, w, h);
    if (std::any_of(labels.begin(), labels.end(),
                    [&](const cv::Rect& l) { return !(l & r).empty(); }))
      continue;
    labels.push_back(r);
    cv::rectangle(bgr, r, kFindingColour, cv::FILLED);
    Text(bgr, label, {at.x + 2, at.y + h - 3}, st);
  }
}

// The frame area: scaled frame, heatmap and marks.
cv::Mat DrawFrame(const Inspector& inspector, const cv::Mat& image, const Verdict& v,
                  const Workspace& ws, const OverlayOptions& options, double scale,
                  const Style& st) {
  const cv::Size size(std::max(1, static_cast<int>(std::lround(image.cols * scale))),
                      std::max(1, static_cast<int>(std::lround(image.rows * scale))));
  cv::Mat grey = image;
  if (size != image.size()) cv::resize(image, grey, size, 0, 0, cv::INTER_AREA);
  cv::Mat bgr;
  cv::cvtColor(grey, bgr, cv::COLOR_GRAY2BGR);
  const PartPose& pose = ws.pose;
  if (pose.found) {
    if (!ws.weighted.empty()) BlendHeat(inspector.HeatmapInImage(size, ws, scale), bgr);
    const cv::Mat ignored = IgnoredInPicture(inspector, pose, scale, size);
    if (!ignored.empty()) Hatch(bgr, ignored, kIgnoredColour, st);
    if (pose.radius > 0) {
      cv::circle(bgr, Round(ToPicture(pose.centre, scale)),
                 static_cast<int>(std::lround(pose.radius * scale)), kRimColour, st.stroke,
                 cv::LINE_AA);
    }
  } else if (v.decision == Decision::kHold && v.reason == HoldReason::kPartNotFound) {
    DrawSearch(inspector, ws, image.size(), scale, bgr, st);
  }
  if (!options.truth_mask.empty()) {
    cv::Mat mask;
    // Area resampling keeps a thin defect that nearest-neighbour would drop.
    cv::resize(options.truth_mask != 0, mask, size, 0, 0, cv::INTER_AREA);
    std::vector<std::vector<cv::Point>> contours;
    cv::findContours(mask > 0, contours, cv::RETR_EXTERNAL, cv::CHAIN_APPROX_SIMPLE);
    cv::drawContours(bgr, contours, -1, kTruthColour, st.stroke, cv::LINE_AA);
  }
  if (v.decision != Decision::kHold || pose.found) DrawFindings(v, scale, bgr, st);
  return bgr;
}

cv::Mat Banner(const Verdict& v, int width, const Style& st) {
  cv::Scalar colour;
  std::string head;
  std::vector<std::string> more;
  const std::string score = "score " + TwoDecimals(v.score) +
                            (v.score > v.threshold ? " > " : " <= ") + "threshold " +
                            TwoDecimals(v.threshold);
  switch (v.decision) {
    case Decision::kPass:
      colour = cv::Scalar(50, 125, 46);
      head = "PASS  " + score;
      break;
    case Decision::kReject: {
      colour = cv::Scalar(40, 40, 190);
      head = "REJECT  " + score;
      float worst = 0;
      for (const Finding& f : v.findings) worst = std::max(worst, f.severity);
      more.push_back(std::to_string(v.findings.size()) +
                     (v.findings.size() == 1 ? " defect region" : " defect regions") + ", worst " +
                     TwoDecimals(worst) + "x the threshold");
      break;
    }
    case Decision::kHold:
      colour = cv::Scalar(0, 110, 190);
      head = "HOLD  " + std::string(HoldReasonName(v.reason));
      more.push_back((v.detail.empty() ? std::string() : Ascii(v.detail) + ". ") +
                     "The line rejects held parts.");
      if (v.reason == HoldReason::kDeadline) more.push_back(score);
      break;
  }
  const int text_w = width - 2 * st.pad;
  std::vector<std::string> lines = Wrap(head, text_w, st);
  const size_t head_lines = lines.size();
  for (const std::string& m : more) {
    for (std::string& l : Wrap(m, text_w, st)) lines.push_back(std::move(l));
  }
  const int h = st.pad * 2 + static_cast<int>(lines.size()) * st.line_h - (st.line_h - st.text_h);
  cv::Mat strip(h, width, CV_8UC3, colour);
  Style bold = st;
  bold.text_thick = st.text_thick + 1;
  for (size_t i = 0; i < lines.size(); ++i) {
    Text(strip, lines[i], {st.pad, st.pad + st.text_h + static_cast<int>(i) * st.line_h},
         i < head_lines ? bold : st);
  }
  return strip;
}

// One mark of the legend: a small icon and what it means.
enum class Mark { kFinding, kRim, kIgnored, kTruth, kSearch, kEdges, kTried };

int DrawMarkIcon(cv::Mat& img, Mark mark, cv::Point at, const Style& st) {
  const int s = st.text_h + 4;  // icon side
  const cv::Rect box(at.x, at.y - s + 2, s, s);
  const cv::Point c(box.x + s / 2, box.y + s / 2);
  const Style thin = st;
  switch (mark) {
    case Mark::kFinding:
      cv::rectangle(img, box, kFindingColour, std::max(2, st.stroke));
      break;
    case Mark::kRim:
      cv::circle(img, c, s / 2, kRimColour, std::max(2, st.stroke), cv::LINE_AA);
      break;
    case Mark::kIgnored: {
      cv::Mat roi = img(box), mask(box.size(), CV_8UC1, cv::Scalar(255));
      Hatch(roi, mask, kIgnoredColour, thin);
      break;
    }
    case Mark::kTruth:
      cv::circle(img, c, s / 2 - 1, kTruthColour, std::max(2, st.stroke), cv::LINE_AA);
      break;
    case Mark::kSearch:
      DashedLine(img, box.tl(), {static_cast<double>(box.br().x), static_cast<double>(box.y)},
                 kSearchColour, thin);
      DashedLine(img, {static_cast<double>(box.x), static_cast<double>(box.br().y - 1)},
                 {static_cast<double>(box.br().x), static_cast<double>(box.br().y - 1)},
                 kSearchColour, thin);
      break;
    case Mark::kEdges:
      for (int i = 0; i < 3; ++i)
        cv::circle(img, {box.x + 2 + i * (s - 4) / 2, c.y + (i % 2 ? -2 : 2)},
                   std::max(1, st.stroke), kEdgeColour, -1);
      break;
    case Mark::kTried:
      cv::circle(img, c, s / 2, kTriedColour, std::max(2, st.stroke + 1), cv::LINE_AA);
      break;
  }
  return s;
}

cv::Mat Legend(const Verdict& v, const Workspace& ws, const OverlayOptions& options, bool ignored,
               int width, const Style& st) {
  // Literals only: a pair holding a std::string trips GCC 12's -Warray-bounds false positive.
  std::vector<std::pair<Mark, const char*>> marks;
  const bool searched = !ws.pose.found && v.reason == HoldReason::kPartNotFound;
  const bool heat = ws.pose.found && !ws.weighted.empty();
  if (heat) {
    if (!v.findings.empty()) marks.push_back({Mark::kFinding, "finding (x threshold)"});
    if (ws.pose.radius > 0) marks.push_back({Mark::kRim, "rim found"});
    if (ignored) marks.push_back({Mark::kIgnored, "ignored region"});
  }
  if (searched) {
    marks.push_back({Mark::kSearch, "search region, size range"});
    marks.push_back({Mark::kEdges, "edges seen"});
    if (ws.locate.tried_circle[2] > 0) marks.push_back({Mark::kTried, "rim tried, rejected"});
  }
  if (!options.truth_mask.empty()) marks.push_back({Mark::kTruth, "known defect (mask)"});
  if (!heat && marks.empty()) return {};

  // Lay out: the colour scale (title line, bar, tick labels), then the marks, wrapped.
  const int inner = width - 2 * st.pad;
  const int bar_h = std::max(8, st.text_h);
  int h = st.pad;
  const int scale_top = h;
  if (heat) h += st.line_h + bar_h + st.line_h;
  std::vector<int> row_of(marks.size(), 0);
  std::vector<int> x_of(marks.size(), 0);
  int row = 0, x = 0;
  for (size_t i = 0; i < marks.size(); ++i) {
    const int w = st.text_h + 4 + st.pad + TextWidth(marks[i].second, st) + 2 * st.pad;
    if (x > 0 && x + w > inner) {
      ++row;
      x = 0;
    }
    row_of[i] = row;
    x_of[i] = x;
    x += w;
  }
  const int marks_top = h;
  if (!marks.empty()) h += (row + 1) * st.line_h;
  h += st.pad - (st.line_h - st.text_h) / 2;
  cv::Mat strip(h, width, CV_8UC3, kStripColour);

  if (heat) {
    Text(strip, "colour = anomaly / threshold (" + TwoDecimals(v.threshold) + ")",
         {st.pad, scale_top + st.text_h}, st);
    const int bar_top = scale_top + st.line_h;
    // The bar shows 0 .. kHeatHigh+: clear (the frame) below kHeatLow.
    const double top = kHeatHigh * 1.1;
    auto bar_x = [&](double heat) { return st.pad + static_cast<int>(heat / top * inner); };
    for (int px = st.pad; px < st.pad + inner; ++px) {
      const double value = (px - st.pad + 0.5) / inner * top;
      const cv::Vec3b c = value < kHeatLow ? cv::Vec3b(110, 110, 110) : HeatColour(value);
      cv::line(strip, {px, bar_top}, {px, bar_top + bar_h - 1}, cv::Scalar(c[0], c[1], c[2]));
    }
    for (const auto& [value, label] : std::vector<std::pair<double, std::string>>{
             {0, "0"}, {kHeatLow, "0.5"}, {1.0, "1"}, {1.5, "1.5"}, {kHeatHigh, "2+"}}) {
      const int tx = bar_x(value);
      cv::line(strip, {tx, bar_top - 2}, {tx, bar_top + bar_h + 2}, kWhite, std::max(1, st.stroke));
      const int w = TextWidth(label, st);
      const int lx = std::clamp(tx - (value == 0 ? 0 : w / 2), 0, width - w);
      Text(strip, label, {lx, bar_top + bar_h + 4 + st.text_h}, st);
    }
  }
  for (size_t i = 0; i < marks.size(); ++i) {
    const cv::Point at(st.pad + x_of[i], marks_top + row_of[i] * st.line_h + st.text_h + 2);
    const int icon = DrawMarkIcon(strip, marks[i].first, at, st);
    Text(strip, marks[i].second, {at.x + icon + st.pad, at.y}, st);
  }
  return strip;
}

}  // namespace

double OverlayScale(const cv::Size& size, int max_side) {
  const int side = std::max(size.width, size.height);
  if (max_side <= 0 || side <= max_side) return 1.0;
  return static_cast<double>(max_side) / side;
}

cv::Mat HeatmapLayer(const Inspector& inspector, const cv::Size& size, const Workspace& ws,
                     int max_side) {
  const double scale = OverlayScale(size, max_side);
  const cv::Size scaled(std::max(1, static_cast<int>(std::lround(size.width * scale))),
                        std::max(1, static_cast<int>(std::lround(size.height * scale))));
  cv::Mat layer(scaled, CV_8UC3, cv::Scalar::all(0));
  // Blended over black, DrawOverlay()'s colours come out as light the viewer adds to the frame.
  if (ws.pose.found && !ws.weighted.empty())
    BlendHeat(inspector.HeatmapInImage(scaled, ws, scale), layer);
  return layer;
}

std::vector<cv::Rect> MergeBoxes(std::vector<cv::Rect> boxes, int gap) {
  std::erase_if(boxes, [](const cv::Rect& r) { return r.empty(); });
  auto near = [gap](const cv::Rect& a, const cv::Rect& b) {
    const cv::Rect grown(a.x - gap, a.y - gap, a.width + 2 * gap, a.height + 2 * gap);
    return !(grown & b).empty();
  };
  for (bool merged = true; merged;) {
    merged = false;
    for (size_t i = 0; i < boxes.size() && !merged; ++i)
      for (size_t j = i + 1; j < boxes.size(); ++j)
        if (near(boxes[i], boxes[j])) {
          boxes[i] |= boxes[j];
          boxes.erase(boxes.begin() + static_cast<std::ptrdiff_t>(j));
          merged = true;
          break;
        }
  }
  std::sort(boxes.begin(), boxes.end(), [](const cv::Rect& a, const cv::Rect& b) {
    return a.y != b.y ? a.y < b.y : a.x < b.x;
  });
  return boxes;
}

cv::Mat DrawOverlay(const Inspector& inspector, const cv::Mat& image, const Verdict& verdict,
                    const Workspace& ws, const OverlayOptions& options) {
  if (image.empty() || image.type() != CV_8UC1) {
    throw Error(
        ErrorCategory::kInput,
        "an overlay needs the 8-bit grey frame that was inspected, got " +
            (image.empty() ? std::string("an empty image") : cv::typeToString(image.type())),
        "pass the frame given to Inspector::Inspect()");
  }
  if (!options.truth_mask.empty() &&
      (options.truth_mask.size() != image.size() || options.truth_mask.type() != CV_8UC1)) {
    throw Error(ErrorCategory::kInput, "the defect mask's size or type differs from the frame's",
                "give an 8-bit mask with the frame's width and height");
  }
  const double scale = OverlayScale(image.size(), options.max_side);
  const int frame_w = std::max(1, static_cast<int>(std::lround(image.cols * scale)));
  const int width =
      (options.banner || options.legend) ? std::max(frame_w, kMinPictureWidth) : frame_w;
  const Style st = StyleFor(width);
  cv::Mat frame = DrawFrame(inspector, image, verdict, ws, options, scale, st);
  if (frame.cols < width) {
    const int left = (width - frame.cols) / 2;
    cv::copyMakeBorder(frame, frame, 0, 0, left, width - frame.cols - left, cv::BORDER_CONSTANT,
                       kPadColour);
  }
  std::vector<cv::Mat> parts;
  if (options.banner) parts.push_back(Banner(verdict, width, st));
  parts.push_back(frame);
  if (options.legend) {
    const bool ignored = std::any_of(inspector.model().recipe.regions.begin(),
                                     inspector.model().recipe.regions.end(),
                                     [](const RecipeRegion& g) { return g.sensitivity == 0; });
    cv::Mat legend = Legend(verdict, ws, options, ignored, width, st);
    if (!legend.empty()) parts.push_back(legend);
  }
  cv::Mat out;
  cv::vconcat(parts, out);
  return out;
}

}  // namespace linesight
