// cli/cmd_bench.cpp: `linesight bench` — per-stage timing of inspection on one thread, measured
// in one run so that ratios (inspection / image decode) hold on a noisy machine.
#include <algorithm>
#include <iomanip>
#include <iostream>

#include <sys/resource.h>
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/paths.h"
#include "cli/progress.h"
#include "core/clock.h"
#include "core/error.h"
#include "core/json_text.h"
#include "inspect/inspector.h"
#include "vision/image_io.h"

namespace linesight::cli {
namespace {

double Median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

double Percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[static_cast<size_t>(std::min<double>(v.size() - 1, p * (v.size() - 1) + 0.5))];
}

double PeakRssMb() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_maxrss / 1024.0;  // Linux reports kilobytes
}

}  // namespace

void AddBenchCommand(CLI::App& app, CommandBody& body) {
  struct Args {
    std::string model, images;
    bool json = false;
    int max_images = 200, repeat = 3, warmup = 10;
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd =
      app.add_subcommand("bench", "Time decode, align and score per part on one thread");
  cmd->add_option("--model", args->model, "Model file")->required();
  cmd->add_option("--images", args->images, "Folder of images to time")->required();
  cmd->add_flag("--json", args->json, "Print one JSON object");
  cmd->add_option("--max-images", args->max_images, "Use at most N images")
      ->check(CLI::Range(1, 100000));
  cmd->add_option("--repeat", args->repeat, "Timed passes over the images")
      ->check(CLI::Range(1, 100));
  cmd->callback([args, &body] {
    body = [args] {
      cv::setNumThreads(1);  // the figures are per core
      InspectionModel model = LoadInspectionModel(args->model);
      RequireFolder("--images", args->images);
      auto files = ListInputImages({args->images}, "--images");
      if (files.size() > static_cast<size_t>(args->max_images)) files.resize(args->max_images);
      DecodeLimits limits;
      std::vector<std::vector<uint8_t>> bytes;
      for (const auto& f : files) bytes.push_back(ReadFileBytes(f, limits.max_file_bytes));
      Inspector inspector(model);
      // One workspace and verdict reused frame after frame, as a station does: after warm-up
      // inspection allocates nothing.
      Workspace ws;
      Verdict v;
      for (int i = 0; i < args->warmup; ++i) {
        const auto& b = bytes[static_cast<size_t>(i) % bytes.size()];
        inspector.Inspect(DecodeGrey(b, "warmup", limits), ws, Deadline::Never(), v);
      }
      std::vector<double> decode, align, score, total;
      Progress progress("bench");
      int counts[3] = {0, 0, 0};
      const int n = static_cast<int>(bytes.size()) * args->repeat;
      for (int pass = 0, done = 0; pass < args->repeat; ++pass) {
        for (size_t i = 0; i < bytes.size(); ++i) {
          auto t0 = SteadyClock::now();
          cv::Mat image;
          try {
            image = DecodeGrey(bytes[i], files[i].string(), limits);
          } catch (const Error& e) {
            throw Error(ErrorCategory::kData, e.cause(), "Benchmark on readable images only");
          }
          double d = MillisSince(t0);
          inspector.Inspect(image, ws, Deadline::Never(), v);
          double t = MillisSince(t0);
          if (pass == 0) ++counts[static_cast<int>(v.decision)];
          decode.push_back(d);
          align.push_back(v.times.align_ms);
          score.push_back(v.times.score_ms);
          total.push_back(t);
          progress.Update(++done, n, "inspect");
        }
      }
      progress.Finish();
      std::vector<double> inspect_only;
      for (size_t i = 0; i < total.size(); ++i) inspect_only.push_back(total[i] - decode[i]);
      const double med_total = Median(total), med_decode = Median(decode);
      nlohmann::json j = {
          {"images", bytes.size()},
          {"passes", args->repeat},
          {"threads", 1},
          {"decode_ms", med_decode},
          {"align_ms", Median(align)},
          {"score_ms", Median(score)},
          {"inspect_ms", Median(inspect_only)},
          {"total_ms", med_total},
          {"total_p99_ms", Percentile(total, 0.99)},
          {"parts_per_s_core", med_total > 0 ? 1000.0 / med_total : 0},
          {"inspect_to_decode_ratio", med_decode > 0 ? Median(inspect_only) / med_decode : 0},
          {"peak_rss_mb", PeakRssMb()},
          {"verdicts", {{"pass", counts[0]}, {"reject", counts[1]}, {"hold", counts[2]}}}};
      if (args->json) {
        std::cout << JsonText(j) << "\n";
        return kExitOk;
      }
      std::cout << std::fixed << std::setprecision(3) << "bench: " << bytes.size() << " images x "
                << args->repeat << " passes, 1 thread (medians)\n"
                << "  decode          " << j["decode_ms"].get<double>()
                << " ms   (the loader's decode: a JPEG straight to luma, no colour pass)\n"
                << "  align           " << j["align_ms"].get<double>() << " ms\n"
                << "  score           " << j["score_ms"].get<double>() << " ms\n"
                << "  decode+inspect  " << med_total << " ms   (p99 "
                << j["total_p99_ms"].get<double>() << " ms)\n"
                << std::setprecision(1) << "  throughput      "
                << j["parts_per_s_core"].get<double>() << " parts/s/core\n"
                << std::setprecision(2) << "  inspect/decode  "
                << j["inspect_to_decode_ratio"].get<double>()
                << " (align+score time / grey decode time of the same images, same run)\n"
                << std::setprecision(0) << "  peak memory     " << j["peak_rss_mb"].get<double>()
                << " MB\n";
      return kExitOk;
    };
  });
}

}  // namespace linesight::cli
