#include "inspect/inspection_model.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "core/checksum.h"
#include "core/error.h"
#include "core/model_file.h"

namespace linesight {
namespace {
constexpr const char* kKind = "linesight.inspection/cell_stats";
// 2: ring residual at several angular windows (ring_windows).
// 3: blocks and texture layouts have a fourth channel, the level (payload grows by a third).
// 4: the threshold is on the area-aware decision score; operating point, training warnings and
//    the manifest of training images in the header.
// 5: the recipe has quality gates and a pixel size; the header has "quality", the focus,
//    clipping and exposure the good training images showed.
// 6: round parts are scored per arc, turned with the part (an alignment template in the payload,
//    options.arc_px), with a roughness channel after the ring residuals.
// 7: round parts by default scored by arcs and whole rings together (header "companion", its
//    statistics after the first model's in the payload); the recipe has "cells".
// 9: round parts may have the outline check (header "outline"); a reader of version 8 would
//    ignore it and pass the flash it was trained to reject, so the version says it is there.
constexpr int kModelVersion = 9;
// Versions 7 and 8 are version 9 without the part match (7) and the outline check: they load,
// and check neither.
constexpr int kOldestModelVersion = 7;

constexpr TrainingImage::Status kStatuses[] = {
    TrainingImage::Status::kUsed, TrainingImage::Status::kOutlierKept,
    TrainingImage::Status::kOutlierDropped, TrainingImage::Status::kSkipped};

nlohmann::json ManifestJson(const std::vector<TrainingImage>& manifest) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& m : manifest) {
    nlohmann::json j = {{"name", m.name}, {"sha256", m.sha256}, {"status", StatusName(m.status)}};
    if (m.status != TrainingImage::Status::kSkipped) j["score"] = m.score;
    if (!m.reason.empty()) j["reason"] = m.reason;
    out.push_back(std::move(j));
  }
  return out;
}

std::vector<TrainingImage> ManifestFromJson(const nlohmann::json& j) {
  std::vector<TrainingImage> out;
  for (const auto& e : j) {
    TrainingImage m;
    m.name = e.at("name").get<std::string>();
    m.sha256 = e.at("sha256").get<std::string>();
    const std::string status = e.at("status").get<std::string>();
    const auto* it = std::find_if(std::begin(kStatuses), std::end(kStatuses),
                                  [&](auto s) { return StatusName(s) == status; });
    if (it == std::end(kStatuses)) throw std::out_of_range("manifest status " + status);
    m.status = *it;
    m.score = e.value("score", 0.0f);
    m.reason = e.value("reason", std::string());
    out.push_back(std::move(m));
  }
  return out;
}

}  // namespace

std::string_view StatusName(TrainingImage::Status s) {
  switch (s) {
    case TrainingImage::Status::kUsed:
      return "used";
    case TrainingImage::Status::kOutlierKept:
      return "outlier_kept";
    case TrainingImage::Status::kOutlierDropped:
      return "outlier_dropped";
    case TrainingImage::Status::kSkipped:
      return "skipped";
  }
  return "skipped";
}

std::string InspectionModel::Id() const {
  char op[32];
  std::snprintf(op, sizeof op, "%.9g/%.9g", static_cast<double>(threshold),
                recipe.min_defect_area_px);
  char hex[9];
  std::snprintf(hex, sizeof hex, "%08x", static_cast<unsigned>(Fnv1a64(op) & 0xffffffffu));
  return recipe_hash + "@" + training.created + "/" + hex;
}

