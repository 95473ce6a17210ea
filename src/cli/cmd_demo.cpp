// cli/cmd_demo.cpp: `linesight demo` — the engine end to end on generated castings: learn the
// part from good shots, then inspect a batch from 9 machines and report what was caught, with
// heatmap pictures and an HTML report. No camera, no data set, no configuration needed.
#include <algorithm>
#include <filesystem>
#include <iomanip>
#include <iostream>
#include <map>

#include <CLI/CLI.hpp>
#include <opencv2/imgcodecs.hpp>

#include "cli/commands.h"
#include "cli/paths.h"
#include "cli/progress.h"
#include "core/clock.h"
#include "core/error.h"
#include "inspect/eval_report.h"
#include "inspect/inspector.h"
#include "inspect/trainer.h"
#include "sim/part_renderer.h"

namespace linesight::cli {
namespace {

namespace fs = std::filesystem;

constexpr int kMachines = 9;

// Deterministic per-shot defect plan: most machines run clean; machine 7's die is wearing.
std::vector<sim::DefectType> PlanDefects(int machine, int shot) {
  uint64_t h = (static_cast<uint64_t>(machine) * 1000003u + static_cast<uint64_t>(shot)) *
               0x9E3779B97F4A7C15ull;
  h ^= h >> 31;
  const double u = (h % 10000) / 10000.0;
  const double rate = machine == 7 ? 0.35 : 0.08;
  if (u >= rate) return {};
  auto types = sim::AllDefectTypes();
  if (machine == 7) return {(h >> 20) % 2 ? sim::DefectType::kCrack : sim::DefectType::kColdShut};
  return {types[(h >> 20) % types.size()]};
}

struct MachineTally {
  int parts = 0, pass = 0, reject = 0, hold = 0, defects = 0, caught = 0, false_rejects = 0;
};

}  // namespace

void AddDemoCommand(CLI::App& app, CommandBody& body) {
  struct Args {
    std::string out = "demo-out";
    int train = 120, shots = 20;
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd =
      app.add_subcommand("demo", "Train on generated castings and inspect a batch from 9 machines");
  cmd->add_option("--out", args->out, "Folder for heatmaps, the model and the HTML report");
  cmd->add_option("--train", args->train, "Good parts to learn from")->check(CLI::Range(8, 5000));
  cmd->add_option("--shots", args->shots, "Shots per machine to inspect")
      ->check(CLI::Range(1, 10000));
  cmd->callback([args, &body] {
    body = [args] {
      const fs::path out(args->out);
      PrepareOutputFolder("--out", out);
      fs::create_directories(out / "heatmaps");
      sim::PartRenderer renderer;
      std::cout << "linesight demo: a die-casting cell of " << kMachines
                << " machines, parts rendered by the simulator\n\n"
                << "1. learning the part from " << args->train << " good castings\n";
      std::vector<cv::Mat> good;
      std::vector<std::string> names;
      for (int i = 0; i < args->train; ++i) {
        good.push_back(renderer.Render(static_cast<uint64_t>(i) + 1).image);
        names.push_back("train_" + std::to_string(i + 1));
      }
      Progress progress("demo");
      TrainOptions options;
      options.progress = [&](int d, int t, const char* s) { progress.Update(d, t, s); };
      InspectionModel model = TrainFromImages(DefaultRecipe(), good, names, options);
      progress.Finish();
      SaveInspectionModel(model, out / "model.lsm");
      std::cout << "   model " << (out / "model.lsm").string() << ": threshold " << model.threshold
                << ", set from " << model.training.calibration_images << " out-of-fold scores, "
                << std::fixed << std::setprecision(2) << model.training.seconds << " s\n\n";

      const int total = kMachines * args->shots;
      std::cout << "2. inspecting " << total << " shots (" << args->shots << " per machine)\n";
      Inspector inspector(model);
      Workspace ws;
      Verdict v;  // reused with the workspace: after warm-up nothing is allocated per part
      std::map<int, MachineTally> tally;
      std::map<std::string, std::pair<int, int>> by_type;  // caught, total
      EvalReport report;
      report.title = "linesight demo: generated castings";
      report.model_path = (out / "model.lsm").string();
      report.model_kind = "cell_stats";
      report.model_version = model.Id();
      report.recipe_name = model.recipe.name;
      report.trained_images = model.training.good_images;
      report.threshold = model.threshold;
      std::vector<double> latency;
      std::vector<std::tuple<float, bool, std::string, cv::Mat, std::string>> worst;
      int done = 0;
      for (int m = 1; m <= kMachines; ++m) {
        for (int shot = 1; shot <= args->shots; ++shot) {
          auto defects = PlanDefects(m, shot);
          const uint64_t seed =
              100000u + static_cast<uint64_t>(m) * 10000u + static_cast<uint64_t>(shot);
          sim::RenderedPart part = renderer.Render(seed, defects);
          auto t0 = SteadyClock::now();
          inspector.Inspect(part.image, ws, Deadline::In(std::chrono::milliseconds(500)), v);
          latency.push_back(MillisSince(t0));
          auto& t = tally[m];
          ++t.parts;
          const bool defective = !defects.empty();
          const bool rejected = v.decision != Decision::kPass;  // the line rejects held parts
          t.pass += v.decision == Decision::kPass;
          t.reject += v.decision == Decision::kReject;
          t.hold += v.decision == Decision::kHold;
          t.defects += defective;
          t.caught += defective && rejected;
          t.false_rejects += !defective && rejected;
          if (defective) {
            auto& bt = by_type[std::string(sim::DefectName(defects[0]))];
            bt.first += rejected;
            ++bt.second;
          }
          // The line rejects a held part: score it well above the threshold (finite, for charts).
          float score =
              v.decision == Decision::kHold ? std::max(v.score, 10 * model.threshold) : v.score;
          (defective ? report.defect_scores : report.good_scores).push_back(score);
          std::string name = "M" + std::to_string(m) + "_shot" + std::to_string(shot) +
                             (defective ? "_" + std::string(sim::DefectName(defects[0])) : "");
          if (v.decision == Decision::kReject || (defective && !rejected)) {
            cv::Mat overlay = inspector.Overlay(part.image, v, ws);
            if (v.decision == Decision::kReject)
              cv::imwrite((out / "heatmaps" / (name + ".png")).string(), overlay);
            worst.emplace_back(score, defective, name, overlay,
                               std::string(DecisionName(v.decision)));
          }
          progress.Update(++done, total, "inspect");
        }
      }
      progress.Finish();

      std::cout << "\n   machine  parts  pass  reject  hold  defects  caught  false rejects\n";
      MachineTally sum;
      for (const auto& [m, t] : tally) {
        std::cout << "   M" << std::left << std::setw(7) << m << std::right << std::setw(5)
                  << t.parts << std::setw(6) << t.pass << std::setw(8) << t.reject << std::setw(6)
                  << t.hold << std::setw(9) << t.defects << std::setw(8) << t.caught
                  << std::setw(15) << t.false_rejects
                  << (m == 7 ? "   <- die wearing: cracks and cold shuts" : "") << "\n";
        sum.parts += t.parts;
        sum.pass += t.pass;
        sum.reject += t.reject;
        sum.hold += t.hold;
        sum.defects += t.defects;
        sum.caught += t.caught;
        sum.false_rejects += t.false_rejects;
      }
      std::cout << "   all     " << std::setw(5) << sum.parts << std::setw(6) << sum.pass
                << std::setw(8) << sum.reject << std::setw(6) << sum.hold << std::setw(9)
                << sum.defects << std::setw(8) << sum.caught << std::setw(15) << sum.false_rejects
                << "\n\n   by defect type: ";
      const char* gap = "";
      for (const auto& [type, ct] : by_type) {
        std::cout << gap << type << " " << ct.first << "/" << ct.second;
        gap = "  ";
      }
      std::sort(latency.begin(), latency.end());
      std::cout << "\n   inspection latency: median " << std::setprecision(2)
                << latency[latency.size() / 2] << " ms, max " << latency.back()
                << " ms (align + score, this machine)\n";

      if (!report.good_scores.empty() && !report.defect_scores.empty()) {
        FillImageMetrics(report);
        std::sort(worst.begin(), worst.end(), [](auto& a, auto& b) {
          // false rejects and rejected defects first (highest scores), then escapes (lowest)
          if (std::get<1>(a) != std::get<1>(b)) return std::get<1>(a) < std::get<1>(b);
          return std::get<1>(a) ? std::get<0>(a) < std::get<0>(b) : std::get<0>(a) > std::get<0>(b);
        });
        for (size_t i = 0; i < worst.size() && i < 12; ++i)
          report.worst_parts.push_back({std::get<2>(worst[i]), std::get<1>(worst[i]),
                                        std::get<0>(worst[i]), std::get<4>(worst[i]),
                                        std::get<3>(worst[i])});
        WriteHtmlReport(report, out / "report.html");
        std::cout << "   image AUROC on this batch: " << std::setprecision(3) << report.image_auroc
                  << "\n";
      }
      std::cout << "\n3. pictures: " << (out / "heatmaps").string() << "/ (" << sum.reject
                << " heatmap overlays of rejected parts)\n";
      if (!report.good_scores.empty() && !report.defect_scores.empty())
        std::cout << "   report:   " << (out / "report.html").string() << "\n";
      return kExitOk;
    };
  });
}

}  // namespace linesight::cli
