// The one decision rule, end to end through the real binary: eval's counts are the verdicts
// `inspect` gives on the same images, for several recipes; an operating point that eval, tune or
// `model set` names is the one the line then applies.
#include <filesystem>
#include <map>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "testing/test_util.h"

namespace linesight {
namespace {

namespace fs = std::filesystem;
const auto Q = testing::ShellQuote;
using testing::Contains;
using testing::DescribeRun;
using testing::JsonLines;
using testing::RunLinesight;
using testing::RunResult;
using testing::TempDir;

struct Counts {
  int good_rejected = 0, good_passed = 0, defect_rejected = 0, defect_passed = 0;
};

// What the line does with every image of both folders: a held part is rejected.
Counts LineVerdicts(const fs::path& model, const fs::path& data) {
  Counts c;
  for (const char* set : {"good", "defect"}) {
    const RunResult r = RunLinesight("inspect --json --model " + Q(model) + " " + Q(data / set));
    EXPECT_EQ(r.exit_code, 0) << DescribeRun(r);
    for (const auto& j : JsonLines(r.out)) {
      const bool rejected = j.at("decision") != "pass";
      if (std::string(set) == "good")
        ++(rejected ? c.good_rejected : c.good_passed);
      else
        ++(rejected ? c.defect_rejected : c.defect_passed);
    }
  }
  return c;
}

nlohmann::json Eval(const fs::path& model, const fs::path& data) {
  const RunResult r = RunLinesight("eval --json --model " + Q(model) + " --good " +
                                   Q(data / "good") + " --defect " + Q(data / "defect"));
  EXPECT_EQ(r.exit_code, 0) << DescribeRun(r);
  return nlohmann::json::parse(r.out, nullptr, false);
}

void ExpectSameCounts(const nlohmann::json& eval, const Counts& line, const std::string& what) {
  ASSERT_FALSE(eval.is_discarded()) << what;
  const auto& c = eval.at("confusion");
  EXPECT_EQ(c.at("good_rejected"), line.good_rejected) << what;
  EXPECT_EQ(c.at("good_passed"), line.good_passed) << what;
  EXPECT_EQ(c.at("defect_rejected"), line.defect_rejected) << what;
  EXPECT_EQ(c.at("defect_passed"), line.defect_passed) << what;
}

class DecisionRuleTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    const RunResult sim =
        RunLinesight("sim --out " + Q(data()) + " --good 40 --defect 18 --seed 4100");
    ASSERT_EQ(sim.exit_code, 0) << DescribeRun(sim);
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
    trained_.clear();
  }
  static fs::path data() { return dir_->path() / "data"; }
  // The model `recipe` trains, as <name>.lsm. Training is deterministic, so a recipe trained
  // before in this process (ctest runs the suite in one) is copied from its first training.
  static fs::path Train(const std::string& name, const std::string& recipe) {
    const fs::path yaml = dir_->path() / (name + ".yaml"), model = dir_->path() / (name + ".lsm");
    if (const auto it = trained_.find(recipe); it != trained_.end()) {
      fs::copy_file(it->second, model, fs::copy_options::overwrite_existing);
      return model;
    }
    testing::WriteFile(yaml, recipe);
    const RunResult r = RunLinesight("train --good " + Q(data() / "good") + " --recipe " + Q(yaml) +
                                     " --out " + Q(model));
    EXPECT_EQ(r.exit_code, 0) << DescribeRun(r);
    const fs::path first = dir_->path() / ("first_" + name + ".lsm");
    fs::copy_file(model, first, fs::copy_options::overwrite_existing);
    trained_[recipe] = first;
    return model;
  }
  static TempDir* dir_;
  static inline std::map<std::string, fs::path> trained_;  // recipe -> its first model file
};

TempDir* DecisionRuleTest::dir_ = nullptr;

