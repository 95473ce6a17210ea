// cli/cmd_tune.cpp: `linesight tune` — with labelled good and defective parts, picks the
// operating point (threshold and minimum defect area) with the fewest false rejects for a target
// escape rate, or the fewest escapes for a false-reject budget; prints it as a ready command and,
// with --apply, writes it into the model.
#include <algorithm>
#include <cfloat>
#include <cmath>
#include <iomanip>
#include <iostream>
#include <optional>

#include <CLI/CLI.hpp>

#include "cli/commands.h"
#include "cli/part_lists.h"
#include "cli/progress.h"
#include "core/error.h"
#include "inspect/inspector.h"
#include "inspect/metrics.h"
#include "vision/image_io.h"

namespace linesight::cli {
namespace {

// Minimum areas tried by default, image pixels: from single pixels to a blob of ~9 px across.
const std::vector<double> kDefaultAreas = {1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64};

struct Candidate {
  double min_area = 0;
  OperatingPoint point;
};

// Every part's decision score at every area; a held part is rejected at any operating point.
// Returns how many of `files` could not be read (each counted as held: rejected at every point).
int ScoreParts(const Inspector& inspector, const std::vector<std::filesystem::path>& files,
               const std::vector<double>& areas, std::vector<std::vector<float>>& scores,
               Progress& progress, int& done, int total) {
  int unreadable = 0;
  Workspace ws;
  AreaPeakScratch scratch;
  Verdict v;
  std::vector<float> row(areas.size());
  for (const auto& file : files) {
    progress.Update(++done, total, "inspect");
    try {
      inspector.Inspect(LoadGrey(file), ws, Deadline::Never(), v);
    } catch (const Error& e) {
      progress.Finish();
      std::cerr << "warning: " << e.what() << " (counted as held: rejected at every point)\n";
      v = HoldVerdict(HoldReason::kBadImage, e.what());
      ++unreadable;
    }
    if (v.decision == Decision::kHold)
      std::fill(row.begin(), row.end(), FLT_MAX);
    else
      inspector.ScoresAtAreas(ws, areas, row, scratch);
    for (size_t a = 0; a < areas.size(); ++a) scores[a].push_back(row[a]);
  }
  return unreadable;
}

std::string Pct(double f) {
  std::ostringstream s;
  s << std::fixed << std::setprecision(2) << f * 100 << "%";
  return s.str();
}

}  // namespace

void AddTuneCommand(CLI::App& app, CommandBody& body) {
  struct Args {
    std::string model, good, defect, out;
    std::optional<double> max_escape, max_frr;
    std::vector<double> areas;
    bool apply = false, json = false;
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand(
      "tune", "Pick threshold and minimum defect area from labelled good and defective parts");
  cmd->add_option("--model", args->model, "Model file")->required();
  cmd->add_option("--good", args->good, "Folder of good images")->required();
  cmd->add_option("--defect", args->defect, "Folder of defective images")->required();
  auto* esc = cmd->add_option("--max-escape", args->max_escape,
                              "Target: fewest false rejects with at most this share of defects "
                              "passed (default 0.01)")
                  ->check(CLI::Range(0.0, 1.0));
  cmd->add_option("--max-frr", args->max_frr,
                  "Target instead: fewest escapes with at most this share of good parts rejected")
      ->check(CLI::Range(0.0, 1.0))
      ->excludes(esc);
  cmd->add_option("--areas", args->areas, "Minimum areas to try, image pixels (default 1 ... 64)")
      ->check(CLI::Range(0.0, 1e6));
  cmd->add_flag("--apply", args->apply, "Write the chosen operating point into the model");
  cmd->add_option("--out", args->out,
                  "With --apply: write the tuned model here (default: in place)");
  cmd->add_flag("--json", args->json, "Print one JSON object");
  cmd->callback([args, &body] {
    body = [args] {
      InspectionModel model = LoadInspectionModel(args->model);
      std::vector<double> areas = args->areas.empty() ? kDefaultAreas : args->areas;
      areas.push_back(model.recipe.min_defect_area_px);  // the current point is always a candidate
      std::sort(areas.begin(), areas.end());
      areas.erase(std::unique(areas.begin(), areas.end()), areas.end());
      if (areas.size() > 64)
        throw Error(ErrorCategory::kInput,
                    "too many --areas (" + std::to_string(areas.size()) + ")",
                    "Give at most 63 minimum areas");
      const auto good = ListParts(args->good), defect = ListParts(args->defect);
      if (good.empty() || defect.empty())
        throw Error(ErrorCategory::kData,
                    (good.empty() ? args->good : args->defect) + ": no images found",
                    "tune needs good and defective images (jpg, png, bmp, pgm)");
      const Inspector inspector(model);
      std::vector<std::vector<float>> good_scores(areas.size()), defect_scores(areas.size());
      Progress progress("tune");
      const int total = static_cast<int>(good.size() + defect.size());
      int done = 0;
      const int bad_good = ScoreParts(inspector, good, areas, good_scores, progress, done, total);
      const int bad_defect =
          ScoreParts(inspector, defect, areas, defect_scores, progress, done, total);
      progress.Finish();
      // A set of which nothing could be read would make any threshold look right for it.
      if (bad_good == static_cast<int>(good.size()) ||
          bad_defect == static_cast<int>(defect.size()))
        throw Error(
            ErrorCategory::kData,
            "none of the " +
                (bad_good == static_cast<int>(good.size())
                     ? std::to_string(good.size()) + " good images in " + args->good
                     : std::to_string(defect.size()) + " defective images in " + args->defect) +
                " could be read, so no threshold can be tuned on them",
            "Fix or replace the images (the warnings above name each), then tune again");

      const bool by_frr = args->max_frr.has_value();
      const double target = by_frr ? *args->max_frr : args->max_escape.value_or(0.01);
      std::vector<Candidate> candidates;
      for (size_t a = 0; a < areas.size(); ++a)
        candidates.push_back(
            {areas[a], by_frr ? EscapeAtFrr(good_scores[a], defect_scores[a], target)
                              : FrrAtEscape(good_scores[a], defect_scores[a], target)});
      // Fewest errors of the kind not bounded; ties: fewer of the other, then the model's own area
      // (no change for no measured gain), then the smaller area.
      const double own_area = model.recipe.min_defect_area_px;
      const auto best = std::min_element(
          candidates.begin(), candidates.end(), [&](const Candidate& x, const Candidate& y) {
            const double x1 = by_frr ? x.point.escape_rate : x.point.false_reject_rate;
            const double y1 = by_frr ? y.point.escape_rate : y.point.false_reject_rate;
            if (x1 != y1) return x1 < y1;
            const double x2 = by_frr ? x.point.false_reject_rate : x.point.escape_rate;
            const double y2 = by_frr ? y.point.false_reject_rate : y.point.escape_rate;
            if (x2 != y2) return x2 < y2;
            if ((x.min_area == own_area) != (y.min_area == own_area)) return x.min_area == own_area;
            return x.min_area < y.min_area;
          });
      std::ostringstream command;
      command << "linesight model set --model " << args->model << " --threshold "
              << std::setprecision(9) << best->point.threshold << " --min-area " << best->min_area;

      if (args->json) {
        nlohmann::json rows = nlohmann::json::array();
        for (const auto& c : candidates)
          rows.push_back({{"min_area_px", c.min_area},
                          {"threshold", c.point.threshold},
                          {"false_reject_rate", c.point.false_reject_rate},
                          {"escape_rate", c.point.escape_rate}});
        std::cout << nlohmann::json{{"target", {{by_frr ? "max_frr" : "max_escape", target}}},
                                    {"good", good.size()},
                                    {"defect", defect.size()},
                                    {"candidates", rows},
                                    {"best",
                                     {{"min_area_px", best->min_area},
                                      {"threshold", best->point.threshold},
                                      {"false_reject_rate", best->point.false_reject_rate},
                                      {"escape_rate", best->point.escape_rate}}},
                                    {"command", command.str()}}
                         .dump()
                  << "\n";
      } else {
        std::cout << "tune: " << good.size() << " good, " << defect.size() << " defective; "
                  << (by_frr ? "fewest escapes with false rejects <= "
                             : "fewest false rejects with escapes <= ")
                  << Pct(target) << "\n\n  min area  threshold     false rejects  escapes\n";
        for (const auto& c : candidates)
          std::cout << "  " << std::setw(6) << c.min_area << " px  " << std::setw(11)
                    << std::setprecision(6) << c.point.threshold << "  " << std::setw(13)
                    << Pct(c.point.false_reject_rate) << "  " << std::setw(7)
                    << Pct(c.point.escape_rate)
                    << (c.min_area == model.recipe.min_defect_area_px ? "   (the model's area)"
                                                                      : "")
                    << (&c == &*best ? "   <- best" : "") << "\n";
        std::cout << "\n  the model now: threshold " << std::setprecision(9) << model.threshold
                  << ", min area " << model.recipe.min_defect_area_px << " px\n"
                  << "  best:          " << command.str() << "\n"
                  << "  These rates are measured on the images tuned on: check the point on other "
                     "parts with `linesight eval`.\n";
      }
      if (args->apply) {
        model.threshold = static_cast<float>(best->point.threshold);
        model.recipe.min_defect_area_px = best->min_area;
        std::ostringstream source;
        source << "set by `linesight tune` for " << (by_frr ? "false rejects <= " : "escapes <= ")
               << Pct(target) << " on " << good.size() << " good and " << defect.size()
               << " defective parts";
        model.threshold_source = source.str();
        const std::string out = args->out.empty() ? args->model : args->out;
        SaveInspectionModel(model, out);
        if (!args->json) std::cout << "  applied: model written to " << out << "\n";
      }
      return kExitOk;
    };
  });
}

}  // namespace linesight::cli
