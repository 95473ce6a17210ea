// bench/die_memory.cpp: whether the line can see a die's heat-check vein coming, by remembering
// each die's parts (inspect/die_memory.h). Trains the demo's model (120 good renders, arcs), then
// plays the life of each of --dies dies part by part: --before parts without a vein, then the
// vein's visible life (--vein-parts parts, growing from 4 to 60 px as docs/simulator.md has it,
// at a random place and heading of the cast face), every part rendered and inspected and added
// to the die's memory. Reports for each die the first part at which the memory marks a place on
// the vein (and how many parts before the die's failure that is), and any mark off the vein; and
// what the station's recurring-mark watch (station/recurring_mark.h) makes of it, fed the parts'
// findings alone and with the memory's marks too: the vein's parts passed (escapes) and the
// parts before the vein rejected (false rejects), beside what inspection alone does.
// Progress on stderr; one JSON object on stdout.
//   usage: die_memory_bench [--dies N] [--before N] [--vein-parts N] [--first-seed S]
#include <cmath>
#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <opencv2/imgproc.hpp>

#include "demo_model.h"
#include "inspect/die_memory.h"
#include "inspect/finding_type.h"
#include "inspect/inspector.h"
#include "sim/part_renderer.h"
#include "sim/rng.h"
#include "station/recurring_mark.h"

namespace {

using namespace linesight;
constexpr double kPi = 3.14159265358979323846;

struct Args {
  int dies = 3, before = 1000, vein_parts = 3000;
  uint64_t first_seed = 1;
};

Args Parse(int argc, char** argv) {
  Args a;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string k = argv[i];
    const long v = std::atol(argv[i + 1]);
    if (k == "--dies")
      a.dies = static_cast<int>(v);
    else if (k == "--before")
      a.before = static_cast<int>(v);
    else if (k == "--vein-parts")
      a.vein_parts = static_cast<int>(v);
    else if (k == "--first-seed")
      a.first_seed = static_cast<uint64_t>(v);
    else {
      std::cerr << "usage: die_memory_bench [--dies N] [--before N] [--vein-parts N] "
                   "[--first-seed S]\n";
      std::exit(2);
    }
  }
  return a;
}

// Where the vein lies in the folded part frame: its pixels on this part, carried there.
cv::Mat VeinInFrame(const sim::RenderedPart& part, const Workspace& ws, const InspectionModel& m) {
  const int n = m.anomaly.options().canvas;
  cv::Mat canvas_mask, out = cv::Mat::zeros(n, n, CV_8UC1);
  cv::warpAffine(part.mask, canvas_mask, cv::Mat(ws.pose.image_to_canvas), cv::Size(n, n));
  const double rim = m.recipe.locate.canvas_radius * n, c = n / 2.0;
  for (int y = 0; y < n; ++y)
    for (int x = 0; x < n; ++x) {
      if (canvas_mask.at<uint8_t>(y, x) < 128) continue;
      const cv::Point2d p = PartFramePlace({x + 0.5, y + 0.5}, {c, c}, rim,
                                           m.anomaly.TurnRadians(ws.cell), m.anomaly.symmetry());
      const int px = static_cast<int>(c + p.x * rim), py = static_cast<int>(c + p.y * rim);
      if (px >= 0 && py >= 0 && px < n && py < n) out.at<uint8_t>(py, px) = 255;
    }
  cv::dilate(out, out, cv::Mat(), {-1, -1}, 4);  // the turn's noise: a few degrees
  return out;
}

// Parts of one die as one way of judging them saw them: the vein's parts passed, and parts
// before the vein (good ones) rejected.
struct Tally {
  int vein_parts = 0, escapes = 0, good_parts = 0, false_rejects = 0;
  void Count(bool veined, bool rejected) {
    (veined ? vein_parts : good_parts) += 1;
    if (veined && !rejected) ++escapes;
    if (!veined && rejected) ++false_rejects;
  }
  void Add(const Tally& t) {
    vein_parts += t.vein_parts, escapes += t.escapes;
    good_parts += t.good_parts, false_rejects += t.false_rejects;
  }
};

constexpr double kNoRestart = 1e9;  // shots since a stop: far from any warm-up

}  // namespace

