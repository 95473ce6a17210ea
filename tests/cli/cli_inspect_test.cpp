// Integration tests of `linesight inspect` as people and scripts read it (issue 11, sections 5
// and 6): threads keep input order, the threshold is shown, a hold never sorts among good
// parts, and Ctrl-C leaves only whole lines.
#include <csignal>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>
#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "cli/cli_fixture.h"
#include "testing/test_util.h"

namespace linesight {
namespace {

using namespace cli_test;  // NOLINT: the fixture and helpers every CLI test uses

TEST_F(CliTest, InspectOnThreadsGivesTheSameLinesInTheSameOrder) {
  const std::string paths = Q(data() / "defect") + " " + Q(data() / "good");
  const RunResult one = RunLinesight("inspect --model " + Q(model()) + " --json " + paths);
  const RunResult three =
      RunLinesight("inspect --model " + Q(model()) + " --json --threads 3 " + paths);
  ASSERT_EQ(one.exit_code, 0) << Describe(one);
  ASSERT_EQ(three.exit_code, 0) << Describe(three);
  const auto a = JsonLines(one.out), b = JsonLines(three.out);
  ASSERT_EQ(a.size(), static_cast<size_t>(kGood + kDefect));
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i]["image"], b[i]["image"]) << i;
    EXPECT_EQ(a[i]["decision"], b[i]["decision"]) << a[i]["image"];
    EXPECT_EQ(a[i]["score"], b[i]["score"]) << a[i]["image"];
    EXPECT_EQ(a[i]["findings"], b[i]["findings"]) << a[i]["image"];
  }
  EXPECT_EQ(RunLinesight("inspect --model " + Q(model()) + " --threads 0 " + paths).exit_code, 2);
}

// A camera's disk may hold names that are not UTF-8 (Latin-1 "café"): they are written as
// U+FFFD in JSON and in the model's manifest, never a reason to lose the run.
TEST_F(CliTest, ANameThatIsNotUtf8NeitherStopsTrainingNorInspection) {
  const fs::path dir = Scratch("latin1");
  const std::vector<fs::path> good = Files(data() / "good", ".png");
  ASSERT_GE(good.size(), 31u);
  for (size_t i = 0; i < 31; ++i)
    fs::copy_file(good[i],
                  dir / (i == 0 ? std::string("caf\xe9.png") : good[i].filename().string()));
  // Three calibration folds: what is tested is the name, and they keep training quick.
  const fs::path recipe = Scratch("latin1_recipe") / "r.yaml";
  testing::WriteFile(recipe, "version: 1\nanomaly:\n  holdout_fraction: 0.3\n");
  const RunResult train = RunLinesight("train --good " + Q(dir) + " --recipe " + Q(recipe) +
                                       " --out " + Q(dir / "m.lsm"));
  ASSERT_EQ(train.exit_code, 0) << Describe(train);
  const RunResult show = RunLinesight("model show --json --manifest --model " + Q(dir / "m.lsm"));
  ASSERT_EQ(show.exit_code, 0) << Describe(show);
  EXPECT_TRUE(Contains(show.out, "caf\xef\xbf\xbd.png")) << show.out.substr(0, 400);
  EXPECT_TRUE(Contains(show.out, "\"part_scale\"")) << show.out.substr(0, 400);
  // A round part's outline check is on or off, and if off, why.
  const nlohmann::json outline = JsonLines(show.out).at(0).at("outline");
  const RunResult text = RunLinesight("model show --model " + Q(dir / "m.lsm"));
  EXPECT_TRUE(Contains(text.out, "part size        rim radius ")) << text.out;
  if (outline.at("on").get<bool>()) {
    EXPECT_GT(outline.at("threshold_spreads").get<double>(), 0) << outline;
    EXPECT_TRUE(Contains(text.out, "outline check    flash when the outline bulges over"))
        << text.out;
  } else {  // training said why, and model show says it again
    const std::string why = outline.at("reason");
    EXPECT_TRUE(Contains(train.out, "outline check off: " + why)) << train.out;
    EXPECT_TRUE(Contains(text.out, "outline check    off: " + why)) << text.out;
  }
  const RunResult r = RunLinesight("inspect --json --model " + Q(dir / "m.lsm") + " " +
                                   Q(dir / "caf\xe9.png") + " " + Q(good.back()));
  ASSERT_EQ(r.exit_code, 0) << Describe(r);
  const auto lines = JsonLines(r.out);
  ASSERT_EQ(lines.size(), 2u) << Describe(r);
  EXPECT_TRUE(Contains(lines[0].at("image").get<std::string>(), "caf\xef\xbf\xbd.png"));
}

TEST_F(CliTest, InspectTextShowsTheThreshold) {
  const RunResult r = RunLinesight("inspect --model " + Q(model()) + " " + Q(data() / "defect"));
  ASSERT_EQ(r.exit_code, 0) << Describe(r);
  const RunResult j =
      RunLinesight("inspect --model " + Q(model()) + " --json " + Q(Files(data() / "good")[0]));
  ASSERT_EQ(JsonLines(j.out).size(), 1u) << Describe(j);
  char thr[32];
  std::snprintf(thr, sizeof thr, "%.3f", JsonLines(j.out)[0]["threshold"].get<double>());
  EXPECT_EQ(r.out.rfind(std::string("threshold ") + thr + ": ", 0), 0u)
      << "the first line gives the threshold\n"
      << Describe(r);
  EXPECT_TRUE(Contains(r.err, std::string("(threshold ") + thr + ")")) << Describe(r);
}

