// cli/cmd_inspect.cpp: `linesight inspect` — one verdict per image, optional heatmap overlays.
#include <filesystem>
#include <iomanip>
#include <iostream>

#include <CLI/CLI.hpp>
#include <opencv2/imgcodecs.hpp>

#include "cli/commands.h"
#include "core/clock.h"
#include "core/error.h"
#include "inspect/inspector.h"
#include "inspect/model_fit_check.h"
#include "vision/image_io.h"

namespace linesight::cli {

void AddInspectCommand(CLI::App& app, CommandBody& body) {
  struct Args {
    std::string model, recipe, out;
    bool json = false;
    bool all_overlays = false;
    std::vector<std::string> paths;
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand("inspect", "Inspect images: pass, reject or hold for each");
  cmd->add_option("--model", args->model, "Model file from `linesight train`")->required();
  cmd->add_option("--recipe", args->recipe, "Check that the model was trained for this recipe");
  cmd->add_flag("--json", args->json, "Print one JSON object per image");
  cmd->add_option("--out", args->out, "Write a heatmap overlay PNG for every rejected part here");
  cmd->add_flag("--all-overlays", args->all_overlays,
                "With --out: write overlays for every part, not only rejects");
  cmd->add_option("paths", args->paths, "Image files or folders")->required();
  cmd->callback([args, &body] {
    body = [args] {
      InspectionModel model = LoadInspectionModel(args->model);
      if (!args->recipe.empty()) CheckRecipeMatches(model, LoadRecipe(args->recipe), args->recipe);
      std::vector<std::filesystem::path> inputs(args->paths.begin(), args->paths.end());
      auto files = ListImages(inputs);
      if (files.empty())
        throw Error(ErrorCategory::kData, "no images found in the given paths",
                    "Pass image files (jpg, png, bmp, pgm) or folders that hold them");
      if (!args->out.empty()) std::filesystem::create_directories(args->out);
      Inspector inspector(model);
      Workspace ws;
      int counts[3] = {0, 0, 0}, failed = 0;
      Verdict v;  // reused, as its buffers are
      ModelFitCheck fit;
      for (const auto& w : model.training.warnings)
        std::cerr << "warning: model " << args->model << ": " << w << "\n";
      for (const auto& file : files) {
        auto t0 = SteadyClock::now();
        cv::Mat image;
        try {
          image = LoadGrey(file);
          inspector.Inspect(image, ws, Deadline::Never(), v);
        } catch (const Error& e) {
          v = HoldVerdict(HoldReason::kBadImage, e.what());
          ++failed;
        }
        double total_ms = MillisSince(t0);
        ++counts[static_cast<int>(v.decision)];
        fit.Add(v);
        if (args->json) {
          auto j = VerdictToJson(v);
          j["image"] = file.string();
          j["total_ms"] = total_ms;
          std::cout << j.dump() << "\n";
        } else {
          std::cout << std::left << std::setw(7) << DecisionName(v.decision) << " " << std::fixed
                    << std::setprecision(2) << std::setw(7) << v.score << " " << std::setw(6)
                    << std::setprecision(1) << total_ms << "ms  " << file.string();
          if (v.decision == Decision::kHold) std::cout << "  (" << v.detail << ")";
          for (const auto& f : v.findings)
            std::cout << "\n        defect at " << f.box.x << "," << f.box.y << " " << f.box.width
                      << "x" << f.box.height << "  area " << std::setprecision(0) << f.area_px
                      << " px  severity " << std::setprecision(2) << f.severity;
          std::cout << "\n";
        }
        if (!args->out.empty() && !image.empty() &&
            (v.decision == Decision::kReject || args->all_overlays)) {
          auto dst = std::filesystem::path(args->out) / (file.stem().string() + "_heatmap.png");
          if (!cv::imwrite(dst.string(), inspector.Overlay(image, v, ws)))
            std::cerr << "warning: could not write " << dst.string() << "\n";
        }
      }
      std::cerr << files.size() << " images: " << counts[0] << " pass, " << counts[1] << " reject, "
                << counts[2] << " hold";
      if (failed) std::cerr << " (" << failed << " could not be read: see the messages above)";
      std::cerr << "\n";
      if (const std::string w = fit.Warning(); !w.empty()) std::cerr << "warning: " << w << "\n";
      return failed ? kExitFailure : kExitOk;
    };
  });
}

}  // namespace linesight::cli