int main(int argc, char** argv) {
  const Args args = Parse(argc, argv);
  const sim::PartRenderer renderer;
  const InspectionModel model = bench::TrainDemoModel(renderer, 120);
  const Inspector inspector(model);
  Workspace ws;
  nlohmann::json dies = nlohmann::json::array();
  int warned_500 = 0, marks_off = 0, marks_before = 0;
  Tally totals[3];  // inspection, the watch on findings, the watch with the memory's marks
  for (int d = 0; d < args.dies; ++d) {
    const uint64_t seed = args.first_seed + static_cast<uint64_t>(d);
    sim::Rng rng(seed, 0xD1E);
    const double r = rng.Uniform(0.45, 0.80), a = rng.Uniform(0, 2 * kPi);
    sim::DieVein vein{{r * std::cos(a), r * std::sin(a)}, rng.Uniform(0, 2 * kPi), 0, rng.Next()};
    DieMemory memory(model);
    // The watch fed findings alone (the station before) and with the memory's marks (now).
    station::RecurringMarkOptions alone_options;
    alone_options.die_memory = false;
    station::RecurringMarkWatch alone(alone_options), with_memory;
    Tally inspection, by_alone, by_memory;
    const std::string die = "D" + std::to_string(d);
    cv::Mat in_frame;
    int first_on = -1, off = 0, before = 0, unmarked_after = 0;
    double length_at_first = 0;
    const int total = args.before + args.vein_parts;
    for (int k = 0; k < total; ++k) {
      const bool veined = k >= args.before;
      vein.length = veined ? 4 * std::pow(15.0, double(k - args.before) / args.vein_parts) : 0;
      const uint64_t part_seed = seed * 1'000'003 + static_cast<uint64_t>(k);
      const sim::RenderedPart part =
          veined ? renderer.Render(part_seed, {}, {&vein, 1}) : renderer.Render(part_seed);
      const Verdict v = inspector.Inspect(part.image, ws);
      if (v.decision == Decision::kHold) continue;
      // The vein grows along its path: where it lies is the union of where it has been.
      if (veined && (in_frame.empty() || k % 100 == 0)) {
        const cv::Mat now = VeinInFrame(part, ws, model);
        in_frame = in_frame.empty() ? now : (in_frame | now);
      }
      const auto mark = memory.Add(ws);
      std::optional<DieMarkSeen> seen;
      if (mark) seen = DieMarkSeen{mark->x, mark->y, mark->size, mark->sigma};
      const bool rejected = v.decision != Decision::kPass;
      inspection.Count(veined, rejected);
      by_alone.Count(veined, rejected || alone.Add(die, "m", v.findings, kNoRestart));
      by_memory.Count(veined, rejected || with_memory.Add(die, "m", v.findings, kNoRestart, seen));
      if (!mark) {
        unmarked_after += first_on >= 0;
        continue;
      }
      const bool on = veined && in_frame.at<uint8_t>(mark->canvas_peak) > 0;
      if (!veined)
        ++before;
      else if (!on)
        ++off;
      else if (first_on < 0)
        first_on = k, length_at_first = vein.length;
      if (k % 250 == 0)
        std::cerr << "die " << d << " part " << k << ": mark " << mark->sigma << " sigma "
                  << (on ? "on" : "off") << " the vein, peak " << mark->canvas_peak << " box "
                  << mark->canvas_box << ", vein " << cv::boundingRect(in_frame) << "\n";
    }
    const int ahead = first_on < 0 ? -1 : total - first_on;
    warned_500 += ahead >= 500;
    marks_off += off, marks_before += before;
    std::cerr << "die " << d << ": first mark on the vein " << ahead << " parts before failure ("
              << length_at_first << " px), " << off << " parts marked off it, " << before
              << " before it\n";
    std::cerr << "die " << d << ": vein parts passed (of " << inspection.vein_parts
              << "): inspection " << inspection.escapes << ", + recurring findings "
              << by_alone.escapes << ", + the memory's marks " << by_memory.escapes
              << "; parts before the vein rejected: " << inspection.false_rejects << ", "
              << by_alone.false_rejects << ", " << by_memory.false_rejects
              << "; vein parts the memory left unmarked after its first mark: " << unmarked_after
              << "\n";
    dies.push_back({{"seed", seed},
                    {"parts_ahead", ahead},
                    {"vein_px_at_first_mark", length_at_first},
                    {"parts_marked_off_vein", off},
                    {"parts_marked_before_vein", before},
                    {"parts_unmarked_after_first_mark", unmarked_after},
                    {"vein_parts", inspection.vein_parts},
                    {"escapes",
                     {{"inspection", inspection.escapes},
                      {"recurring_findings", by_alone.escapes},
                      {"recurring_with_memory", by_memory.escapes}}},
                    {"false_rejects",
                     {{"inspection", inspection.false_rejects},
                      {"recurring_findings", by_alone.false_rejects},
                      {"recurring_with_memory", by_memory.false_rejects}}}});
    totals[0].Add(inspection);
    totals[1].Add(by_alone);
    totals[2].Add(by_memory);
  }
  auto rates = [&](const Tally& t) {
    return nlohmann::json{
        {"escape_rate", t.vein_parts ? double(t.escapes) / t.vein_parts : 0.0},
        {"false_reject_rate", t.good_parts ? double(t.false_rejects) / t.good_parts : 0.0}};
  };
  std::cout << nlohmann::json{{"dies", dies},
                              {"warned_500_rate", double(warned_500) / args.dies},
                              {"parts_marked_off_vein", marks_off},
                              {"parts_marked_before_vein", marks_before},
                              {"inspection", rates(totals[0])},
                              {"recurring_findings", rates(totals[1])},
                              {"recurring_with_memory", rates(totals[2])}}
                   .dump()
            << "\n";
  return 0;
}
