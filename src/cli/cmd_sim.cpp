// cli/cmd_sim.cpp: `linesight sim` — writes generated cast parts (good, defective, defect masks)
// to folders, for trying linesight without a camera and for tests.
#include <filesystem>
#include <iostream>

#include <CLI/CLI.hpp>
#include <opencv2/imgcodecs.hpp>

#include "cli/commands.h"
#include "cli/paths.h"
#include "cli/progress.h"
#include "core/error.h"
#include "sim/part_renderer.h"

namespace linesight::cli {

void AddSimCommand(CLI::App& app, CommandBody& body) {
  struct Args {
    std::string out;
    int good = 50, defect = 50, size = 300;
    uint64_t seed = 1;
    std::string format = "png";
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd =
      app.add_subcommand("sim", "Write generated cast parts: good/, defect/ and masks/");
  cmd->add_option("--out", args->out, "Folder to write into")->required();
  cmd->add_option("--good", args->good, "Good parts to write")->check(CLI::Range(0, 100000));
  cmd->add_option("--defect", args->defect, "Defective parts to write (defect types in turn)")
      ->check(CLI::Range(0, 100000));
  cmd->add_option("--seed", args->seed, "First seed (parts are deterministic per seed)");
  cmd->add_option("--size", args->size, "Image side in pixels")->check(CLI::Range(64, 4096));
  cmd->add_option("--format", args->format, "Image format")->check(CLI::IsMember({"png", "jpg"}));
  cmd->callback([args, &body] {
    body = [args] {
      namespace fs = std::filesystem;
      sim::RenderOptions options;
      options.size = args->size;
      sim::PartRenderer renderer(options);
      const fs::path root(args->out);
      PrepareOutputFolder("--out", root);
      for (const char* d : {"good", "defect", "masks"}) fs::create_directories(root / d);
      Progress progress("sim");
      const int total = args->good + args->defect;
      const auto types = sim::AllDefectTypes();
      for (int i = 0; i < total; ++i) {
        const bool defective = i >= args->good;
        const uint64_t seed = args->seed + static_cast<uint64_t>(i);
        std::vector<sim::DefectType> defects;
        if (defective) defects.push_back(types[static_cast<size_t>(i - args->good) % types.size()]);
        sim::RenderedPart part = renderer.Render(seed, defects);
        std::string stem = defective ? "part_" + std::to_string(seed) + "_" +
                                           std::string(sim::DefectName(defects[0]))
                                     : "part_" + std::to_string(seed) + "_good";
        fs::path image = root / (defective ? "defect" : "good") / (stem + "." + args->format);
        bool ok = cv::imwrite(image.string(), part.image);
        if (defective)
          ok = ok && cv::imwrite((root / "masks" / (stem + ".png")).string(), part.mask);
        if (!ok)
          throw Error(ErrorCategory::kIo, image.string() + ": cannot be written",
                      "Check that the folder is writable and the disk has space");
        progress.Update(i + 1, total, "render");
      }
      progress.Finish();
      std::cout << "wrote " << args->good << " good and " << args->defect << " defective parts to "
                << root.string() << " (good/, defect/, masks/)\n";
      return kExitOk;
    };
  });
}

}  // namespace linesight::cli
