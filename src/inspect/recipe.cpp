#include "inspect/recipe.h"
#include "core/json_text.h"

#include <cmath>
#include <cstdio>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include <opencv2/imgproc.hpp>

#include "core/checksum.h"
#include "core/config_reader.h"
#include "core/error.h"

namespace linesight {
namespace {

using Parser = ConfigReader;

cv::Rect2d RectFrom(const Parser& p, const YAML::Node& node, const std::string& where) {
  auto v = p.Numbers(node, where, 4, 0, 1);
  if (v[2] <= 0 || v[3] <= 0 || v[0] + v[2] > 1.0001 || v[1] + v[3] > 1.0001)
    p.Fail(where, "rectangle is empty or leaves the image",
           "Give [x, y, width, height] as fractions with x+width <= 1 and y+height <= 1");
  return {v[0], v[1], v[2], v[3]};
}

// part.cells and part.arc_px. arc_px: 0 alone still means whole rings (recipes written before
// part.cells).
void ParseRoundCells(const Parser& p, const YAML::Node& part, Recipe& r) {
  if (part["cells"]) {
    const std::string s = p.Text(part["cells"], "part.cells");
    if (s == "rings")
      r.round_cells = RoundCells::kRings;
    else if (s == "arcs")
      r.round_cells = RoundCells::kArcs;
    else if (s == "arcs+rings")
      r.round_cells = RoundCells::kArcsAndRings;
    else
      p.Fail("part.cells", "unknown value '" + s + "'", "Use 'arcs+rings', 'arcs' or 'rings'");
  }
  if (!part["arc_px"]) return;
  r.arc_px = p.Number(part["arc_px"], "part.arc_px", 0, 64);
  if (r.arc_px > 0 && r.arc_px < 0.5)
    p.Fail("part.arc_px", "must be 0 (whole rings) or between 0.5 and 64",
           "Use 0, or an arc length such as 1 or 2 pixels");
  if (r.arc_px > 0) return;
  if (part["cells"] && r.round_cells != RoundCells::kRings)
    p.Fail("part.arc_px",
           "0 (no arcs) contradicts part.cells: " + p.Text(part["cells"], "part.cells"),
           "Give an arc length such as 1, or set part.cells: rings");
  r.round_cells = RoundCells::kRings;
  r.arc_px = 1;
}

}  // namespace

// Fills the fields that follow from others (locator method, cell layout and extent).
void Derive(Recipe& r) {
  r.locate.method = r.symmetry == Symmetry::kRotational ? LocateMethod::kDisc : LocateMethod::kNone;
  r.cells.layout = r.layout;
  const bool rings = r.layout == CellLayout::kRings;
  r.cells.arc_px = rings && r.round_cells != RoundCells::kRings ? r.arc_px : 0;
  r.cells.canvas = r.locate.canvas;
  // Score a margin beyond the rim, up to 20% of the radius within the canvas: flash and burrs
  // stick out of it. Tail calibration keeps the table's and shadow's rings from raising false
  // alarms, so a wide margin costs little (0.12 of the radius caught fewer rim defects).
  r.cells.support_radius = rings ? std::min(0.5, r.locate.canvas_radius * 1.2) : 0.75;
  r.companion_cells.reset();
  if (rings && r.round_cells == RoundCells::kArcsAndRings) {
    r.companion_cells = r.cells;
    r.companion_cells->arc_px = 0;
  }
}

std::string DescribeCells(const Recipe& r) {
  char arc[32];
  std::snprintf(arc, sizeof arc, "%g px arcs", r.arc_px);
  switch (r.layout) {
    case CellLayout::kRings:
      if (r.round_cells == RoundCells::kRings) return "rings";
      return std::string(r.round_cells == RoundCells::kArcs ? "arcs (" : "arcs+rings (") + arc +
             ")";
    case CellLayout::kBlocks:
      return "blocks of " + std::to_string(r.cells.block) + " px";
    case CellLayout::kWhole:
      return "texture";
  }
  return "?";
}

Recipe DefaultRecipe() {
  Recipe r;
  Derive(r);
  return r;
}

Recipe ParseRecipe(const std::string& text, const std::string& name) {
  Parser p(name, ErrorCategory::kRecipe, "docs/recipe.md");
  const YAML::Node root = p.Parse(text);
  Recipe r = DefaultRecipe();
  if (root.IsNull()) return r;
  p.CheckKeys(root, "", {"version", "name", "part", "anomaly", "training", "regions", "quality"});
  if (root["version"]) {
    int v = p.Integer(root["version"], "version", 1, 1000);
    if (v > kRecipeVersion)
      throw Error(
          ErrorCategory::kRecipe,
          name + ": recipe version " + std::to_string(v) + " is newer than this linesight (" +
              std::to_string(kRecipeVersion) + ")",
          "Upgrade linesight, or write the recipe for version " + std::to_string(kRecipeVersion));
  }
  if (root["name"]) r.name = p.Text(root["name"], "name");
  bool layout_set = false;
  if (const auto part = root["part"]) {
    p.CheckKeys(part, "part",
                {"symmetry", "layout", "roi", "canvas", "min_radius", "max_radius", "block",
                 "arc_px", "cells", "pixel_size_mm"});
    if (part["pixel_size_mm"])
      r.pixel_size_mm = p.Number(part["pixel_size_mm"], "part.pixel_size_mm", 1e-6, 1e3);
    if (part["symmetry"]) {
      std::string s = p.Text(part["symmetry"], "part.symmetry");
      if (s == "rotational")
        r.symmetry = Symmetry::kRotational;
      else if (s == "none")
        r.symmetry = Symmetry::kNone;
      else
        p.Fail("part.symmetry", "unknown value '" + s + "'", "Use 'rotational' or 'none'");
    }
    if (part["layout"]) {
      std::string s = p.Text(part["layout"], "part.layout");
      layout_set = true;
      if (s == "rings")
        r.layout = CellLayout::kRings;
      else if (s == "blocks")
        r.layout = CellLayout::kBlocks;
      else if (s == "texture")
        r.layout = CellLayout::kWhole;
      else
        p.Fail("part.layout", "unknown value '" + s + "'", "Use 'rings', 'blocks' or 'texture'");
    }
    if (part["roi"]) r.locate.roi = RectFrom(p, part["roi"], "part.roi");
    if (part["canvas"]) r.locate.canvas = p.Integer(part["canvas"], "part.canvas", 64, 1024);
    if (part["min_radius"])
      r.locate.min_radius = p.Number(part["min_radius"], "part.min_radius", 0.05, 1);
    if (part["max_radius"])
      r.locate.max_radius = p.Number(part["max_radius"], "part.max_radius", 0.05, 1);
    if (part["block"]) r.cells.block = p.Integer(part["block"], "part.block", 4, 128);
    ParseRoundCells(p, part, r);
    if (r.locate.min_radius >= r.locate.max_radius)
      p.Fail("part.min_radius", "must be smaller than part.max_radius",
             "Swap or fix the two values");
  }
  if (!layout_set)
    r.layout = r.symmetry == Symmetry::kRotational ? CellLayout::kRings : CellLayout::kBlocks;
  if (r.layout == CellLayout::kRings && r.symmetry != Symmetry::kRotational)
    p.Fail("part.layout", "'rings' needs part.symmetry: rotational",
           "Set symmetry to rotational, or use layout 'blocks' or 'texture'");
  if (const auto a = root["anomaly"]) {
    p.CheckKeys(a, "anomaly",
                {"sensitivity", "min_defect_area", "target_false_reject_rate", "holdout_fraction",
                 "outline"});
    if (a["sensitivity"])
      r.sensitivity = p.Number(a["sensitivity"], "anomaly.sensitivity", 0.1, 10);
    if (a["min_defect_area"])
      r.min_defect_area_px = p.Number(a["min_defect_area"], "anomaly.min_defect_area", 0, 1e6);
    if (a["target_false_reject_rate"])
      r.target_false_reject_rate =
          p.Number(a["target_false_reject_rate"], "anomaly.target_false_reject_rate", 0.0001, 0.5);
    if (a["holdout_fraction"])
      r.holdout_fraction = p.Number(a["holdout_fraction"], "anomaly.holdout_fraction", 0.05, 0.8);
    if (a["outline"]) {
      const std::string s = p.Text(a["outline"], "anomaly.outline");
      if (s == "auto")
        r.outline = OutlineCheck::kAuto;
      else if (s == "on")
        r.outline = OutlineCheck::kOn;
      else if (s == "off")
        r.outline = OutlineCheck::kOff;
      else
        p.Fail("anomaly.outline", "unknown value '" + s + "'", "Use 'auto', 'on' or 'off'");
      if (r.outline == OutlineCheck::kOn && r.symmetry != Symmetry::kRotational)
        p.Fail("anomaly.outline", "the outline check needs a round part",
               "Set part.symmetry: rotational, or leave anomaly.outline out");
    }
  }
  if (const auto q = root["quality"]) {
    p.CheckKeys(q, "quality", {"focus", "saturation", "exposure"});
    // Each gate: 'auto' (learned from the good images), 'off', or the recipe's own limit.
    auto mode = [&](const YAML::Node& n, const std::string& where, const char* limit) {
      if (n.IsScalar()) {
        const std::string text = n.as<std::string>();
        if (text == "auto") return GateMode::kAuto;
        if (text == "off") return GateMode::kOff;
        try {
          (void)n.as<double>();
        } catch (const YAML::Exception&) {
          p.Fail(where, "unknown value '" + text + "'",
                 std::string("Use 'auto', 'off' or ") + limit);
        }
      }
      return GateMode::kFixed;
    };
    if (q["focus"]) {
      r.quality.focus = mode(q["focus"], "quality.focus", "the lowest focus accepted (0 to 3)");
      if (r.quality.focus == GateMode::kFixed)
        r.quality.min_focus = p.Number(q["focus"], "quality.focus", 0, 3);
    }
    if (q["saturation"]) {
      r.quality.saturation = mode(q["saturation"], "quality.saturation",
                                  "the largest share of clipped part pixels (0 to 1)");
      if (r.quality.saturation == GateMode::kFixed)
        r.quality.max_saturated = p.Number(q["saturation"], "quality.saturation", 0, 1);
    }
    if (q["exposure"]) {
      r.quality.exposure = mode(q["exposure"], "quality.exposure",
                                "[darkest, brightest] median grey level of the part (0 to 255)");
      if (r.quality.exposure == GateMode::kFixed) {
        auto v = p.Numbers(q["exposure"], "quality.exposure", 2, 0, 255);
        if (v[0] >= v[1])
          p.Fail("quality.exposure", "the darkest level must be below the brightest",
                 "Write [darkest, brightest], e.g. [40, 230]");
        r.quality.min_exposure = v[0];
        r.quality.max_exposure = v[1];
      }
    }
  }
  if (const auto t = root["training"]) {
    p.CheckKeys(t, "training", {"outliers", "max_outlier_fraction"});
    if (t["outliers"]) {
      const std::string s = p.Text(t["outliers"], "training.outliers");
      if (s == "warn")
        r.outlier_policy = OutlierPolicy::kWarn;
      else if (s == "refuse")
        r.outlier_policy = OutlierPolicy::kRefuse;
      else if (s == "drop")
        r.outlier_policy = OutlierPolicy::kDrop;
      else
        p.Fail("training.outliers", "unknown value '" + s + "'", "Use 'warn', 'refuse' or 'drop'");
    }
    if (t["max_outlier_fraction"])
      r.max_outlier_fraction =
          p.Number(t["max_outlier_fraction"], "training.max_outlier_fraction", 0, 1);
  }
  if (const auto regs = root["regions"]) {
    if (!regs.IsSequence()) p.Fail("regions", "expected a list", "See docs/recipe.md");
    for (size_t i = 0; i < regs.size(); ++i) {
      std::string where = "regions[" + std::to_string(i) + "]";
      const auto n = regs[i];
      p.CheckKeys(n, where, {"name", "ignore", "sensitivity", "ring", "rect"});
      RecipeRegion reg;
      reg.name = n["name"] ? p.Text(n["name"], where + ".name") : "region " + std::to_string(i);
      bool ignore = false;
      if (n["ignore"]) {
        try {
          ignore = n["ignore"].as<bool>();
        } catch (const YAML::Exception&) {
          p.Fail(where + ".ignore", "expected true or false", "Write ignore: true");
        }
      }
      if (ignore && n["sensitivity"])
        p.Fail(where, "has both ignore and sensitivity", "Keep one of the two");
      if (!ignore && !n["sensitivity"])
        p.Fail(where, "needs 'ignore: true' or a 'sensitivity'", "Add one of the two");
      reg.sensitivity = ignore ? 0.0 : p.Number(n["sensitivity"], where + ".sensitivity", 0, 10);
      if (bool(n["ring"]) == bool(n["rect"]))
        p.Fail(where, "needs exactly one shape, 'ring' or 'rect'", "See docs/recipe.md");
      if (n["ring"]) {
        if (r.symmetry != Symmetry::kRotational)
          p.Fail(where + ".ring", "rings need part.symmetry: rotational", "Use a rect instead");
        auto v = p.Numbers(n["ring"], where + ".ring", 2, 0, 1.2);
        if (v[0] >= v[1])
          p.Fail(where + ".ring", "inner radius must be below outer", "Fix the order");
        reg.is_ring = true;
        reg.r0 = v[0];
        reg.r1 = v[1];
      } else {
        if (r.symmetry == Symmetry::kRotational)
          p.Fail(where + ".rect", "a round part may turn, so a rect would move with it",
                 "Use a ring [inner, outer] as fractions of the part radius");
        reg.rect = RectFrom(p, n["rect"], where + ".rect");
      }
      r.regions.push_back(reg);
    }
  }
  Derive(r);
  return r;
}

Recipe LoadRecipe(const std::filesystem::path& path) {
  return ParseRecipe(ConfigReader::ReadFile(path, "recipe"), path.string());
}

nlohmann::json RecipeToJson(const Recipe& r) {
  nlohmann::json regions = nlohmann::json::array();
  for (const auto& g : r.regions) {
    nlohmann::json j = {{"name", g.name}, {"sensitivity", g.sensitivity}, {"is_ring", g.is_ring}};
    if (g.is_ring)
      j["ring"] = {g.r0, g.r1};
    else
      j["rect"] = {g.rect.x, g.rect.y, g.rect.width, g.rect.height};
    regions.push_back(j);
  }
  const auto& l = r.locate;
  nlohmann::json out = {{"version", kRecipeVersion},
                        {"name", r.name},
                        {"symmetry", static_cast<int>(r.symmetry)},
                        {"layout", static_cast<int>(r.layout)},
                        {"roi", {l.roi.x, l.roi.y, l.roi.width, l.roi.height}},
                        {"canvas", l.canvas},
                        {"canvas_radius", l.canvas_radius},
                        {"min_radius", l.min_radius},
                        {"max_radius", l.max_radius},
                        {"min_rim_support", l.min_rim_support},
                        {"block", r.cells.block},
                        {"arc_px", r.arc_px},
                        {"cells", static_cast<int>(r.round_cells)},
                        {"sensitivity", r.sensitivity},
                        {"min_defect_area_px", r.min_defect_area_px},
                        {"target_false_reject_rate", r.target_false_reject_rate},
                        {"holdout_fraction", r.holdout_fraction},
                        {"outliers", static_cast<int>(r.outlier_policy)},
                        {"max_outlier_fraction", r.max_outlier_fraction},
                        {"regions", regions},
                        {"pixel_size_mm", r.pixel_size_mm},
                        {"quality",
                         {{"focus", static_cast<int>(r.quality.focus)},
                          {"min_focus", r.quality.min_focus},
                          {"saturation", static_cast<int>(r.quality.saturation)},
                          {"max_saturated", r.quality.max_saturated},
                          {"exposure", static_cast<int>(r.quality.exposure)},
                          {"exposure_range", {r.quality.min_exposure, r.quality.max_exposure}}}}};
  // Written only when set, so the recipes (and hashes) of models before the check read the same.
  if (r.outline != OutlineCheck::kAuto) out["outline"] = static_cast<int>(r.outline);
  return out;
}

Recipe RecipeFromJson(const nlohmann::json& j, const std::string& name) {
  try {
    Recipe r;
    r.name = j.at("name").get<std::string>();
    int sym = j.at("symmetry").get<int>(), layout = j.at("layout").get<int>();
    if (sym < 0 || sym > 1 || layout < 1 || layout > 3) throw std::out_of_range("enum");
    r.symmetry = static_cast<Symmetry>(sym);
    r.layout = static_cast<CellLayout>(layout);
    auto roi = j.at("roi").get<std::vector<double>>();
    if (roi.size() != 4) throw std::out_of_range("roi");
    r.locate.roi = {roi[0], roi[1], roi[2], roi[3]};
    r.locate.canvas = j.at("canvas").get<int>();
    r.locate.canvas_radius = j.at("canvas_radius").get<double>();
    r.locate.min_radius = j.at("min_radius").get<double>();
    r.locate.max_radius = j.at("max_radius").get<double>();
    r.locate.min_rim_support = j.at("min_rim_support").get<double>();
    r.cells.block = j.at("block").get<int>();
    r.arc_px = j.at("arc_px").get<double>();
    const int cells = j.at("cells").get<int>();
    if (cells < 0 || cells > 2) throw std::out_of_range("cells");
    r.round_cells = static_cast<RoundCells>(cells);
    Derive(r);
    r.sensitivity = j.at("sensitivity").get<double>();
    r.min_defect_area_px = j.at("min_defect_area_px").get<double>();
    r.target_false_reject_rate = j.at("target_false_reject_rate").get<double>();
    r.holdout_fraction = j.at("holdout_fraction").get<double>();
    const int outliers = j.at("outliers").get<int>();
    if (outliers < 0 || outliers > 2) throw std::out_of_range("outliers");
    r.outlier_policy = static_cast<OutlierPolicy>(outliers);
    const int outline = j.value("outline", 0);
    if (outline < 0 || outline > 2) throw std::out_of_range("outline");
    r.outline = static_cast<OutlineCheck>(outline);
    r.max_outlier_fraction = j.at("max_outlier_fraction").get<double>();
    for (const auto& g : j.at("regions")) {
      RecipeRegion reg;
      reg.name = g.at("name").get<std::string>();
      reg.sensitivity = g.at("sensitivity").get<double>();
      reg.is_ring = g.at("is_ring").get<bool>();
      auto v = g.at(reg.is_ring ? "ring" : "rect").get<std::vector<double>>();
      if (v.size() != (reg.is_ring ? 2u : 4u)) throw std::out_of_range("region");
      if (reg.is_ring) {
        reg.r0 = v[0];
        reg.r1 = v[1];
      } else {
        reg.rect = {v[0], v[1], v[2], v[3]};
      }
      r.regions.push_back(reg);
    }
    r.pixel_size_mm = j.at("pixel_size_mm").get<double>();
    const auto& q = j.at("quality");
    auto mode = [](const nlohmann::json& m) {
      const int v = m.get<int>();
      if (v < 0 || v > 2) throw std::out_of_range("quality gate mode");
      return static_cast<GateMode>(v);
    };
    r.quality.focus = mode(q.at("focus"));
    r.quality.min_focus = q.at("min_focus").get<double>();
    r.quality.saturation = mode(q.at("saturation"));
    r.quality.max_saturated = q.at("max_saturated").get<double>();
    r.quality.exposure = mode(q.at("exposure"));
    r.quality.min_exposure = q.at("exposure_range").at(0).get<double>();
    r.quality.max_exposure = q.at("exposure_range").at(1).get<double>();
    if (!(r.pixel_size_mm >= 0) || !std::isfinite(r.pixel_size_mm))
      throw std::out_of_range("pixel_size_mm");
    if (r.locate.canvas < 64 || r.locate.canvas > 1024 || r.cells.block < 4)
      throw std::out_of_range("canvas");
    return r;
  } catch (const std::exception& e) {
    throw Error(ErrorCategory::kModel,
                name + ": the recipe stored in the model is malformed (" + e.what() + ")",
                "The model file is corrupt: train it again");
  }
}

std::string RecipeHash(const Recipe& recipe) {
  nlohmann::json j = RecipeToJson(recipe);
  j.erase("name");                // renaming a recipe does not change what a model learned
  j.erase("min_defect_area_px");  // the operating point's, set again by `linesight model set`
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(Fnv1a64(JsonText(j))));
  return buf;
}

cv::Mat BuildWeightMap(const Recipe& r, const cv::Mat& support) {
  cv::Mat w(support.size(), CV_32F, cv::Scalar(r.sensitivity));
  const int n = support.cols;
  const double part_r = r.locate.canvas_radius * n, c = (n - 1) / 2.0;
  for (const auto& g : r.regions) {
    const float value = static_cast<float>(r.sensitivity * g.sensitivity);
    if (g.is_ring) {
      // Same centre and distance as the ring cells, so a ring region covers whole rings.
      for (int y = 0; y < n; ++y)
        for (int x = 0; x < n; ++x) {
          double d = std::hypot(x - c, y - c) / part_r;
          if (d >= g.r0 && d <= g.r1) w.at<float>(y, x) = value;
        }
    } else {
      cv::Rect px(static_cast<int>(g.rect.x * n), static_cast<int>(g.rect.y * n),
                  static_cast<int>(std::ceil(g.rect.width * n)),
                  static_cast<int>(std::ceil(g.rect.height * n)));
      w(px & cv::Rect(0, 0, n, n)).setTo(value);
    }
  }
  w.setTo(0, support == 0);
  return w;
}

}  // namespace linesight
