// Tests process/risk_model.h, risk_evaluation.h and ranking_metrics.h on generated shots.
#include "process/risk_model.h"

#include <cmath>
#include <random>

#include <gtest/gtest.h>

#include "core/error.h"
#include "process/ranking_metrics.h"
#include "process/risk_evaluation.h"

namespace linesight::process {
namespace {

// Shots one minute apart; scrap is likely when "pressure" is low or the shot follows a restart,
// "noise" carries nothing. A tenth of the pressure values are missing.
ShotTable Synthetic(std::size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> u(0, 1);
  ShotTable t;
  std::vector<double> pressure, restart, noise;
  for (std::size_t i = 0; i < n; ++i) {
    const double p = 300 + 40 * u(rng);
    const double since = static_cast<double>(i % 200);
    const double risk = (p < 310 ? 0.6 : 0.02) + (since < 5 ? 0.5 : 0);
    t.AddShot(static_cast<std::int64_t>(i) * 60000, "M1", i % 3 ? "D1" : "D2",
              u(rng) < risk ? 1 : 0);
    pressure.push_back(u(rng) < 0.1 ? kMissing : p);
    restart.push_back(since);
    noise.push_back(u(rng));
  }
  t.AddFeature("pressure", pressure);
  t.AddFeature("shots_since_restart", restart);
  t.AddFeature("noise", noise);
  return t;
}

RiskModelOptions Quick() {
  RiskModelOptions o;
  o.rounds = 60;
  o.max_depth = 3;
  o.threads = 1;
  return o;
}

TEST(RankingMetrics, AurocAndAveragePrecisionOfKnownRankings) {
  const std::vector<double> s{0.9, 0.8, 0.7, 0.6};
  EXPECT_DOUBLE_EQ(Auroc(s, std::vector<std::int8_t>{1, 1, 0, 0}), 1.0);
  EXPECT_DOUBLE_EQ(Auroc(s, std::vector<std::int8_t>{0, 0, 1, 1}), 0.0);
  EXPECT_DOUBLE_EQ(Auroc(s, std::vector<std::int8_t>{1, 0, 1, 0}), 0.75);
  EXPECT_DOUBLE_EQ(Auroc(std::vector<double>{1, 1}, std::vector<std::int8_t>{1, 0}), 0.5);
  EXPECT_TRUE(std::isnan(Auroc(s, std::vector<std::int8_t>{0, 0, 0, -1})));
  // Precision 1 at the first scrap, 2/3 at the second: AP = (1 + 2/3) / 2.
  EXPECT_DOUBLE_EQ(AveragePrecision(s, std::vector<std::int8_t>{1, 0, 1, 0}), (1 + 2.0 / 3) / 2);
}

TEST(RiskModel, SeparatesScrapOnLaterShots) {
  const ShotTable t = Synthetic(6000, 1);
  const RiskEvaluation e = EvaluateRisk(t, SplitAtFraction(t, 0.3), Quick());
  EXPECT_GT(e.auroc_all, 0.85);
  EXPECT_GT(e.fit_shots, 4000u);
  EXPECT_GT(e.judged_shots, 1500u);
  // The noise column explains least.
  ASSERT_FALSE(e.mean_abs_shap.empty());
  EXPECT_EQ(e.mean_abs_shap.front().first, "pressure");
  EXPECT_LT(e.mean_abs_shap.back().second, e.mean_abs_shap.front().second / 5);
}

// A value no float holds (a table built by hand, or one an older import let in) is not measured
// to the model, not a failed fit: XGBoost refuses a matrix with an infinity in it.
TEST(RiskModel, AValueBeyondAFloatIsNotMeasured) {
  ShotTable t = Synthetic(3000, 4);
  t.features[0][10] = 1e39;
  t.features[0][11] = -1e300;
  const RiskEvaluation e = EvaluateRisk(t, SplitAtFraction(t, 0.3), Quick());
  EXPECT_GT(e.auroc_all, 0.8);
}

TEST(RiskModel, TwoFitsGiveTheSameRisksAndSaveLoadKeepsThem) {
  const ShotTable t = Synthetic(3000, 2);
  const RiskModel a = RiskModel::Fit(t, Quick());
  const RiskModel b = RiskModel::Fit(t, Quick());
  const std::vector<double> pa = a.Predict(t), pb = b.Predict(t);
  EXPECT_EQ(pa, pb);
  const RiskModel c = RiskModel::LoadJson(a.SaveJson(), 1);
  const std::vector<double> pc = c.Predict(t);
  ASSERT_EQ(pc.size(), pa.size());
  for (std::size_t i = 0; i < pa.size(); ++i) ASSERT_NEAR(pc[i], pa[i], 1e-6) << i;
  EXPECT_THROW((void)RiskModel::LoadJson("{\"format\": \"other\"}"), Error);
  EXPECT_THROW((void)RiskModel::LoadJson("not json"), Error);
}

TEST(RiskModel, ShapContributionsAddUpToTheLogOdds) {
  const ShotTable t = Synthetic(2000, 3);
  const RiskModel m = RiskModel::Fit(t, Quick());
  const Contributions c = m.Contribute(t);
  const std::vector<double> p = m.Predict(t);
  const std::size_t cols = c.names.size() + 1;
  ASSERT_EQ(c.values.size(), t.size() * cols);
  for (std::size_t i = 0; i < t.size(); i += 97) {
    double sum = 0;
    for (std::size_t k = 0; k < cols; ++k) sum += c.values[i * cols + k];
    EXPECT_NEAR(1 / (1 + std::exp(-sum)), p[i], 1e-4) << i;
  }
  EXPECT_EQ(c.names.back(), "die=D2");
}

TEST(RiskModel, ValidationPicksACandidateAndOneClassIsRefused) {
  const ShotTable t = Synthetic(3000, 4);
  RiskModelOptions o = Quick();
  o.rounds = 0;
  o.candidate_rounds = {20, 40};
  o.candidate_depths = {2, 3};
  const RiskModel m = RiskModel::Fit(t, o);
  EXPECT_TRUE(m.rounds() == 20 || m.rounds() == 40);
  EXPECT_NE(m.selection().find("depth 2, 20 rounds: AUROC"), std::string::npos);
  ShotTable good = t;
  for (auto& y : good.label) y = 0;
  EXPECT_THROW((void)RiskModel::Fit(good, Quick()), Error);
}

TEST(RiskModel, GapFeaturesMeasureTimeSinceTheDiesPreviousShot) {
  ShotTable t;
  t.AddShot(0, "M1", "A", 0);
  t.AddShot(10000, "M1", "B", 0);
  t.AddShot(70000, "M1", "A", 1);
  AddGapFeatures(t);
  const auto die_gap = t.Feature("die_gap_s");
  const auto machine_gap = t.Feature("machine_gap_s");
  EXPECT_TRUE(std::isnan(die_gap[0]));
  EXPECT_TRUE(std::isnan(die_gap[1]));
  EXPECT_EQ(die_gap[2], 70);
  EXPECT_EQ(machine_gap[1], 10);
  EXPECT_EQ(machine_gap[2], 60);
}

}  // namespace
}  // namespace linesight::process
