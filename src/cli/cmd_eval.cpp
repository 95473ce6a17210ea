// cli/cmd_eval.cpp: `linesight eval` — how well a model separates good parts from defects:
// image AUROC, operating points, confusion at the model's threshold and, with masks, pixel
// AUROC and AUPRO; optionally an HTML report with charts and the worst-scored parts.
#include <algorithm>
#include <cmath>
#include <ctime>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <limits>
#include <set>
#include <sstream>

#include <CLI/CLI.hpp>
#include <opencv2/imgproc.hpp>

#include "cli/commands.h"
#include "cli/part_lists.h"
#include "cli/paths.h"
#include "cli/progress.h"
#include "core/error.h"
#include "core/json_text.h"
#include "core/sha256.h"
#include "inspect/eval_report.h"
#include "inspect/inspector.h"
#include "inspect/model_fit_check.h"
#include "inspect/overlay.h"
#include "vision/exposure.h"
#include "vision/image_io.h"

namespace linesight::cli {
namespace {

namespace fs = std::filesystem;

constexpr int kWorstShown = 8;
constexpr int kMaxMapSide = 256;  // maps are shrunk to this for pixel metrics (memory, speed)

struct Scored {
  fs::path path;
  float score;
  bool defect;
  uint64_t exposure_seed;  // 0 = as loaded
  Decision decision;
  bool unreadable;  // reported once already; the report does not read it again
  HoldReason reason;
};

// One line per image, for review in a spreadsheet or for picking a threshold by hand. Quotes
// paths (they may hold commas); a failed write is an error, not a silently short file.
void WriteScores(const std::vector<Scored>& scored, const std::string& path) {
  std::ofstream out(path);
  out << "path,label,score,verdict,gain,gamma\n";
  for (const auto& s : scored) {
    std::string quoted;
    for (char c : s.path.string()) {
      if (c == '"') quoted += '"';  // CSV doubles a quote inside a quoted field
      quoted += c;
    }
    const ExposureChange exposure =
        s.exposure_seed ? ExposureFromSeed(s.exposure_seed) : ExposureChange();
    out << '"' << quoted << "\"," << (s.defect ? "defect" : "good") << ',' << s.score << ','
        << DecisionName(s.decision) << ',' << exposure.gain << ',' << exposure.gamma << "\n";
  }
  out.flush();
  if (!out)
    throw Error(ErrorCategory::kIo, path + ": cannot write the scores file",
                "Check that the folder exists and is writable");
}

// The line's verdicts must give the counts eval reports: a held part is rejected, and pass or
// reject follows score > threshold. A disagreement is a bug in linesight, never in the data.
void CheckCountsMatchVerdicts(const EvalReport& report, const std::vector<Scored>& scored) {
  Confusion line;
  for (const auto& s : scored) {
    const bool rejected = s.decision != Decision::kPass;
    (s.defect ? (rejected ? line.defect_rejected : line.defect_passed)
              : (rejected ? line.good_rejected : line.good_passed))++;
  }
  // report.confusion counts the verdicts too; the score rule must give the same counts.
  const Confusion c = ConfusionAt(report.good_scores, report.defect_scores, report.threshold);
  if (line.good_passed != c.good_passed || line.good_rejected != c.good_rejected ||
      line.defect_passed != c.defect_passed || line.defect_rejected != c.defect_rejected)
    throw Error(ErrorCategory::kInternal,
                "eval's counts at the threshold differ from the line's verdicts",
                "This is a bug in linesight: please report it with the model and images");
}

struct NamedPoint {
  std::string name;
  OperatingPoint point;
  std::string command;  // sets the model to this point
};

// The model's own point and the two standard ones, each with the command that applies it.
std::vector<NamedPoint> OperatingPoints(const EvalReport& r, const std::string& model_path) {
  const auto command = [&](double threshold) {
    std::ostringstream s;
    s << "linesight model set --model " << model_path << " --threshold " << std::setprecision(9)
      << threshold;
    return s.str();
  };
  const Confusion& c = r.confusion;
  const double goods = static_cast<double>(c.good_passed + c.good_rejected);
  const double defects = static_cast<double>(c.defect_passed + c.defect_rejected);
  std::vector<NamedPoint> out;
  out.push_back({"model", {r.threshold, c.good_rejected / goods, c.defect_passed / defects}, ""});
  const OperatingPoint e1 = FrrAtEscape(r.good_scores, r.defect_scores, 0.01);
  out.push_back({"escapes<=1%", e1, command(e1.threshold)});
  const OperatingPoint f2 = EscapeAtFrr(r.good_scores, r.defect_scores, 0.02);
  out.push_back({"false_rejects<=2%", f2, command(f2.threshold)});
  const OperatingPoint f1 = EscapeAtFrr(r.good_scores, r.defect_scores, 0.01);
  out.push_back({"false_rejects<=1%", f1, command(f1.threshold)});
  return out;
}

// Good images the model was trained on score low by construction: an eval on them flatters the
// model (its false rejects near 0). The manifest keeps each training image's SHA-256.
void WarnOfTrainingImages(const InspectionModel& model, const std::vector<fs::path>& good) {
  std::set<std::string> trained;
  for (const auto& t : model.training.manifest)
    if (!t.sha256.empty() && (t.status == TrainingImage::Status::kUsed ||
                              t.status == TrainingImage::Status::kOutlierKept))
      trained.insert(t.sha256);
  if (trained.empty()) return;
  size_t seen = 0;
  for (const auto& f : good) {
    try {
      seen += trained.contains(Sha256File(f));
    } catch (const std::exception&) {  // unreadable: eval reports it where it reads the image
    }
  }
  if (seen == 0) return;
  std::cerr << "warning: " << seen << " of the " << good.size()
            << " good images are images the model was trained on: their scores are low by "
               "construction, so the false-reject figures flatter the model; evaluate on good "
               "images kept out of training\n";
}

void PrintOperatingPoints(const std::vector<NamedPoint>& points) {
  std::cout << "  operating points (the line rejects when the score is above the threshold):\n"
            << "    point               threshold  false rejects  escapes\n";
  for (const auto& p : points) {
    std::cout << "    " << std::left << std::setw(18) << p.name << std::right << std::setw(11)
              << std::setprecision(5) << p.point.threshold << std::setw(14) << std::fixed
              << std::setprecision(2) << p.point.false_reject_rate * 100 << "%" << std::setw(8)
              << p.point.escape_rate * 100 << "%" << std::defaultfloat << "\n";
    if (!p.command.empty()) std::cout << "      " << p.command << "\n";
  }
}

}  // namespace

void AddEvalCommand(CLI::App& app, CommandBody& body) {
  struct Args {
    std::string model, good, defect, masks, report, scores;
    bool json = false;
    uint64_t vary_exposure = 0;
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd =
      app.add_subcommand("eval", "Measure how well a model separates good parts from defects");
  cmd->add_option("--model", args->model, "Model file")->required();
  cmd->add_option("--good", args->good, "Folder of good images")->required();
  cmd->add_option("--defect", args->defect, "Folder of defective images")->required();
  cmd->add_option("--masks", args->masks,
                  "Folder of defect masks (PNG named like the image; non-zero = defect)");
  cmd->add_flag("--json", args->json, "Print one JSON object");
  cmd->add_option("--report", args->report, "Write an HTML report here");
  cmd->add_option(
      "--scores", args->scores,
      "Write every image's score to this CSV file (path, label, score, verdict, and the "
      "exposure gain and gamma it was given)");
  cmd->add_option("--vary-exposure", args->vary_exposure,
                  "Robustness check: give each image a random exposure gain (0.6-1.5) and gamma "
                  "(0.7-1.4) drawn from this seed (0 = off)");
  cmd->callback([args, &body] {
    body = [args] {
      InspectionModel model = LoadInspectionModel(args->model);
      // Wrong paths and unwritable outputs fail now, not after every image has been inspected.
      RequireFolder("--good", args->good);
      RequireFolder("--defect", args->defect);
      if (!args->masks.empty()) RequireFolder("--masks", args->masks);
      if (!args->report.empty()) RequireOutputFile("--report", args->report, "report.html");
      if (!args->scores.empty()) {
        RequireOutputFile("--scores", args->scores, "scores.csv");
        WriteScores({}, args->scores);
      }
      Inspector inspector(model);
      Workspace ws;
      auto good = ListInputImages({args->good}, "--good");
      auto defect = ListDefectImages(args->defect, "--defect");
      WarnOfTrainingImages(model, good);
      if (!args->masks.empty()) {
        // Masks named for no defect image would silently give no pixel metrics.
        int matched = 0;
        for (const auto& f : defect)
          matched += fs::is_regular_file(fs::path(args->masks) / (f.stem().string() + ".png"));
        if (matched == 0)
          throw Error(ErrorCategory::kData,
                      "--masks " + args->masks + ": no mask matches any of the " +
                          std::to_string(defect.size()) + " defect images (looked for " +
                          (fs::path(args->masks) / (defect[0].stem().string() + ".png")).string() +
                          " and the like)",
                      "Give --masks the folder of masks named like the defect images, as "
                      "<name>.png (" +
                          defect[0].stem().string() + ".png for " + defect[0].filename().string() +
                          ")");
        if (matched < static_cast<int>(defect.size()))
          std::cerr << "linesight: --masks " << args->masks << ": "
                    << defect.size() - static_cast<size_t>(matched) << " of " << defect.size()
                    << " defect images have no mask there; pixel metrics use the other " << matched
                    << "\n";
      }
      EvalReport report;
      report.model_path = args->model;
      report.model_kind = "cell_stats";
      report.model_version = model.training.linesight_version + " / " + model.Id();
      report.recipe_name = model.recipe.name;
      report.trained_images = model.training.good_images;
      report.threshold = model.threshold;
      report.data_path = args->good + " + " + args->defect;
      PixelMetrics pixels;
      bool any_mask = false;
      int holds = 0, unreadable = 0;
      int unreadable_of[2] = {0, 0};  // good, defective
      std::vector<Scored> scored;
      ModelFitCheck fit;  // on the good parts: defects may all score far above
      Progress progress("eval");
      const int total = static_cast<int>(good.size() + defect.size());
      int done = 0;
      for (int set = 0; set < 2; ++set) {
        for (const auto& file : set == 0 ? good : defect) {
          progress.Update(++done, total, "inspect");
          cv::Mat image;
          try {
            image = LoadGrey(file);
          } catch (const Error& e) {
            progress.Finish();
            std::cerr << "warning: " << e.what() << " (counted as held)\n";
            ++unreadable;
            ++unreadable_of[set];
          }
          const uint64_t exposure_seed =
              args->vary_exposure ? args->vary_exposure * 1000003u + static_cast<uint64_t>(done)
                                  : 0;
          if (!image.empty() && exposure_seed)
            ApplyExposure(ExposureFromSeed(exposure_seed), image);
          Verdict v = image.empty() ? HoldVerdict(HoldReason::kBadImage, "unreadable")
                                    : inspector.Inspect(image, ws);
          // The line rejects a held part: score it well above the threshold (finite, for charts).
          float score =
              v.decision == Decision::kHold ? std::max(v.score, 10 * model.threshold) : v.score;
          if (v.decision == Decision::kHold) ++holds;
          if (set == 0) fit.Add(v);
          (set == 0 ? report.good_scores : report.defect_scores).push_back(score);
          scored.push_back(
              {file, score, set == 1, exposure_seed, v.decision, image.empty(), v.reason});
          if (image.empty() || v.decision == Decision::kHold) continue;
          fs::path mask_path = set == 1 ? FindMask(file, args->masks) : fs::path();
          if (set == 1 && mask_path.empty()) continue;
          cv::Mat mask = mask_path.empty() ? cv::Mat() : LoadGrey(mask_path);
          if (!mask.empty() && mask.size() != image.size())
            throw Error(ErrorCategory::kData,
                        mask_path.string() + ": mask size differs from its image",
                        "Masks must have the image's width and height");
          any_mask = any_mask || !mask.empty();
          cv::Mat heat = inspector.HeatmapInImage(image.size(), ws);
          double f = std::min(1.0, double(kMaxMapSide) / std::max(image.cols, image.rows));
          if (f < 1) {
            cv::resize(heat, heat, cv::Size(), f, f, cv::INTER_AREA);
            if (!mask.empty()) cv::resize(mask, mask, heat.size(), 0, 0, cv::INTER_NEAREST);
          }
          pixels.Add(heat, mask);
        }
      }
      progress.Finish();
      // The report counts the verdicts themselves, and names each defect's class.
      for (const auto& s : scored)
        report.parts.push_back({s.path.filename().string(), s.path.string(),
                                s.defect ? DefectClassOf(s.path, args->defect) : "", s.defect,
                                s.score, s.decision, s.reason});
      report.scores_csv = args->scores;
      FillImageMetrics(report);
      CheckCountsMatchVerdicts(report, scored);
      if (any_mask) {
        report.pixel_auroc = pixels.Auroc();
        report.aupro = pixels.Aupro();
      }
      // Worst parts: highest-scored good parts and lowest-scored defects, with overlays.
      std::vector<Scored> goods, defects;
      for (const auto& s : scored) (s.defect ? defects : goods).push_back(s);
      std::sort(goods.begin(), goods.end(), [](auto& a, auto& b) { return a.score > b.score; });
      std::sort(defects.begin(), defects.end(), [](auto& a, auto& b) { return a.score < b.score; });
      for (const auto* list : {&goods, &defects})
        for (size_t i = 0; i < list->size() && i < kWorstShown; ++i) {
          const auto& s = (*list)[i];
          ReportPart part{s.path.filename().string(),
                          s.defect,
                          s.score,
                          std::string(DecisionName(s.decision)),
                          cv::Mat(),
                          ""};
          if (s.decision == Decision::kHold) part.detail = HoldReasonName(s.reason);
          if (s.unreadable) {
            report.worst_parts.push_back(std::move(part));
            continue;
          }
          try {
            cv::Mat image = LoadGrey(s.path);
            if (s.exposure_seed) ApplyExposure(ExposureFromSeed(s.exposure_seed), image);
            Verdict v = inspector.Inspect(image, ws);
            part.detail = v.detail;
            // Drawn at the report's size, so lines stay visible; the card shows the verdict.
            OverlayOptions overlay;
            overlay.max_side = 320;
            overlay.banner = overlay.legend = false;
            const fs::path mask = s.defect ? FindMask(s.path, args->masks) : fs::path();
            if (!mask.empty()) overlay.truth_mask = LoadGrey(mask);
            if (overlay.truth_mask.size() != image.size()) overlay.truth_mask = cv::Mat();
            part.overlay = DrawOverlay(inspector, image, v, ws, overlay);
          } catch (const Error&) {
            part.detail = "could not be read again for its picture";
          }
          report.worst_parts.push_back(std::move(part));
        }
      if (!args->report.empty()) WriteHtmlReport(report, args->report);
      if (!args->scores.empty()) WriteScores(scored, args->scores);
      auto j = ToJson(report);
      // Operating points from a set none of whose images could be read would be commands that
      // set a threshold from nothing (all held: every threshold "rejects" them).
      const bool usable = unreadable_of[0] < static_cast<int>(good.size()) &&
                          unreadable_of[1] < static_cast<int>(defect.size());
      const auto points = usable ? OperatingPoints(report, args->model) : std::vector<NamedPoint>{};
      j["operating_points"] = nlohmann::json::array();
      for (const auto& p : points)
        j["operating_points"].push_back({{"name", p.name},
                                         {"threshold", p.point.threshold},
                                         {"false_reject_rate", p.point.false_reject_rate},
                                         {"escape_rate", p.point.escape_rate},
                                         {"command", p.command}});
      j["holds"] = holds;
      j["unreadable"] = unreadable;
      if (args->json) {
        std::cout << JsonText(j) << "\n";
      } else {
        const auto& c = report.confusion;
        std::cout << std::fixed << std::setprecision(4) << "eval: " << good.size() << " good, "
                  << defect.size() << " defective (" << holds << " held)\n"
                  << "  image AUROC                    " << report.image_auroc << "\n";
        if (report.pixel_auroc)
          std::cout << "  pixel AUROC                    " << *report.pixel_auroc << "\n"
                    << "  AUPRO (FPR <= 30%)             " << *report.aupro << "\n";
        std::cout << std::setprecision(1) << "  false rejects at <=1% escapes  "
                  << report.frr_at_escape_1pct * 100 << "%\n"
                  << "  escapes at <=2% false rejects  " << report.escape_at_frr_2pct * 100 << "%\n"
                  << "  at the model's threshold " << std::setprecision(3) << report.threshold
                  << ":\n"
                  << "    good:   " << c.good_passed << " passed, " << c.good_rejected
                  << " rejected\n"
                  << "    defect: " << c.defect_rejected << " rejected, " << c.defect_passed
                  << " escaped\n";
        PrintOperatingPoints(points);
        if (args->vary_exposure)
          std::cout << "  these rates are of the images re-exposed at random (--vary-exposure): "
                       "judge the model's robustness by them, and take a threshold from a run "
                       "without the option\n";
        if (!args->report.empty()) std::cout << "  report: " << args->report << "\n";
      }
      for (const auto& w : model.training.warnings)
        std::cerr << "warning: model " << args->model << ": " << w << "\n";
      if (const std::string w = fit.Warning(); !w.empty())
        std::cerr << "warning: of the good parts, " << w << "\n";
      if (!usable)
        std::cerr << "linesight: none of the "
                  << (unreadable_of[0] == static_cast<int>(good.size())
                          ? "good images (" + args->good
                          : "defective images (" + args->defect)
                  << ") could be read, so no operating point is proposed; fix or replace them "
                     "and run eval again\n";
      if (unreadable) {
        std::cerr << "linesight: " << unreadable
                  << " images could not be read (counted as held; see the warnings above)\n";
        return kExitFailure;
      }
      return kExitOk;
    };
  });
}

}  // namespace linesight::cli