TEST_F(DecisionRuleTest, EvalCountsAreTheLinesVerdictsForSeveralRecipes) {
  LINESIGHT_SKIP_UNDER_SANITIZERS(
      "four trainings and evaluations through the binary; eval and "
      "inspect agree under the sanitizers in the other cases");
  const std::map<std::string, std::string> recipes = {
      // Each kind of cells once (the default pair, whole rings, arcs); three folds where the
      // recipe is about something else, to keep the test quick under the sanitizers.
      {"single_pixel", "version: 1\npart:\n  cells: rings\nanomaly:\n  min_defect_area: 0\n"},
      {"default_area", "version: 1\n"},
      {"large_area",
       "version: 1\nanomaly:\n  min_defect_area: 40\n  sensitivity: 1.5\n  holdout_fraction: "
       "0.3\n"},
      {"ignored_hub",
       "version: 1\npart:\n  cells: arcs\nanomaly:\n  holdout_fraction: 0.3\nregions:\n  - name: "
       "hub\n"
       "    ring: [0, 0.3]\n    ignore: true\n"},
  };
  for (const auto& [name, yaml] : recipes) {
    const fs::path model = Train(name, yaml);
    ExpectSameCounts(Eval(model, data()), LineVerdicts(model, data()), name);
  }
}

TEST_F(DecisionRuleTest, EvalsOperatingPointsAreReadyCommandsThatTheLineThenFollows) {
  const fs::path model = Train("points", "version: 1\n");
  const nlohmann::json before = Eval(model, data());
  ASSERT_TRUE(before.contains("operating_points"));
  for (const auto& point : before.at("operating_points")) {
    const std::string command = point.at("command");
    if (command.empty()) continue;  // the model's own point
    ASSERT_EQ(command.rfind("linesight model set --model ", 0), 0u) << command;
    const fs::path moved = dir_->path() / "moved.lsm";
    fs::copy_file(model, moved, fs::copy_options::overwrite_existing);
    const std::string args = command.substr(std::string("linesight ").size());
    const RunResult set =
        RunLinesight("model set --model " + Q(moved) + args.substr(args.find(" --threshold")));
    ASSERT_EQ(set.exit_code, 0) << DescribeRun(set);
    const nlohmann::json after = Eval(moved, data());
    const double goods = after.at("n_good"), defects = after.at("n_defect");
    const auto& c = after.at("confusion");
    EXPECT_DOUBLE_EQ(c.at("good_rejected").get<double>() / goods,
                     point.at("false_reject_rate").get<double>())
        << point.dump();
    EXPECT_DOUBLE_EQ(c.at("defect_passed").get<double>() / defects,
                     point.at("escape_rate").get<double>())
        << point.dump();
    ExpectSameCounts(after, LineVerdicts(moved, data()), point.at("name"));
  }
}

TEST_F(DecisionRuleTest, TuneApplyGivesTheRatesItPromised) {
  const fs::path model = Train("tuned", "version: 1\n");
  const RunResult tune =
      RunLinesight("tune --json --apply --max-escape 0.05 --areas 1 4 16 --model " + Q(model) +
                   " --good " + Q(data() / "good") + " --defect " + Q(data() / "defect"));
  ASSERT_EQ(tune.exit_code, 0) << DescribeRun(tune);
  const nlohmann::json t = nlohmann::json::parse(tune.out, nullptr, false);
  ASSERT_FALSE(t.is_discarded()) << tune.out;
  EXPECT_EQ(t.at("candidates").size(), 4u) << "1, 4, 16 and the model's own 6 px";
  const auto& best = t.at("best");
  EXPECT_LE(best.at("escape_rate").get<double>(), 0.05);
  const nlohmann::json after = Eval(model, data());
  const auto& c = after.at("confusion");
  EXPECT_DOUBLE_EQ(c.at("good_rejected").get<double>() / after.at("n_good").get<double>(),
                   best.at("false_reject_rate").get<double>());
  EXPECT_DOUBLE_EQ(c.at("defect_passed").get<double>() / after.at("n_defect").get<double>(),
                   best.at("escape_rate").get<double>());
  const RunResult show = RunLinesight("model show --json --model " + Q(model));
  ASSERT_EQ(show.exit_code, 0) << DescribeRun(show);
  const nlohmann::json s = nlohmann::json::parse(show.out);
  EXPECT_EQ(s.at("min_defect_area_px"), best.at("min_area_px"));
  EXPECT_TRUE(Contains(s.at("threshold_source"), "linesight tune")) << show.out;
}

