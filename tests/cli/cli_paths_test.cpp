// Integration tests of the checks on paths and recipes every command makes before it starts
// (issue 11, section 5), and of the one image-listing rule (section 3), on the real binary.
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>

#include "cli/cli_fixture.h"
#include "testing/test_util.h"

namespace linesight {
namespace {

using namespace cli_test;  // NOLINT: the fixture and helpers every CLI test uses

// A clear error: the exit code, the words expected, and never the "this is a bug" message.
void ExpectClearError(const RunResult& r, int exit_code, const std::vector<std::string>& words) {
  EXPECT_EQ(r.exit_code, exit_code) << Describe(r);
  EXPECT_TRUE(Contains(r.err, "linesight: error (")) << Describe(r);
  EXPECT_FALSE(Contains(r.err, "internal error")) << Describe(r);
  for (const auto& w : words) EXPECT_TRUE(Contains(r.err, w)) << w << "\n" << Describe(r);
}

TEST_F(CliTest, OutPointingAtAFileIsAClearError) {
  const fs::path dir = Scratch("out_file");
  const fs::path file = dir / "afile";
  testing::WriteFile(file, "x");
  ExpectClearError(RunLinesight("sim --out " + Q(file) + " --good 1 --defect 0"), 2,
                   {"--out", "is a file, not a folder"});
  ExpectClearError(RunLinesight("inspect --model " + Q(model()) + " --out " + Q(file) + " " +
                                Q(data() / "defect")),
                   2, {"--out", "is a file, not a folder"});
  ExpectClearError(RunLinesight("demo --out " + Q(file) + " --train 8 --hours 0.1"), 2,
                   {"--out", "is a file, not a folder"});
  // A folder inside a file, and a model file inside a file.
  ExpectClearError(RunLinesight("inspect --model " + Q(model()) + " --out " + Q(file / "sub") +
                                " " + Q(data() / "defect")),
                   2, {file.string() + " is a file"});
  ExpectClearError(
      RunLinesight("train --good " + Q(data() / "good") + " --out " + Q(file / "m.lsm")), 2,
      {"--out", "is a file"});
  // A folder where the model file goes.
  ExpectClearError(RunLinesight("train --good " + Q(data() / "good") + " --out " + Q(dir)), 2,
                   {"--out", "is a folder", "model.lsm"});
  EXPECT_EQ(testing::Contains(Slurp(file), "x"), true) << "the file is left alone";
}

TEST_F(CliTest, TrainIntoAMissingFolderIsRefusedBeforeTraining) {
  const fs::path dir = Scratch("train_missing");
  const RunResult r =
      RunLinesight("train --good " + Q(data() / "good") + " --out " + Q(dir / "no" / "m.lsm"));
  ExpectClearError(r, 2, {"--out", "does not exist", "mkdir -p"});
  EXPECT_FALSE(Contains(r.err, "train fit")) << "refused before training\n" << Describe(r);
  EXPECT_FALSE(fs::exists(dir / "no"));
}

TEST_F(CliTest, RecipeFolderIsRefused) {
  const fs::path dir = Scratch("recipe_folder");
  const RunResult r = RunLinesight("train --good " + Q(data() / "good") + " --out " +
                                   Q(dir / "m.lsm") + " --recipe " + Q(dir));
  ExpectClearError(r, 2, {"is a folder, not a recipe file"});
  EXPECT_FALSE(fs::exists(dir / "m.lsm")) << "the defaults were not trained instead";
}

TEST_F(CliTest, DuplicateOrFractionalRecipeKeysAreRefused) {
  const fs::path dir = Scratch("recipe_keys");
  testing::WriteFile(dir / "dup.yaml", "part:\n  canvas: 192\n  canvas: 256\n");
  testing::WriteFile(dir / "frac.yaml", "part:\n  block: 12.5\n");
  ExpectClearError(RunLinesight("train --good " + Q(data() / "good") + " --out " +
                                Q(dir / "m.lsm") + " --recipe " + Q(dir / "dup.yaml")),
                   1, {"dup.yaml", "part.canvas", "twice"});
  ExpectClearError(RunLinesight("train --good " + Q(data() / "good") + " --out " +
                                Q(dir / "m.lsm") + " --recipe " + Q(dir / "frac.yaml")),
                   1, {"frac.yaml", "part.block", "not a whole number"});
  EXPECT_FALSE(fs::exists(dir / "m.lsm"));
}

TEST_F(CliTest, EvalMasksMissingOrMatchingNothingIsAClearError) {
  const std::string eval = "eval --model " + Q(model()) + " --good " + Q(data() / "good") +
                           " --defect " + Q(data() / "defect");
  ExpectClearError(RunLinesight(eval + " --masks " + Q(data() / "no_masks")), 2,
                   {"--masks", "no such folder"});
  const RunResult r = RunLinesight(eval + " --masks " + Q(data() / "good"));
  ExpectClearError(r, 1, {"--masks", "no mask matches any of the " + std::to_string(kDefect)});
  EXPECT_FALSE(Contains(r.err, "eval inspect")) << "refused before inspecting\n" << Describe(r);
}

TEST_F(CliTest, EvalReportIntoAMissingFolderIsRefusedBeforeInspecting) {
  const fs::path dir = Scratch("report_missing");
  const RunResult r =
      RunLinesight("eval --model " + Q(model()) + " --good " + Q(data() / "good") + " --defect " +
                   Q(data() / "defect") + " --report " + Q(dir / "no" / "r.html"));
  ExpectClearError(r, 2, {"--report", "does not exist"});
  EXPECT_FALSE(Contains(r.err, "eval inspect")) << "refused before inspecting\n" << Describe(r);
  EXPECT_FALSE(fs::exists(dir / "no")) << "the folder is not created";
}

TEST_F(CliTest, FileWhereAFolderIsExpectedIsAClearError) {
  const fs::path image = Files(data() / "good")[0];
  ExpectClearError(RunLinesight("train --good " + Q(image) + " --out " +
                                Q(Scratch("file_for_folder") / "m.lsm")),
                   2, {"--good", "is a file, not a folder"});
  ExpectClearError(RunLinesight("eval --model " + Q(model()) + " --good " + Q(data() / "good") +
                                " --defect " + Q(image)),
                   2, {"--defect", "is a file, not a folder"});
  ExpectClearError(RunLinesight("bench --model " + Q(model()) + " --images " + Q(image)), 2,
                   {"--images", "is a file, not a folder"});
}

TEST_F(CliTest, FolderWithoutImagesSaysWhatItHolds) {
  const fs::path dir = Scratch("no_images");
  for (const char* sub : {"a", "b", "c"}) fs::create_directories(dir / sub);
  testing::WriteFile(dir / "notes.txt", "x");
  testing::WriteFile(dir / "list.txt", "x");
  RunResult r = RunLinesight("train --good " + Q(dir) + " --out " + Q(dir / "m.lsm"));
  ExpectClearError(r, 1, {"no images found", "found 3 subfolders and 2 .txt files"});
  r = RunLinesight("inspect --model " + Q(model()) + " " + Q(dir));
  ExpectClearError(r, 1, {"found 3 subfolders and 2 .txt files"});
  r = RunLinesight("bench --model " + Q(model()) + " --images " + Q(dir));
  ExpectClearError(r, 1, {"found 3 subfolders and 2 .txt files"});
}

// eval's --defect may hold one subfolder per defect class, as the guide says; the classes are
// the subfolders' names.
TEST_F(CliTest, EvalTakesDefectClassesFromSubfolders) {
  const fs::path dir = Scratch("defect_classes");
  const std::vector<fs::path> defects = Files(data() / "defect");
  for (size_t i = 0; i < 6; ++i) {
    const fs::path cls = dir / (i % 2 ? "holes" : "cracks");
    fs::create_directories(cls);
    fs::copy_file(defects[i], cls / defects[i].filename());
  }
  const RunResult r = RunLinesight("eval --model " + Q(model()) + " --json --good " +
                                   Q(data() / "good") + " --defect " + Q(dir));
  ASSERT_EQ(r.exit_code, 0) << Describe(r);
  const nlohmann::json j = nlohmann::json::parse(r.out);
  std::map<std::string, int> parts;
  for (const auto& c : j["by_class"]) parts[c["class"]] = c["parts"];
  EXPECT_EQ(parts, (std::map<std::string, int>{{"cracks", 3}, {"holes", 3}})) << r.out;
  // The good images are the model's own training images: eval says its figures flatter it.
  EXPECT_TRUE(Contains(r.err, "are images the model was trained on")) << Describe(r);
  fs::remove_all(dir / "cracks");
  fs::remove_all(dir / "holes");
  fs::create_directories(dir / "empty");
  ExpectClearError(RunLinesight("eval --model " + Q(model()) + " --good " + Q(data() / "good") +
                                " --defect " + Q(dir)),
                   1, {"no images found in it or its 1 subfolders"});
}

// A folder as data sets keep it: X.jpg with its mask X.png beside it, and X_mask.png files.
TEST_F(CliTest, MaskFilesAreSkippedByEveryCommand) {
  const fs::path dir = Scratch("with_masks");
  const std::vector<fs::path> good = Files(data() / "good");
  const int n = 6;
  for (int i = 0; i < n; ++i) {
    const cv::Mat image = cv::imread(good[static_cast<size_t>(i)].string(), cv::IMREAD_UNCHANGED);
    const std::string stem = "part" + std::to_string(i);
    ASSERT_TRUE(cv::imwrite((dir / (stem + ".jpg")).string(), image));
    const cv::Mat mask(image.size(), CV_8UC1, cv::Scalar(0));
    ASSERT_TRUE(cv::imwrite((dir / (stem + ".png")).string(), mask));
    if (i < 2) {
      ASSERT_TRUE(cv::imwrite((dir / (stem + "_mask.png")).string(), mask));
    }
  }
  fs::create_symlink(dir / "gone.jpg", dir / "link.jpg");
  const std::string skipped = "skipped " + std::to_string(n + 2) + " mask files";

  RunResult r = RunLinesight("inspect --model " + Q(model()) + " --json " + Q(dir));
  ASSERT_EQ(r.exit_code, 0) << Describe(r);
  const std::vector<nlohmann::json> lines = JsonLines(r.out);
  ASSERT_EQ(lines.size(), static_cast<size_t>(n)) << Describe(r);
  for (const auto& j : lines)
    EXPECT_EQ(fs::path(j.value("image", "")).extension(), ".jpg") << j.dump();
  EXPECT_TRUE(Contains(r.err, skipped)) << Describe(r);
  EXPECT_TRUE(Contains(r.err, "1 dangling link: link.jpg -> " + (dir / "gone.jpg").string()))
      << Describe(r);

  r = RunLinesight("train --good " + Q(dir) + " --out " + Q(dir / "m.lsm"));
  ASSERT_EQ(r.exit_code, 0) << Describe(r);
  EXPECT_TRUE(Contains(r.out, std::to_string(n) + " used")) << Describe(r);
  EXPECT_TRUE(Contains(r.err, skipped)) << Describe(r);

  r = RunLinesight("eval --model " + Q(model()) + " --json --good " + Q(dir) + " --defect " +
                   Q(data() / "defect"));
  ASSERT_EQ(r.exit_code, 0) << Describe(r);
  ASSERT_EQ(JsonLines(r.out).size(), 1u) << Describe(r);
  EXPECT_EQ(JsonLines(r.out)[0]["n_good"], n) << Describe(r);

  r = RunLinesight("bench --model " + Q(model()) + " --json --repeat 1 --images " + Q(dir));
  ASSERT_EQ(r.exit_code, 0) << Describe(r);
  ASSERT_EQ(JsonLines(r.out).size(), 1u) << Describe(r);
  EXPECT_EQ(JsonLines(r.out)[0]["images"], n) << Describe(r);
}

}  // namespace
}  // namespace linesight