TEST_F(CliTest, HeldPartsSortAmongRejectsNeverAmongGoodParts) {
  const fs::path dir = Scratch("holds");
  const std::vector<fs::path> good = Files(data() / "good");
  for (int i = 0; i < 4; ++i)
    fs::copy_file(good[static_cast<size_t>(i)], dir / good[static_cast<size_t>(i)].filename());
  testing::WriteFile(dir / "broken.png", "not a png");
  // A part moved so that the frame cuts it: held as part_at_edge.
  const cv::Mat image = cv::imread(good[4].string(), cv::IMREAD_GRAYSCALE);
  cv::Mat cut;
  cv::warpAffine(image, cut, cv::Mat(cv::Matx23d(1, 0, 60, 0, 1, 0)), image.size(),
                 cv::INTER_LINEAR, cv::BORDER_REPLICATE);
  ASSERT_TRUE(cv::imwrite((dir / "cut.png").string(), cut));

  const RunResult r = RunLinesight("inspect --model " + Q(model()) + " --json " + Q(dir));
  EXPECT_EQ(r.exit_code, 1) << "one image could not be read\n" << Describe(r);
  const auto lines = JsonLines(r.out);
  ASSERT_EQ(lines.size(), 6u) << Describe(r);
  double best_hold = 1e300, worst_pass = 0;
  for (const auto& j : lines) {
    const std::string name = fs::path(j.value("image", "")).filename().string();
    ASSERT_TRUE(j["score"].is_number()) << j.dump();
    const double score = j["score"].get<double>();
    if (name == "cut.png") {
      EXPECT_EQ(j.value("decision", ""), "hold") << j.dump();
      EXPECT_EQ(j.value("reason", ""), "part_at_edge") << j.dump();
      EXPECT_TRUE(Contains(j.value("detail", ""), "right edge")) << j.dump();
    }
    if (j.value("decision", "") == "hold") {
      best_hold = std::min(best_hold, score);
      EXPECT_GE(score, 10 * j["threshold"].get<double>() * (1 - 1e-6)) << j.dump();
    } else if (j.value("decision", "") == "pass") {
      worst_pass = std::max(worst_pass, score);
    }
  }
  EXPECT_GT(best_hold, worst_pass);
  // Text output: a hold shows no score, and its reason.
  const RunResult t = RunLinesight("inspect --model " + Q(model()) + " " + Q(dir / "cut.png"));
  EXPECT_TRUE(Contains(t.out, "hold          -")) << Describe(t);
  EXPECT_TRUE(Contains(t.out, "(part_at_edge: part is cut off by the frame")) << Describe(t);
}

// Runs linesight with `args` (no shell), stdout and stderr into files; returns the child's pid.
pid_t Spawn(const std::vector<std::string>& args, const fs::path& out, const fs::path& err) {
  std::vector<char*> argv;
  std::vector<std::string> all = {LINESIGHT_BINARY};
  all.insert(all.end(), args.begin(), args.end());
  for (auto& a : all) argv.push_back(a.data());
  argv.push_back(nullptr);
  const pid_t pid = fork();
  if (pid == 0) {
    const int o = open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    const int e = open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(o, 1);
    dup2(e, 2);
    execv(argv[0], argv.data());
    _exit(127);
  }
  return pid;
}

TEST_F(CliTest, CtrlCDuringInspectJsonLeavesOnlyWholeLines) {
  const fs::path dir = Scratch("interrupt");
  // The good folder many times over: a run long enough to be interrupted in the middle.
  std::vector<std::string> args = {"inspect", "--model",   model().string(),
                                   "--json",  "--threads", "2"};
  for (int i = 0; i < 50; ++i) args.push_back((data() / "good").string());
  for (int attempt = 0; attempt < 2; ++attempt) {
    const pid_t pid = Spawn(args, dir / "out", dir / "err");
    ASSERT_GT(pid, 0);
    // Interrupt once the first verdicts are out (or give up waiting after a minute).
    for (int i = 0; i < 600 && (!fs::exists(dir / "out") || fs::file_size(dir / "out") == 0); ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    kill(pid, SIGINT);
    int status = 0;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFEXITED(status)) << "ended by a signal, not by its handler";
    const std::string out = Slurp(dir / "out"), err = Slurp(dir / "err");
    const size_t lines = JsonLines(out).size();
    for (const auto& j : JsonLines(out)) ASSERT_TRUE(j.is_object()) << out;
    ASSERT_TRUE(out.empty() || out.back() == '\n') << "a half line at the end";
    if (WEXITSTATUS(status) == 0) {  // the run ended before the signal came: nothing to check
      EXPECT_EQ(lines, static_cast<size_t>(50 * kGood));
      continue;
    }
    EXPECT_EQ(WEXITSTATUS(status), 130) << err;
    EXPECT_TRUE(Contains(err, "interrupted by SIGINT after " + std::to_string(lines) + " of " +
                                  std::to_string(50 * kGood) + " images"))
        << lines << "\n"
        << err;
    EXPECT_LT(lines, static_cast<size_t>(50 * kGood));
    break;
  }
}

}  // namespace
}  // namespace linesight
