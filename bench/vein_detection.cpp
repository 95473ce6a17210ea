// bench/vein_detection.cpp: how often the line sees a die vein, by its length. Trains the demo's
// model (the simulated impeller, rings cut into 1 px arcs) on good parts, renders unseen parts
// with one vein each of a given length at a random place and heading, and counts the line's own
// verdicts (hold counts as seen: the part does not pass). process_sim_bench assumes a detection
// curve (0 at --seen-from 4 px, 0.95 from --seen-full 12 px); this measures the real one. Also
// how often the anomaly map along the vein reaches 0.8 x the threshold (the recurring-mark
// watch's faint places, docs/station.md) and how many faint places a good part has.
// Progress on stderr; one JSON object on stdout.
//   usage: vein_detection_bench [--train N] [--parts N] [--lengths 4,8,...]
#include <cmath>
#include <cstdlib>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "demo_model.h"
#include "inspect/inspector.h"
#include "sim/part_renderer.h"
#include "sim/rng.h"

#include <opencv2/imgproc.hpp>

namespace {

using namespace linesight;
constexpr double kPi = 3.14159265358979323846;
constexpr double kFaintShare = 0.8;  // RecurringMarkOptions::faint_share's default

struct Args {
  int train = 120, parts = 60;
  std::vector<double> lengths{4, 6, 8, 12, 16, 24, 32, 48};
};

Args Parse(int argc, char** argv) {
  Args a;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string k = argv[i], v = argv[i + 1];
    if (k == "--train") {
      a.train = std::atoi(v.c_str());
    } else if (k == "--parts") {
      a.parts = std::atoi(v.c_str());
    } else if (k == "--lengths") {
      a.lengths.clear();
      std::stringstream s(v);
      for (std::string x; std::getline(s, x, ',');) a.lengths.push_back(std::atof(x.c_str()));
    } else {
      std::cerr << "unknown option " << k << "\n";
      std::exit(2);
    }
  }
  return a;
}

// A vein as a die would make one: starting on the cast face, growing in any direction.
sim::DieVein RandomVein(sim::Rng& rng, double length) {
  const double r = rng.Uniform(0.40, 0.85), a = rng.Uniform(0, 2 * kPi);
  return {{r * std::cos(a), r * std::sin(a)}, rng.Uniform(0, 2 * kPi), length, rng.Next()};
}

}  // namespace

int main(int argc, char** argv) {
  const Args args = Parse(argc, argv);
  const sim::PartRenderer renderer;
  std::cerr << "training on " << args.train << " good parts\n";
  const InspectionModel model = bench::TrainDemoModel(renderer, args.train);
  const Inspector inspector(model);
  Workspace ws;
  const auto seen = [&](const cv::Mat& image) {
    return inspector.Inspect(image, ws).decision != Decision::kPass;
  };
  // The map along the vein (its mask, widened by 2 px) reaches the faint share of the threshold.
  const auto faint_on_vein = [&](const sim::RenderedPart& part) {
    cv::Mat near, heat = inspector.HeatmapInImage(part.image.size(), ws, 1.0);
    cv::dilate(part.mask, near, cv::Mat::ones(5, 5, CV_8U));
    double peak = 0;
    cv::minMaxLoc(heat, nullptr, &peak, nullptr, nullptr, near);
    return peak >= kFaintShare;
  };
  nlohmann::json by_length = nlohmann::json::array();
  int false_rejects = 0, faint_places = 0;
  std::vector<FaintPlace> faint;
  for (int k = 0; k < args.parts; ++k) {
    false_rejects += seen(renderer.Render(200001 + static_cast<uint64_t>(k)).image);
    inspector.FaintPlaces(ws, kFaintShare, faint);
    faint_places += static_cast<int>(faint.size());
  }
  for (double length : args.lengths) {
    sim::Rng rng(static_cast<uint64_t>(length * 1000), 0x5EE);
    int hits = 0, faint_hits = 0;
    for (int k = 0; k < args.parts; ++k) {
      const sim::DieVein vein = RandomVein(rng, length);
      const sim::RenderedPart part =
          renderer.Render(200001 + static_cast<uint64_t>(k), {}, {&vein, 1});
      hits += seen(part.image);
      faint_hits += faint_on_vein(part);
    }
    const double rate = static_cast<double>(hits) / args.parts;
    std::cerr << "vein " << length << " px: seen on " << hits << " of " << args.parts
              << ", the map along it at >= " << kFaintShare << " x the threshold on " << faint_hits
              << "\n";
    by_length.push_back({{"length_px", length},
                         {"parts", args.parts},
                         {"seen_rate", rate},
                         {"faint_rate", static_cast<double>(faint_hits) / args.parts}});
  }
  const nlohmann::json out = {
      {"train", args.train},
      {"threshold", model.threshold},
      {"false_reject_rate", static_cast<double>(false_rejects) / args.parts},
      {"faint_places_per_good_part", static_cast<double>(faint_places) / args.parts},
      {"by_length", by_length}};
  std::cout << out.dump() << "\n";
  return 0;
}
