// cli/cmd_train.cpp: `linesight train` — learn a model from good images only.
#include <iostream>

#include <CLI/CLI.hpp>

#include "cli/commands.h"
#include "cli/paths.h"
#include "cli/progress.h"
#include "core/error.h"
#include "inspect/trainer.h"
#include "vision/image_io.h"

namespace linesight::cli {

void AddTrainCommand(CLI::App& app, CommandBody& body) {
  struct Args {
    std::string good, out, recipe;
    int max_images = 0;
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand(
      "train", "Learn a part from good images and calibrate the reject threshold");
  cmd->add_option("--good", args->good, "Folder of good images")->required();
  cmd->add_option("--out", args->out, "Model file to write")->required();
  cmd->add_option("--recipe", args->recipe, "Recipe YAML (default: round part, built-in defaults)");
  cmd->add_option("--max-images", args->max_images,
                  "Use at most N good images, evenly spread (0 = all)")
      ->check(CLI::NonNegativeNumber);
  cmd->callback([args, &body] {
    body = [args] {
      Recipe recipe = args->recipe.empty() ? DefaultRecipe() : LoadRecipe(args->recipe);
      RequireFolder("--good", args->good);
      // A model that cannot be written fails now, not after training.
      RequireOutputFile("--out", args->out, "model.lsm");
      auto files = ListInputImages({args->good}, "--good");
      Progress progress("train");
      int skipped = 0;
      TrainOptions options;
      options.max_images = args->max_images;
      options.progress = [&](int d, int t, const char* s) { progress.Update(d, t, s); };
      options.skipped = [&](const std::filesystem::path& p, const std::string& why) {
        progress.Finish();
        std::cerr << "warning: skipped " << p.string() << ": " << why << "\n";
        ++skipped;
      };
      InspectionModel model = Train(recipe, files, options);
      progress.Finish();
      SaveInspectionModel(model, args->out);
      std::cout << "model written to " << args->out << "\n"
                << "  recipe        " << model.recipe.name << " (" << model.recipe_hash << ")\n"
                << "  good images   " << model.training.good_images << " used, "
                << model.training.skipped_images << " skipped; "
                << model.training.calibration_images << " scored out of fold to set the threshold\n"
                << "  threshold     " << model.threshold << " (target false-reject rate "
                << model.recipe.target_false_reject_rate * 100 << "%)\n"
                << "  training time " << model.training.seconds << " s\n";
      int outliers = 0;
      for (const auto& t : model.training.manifest)
        outliers += t.status == TrainingImage::Status::kOutlierKept ||
                    t.status == TrainingImage::Status::kOutlierDropped;
      std::cout << "  outliers      " << outliers
                << " (good images scoring like defects; `linesight model show --manifest` lists "
                   "every image)\n";
      if (!model.outline_off_reason.empty())
        std::cout << "  outline check off: " << model.outline_off_reason
                  << " (flash beyond the rim is judged by the anomaly map alone)\n";
      for (const auto& w : model.training.warnings) std::cerr << "warning: " << w << "\n";
      return kExitOk;
    };
  });
}

}  // namespace linesight::cli