void SaveInspectionModel(const InspectionModel& m, const std::filesystem::path& path) {
  if (!(std::isfinite(m.threshold) && m.threshold > 0))
    throw Error(ErrorCategory::kInput,
                path.string() + ": threshold " + std::to_string(m.threshold) +
                    " is not a positive number; nothing was written",
                "Take a threshold from `linesight eval` or `linesight tune`");
  ModelFile f;
  f.header = {{"kind", kKind},
              {"model_version", kModelVersion},
              {"recipe", RecipeToJson(m.recipe)},
              {"recipe_hash", m.recipe_hash},
              {"threshold", m.threshold},
              {"operating_point",
               {{"threshold", m.threshold},
                {"min_defect_area_px", m.recipe.min_defect_area_px},
                {"source", m.threshold_source}}},
              {"anomaly", m.anomaly.OptionsJson()},
              {"training",
               {{"good_images", m.training.good_images},
                {"calibration_images", m.training.calibration_images},
                {"skipped_images", m.training.skipped_images},
                {"seconds", m.training.seconds},
                {"created", m.training.created},
                {"linesight_version", m.training.linesight_version},
                {"warnings", m.training.warnings},
                {"manifest", ManifestJson(m.training.manifest)}}},
              {"part", {{"radius", m.part_radius}, {"scale", {m.scale_min, m.scale_max}}}},
              {"quality", QualityObservedToJson(m.quality)}};
  m.anomaly.AppendPayload(f.payload);
  if (m.companion) {
    f.header["companion"] = m.companion->OptionsJson();
    m.companion->AppendPayload(f.payload);
  }
  if (m.outline_scale > 0)
    f.header["outline"] = {{"threshold", m.outline_threshold},
                           {"scale", m.outline_scale},
                           {"good_max", m.outline_good_max}};
  else if (!m.outline_off_reason.empty())
    f.header["outline_off"] = m.outline_off_reason;  // older readers ignore it
  if (m.match.learned()) {
    f.header["match"] = m.match.ToJson();
    m.match.AppendPayload(f.payload);
  }
  // Read back before it replaces the file there: a model that cannot load must never take the
  // place of one that can (the line would hold every part until someone trains again).
  WriteModelFile(path, f, [&](const std::filesystem::path& written) {
    try {
      LoadInspectionModel(written);
    } catch (const Error& e) {
      throw Error(ErrorCategory::kModel,
                  path.string() + ": the model written would not load (" + e.cause() +
                      "); the file there was left as it was",
                  e.fix());
    }
  });
}

