// Integration tests: the real `linesight` binary on generated data.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>

#include "cli/cli_fixture.h"
#include "core/version.h"
#include "testing/test_util.h"

namespace linesight {
namespace {

using namespace cli_test;  // NOLINT: the fixture and helpers every CLI test uses

// Makes the data set and model the CLI tests share. CTest runs it before them (a fixture,
// tests/CMakeLists.txt), so that no two of their processes start together and one waits on the
// other's training; each of them still makes the data itself when run on its own.
TEST(SharedData, IsMade) {
  const SharedData d = MakeSharedData();
  EXPECT_TRUE(d.error.empty()) << d.error;
}

TEST(CliBasicsTest, Version) {
  const RunResult r = RunLinesight("--version");
  EXPECT_EQ(r.exit_code, 0) << Describe(r);
  EXPECT_TRUE(Contains(r.out, std::string("linesight ") + kVersion)) << Describe(r);
}

TEST(CliBasicsTest, UsageErrors) {
  RunResult r = RunLinesight("no-such-command");
  EXPECT_EQ(r.exit_code, 2) << Describe(r);
  r = RunLinesight("train --out x.lsm");  // --good is required
  EXPECT_EQ(r.exit_code, 2) << Describe(r);
  EXPECT_TRUE(Contains(r.out + r.err, "--good")) << Describe(r);
  r = RunLinesight("bench --model x --images y --repeat 0");
  EXPECT_EQ(r.exit_code, 2) << Describe(r);
  r = RunLinesight("");
  EXPECT_EQ(r.exit_code, 0) << Describe(r);
  EXPECT_TRUE(Contains(r.out, "train")) << "help lists the commands\n" << Describe(r);
}

TEST_F(CliTest, SimWritesTheDataSet) {
  EXPECT_EQ(Files(data() / "good").size(), static_cast<size_t>(kGood));
  EXPECT_EQ(Files(data() / "defect").size(), static_cast<size_t>(kDefect));
  EXPECT_EQ(Files(data() / "masks").size(), static_cast<size_t>(kDefect));
  const cv::Mat img = cv::imread(Files(data() / "defect")[0].string(), cv::IMREAD_UNCHANGED);
  EXPECT_EQ(img.type(), CV_8UC1);
  EXPECT_EQ(img.size(), cv::Size(300, 300));
  EXPECT_TRUE(Contains(shared_->sim_out, "wrote")) << shared_->sim_out;
}

TEST_F(CliTest, TrainWritesAModel) {
  EXPECT_TRUE(Contains(shared_->train_out, "model written")) << shared_->train_out;
  EXPECT_TRUE(Contains(shared_->train_out, std::to_string(kGood) + " used")) << shared_->train_out;
  EXPECT_TRUE(fs::is_regular_file(model()));
  EXPECT_GT(fs::file_size(model()), 1000u);
  EXPECT_FALSE(fs::exists(model().string() + ".tmp"));
}

TEST_F(CliTest, InspectJsonPrintsOneObjectPerImage) {
  const RunResult r =
      RunLinesight("inspect --model " + Q(model()) + " --json " + Q(data() / "defect"));
  ASSERT_EQ(r.exit_code, 0) << Describe(r);
  const std::vector<nlohmann::json> lines = JsonLines(r.out);
  ASSERT_EQ(lines.size(), static_cast<size_t>(kDefect)) << Describe(r);
  std::set<std::string> images;
  int rejects = 0;
  for (const auto& j : lines) {
    ASSERT_TRUE(j.is_object()) << Describe(r);
    for (const char* key : {"decision", "score", "findings", "threshold", "image"})
      EXPECT_TRUE(j.contains(key)) << key << " in " << j.dump();
    const std::string d = j.value("decision", "");
    EXPECT_TRUE(d == "pass" || d == "reject" || d == "hold") << d;
    EXPECT_NE(d, "hold") << j.dump();
    EXPECT_TRUE(j["findings"].is_array());
    if (d == "reject") {
      ++rejects;
      EXPECT_FALSE(j["findings"].empty());
      EXPECT_GT(j["score"].get<double>(), j["threshold"].get<double>());
    }
    images.insert(j.value("image", ""));
  }
  EXPECT_EQ(images.size(), static_cast<size_t>(kDefect)) << "every image once";
  EXPECT_GE(rejects, kDefect / 2) << "most defective parts are rejected\n" << Describe(r);
}

TEST_F(CliTest, InspectTextOutputAndGoodParts) {
  const RunResult r = RunLinesight("inspect --model " + Q(model()) + " " + Q(data() / "good"));
  ASSERT_EQ(r.exit_code, 0) << Describe(r);
  EXPECT_TRUE(Contains(r.err, std::to_string(kGood) + " images:")) << Describe(r);
  EXPECT_TRUE(Contains(r.out, "pass")) << Describe(r);
  EXPECT_FALSE(Contains(r.out, "\nhold ")) << Describe(r);
}

TEST_F(CliTest, InspectOutWritesHeatmapsForRejects) {
  const fs::path out = Scratch("overlays");
  const RunResult r = RunLinesight("inspect --model " + Q(model()) + " --json --out " + Q(out) +
                                   " " + Q(data() / "defect"));
  ASSERT_EQ(r.exit_code, 0) << Describe(r);
  std::set<std::string> expected;
  for (const auto& j : JsonLines(r.out))
    if (j.value("decision", "") != "pass")  // rejects and holds
      expected.insert(fs::path(j.value("image", "")).stem().string() + "_heatmap.png");
  ASSERT_FALSE(expected.empty()) << Describe(r);
  std::set<std::string> written;
  for (const auto& p : Files(out, "_heatmap.png")) written.insert(p.filename().string());
  EXPECT_EQ(written, expected);
  const cv::Mat overlay = cv::imread((out / *expected.begin()).string(), cv::IMREAD_UNCHANGED);
  EXPECT_EQ(overlay.type(), CV_8UC3);
  EXPECT_EQ(overlay.cols, 360) << "a 300 px frame padded so that the banner's text fits";
  EXPECT_GT(overlay.rows, 300) << "banner above, legend below";
}

TEST_F(CliTest, EvalPrintsMetricsAndWritesAReport) {
  const fs::path report = Scratch("eval") / "R.html";
  const RunResult r = RunLinesight("eval --model " + Q(model()) + " --good " + Q(data() / "good") +
                                   " --defect " + Q(data() / "defect") + " --masks " +
                                   Q(data() / "masks") + " --json --report " + Q(report));
  ASSERT_EQ(r.exit_code, 0) << Describe(r);
  const std::vector<nlohmann::json> lines = JsonLines(r.out);
  ASSERT_EQ(lines.size(), 1u) << Describe(r);
  const nlohmann::json& j = lines[0];
  ASSERT_TRUE(j.is_object()) << Describe(r);
  for (const char* key :
       {"image_auroc", "frr_at_escape_1pct", "escape_at_frr_2pct", "pixel_auroc", "aupro"}) {
    ASSERT_TRUE(j.contains(key) && j[key].is_number()) << key << " in " << j.dump();
    EXPECT_GE(j[key].get<double>(), 0) << key;
    EXPECT_LE(j[key].get<double>(), 1) << key;
  }
  EXPECT_EQ(j["n_good"], kGood);
  EXPECT_EQ(j["n_defect"], kDefect);
  EXPECT_GT(j["image_auroc"].get<double>(), 0.5) << "better than chance";
  EXPECT_GT(j["pixel_auroc"].get<double>(), 0.5) << "better than chance";
  ASSERT_TRUE(fs::is_regular_file(report));
  const std::string html = Slurp(report);
  EXPECT_TRUE(Contains(html, "<html")) << html.substr(0, 200);
  EXPECT_GT(html.size(), 2000u);
}

TEST_F(CliTest, EvalScoresWritesOneRowPerImage) {
  const fs::path csv = Scratch("scores") / "scores.csv";
  const RunResult r = RunLinesight("eval --model " + Q(model()) + " --good " + Q(data() / "good") +
                                   " --defect " + Q(data() / "defect") + " --scores " + Q(csv));
  ASSERT_EQ(r.exit_code, 0) << Describe(r);
  std::istringstream in(Slurp(csv));
  std::string line;
  ASSERT_TRUE(std::getline(in, line));
  EXPECT_EQ(line, "path,label,score,verdict,gain,gamma");
  int good = 0, defect = 0;
  double good_sum = 0, defect_sum = 0;
  while (std::getline(in, line)) {
    // "path",label,score,verdict,gain,gamma; the simulated file names hold no quotes or commas.
    ASSERT_EQ(line.front(), '"') << line;
    const size_t end = line.find("\",", 1);
    ASSERT_NE(end, std::string::npos) << line;
    EXPECT_TRUE(fs::is_regular_file(line.substr(1, end - 1))) << line;
    std::istringstream fields(line.substr(end + 2));
    std::string label, score, verdict, gain, gamma;
    ASSERT_TRUE(std::getline(fields, label, ',') && std::getline(fields, score, ',') &&
                std::getline(fields, verdict, ',') && std::getline(fields, gain, ',') &&
                std::getline(fields, gamma))
        << line;
    EXPECT_EQ(gain, "1") << "no --vary-exposure: images as loaded";
    EXPECT_EQ(gamma, "1");
    const double value = std::stod(score);
    EXPECT_TRUE(verdict == "pass" || verdict == "reject" || verdict == "hold") << line;
    if (label == "good") {
      ++good;
      good_sum += value;
    } else {
      ASSERT_EQ(label, "defect") << line;
      ++defect;
      defect_sum += value;
    }
  }
  EXPECT_EQ(good, kGood);
  EXPECT_EQ(defect, kDefect);
  EXPECT_GT(defect_sum / defect, good_sum / good) << "defective parts score higher on average";
}

TEST_F(CliTest, EvalScoresIntoAMissingFolderIsAClearError) {
  const fs::path csv = Scratch("scores_missing") / "no" / "such" / "scores.csv";
  const RunResult r = RunLinesight("eval --model " + Q(model()) + " --good " + Q(data() / "good") +
                                   " --defect " + Q(data() / "defect") + " --scores " + Q(csv));
  EXPECT_EQ(r.exit_code, 2) << Describe(r);
  EXPECT_TRUE(Contains(r.err, "--scores")) << Describe(r);
  EXPECT_TRUE(Contains(r.err, "does not exist")) << Describe(r);
}

TEST_F(CliTest, EvalWithoutDefectsIsAClearError) {
  const fs::path empty = Scratch("no_defects");
  const RunResult r = RunLinesight("eval --model " + Q(model()) + " --good " + Q(data() / "good") +
                                   " --defect " + Q(empty));
  EXPECT_NE(r.exit_code, 0) << Describe(r);
  EXPECT_TRUE(Contains(r.err, "no images found")) << Describe(r);
}

TEST_F(CliTest, BenchPrintsTimings) {
  const RunResult r = RunLinesight("bench --model " + Q(model()) + " --images " +
                                   Q(data() / "good") + " --json --repeat 1 --max-images 10");
  ASSERT_EQ(r.exit_code, 0) << Describe(r);
  const std::vector<nlohmann::json> lines = JsonLines(r.out);
  ASSERT_EQ(lines.size(), 1u) << Describe(r);
  const nlohmann::json& j = lines[0];
  for (const char* key : {"decode_ms", "align_ms", "score_ms", "parts_per_s_core",
                          "inspect_to_decode_ratio", "peak_rss_mb"}) {
    ASSERT_TRUE(j.contains(key) && j[key].is_number()) << key << " in " << j.dump();
    EXPECT_GT(j[key].get<double>(), 0) << key;
  }
  EXPECT_EQ(j["images"], 10);
}

TEST_F(CliTest, BadFilesAreReportedAndTheRestInspected) {
  const fs::path dir = Scratch("mixed");
  const std::vector<fs::path> good = Files(data() / "good");
  for (int i = 0; i < 3; ++i)
    fs::copy_file(good[static_cast<size_t>(i)], dir / good[static_cast<size_t>(i)].filename());
  const std::string png = Slurp(good[3]);
  testing::WriteFile(dir / "truncated.png", png.substr(0, png.size() / 2));
  testing::WriteFile(dir / "empty.png", "");
  std::string jpeg = "\xFF\xD8\xFF\xE0";
  for (int i = 0; i < 500; ++i) jpeg += static_cast<char>((i * 7919) & 0xFF);
  testing::WriteFile(dir / "corrupt.jpg", jpeg);

  RunResult r = RunLinesight("inspect --model " + Q(model()) + " " + Q(dir));
  EXPECT_NE(r.exit_code, 0) << Describe(r);
  const std::string all = r.out + r.err;
  for (const char* name : {"truncated.png", "empty.png", "corrupt.jpg"})
    EXPECT_TRUE(Contains(all, name)) << name << "\n" << Describe(r);
  EXPECT_TRUE(Contains(all, "empty")) << Describe(r);
  EXPECT_TRUE(Contains(all, "corrupt")) << Describe(r);
  EXPECT_TRUE(Contains(r.err, "6 images")) << Describe(r);
  EXPECT_TRUE(Contains(r.err, "3 could not be read")) << Describe(r);

  r = RunLinesight("inspect --model " + Q(model()) + " --json " + Q(dir));
  EXPECT_NE(r.exit_code, 0) << Describe(r);
  const std::vector<nlohmann::json> lines = JsonLines(r.out);
  ASSERT_EQ(lines.size(), 6u) << Describe(r);
  int held = 0, inspected = 0;
  for (const auto& j : lines) {
    const std::string image = fs::path(j.value("image", "")).filename().string();
    if (image == "truncated.png" || image == "empty.png" || image == "corrupt.jpg") {
      EXPECT_EQ(j.value("decision", ""), "hold") << j.dump();
      EXPECT_EQ(j.value("reason", ""), "bad_image") << j.dump();
      EXPECT_TRUE(Contains(j.value("detail", ""), image)) << j.dump();
      ++held;
    } else {
      EXPECT_NE(j.value("decision", ""), "hold") << j.dump();
      ++inspected;
    }
  }
  EXPECT_EQ(held, 3);
  EXPECT_EQ(inspected, 3);
}

TEST_F(CliTest, TextFileAsModelIsRefused) {
  const fs::path notes = Scratch("notes") / "model.lsm";
  testing::WriteFile(notes, "this is not a model\n");
  const RunResult r = RunLinesight("inspect --model " + Q(notes) + " " + Q(data() / "good"));
  EXPECT_NE(r.exit_code, 0) << Describe(r);
  EXPECT_TRUE(Contains(r.err, "not a linesight model")) << Describe(r);
  EXPECT_TRUE(Contains(r.err, notes.string())) << Describe(r);
}

TEST_F(CliTest, MissingModelIsRefused) {
  const fs::path missing = scratch_->path() / "nowhere" / "missing.lsm";
  const RunResult r = RunLinesight("inspect --model " + Q(missing) + " " + Q(data() / "good"));
  EXPECT_EQ(r.exit_code, 2) << "a path that does not exist is a usage error\n" << Describe(r);
  EXPECT_TRUE(Contains(r.err, "missing.lsm: no such model file")) << Describe(r);
  EXPECT_TRUE(Contains(r.err, "error")) << Describe(r);
}

TEST_F(CliTest, TruncatedModelIsRefused) {
  const std::string bytes = Slurp(model());
  const fs::path cut = Scratch("cut") / "cut.lsm";
  testing::WriteFile(cut, bytes.substr(0, bytes.size() - 100));
  const RunResult r = RunLinesight("inspect --model " + Q(cut) + " " + Q(data() / "good"));
  EXPECT_NE(r.exit_code, 0) << Describe(r);
  EXPECT_TRUE(Contains(r.err, "truncated")) << Describe(r);
}

TEST_F(CliTest, RecipeWithUnknownKeyNamesTheKey) {
  const fs::path recipe = Scratch("recipe_bad") / "bad.yaml";
  testing::WriteFile(recipe, "version: 1\npart:\n  symetry: rotational\n");
  const RunResult r = RunLinesight("train --good " + Q(data() / "good") + " --out " +
                                   Q(recipe.parent_path() / "m.lsm") + " --recipe " + Q(recipe));
  EXPECT_NE(r.exit_code, 0) << Describe(r);
  EXPECT_TRUE(Contains(r.err, "part.symetry")) << Describe(r);
  EXPECT_TRUE(Contains(r.err, "unknown key")) << Describe(r);
  EXPECT_TRUE(Contains(r.err, "bad.yaml")) << Describe(r);
  EXPECT_FALSE(fs::exists(recipe.parent_path() / "m.lsm"));
}

TEST_F(CliTest, TrainOnAnEmptyFolderIsAClearError) {
  const fs::path empty = Scratch("empty_good");
  const RunResult r = RunLinesight("train --good " + Q(empty) + " --out " + Q(empty / "m.lsm"));
  EXPECT_NE(r.exit_code, 0) << Describe(r);
  EXPECT_TRUE(Contains(r.err, "no images found")) << Describe(r);
  EXPECT_TRUE(Contains(r.err, empty.string())) << Describe(r);
  EXPECT_FALSE(fs::exists(empty / "m.lsm"));
  // A folder that does not exist.
  const RunResult missing =
      RunLinesight("train --good " + Q(empty / "nope") + " --out " + Q(empty / "m.lsm"));
  EXPECT_NE(missing.exit_code, 0) << Describe(missing);
  EXPECT_TRUE(Contains(missing.err, "nope")) << Describe(missing);
}

TEST_F(CliTest, TrainOnTooFewUsableImagesSaysSo) {
  const fs::path dir = Scratch("few");
  const std::vector<fs::path> good = Files(data() / "good");
  for (int i = 0; i < 2; ++i)
    fs::copy_file(good[static_cast<size_t>(i)], dir / good[static_cast<size_t>(i)].filename());
  testing::WriteFile(dir / "broken.png", "not a png");
  const RunResult r = RunLinesight("train --good " + Q(dir) + " --out " + Q(dir / "m.lsm"));
  EXPECT_NE(r.exit_code, 0) << Describe(r);
  EXPECT_TRUE(Contains(r.err, "only 2 usable")) << Describe(r);
  EXPECT_TRUE(Contains(r.err, "broken.png")) << "the skipped file is named\n" << Describe(r);
}

TEST_F(CliTest, InspectWithAnotherRecipeIsRefused) {
  const fs::path dir = Scratch("recipes");
  testing::WriteFile(dir / "other.yaml", "name: other\npart:\n  canvas: 192\n");
  RunResult r = RunLinesight("inspect --model " + Q(model()) + " --recipe " +
                             Q(dir / "other.yaml") + " " + Q(data() / "defect"));
  EXPECT_NE(r.exit_code, 0) << Describe(r);
  EXPECT_TRUE(Contains(r.err, "another recipe")) << Describe(r);
  EXPECT_TRUE(Contains(r.err, "other.yaml")) << Describe(r);
  // A recipe that only renames the default matches the model.
  testing::WriteFile(dir / "same.yaml", "name: renamed\n");
  r = RunLinesight("inspect --model " + Q(model()) + " --recipe " + Q(dir / "same.yaml") + " " +
                   Q(data() / "defect"));
  EXPECT_EQ(r.exit_code, 0) << Describe(r);
}

TEST_F(CliTest, InspectOnAnEmptyFolderIsAClearError) {
  const fs::path empty = Scratch("nothing");
  const RunResult r = RunLinesight("inspect --model " + Q(model()) + " " + Q(empty));
  EXPECT_NE(r.exit_code, 0) << Describe(r);
  EXPECT_TRUE(Contains(r.err, "no images")) << Describe(r);
}

}  // namespace
}  // namespace linesight
