// cli/cmd_model.cpp: `linesight model show|set` — read a model's header (operating point,
// training summary, warnings, manifest) and move its operating point without retraining.
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iomanip>
#include <iostream>

#include <CLI/CLI.hpp>

#include "cli/commands.h"
#include "core/clock.h"
#include "core/error.h"
#include "core/json_text.h"
#include "inspect/inspection_model.h"
#include "inspect/inspector.h"

namespace linesight::cli {
namespace {

// Why a round part's model has no outline check: training's reason, else the recipe's.
std::string OutlineOffReason(const InspectionModel& m) {
  if (!m.outline_off_reason.empty()) return m.outline_off_reason;
  if (m.recipe.outline == OutlineCheck::kOff) return "the recipe turns it off (anomaly.outline)";
  if (m.recipe.locate.method != LocateMethod::kDisc) return "only parts found as discs have it";
  return "trained by an older linesight, which did not record why; train again to see it";
}

nlohmann::json Describe(const InspectionModel& m, bool with_manifest) {
  nlohmann::json manifest = nlohmann::json::array();
  int used = 0, outliers = 0, skipped = 0;
  for (const auto& t : m.training.manifest) {
    used +=
        t.status == TrainingImage::Status::kUsed || t.status == TrainingImage::Status::kOutlierKept;
    outliers += t.status == TrainingImage::Status::kOutlierKept ||
                t.status == TrainingImage::Status::kOutlierDropped;
    skipped += t.status == TrainingImage::Status::kSkipped ||
               t.status == TrainingImage::Status::kOutlierDropped;
    if (!with_manifest) continue;
    nlohmann::json j = {{"name", t.name}, {"sha256", t.sha256}, {"status", StatusName(t.status)}};
    if (t.status != TrainingImage::Status::kSkipped) j["score"] = t.score;
    if (!t.reason.empty()) j["reason"] = t.reason;
    manifest.push_back(std::move(j));
  }
  nlohmann::json j = {{"id", m.Id()},
                      {"recipe", {{"name", m.recipe.name}, {"hash", m.recipe_hash}}},
                      {"cells", DescribeCells(m.recipe)},
                      {"threshold", m.threshold},
                      {"min_defect_area_px", m.recipe.min_defect_area_px},
                      {"threshold_source", m.threshold_source},
                      {"target_false_reject_rate", m.recipe.target_false_reject_rate},
                      {"training",
                       {{"created", m.training.created},
                        {"linesight_version", m.training.linesight_version},
                        {"good_images", m.training.good_images},
                        {"skipped_images", m.training.skipped_images},
                        {"outliers", outliers},
                        {"seconds", m.training.seconds},
                        {"warnings", m.training.warnings}}},
                      {"manifest_images", used + skipped}};
  if (with_manifest) j["manifest"] = std::move(manifest);
  if (m.scale_min > 0) j["part_scale"] = {m.scale_min, m.scale_max};
  if (m.match.learned()) j["part_match"] = m.match.ToJson();
  if (m.outline_scale > 0)
    j["outline"] = {{"on", true},
                    {"threshold_spreads", m.threshold / m.outline_scale},
                    {"good_max_spreads", m.outline_good_max}};
  else if (m.recipe.symmetry == Symmetry::kRotational)
    j["outline"] = {{"on", false}, {"reason", OutlineOffReason(m)}};
  return j;
}

// The size at which training saw the parts, and what inspection holds ("" for an older model).
std::string PartSize(const InspectionModel& m) {
  if (!(m.scale_min > 0)) return "";
  char text[200];
  int at = 0;
  if (m.recipe.locate.method == LocateMethod::kDisc) {
    const auto [lo_px, hi_px] = m.TrainingRimRadiusPx();
    at = std::snprintf(text, sizeof text, "rim radius %.0f-%.0f px in training", lo_px, hi_px);
  } else {
    at = std::snprintf(text, sizeof text, "%.3g-%.3g canvas px per image px in training",
                       m.scale_min, m.scale_max);
  }
  std::snprintf(text + at, sizeof text - static_cast<size_t>(at),
                "; parts seen over %.2fx smaller or larger are held (bad_image)", kScaleTolerance);
  return text;
}

void PrintText(const InspectionModel& m, const std::string& path, bool with_manifest) {
  std::cout << "model " << path << "\n"
            << "  id               " << m.Id() << "\n"
            << "  recipe           " << m.recipe.name << " (" << m.recipe_hash << ")\n"
            << "  cells            " << DescribeCells(m.recipe) << "\n"
            << "  threshold        " << std::setprecision(9) << m.threshold << "\n"
            << "  min defect area  " << m.recipe.min_defect_area_px << " px\n"
            << "  threshold from   " << m.threshold_source << "\n"
            << "  trained          " << m.training.created << " by linesight "
            << m.training.linesight_version << " on " << m.training.good_images << " good images ("
            << m.training.skipped_images << " skipped)\n";
  if (const std::string size = PartSize(m); !size.empty())
    std::cout << "  part size        " << size << "\n";
  if (m.outline_scale > 0)
    std::cout << "  outline check    flash when the outline bulges over " << std::setprecision(3)
              << m.threshold / m.outline_scale << " spreads at this threshold (good parts: up to "
              << m.outline_good_max << ")\n"
              << std::setprecision(6);
  else if (m.recipe.symmetry == Symmetry::kRotational)
    std::cout << "  outline check    off: " << OutlineOffReason(m) << "\n";
  if (m.match.learned())
    std::cout << "  part match       a part must match a good part's thumbnail at least "
              << std::setprecision(2) << std::fixed << m.match.min_match() << " (good parts: 1% "
              << m.match.loo_low() << ", median " << m.match.loo_median() << ")\n"
              << std::defaultfloat << std::setprecision(6);
  for (const auto& w : m.training.warnings) std::cout << "  warning: " << w << "\n";
  if (!with_manifest) {
    std::cout << "  manifest         " << m.training.manifest.size()
              << " images (--manifest lists them)\n";
    return;
  }
  std::cout << "  manifest (sha256, status, out-of-fold score, name):\n";
  for (const auto& t : m.training.manifest) {
    std::cout << "    " << (t.sha256.empty() ? std::string(64, '-') : t.sha256) << "  " << std::left
              << std::setw(15) << StatusName(t.status) << std::right;
    if (t.status != TrainingImage::Status::kSkipped)
      std::cout << std::setw(9) << std::setprecision(4) << t.score;
    else
      std::cout << std::setw(9) << "-";
    std::cout << "  " << t.name;
    if (!t.reason.empty()) std::cout << "  (" << t.reason << ")";
    std::cout << "\n";
  }
}

}  // namespace

void AddModelCommand(CLI::App& app, CommandBody& body) {
  struct Args {
    std::string model, out;
    bool json = false, manifest = false;
    std::optional<double> threshold, min_area;
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand("model", "Show a model, or change its operating point");
  cmd->require_subcommand(1);
  CLI::App* show = cmd->add_subcommand("show", "Print a model's operating point and training");
  show->add_option("--model", args->model, "Model file")->required();
  show->add_flag("--json", args->json, "Print one JSON object");
  show->add_flag("--manifest", args->manifest,
                 "List every training image with its SHA-256, status and score");
  show->callback([args, &body] {
    body = [args] {
      const InspectionModel m = LoadInspectionModel(args->model);
      if (args->json)
        std::cout << JsonText(Describe(m, args->manifest)) << "\n";
      else
        PrintText(m, args->model, args->manifest);
      return kExitOk;
    };
  });

  CLI::App* set = cmd->add_subcommand(
      "set", "Change the threshold and/or minimum defect area without retraining");
  set->add_option("--model", args->model, "Model file")->required();
  set->add_option("--threshold", args->threshold,
                  "Reject parts whose decision score is above this (e.g. from `linesight eval`)");
  set->add_option("--min-area", args->min_area,
                  "Smallest defect region that can reject a part, image pixels");
  set->add_option("--out", args->out, "Write the changed model here (default: in place)");
  set->callback([args, &body] {
    body = [args] {
      if (!args->threshold && !args->min_area)
        throw Error(ErrorCategory::kInput, "model set: nothing to change",
                    "Give --threshold, --min-area or both");
      if (args->threshold && !(*args->threshold > 0 && *args->threshold <= 1e6))
        throw Error(ErrorCategory::kInput,
                    "--threshold must be a positive number up to 1000000 (scores are a few to a "
                    "few dozen)",
                    "Take a threshold from `linesight eval` or `linesight tune`");
      if (args->min_area &&
          !(std::isfinite(*args->min_area) && *args->min_area >= 0 && *args->min_area <= 1e6))
        throw Error(ErrorCategory::kInput, "--min-area must be between 0 and 1000000 pixels",
                    "Give the smallest defect, in image pixels, that should reject a part");
      const std::string out = args->out.empty() ? args->model : args->out;
      if (std::filesystem::is_directory(out))
        throw Error(ErrorCategory::kInput, out + " is a folder",
                    "Give a file name for the model, e.g. " + out + "/model.lsm");
      InspectionModel m = LoadInspectionModel(args->model);
      const std::string before = m.Id();
      const float old_threshold = m.threshold;
      const double old_area = m.recipe.min_defect_area_px;
      if (args->threshold) m.threshold = static_cast<float>(*args->threshold);
      if (args->min_area) m.recipe.min_defect_area_px = *args->min_area;
      char source[160];
      std::snprintf(source, sizeof source,
                    "set by `linesight model set` on %s (was threshold %.9g, min area %g px)",
                    UtcNow().c_str(), static_cast<double>(old_threshold), old_area);
      m.threshold_source = source;
      SaveInspectionModel(m, out);
      std::cout << "model written to " << out << "\n"
                << "  threshold        " << std::setprecision(9) << old_threshold << " -> "
                << m.threshold << "\n"
                << "  min defect area  " << old_area << " -> " << m.recipe.min_defect_area_px
                << " px\n"
                << "  id               " << before << " -> " << m.Id() << "\n"
                << "Check the rates it gives on parts it was not tuned on: linesight eval --model "
                << out << " --good GOOD --defect DEFECT\n";
      return kExitOk;
    };
  });
}

}  // namespace linesight::cli
