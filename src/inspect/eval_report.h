// inspect/eval_report.h: what `linesight eval` found, as JSON for machines and as one
// self-contained HTML page for people (metrics, ROC curve, score histograms, defect classes,
// every wrong verdict, worst parts).
// Plain data and free functions; safe to use from any thread on distinct reports.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>
#include <opencv2/core.hpp>

#include "inspect/metrics.h"
#include "inspect/verdict.h"

namespace linesight {

// One evaluated part shown in the report, with its heatmap.
struct ReportPart {
  ReportPart() = default;
  ReportPart(std::string name_, bool is_defect_, float score_, std::string verdict_,
             cv::Mat overlay_, std::string detail_ = "")
      : name(std::move(name_)),
        is_defect(is_defect_),
        score(score_),
        verdict(std::move(verdict_)),
        overlay(std::move(overlay_)),
        detail(std::move(detail_)) {}

  std::string name;        // file name or part id
  bool is_defect = false;  // ground truth
  float score = 0.f;
  std::string verdict;  // "pass", "reject" or "hold" (shown as given)
  cv::Mat overlay;      // BGR CV_8UC3 heatmap over the image (grey CV_8UC1 also taken); empty =
                        // none shown. Shrunk to at most 320 px a side in the HTML.
  std::string detail;   // shown under the verdict, e.g. a hold's reason; may be empty
};

// One evaluated part as the line decided it: the report counts these decisions, never a rule of
// its own, so that its figures are the ones the line reproduces.
struct EvaluatedPart {
  std::string name;          // shown: file name or part id
  std::string path;          // the image, linked from the report; empty = no link
  std::string defect_class;  // defects: their class (DefectClassOf); ignored for good parts
  bool is_defect = false;    // ground truth
  float score = 0.f;         // as in the metrics (a hold's is at least 10x the threshold)
  Decision decision = Decision::kHold;
  HoldReason reason = HoldReason::kNone;  // holds: why
};

// Per defect class: how many there were and what the line did with them.
struct DefectClassStats {
  std::string name;
  int64_t parts = 0;
  int64_t rejected = 0;  // decision reject
  int64_t held = 0;      // decision hold: rejected by the line, counted as caught
  int64_t escaped = 0;   // decision pass
  double auroc = 0;      // this class's scores against all good parts'; NaN without good parts
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

  // Every evaluated part. When set, FillImageMetrics() takes the scores from here and counts the
  // confusion from the decisions.
  std::vector<EvaluatedPart> parts;
  int64_t good_held = 0;    // good parts held (counted in confusion.good_rejected)
  int64_t defect_held = 0;  // defects held (counted in confusion.defect_rejected)
  std::string scores_csv;   // the CSV of every part's score, linked from the report; may be empty

  std::vector<float> good_scores;
  std::vector<float> defect_scores;
  // The worst-scored parts: good parts with the highest scores and defects with the lowest.
  std::vector<ReportPart> worst_parts;
};

// Sets image_auroc, frr_at_escape_1pct and escape_at_frr_2pct from the scores. With `parts`, it
// first sets the score sets from them, and counts confusion, good_held and defect_held from their
// decisions (a hold is rejected by the line); without, confusion is counted at the threshold
// (rejected when score > threshold). Throws Error{kData} if either score set is empty or holds a
// NaN.
void FillImageMetrics(EvalReport& report);

// The defect class of `image`, evaluated from the folder `root`: the name of its first subfolder
// below `root`; else its file name up to the first '_' ("crack_007.png" -> "crack"), except a
// name of the simulator's form "part_<number>_<class>" -> "<class>"; else "unlabelled".
[[nodiscard]] std::string DefectClassOf(const std::filesystem::path& image,
                                        const std::filesystem::path& root);

// Per defect class of report.parts, by name: counts by decision and AUROC against the good parts.
[[nodiscard]] std::vector<DefectClassStats> DefectClassTable(const EvalReport& report);

// The report as JSON: model {path, kind, version, recipe, trained_images}, n_good, n_defect,
// image_auroc, frr_at_escape_1pct, escape_at_frr_2pct, threshold, confusion {good_passed,
// good_rejected, defect_passed, defect_rejected}, held {good, defect}, pixel_auroc and aupro
// when present, by_class [{class, parts, rejected, held, escaped, auroc}] when parts are set,
// and worst_parts [{name, is_defect, score, verdict}]. Never throws (beyond bad_alloc).
[[nodiscard]] nlohmann::json ToJson(const EvalReport& report);

// Writes `report` as one HTML file with no external resources (inline CSS and SVG, overlays as
// base64 PNG). With `parts`, it also lists every wrong verdict and every hold, linked to their
// images, and a table per defect class. Sections that lack data (e.g. no defect scores) say so
// instead of failing.
// Throws Error{kIo} if `path` cannot be written, Error{kInput} if an overlay is neither CV_8UC3
// nor CV_8UC1, Error{kData} if a score is NaN (both checked before anything is written).
void WriteHtmlReport(const EvalReport& report, const std::filesystem::path& path);

}  // namespace linesight