// A set none of whose images can be read holds every part, so any threshold "rejects" it: eval
// proposes no operating point then, and tune refuses, naming the set.
TEST_F(DecisionRuleTest, NoOperatingPointFromASetOfWhichNothingCouldBeRead) {
  const fs::path model = Train("unreadable", "version: 1\n");
  const fs::path bad = dir_->path() / "bad";
  fs::create_directories(bad);
  for (const char* name : {"a.png", "b.png", "c.png"}) testing::WriteFile(bad / name, "not a png");
  const RunResult tune = RunLinesight("tune --model " + Q(model) + " --good " + Q(data() / "good") +
                                      " --defect " + Q(bad));
  EXPECT_NE(tune.exit_code, 0) << DescribeRun(tune);
  EXPECT_TRUE(Contains(tune.err, "none of the 3 defective images")) << tune.err;
  EXPECT_FALSE(Contains(tune.out, "linesight model set")) << tune.out;
  const RunResult eval = RunLinesight("eval --model " + Q(model) + " --good " + Q(bad) +
                                      " --defect " + Q(data() / "defect"));
  EXPECT_EQ(eval.exit_code, 1) << DescribeRun(eval);
  EXPECT_TRUE(Contains(eval.err, "no operating point is proposed")) << eval.err;
  EXPECT_FALSE(Contains(eval.out, "linesight model set")) << eval.out;
}

// Regions that ignore the whole part train a model that passes every defect: training says so.
TEST_F(DecisionRuleTest, ARecipeThatIgnoresThePartIsWarnedAbout) {
  const fs::path model =
      Train("blind", "version: 1\nregions:\n  - {name: all, ring: [0, 1.2], ignore: true}\n");
  const RunResult show = RunLinesight("model show --model " + Q(model));
  ASSERT_EQ(show.exit_code, 0) << DescribeRun(show);
  EXPECT_TRUE(Contains(show.out, "of the part inspected: a defect anywhere else passes unseen"))
      << show.out;
  const RunResult fine = RunLinesight("model show --model " + Q(Train("seeing", "version: 1\n")));
  EXPECT_FALSE(Contains(fine.out, "passes unseen")) << fine.out;
}

TEST_F(DecisionRuleTest, ModelSetChangesTheIdAndRefusesNonsense) {
  const fs::path model = Train("set", "version: 1\n");
  const nlohmann::json before = nlohmann::json::parse(
      RunLinesight("model show --json --model " + Q(model)).out, nullptr, false);
  ASSERT_FALSE(before.is_discarded());
  const RunResult set =
      RunLinesight("model set --model " + Q(model) + " --threshold 123.5 --min-area 3");
  ASSERT_EQ(set.exit_code, 0) << DescribeRun(set);
  const nlohmann::json after =
      nlohmann::json::parse(RunLinesight("model show --json --model " + Q(model)).out);
  EXPECT_EQ(after.at("threshold"), 123.5);
  EXPECT_EQ(after.at("min_defect_area_px"), 3);
  EXPECT_NE(after.at("id"), before.at("id"));
  // A verdict names the model id of the operating point that made it.
  const RunResult v = RunLinesight("inspect --json --model " + Q(model) + " " +
                                   Q(data() / "good" / "part_4100_good.png"));
  ASSERT_EQ(v.exit_code, 0) << DescribeRun(v);
  EXPECT_EQ(JsonLines(v.out).at(0).at("model"), after.at("id"));

  for (const std::string& bad :
       {std::string(""), std::string(" --threshold 0"), std::string(" --threshold -2"),
        std::string(" --threshold nan"), std::string(" --min-area -1"),
        std::string(" --threshold 3.5e38"), std::string(" --threshold inf")}) {
    const RunResult r = RunLinesight("model set --model " + Q(model) + bad);
    EXPECT_EQ(r.exit_code, 2) << bad << "\n" << DescribeRun(r);
    EXPECT_FALSE(Contains(r.err, "internal error")) << r.err;
  }
  // None of them touched the model (3.5e38 used to become an infinite threshold that no
  // linesight could read back, written in place).
  const RunResult still = RunLinesight("model show --json --model " + Q(model));
  ASSERT_EQ(still.exit_code, 0) << DescribeRun(still);
  EXPECT_EQ(nlohmann::json::parse(still.out).at("threshold"), 123.5);
  EXPECT_FALSE(fs::exists(model.string() + ".tmp"));
  const RunResult missing = RunLinesight("model show --model " + Q(dir_->path() / "none.lsm"));
  EXPECT_EQ(missing.exit_code, 2) << DescribeRun(missing);  // a path that does not exist
  EXPECT_TRUE(Contains(missing.err, "none.lsm")) << missing.err;
}

}  // namespace
}  // namespace linesight
