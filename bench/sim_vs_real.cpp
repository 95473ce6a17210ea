// bench/sim_vs_real.cpp: puts simulated parts and real castings side by side in what the
// inspection engine sees — background, part brightness, fine grain and coarse texture (on the
// face and on the table), and each simulated defect's contrast — and writes a picture of both
// (docs/simulator.md).
//   usage: sim_vs_real REAL_GOOD_DIR OUT.png [COUNT]
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "sim/part_renderer.h"
#include "vision/image_io.h"
#include "vision/part_locator.h"

namespace {

namespace fs = std::filesystem;
using linesight::sim::DefectType;

struct Stats {
  double background = 0, part = 0, grain = 0, texture = 0, table_grain = 0, table_texture = 0,
         table_blotch = 0;
};

// The part's rim as the inspection engine finds it (vision/part_locator.h).
bool FindDisc(const cv::Mat& grey, cv::Point2f& centre, float& radius) {
  const linesight::PartPose pose = linesight::LocatePart(grey, linesight::LocateOptions());
  centre = cv::Point2f(static_cast<float>(pose.centre.x), static_cast<float>(pose.centre.y));
  radius = static_cast<float>(pose.radius);
  return pose.found;
}

// Background outside 1.1 radii; part, grain and texture on the face between 0.35 and 0.85 radii
// (inside the rim, outside the hub): grain = spread of detail finer than 1.5 px, texture = spread
// between 1.5 and 6 px; the same two on the table, 1.15 radii out and 8 px inside the frame, and
// its blotches (6 to 24 px).
bool Measure(const cv::Mat& grey, Stats& s) {
  cv::Point2f c;
  float r;
  if (!FindDisc(grey, c, r)) return false;
  cv::Mat outside(grey.size(), CV_8U, cv::Scalar(255)), face(grey.size(), CV_8U, cv::Scalar(0));
  cv::circle(outside, c, static_cast<int>(r * 1.1f), cv::Scalar(0), -1);
  cv::circle(face, c, static_cast<int>(r * 0.85f), cv::Scalar(255), -1);
  cv::circle(face, c, static_cast<int>(r * 0.35f), cv::Scalar(0), -1);
  cv::Mat f, fine, coarse;
  grey.convertTo(f, CV_32F);
  cv::GaussianBlur(f, fine, {0, 0}, 1.5);
  cv::GaussianBlur(f, coarse, {0, 0}, 6);
  cv::Scalar m, sd;
  s.background = cv::mean(grey, outside)[0];
  s.part = cv::mean(grey, face)[0];
  cv::meanStdDev(f - fine, m, sd, face);
  s.grain = sd[0];
  cv::meanStdDev(fine - coarse, m, sd, face);
  s.texture = sd[0];
  cv::Mat table(grey.size(), CV_8U, cv::Scalar(0));
  cv::rectangle(table, cv::Rect(8, 8, grey.cols - 16, grey.rows - 16), cv::Scalar(255), -1);
  cv::circle(table, c, static_cast<int>(r * 1.15f), cv::Scalar(0), -1);
  if (cv::countNonZero(table) < 100) return false;
  cv::meanStdDev(f - fine, m, sd, table);
  s.table_grain = sd[0];
  cv::meanStdDev(fine - coarse, m, sd, table);
  s.table_texture = sd[0];
  cv::Mat broad;
  cv::GaussianBlur(f, broad, {0, 0}, 24);
  cv::meanStdDev(coarse - broad, m, sd, table);
  s.table_blotch = sd[0];
  return true;
}

Stats Median(std::vector<Stats> v) {
  auto med = [&](double Stats::*field) {
    std::vector<double> x;
    for (const auto& s : v) x.push_back(s.*field);
    std::nth_element(x.begin(), x.begin() + static_cast<long>(x.size() / 2), x.end());
    return x[x.size() / 2];
  };
  return {med(&Stats::background),  med(&Stats::part),        med(&Stats::grain),
          med(&Stats::texture),     med(&Stats::table_grain), med(&Stats::table_texture),
          med(&Stats::table_blotch)};
}

void Print(const char* what, const Stats& s, size_t n) {
  std::printf("%-22s %6zu %12.1f %10.1f %8.2f %9.2f %12.2f %14.2f %13.2f\n", what, n, s.background,
              s.part, s.grain, s.texture, s.table_grain, s.table_texture, s.table_blotch);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: sim_vs_real REAL_GOOD_DIR OUT.png [COUNT]\n");
    return 2;
  }
  const size_t count = argc > 3 ? std::stoul(argv[3]) : 200;
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(argv[1]))
    if (linesight::HasImageExtension(e.path())) files.push_back(e.path());
  std::sort(files.begin(), files.end());
  if (files.size() > count) files.resize(count);
  std::vector<Stats> real, sim;
  std::vector<cv::Mat> real_images, sim_images;
  for (const auto& p : files) {
    const cv::Mat g = linesight::LoadGrey(p);
    Stats s;
    if (Measure(g, s)) real.push_back(s);
    if (real_images.size() < 3) real_images.push_back(g);
  }
  const linesight::sim::PartRenderer renderer;
  for (size_t i = 0; i < files.size(); ++i) {
    const cv::Mat g = renderer.Render(i + 1).image;
    Stats s;
    if (Measure(g, s)) sim.push_back(s);
    if (sim_images.size() < 3) sim_images.push_back(g);
  }
  if (real.empty() || sim.empty()) {
    std::fprintf(stderr, "sim_vs_real: no part found in the images\n");
    return 1;
  }
  std::printf("%-22s %6s %12s %10s %8s %9s %12s %14s %13s\n", "median of", "images", "background",
              "part", "grain", "texture", "table grain", "table texture", "table blotch");
  Print("real castings", Median(real), real.size());
  Print("simulated parts", Median(sim), sim.size());
  // Each simulated defect's contrast: mean |defect - same part without it| over its mask.
  std::printf(
      "\nsimulated defect contrast (grey levels, mean over the defect's pixels, 40 each)\n");
  for (const DefectType type : linesight::sim::AllDefectTypes()) {
    double sum = 0, area = 0;
    for (uint64_t seed = 1; seed <= 40; ++seed) {
      const DefectType d[] = {type};
      const auto bad = renderer.Render(7000 + seed, d);
      const auto good = renderer.Render(7000 + seed);
      cv::Mat diff;
      cv::absdiff(bad.image, good.image, diff);
      sum += cv::mean(diff, bad.mask)[0];
      area += cv::countNonZero(bad.mask);
    }
    std::printf("  %-10s %5.1f   (%.0f px)\n",
                std::string(linesight::sim::DefectName(type)).c_str(), sum / 40, area / 40);
  }
  cv::Mat top, bottom, all;
  cv::hconcat(real_images, top);
  cv::hconcat(sim_images, bottom);
  cv::vconcat(top, bottom, all);
  cv::imwrite(argv[2], all);
  std::printf("\npicture: %s (top: real castings, bottom: simulated parts)\n", argv[2]);
  return 0;
}
