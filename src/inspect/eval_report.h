// inspect/eval_report.h: what `linesight eval` found, as JSON for machines and as one
// self-contained HTML page for people (metrics, ROC curve, score histograms, worst parts).
// Plain data and free functions; safe to use from any thread on distinct reports.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <opencv2/core.hpp>

#include "inspect/metrics.h"

namespace linesight {

// One evaluated part shown in the report, with its heatmap.
struct ReportPart {
  std::string name;        // file name or part id
  bool is_defect = false;  // ground truth
  float score = 0.f;
  std::string verdict;  // "pass", "reject" or "hold" (shown as given)
  cv::Mat overlay;      // BGR CV_8UC3 heatmap over the image (grey CV_8UC1 also taken); empty =
                        // none shown. Shrunk to at most 320 px a side in the HTML.
};

// Everything an evaluation report shows. Fill the model fields, the scores and the threshold,
// then FillImageMetrics() (or set the metric fields yourself).
struct EvalReport {
  std::string title = "linesight evaluation";
  std::string model_path;
  std::string model_kind;     // e.g. "patchcore"
  std::string model_version;  // linesight or model-format version
  std::string recipe_name;
  int64_t trained_images = 0;  // images the model was trained on
  std::string data_path;       // what was evaluated; may be empty
  std::string generated_at;    // a timestamp for the header; may be empty

  double image_auroc = 0;
  std::optional<double> pixel_auroc;  // only with ground-truth masks
  std::optional<double> aupro;        // only with ground-truth masks
  double frr_at_escape_1pct = 0;      // false-reject rate at <= 1% escapes
  double escape_at_frr_2pct = 0;      // escape rate at <= 2% false rejects
  double threshold = 0;               // the model's threshold: reject when score > threshold
  Confusion confusion;                // at `threshold`

  std::vector<float> good_scores;
  std::vector<float> defect_scores;
  // The worst-scored parts: good parts with the highest scores and defects with the lowest.
  std::vector<ReportPart> worst_parts;
};

// Sets image_auroc, frr_at_escape_1pct, escape_at_frr_2pct and confusion from the scores and the
// threshold. Throws Error{kData} if either score set is empty or holds a NaN.
void FillImageMetrics(EvalReport& report);

// The report as JSON: model {path, kind, version, recipe, trained_images}, n_good, n_defect,
// image_auroc, frr_at_escape_1pct, escape_at_frr_2pct, threshold, confusion {good_passed,
// good_rejected, defect_passed, defect_rejected}, pixel_auroc and aupro when present, and
// worst_parts [{name, is_defect, score, verdict}]. Never throws (beyond bad_alloc).
[[nodiscard]] nlohmann::json ToJson(const EvalReport& report);

// Writes `report` as one HTML file with no external resources (inline CSS and SVG, overlays as
// base64 PNG). Sections that lack data (e.g. no defect scores) say so instead of failing.
// Throws Error{kIo} if `path` cannot be written, Error{kInput} if an overlay is neither CV_8UC3
// nor CV_8UC1, Error{kData} if a score is NaN (both checked before anything is written).
void WriteHtmlReport(const EvalReport& report, const std::filesystem::path& path);

}  // namespace linesight