InspectionModel LoadInspectionModel(const std::filesystem::path& path) {
  ModelFile f = ReadModelFile(path);
  const std::string name = path.string();
  const auto& h = f.header;
  if (!h.contains("kind") || !h["kind"].is_string() || h["kind"] != kKind)
    throw Error(ErrorCategory::kModel,
                name + ": not an inspection model (kind " +
                    (h.contains("kind") ? h["kind"].dump() : "missing") + ")",
                "Pass a model written by `linesight train`");
  if (!h.contains("model_version") || !h["model_version"].is_number_integer())
    throw Error(ErrorCategory::kModel, name + ": model header has no model version",
                "The file is corrupt: train the model again");
  const int version = h["model_version"].get<int>();
  if (version < kOldestModelVersion || version > kModelVersion)
    throw Error(
        ErrorCategory::kModel,
        name + ": model version " + std::to_string(version) + " is " +
            (version > kModelVersion ? "newer" : "older") + " than this linesight reads (" +
            std::to_string(kOldestModelVersion) + " to " + std::to_string(kModelVersion) + ")",
        version > kModelVersion
            ? "Upgrade linesight to the version that trained it"
            : "Train the model again with this linesight (the good images are all it needs)");
  try {
    size_t offset = 0;
    CellStatsModel anomaly = CellStatsModel::Load(h.at("anomaly"), f.payload, offset, name);
    std::optional<CellStatsModel> companion;
    if (h.contains("companion"))
      companion = CellStatsModel::Load(h["companion"], f.payload, offset, name);
    PartMatch match;
    if (h.contains("match")) match = PartMatch::Load(h["match"], f.payload, offset, name);
    if (offset != f.payload.size())
      throw Error(ErrorCategory::kModel, name + ": model payload has unexpected extra data",
                  "The file is corrupt: train the model again");
    InspectionModel m{RecipeFromJson(h.at("recipe"), name),
                      h.at("recipe_hash").get<std::string>(),
                      h.at("threshold").get<float>(),
                      "",
                      {},
                      std::move(anomaly),
                      std::move(companion)};
    m.match = std::move(match);
    // Absent in models without the outline check (off, or written before it).
    if (h.contains("outline")) {
      m.outline_threshold = h["outline"].at("threshold").get<float>();
      m.outline_scale = h["outline"].at("scale").get<float>();
      m.outline_good_max = h["outline"].at("good_max").get<float>();
      if (!std::isfinite(m.outline_threshold) || m.outline_threshold <= 0 ||
          m.outline_threshold > 1e4 || !std::isfinite(m.outline_scale) || m.outline_scale <= 0 ||
          m.outline_scale > 1e4 || !std::isfinite(m.outline_good_max))
        throw Error(ErrorCategory::kModel, name + ": the outline check's threshold is invalid",
                    "The file is corrupt: train the model again");
    }
    if (h.contains("outline_off") && h["outline_off"].is_string())
      m.outline_off_reason = h["outline_off"].get<std::string>();
    const auto& t = h.at("training");
    m.training.good_images = t.at("good_images").get<int>();
    m.training.calibration_images = t.at("calibration_images").get<int>();
    m.training.skipped_images = t.at("skipped_images").get<int>();
    m.training.seconds = t.at("seconds").get<double>();
    m.training.created = t.at("created").get<std::string>();
    m.training.linesight_version = t.at("linesight_version").get<std::string>();
    m.training.warnings = t.at("warnings").get<std::vector<std::string>>();
    m.training.manifest = ManifestFromJson(t.at("manifest"));
    m.threshold_source = h.at("operating_point").at("source").get<std::string>();
    // Absent in models written before the radius was learned.
    if (h.contains("part")) m.part_radius = h["part"].at("radius").get<double>();
    if (!std::isfinite(m.part_radius) || m.part_radius < 0 || m.part_radius > 1)
      throw Error(ErrorCategory::kModel, name + ": learned part radius is invalid",
                  "The file is corrupt: train the model again");
    // Absent in models written before the scale was learned: those check no scale.
    if (h.contains("part") && h["part"].contains("scale")) {
      const auto range = h["part"]["scale"].get<std::vector<double>>();
      if (range.size() != 2 || !std::isfinite(range[0]) || !std::isfinite(range[1]) ||
          range[0] < 0 || range[1] < range[0] || range[1] > 1e6)
        throw Error(ErrorCategory::kModel, name + ": learned part scale is invalid",
                    "The file is corrupt: train the model again");
      m.scale_min = range[0];
      m.scale_max = range[1];
    }
    m.quality = QualityObservedFromJson(h.at("quality"));
    const QualityObserved& q = m.quality;
    for (double v : {q.focus_min, q.focus_max, q.exposure_min, q.exposure_max, q.saturated_max,
                     q.saturated_bright_max})
      if (!std::isfinite(v) || v < 0 || v > 255)
        throw Error(ErrorCategory::kModel, name + ": learned image quality ranges are invalid",
                    "The file is corrupt: train the model again");
    if (q.images < 0)
      throw Error(ErrorCategory::kModel, name + ": learned image quality ranges are invalid",
                  "The file is corrupt: train the model again");
    if (!std::isfinite(m.threshold) || m.threshold <= 0)
      throw Error(ErrorCategory::kModel, name + ": model threshold is invalid",
                  "The file is corrupt: train the model again");
    if (RecipeHash(m.recipe) != m.recipe_hash)
      throw Error(ErrorCategory::kModel, name + ": stored recipe does not match its hash",
                  "The file is corrupt: train the model again");
    if (m.anomaly.options().canvas != m.recipe.locate.canvas ||
        m.anomaly.options().layout != m.recipe.layout ||
        m.companion.has_value() != m.recipe.companion_cells.has_value() ||
        (m.companion && (m.companion->options().canvas != m.anomaly.options().canvas ||
                         m.companion->support().size() != m.anomaly.support().size())))
      throw Error(ErrorCategory::kModel, name + ": anomaly model does not match its recipe",
                  "The file is corrupt: train the model again");
    return m;
  } catch (const std::out_of_range& e) {
    throw Error(ErrorCategory::kModel,
                name + ": model header holds an unknown value (" + e.what() + ")",
                "The file is corrupt or from a newer linesight: train the model again");
  } catch (const nlohmann::json::exception& e) {
    throw Error(ErrorCategory::kModel, name + ": model header is incomplete (" + e.what() + ")",
                "The file is corrupt or from an incompatible version: train the model again");
  }
}

void CheckRecipeMatches(const InspectionModel& model, const Recipe& recipe,
                        const std::string& recipe_name) {
  std::string h = RecipeHash(recipe);
  if (h != model.recipe_hash)
    throw Error(ErrorCategory::kModel,
                "the model was trained for another recipe (model recipe " + model.recipe_hash +
                    " '" + model.recipe.name + "', given " + recipe_name + " is " + h + ")",
                "Retrain with `linesight train --recipe " + recipe_name +
                    "`, or drop --recipe to use the recipe stored in the model");
}

}  // namespace linesight
