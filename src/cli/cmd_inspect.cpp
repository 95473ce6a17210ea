// cli/cmd_inspect.cpp: `linesight inspect` — one verdict per image, in input order, on a bounded
// pool of threads; optional heatmap overlays. Lines are written whole, so Ctrl-C never leaves a
// half line in --json output.
#include <algorithm>
#include <csignal>
#include <filesystem>
#include <iomanip>
#include <iostream>
#include <sstream>

#include <unistd.h>
#include <CLI/CLI.hpp>
#include <opencv2/imgcodecs.hpp>

#include "cli/commands.h"
#include "cli/interrupt.h"
#include "cli/ordered_pool.h"
#include "cli/paths.h"
#include "cli/progress.h"
#include "core/clock.h"
#include "core/error.h"
#include "core/json_text.h"
#include "inspect/inspector.h"
#include "inspect/model_fit_check.h"
#include "inspect/overlay.h"
#include "vision/image_io.h"

namespace linesight::cli {
namespace {

namespace fs = std::filesystem;

// A run this long (seconds) shows progress on stderr even when stderr is a file or pipe.
constexpr double kLongRunSeconds = 10;

// The score a held part is given in output: at least 10x the threshold, the value eval's
// --scores CSV gives it, so that sorting by score puts held parts among the rejects (the line
// rejects them), never among good parts.
float ReportedScore(const Verdict& v, float threshold) {
  return v.decision == Decision::kHold ? std::max(v.score, 10 * threshold) : v.score;
}

// One image's result, made by a worker and written in input order by the calling thread.
struct Result {
  std::string line;  // the whole output line, newline included
  Decision decision = Decision::kHold;
  HoldReason reason = HoldReason::kNone;
  float score = 0, threshold = 0;  // for the model fit check
  bool unreadable = false;
  std::string warning;  // for stderr, written with the line
};

std::string FormatLine(const Verdict& v, float threshold, const fs::path& file, double total_ms,
                       bool json) {
  if (json) {
    nlohmann::json j = VerdictToJson(v);
    j["image"] = file.string();
    j["total_ms"] = total_ms;
    j["threshold"] = threshold;
    if (v.decision == Decision::kHold) {
      j["score"] = ReportedScore(v, threshold);
      if (v.score > 0) j["measured_score"] = v.score;
    }
    return JsonText(j) + "\n";
  }
  std::ostringstream out;
  out << std::left << std::setw(7) << DecisionName(v.decision) << " " << std::fixed
      << std::setprecision(2) << std::right << std::setw(7);
  if (v.decision == Decision::kHold)
    out << "-";
  else
    out << v.score;
  out << " " << std::setw(7) << std::setprecision(1) << total_ms << " ms  " << file.string();
  if (v.decision == Decision::kHold)
    out << "  (" << HoldReasonName(v.reason) << ": " << v.detail << ")";
  const double mm = v.pixel_size_mm;
  if (v.geometry.measured) {
    const PartGeometry& g = v.geometry;
    out << "\n        part at " << std::setprecision(1) << g.centre.x << "," << g.centre.y
        << "  diameter " << g.diameter << " px";
    if (mm > 0) out << " (" << std::setprecision(2) << g.diameter * mm << " mm)";
    out << "  ovality " << std::setprecision(1) << g.ovality * 100 << "%  angle "
        << std::setprecision(0) << g.angle_deg << " deg";
  }
  for (const auto& f : v.findings) {
    out << "\n        " << f.type << " at " << f.box.x << "," << f.box.y << " " << f.box.width
        << "x" << f.box.height << "  area " << std::setprecision(0) << f.area_px << " px";
    if (mm > 0)
      out << " (" << std::setprecision(2) << f.box.width * mm << "x" << f.box.height * mm << " mm, "
          << f.area_px * mm * mm << " mm2)";
    out << "  severity " << std::setprecision(2) << f.severity;
  }
  out << "\n";
  return out.str();
}

}  // namespace

void AddInspectCommand(CLI::App& app, CommandBody& body) {
  struct Args {
    std::string model, recipe, out;
    bool json = false;
    bool all_overlays = false;
    int threads = 1;
    int overlay_max_side = 1024;
    std::vector<std::string> paths;
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand("inspect", "Inspect images: pass, reject or hold for each");
  cmd->add_option("--model", args->model, "Model file from `linesight train`")->required();
  cmd->add_option("--recipe", args->recipe, "Check that the model was trained for this recipe");
  cmd->add_flag("--json", args->json, "Print one JSON object per image");
  cmd->add_option("--out", args->out, "Write an overlay PNG for every rejected or held part here");
  cmd->add_flag("--all-overlays", args->all_overlays,
                "With --out: write overlays for every part, not only rejects and holds");
  cmd->add_option("--overlay-max-side", args->overlay_max_side,
                  "With --out: scale larger frames down to this longest side (0 = full size)")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--threads", args->threads, "Inspect on N threads (output stays in input order)")
      ->check(CLI::Range(1, 256));
  cmd->add_option("paths", args->paths, "Image files or folders")->required();
  cmd->callback([args, &body] {
    body = [args] {
      InspectionModel model = LoadInspectionModel(args->model);
      if (!args->recipe.empty()) CheckRecipeMatches(model, LoadRecipe(args->recipe), args->recipe);
      if (!args->out.empty()) PrepareOutputFolder("--out", args->out);
      std::vector<fs::path> inputs(args->paths.begin(), args->paths.end());
      const std::vector<fs::path> files = ListInputImages(inputs, "the image paths");
      for (const auto& w : model.training.warnings)
        std::cerr << "warning: model " << args->model << ": " << w << "\n";
      const Inspector inspector(model);
      const float threshold = static_cast<float>(model.threshold);
      const std::string model_id = model.Id();  // also on holds of frames that never decoded
      const int n = static_cast<int>(files.size());
      OrderedPoolOptions pool;
      pool.threads = std::min(args->threads, n);
      pool.window = 4 * pool.threads;
      // One workspace and one verdict per thread, reused image after image.
      std::vector<Workspace> workspaces(static_cast<size_t>(pool.threads));
      std::vector<Verdict> verdicts(static_cast<size_t>(pool.threads));
      std::vector<Result> slots(static_cast<size_t>(pool.window));

      auto work = [&](int i, int w) {
        const fs::path& file = files[static_cast<size_t>(i)];
        Workspace& ws = workspaces[static_cast<size_t>(w)];
        Verdict& v = verdicts[static_cast<size_t>(w)];
        Result& r = slots[static_cast<size_t>(i % pool.window)];
        r.warning.clear();
        auto t0 = SteadyClock::now();
        cv::Mat image;
        try {
          image = LoadGrey(file);
          inspector.Inspect(image, ws, Deadline::Never(), v);
        } catch (const Error& e) {
          v = HoldVerdict(HoldReason::kBadImage, e.what());
          v.threshold = threshold;
          v.model_id = model_id;
        }
        r.unreadable = image.empty();
        r.decision = v.decision;
        r.reason = v.reason;
        r.score = v.score;
        r.threshold = v.threshold;
        r.line = FormatLine(v, threshold, file, MillisSince(t0), args->json);
        if (!args->out.empty() && !image.empty() &&
            (v.decision != Decision::kPass || args->all_overlays)) {
          const fs::path dst = fs::path(args->out) / (file.stem().string() + "_heatmap.png");
          bool written = false;
          try {
            OverlayOptions overlay;
            overlay.max_side = args->overlay_max_side;
            written = cv::imwrite(dst.string(), DrawOverlay(inspector, image, v, ws, overlay));
          } catch (const cv::Exception&) {
          }
          if (!written) r.warning = "warning: could not write " + dst.string() + "\n";
        }
      };

      // Progress on stderr: redrawn when stderr is a terminal and stdout is not (the verdict
      // lines would overwrite it), as milestone lines when stderr is a file once the run is long.
      const bool tty_progress = ::isatty(2) && !::isatty(1);
      const bool file_progress = !::isatty(2);
      Progress progress("inspect");
      const auto start = SteadyClock::now();
      int counts[3] = {0, 0, 0}, unreadable = 0;
      bool stdout_failed = false;
      std::ostringstream thr;
      thr << std::fixed << std::setprecision(3) << threshold;
      if (!args->json)
        stdout_failed = !WriteAll(1, "threshold " + thr.str() +
                                         ": a part is rejected when its score is above it (model " +
                                         model.Id() + ")\n");
      ModelFitCheck fit;
      auto emit = [&](int i) {
        const Result& r = slots[static_cast<size_t>(i % pool.window)];
        if (!r.warning.empty()) {
          progress.Finish();  // a warning starts on a line of its own, not after the bar
          WriteAll(2, r.warning);
        }
        stdout_failed = stdout_failed || !WriteAll(1, r.line);
        ++counts[static_cast<int>(r.decision)];
        Verdict seen;  // what the fit check reads; allocates nothing
        seen.decision = r.decision;
        seen.reason = r.reason;
        seen.score = r.score;
        seen.threshold = r.threshold;
        fit.Add(seen);
        unreadable += r.unreadable;
        if (tty_progress || (file_progress && MillisSince(start) > kLongRunSeconds * 1000))
          progress.Update(i + 1, n, "images");
      };
      const InterruptFlag interrupt;
      const int done = RunInOrder(n, pool, work, emit, [&] { return interrupt.signal() != 0; });
      progress.Finish();
      const int signo = interrupt.signal();
      std::ostringstream summary;
      if (signo)
        summary << "interrupted by " << (signo == SIGINT ? "SIGINT" : "SIGTERM") << " after "
                << done << " of " << n << " images: ";
      else
        summary << n << " images: ";
      summary << counts[0] << " pass, " << counts[1] << " reject, " << counts[2]
              << " hold (threshold " << thr.str() << ")";
      if (unreadable)
        summary << " (" << unreadable << " could not be read: see the messages above)";
      summary << "\n";
      if (const std::string w = fit.Warning(); !w.empty()) summary << "warning: " << w << "\n";
      WriteAll(2, summary.str());
      if (stdout_failed)
        throw Error(ErrorCategory::kIo, "writing the verdicts to standard output failed",
                    "Check where the output goes (a full disk, a closed pipe)");
      if (signo) return 128 + signo;
      return unreadable ? kExitFailure : kExitOk;
    };
  });
}

}  // namespace linesight::cli
