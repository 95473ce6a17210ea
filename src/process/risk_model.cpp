// process/risk_model.cpp: RiskModel on XGBoost's C API. Every call's return code is checked and
// turned into an Error carrying XGBGetLastError(); handles are owned by RAII wrappers.
#include "process/risk_model.h"
#include "core/json_text.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>
#include <sstream>

#include <xgboost/c_api.h>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "process/ranking_metrics.h"

namespace linesight::process {
namespace {

void Check(int rc, const char* call) {
  if (rc != 0) {
    throw Error(ErrorCategory::kInternal,
                std::string("XGBoost ") + call + " failed: " + XGBGetLastError(),
                "Check the input table for infinite values; otherwise report it as a bug");
  }
}

class DMatrix {
 public:
  DMatrix(const std::vector<float>& data, std::size_t rows, std::size_t cols) {
    Check(XGDMatrixCreateFromMat(data.data(), rows, cols, std::nanf(""), &h_),
          "XGDMatrixCreateFromMat");
  }
  DMatrix(const DMatrix&) = delete;
  DMatrix& operator=(const DMatrix&) = delete;
  ~DMatrix() { XGDMatrixFree(h_); }
  DMatrixHandle get() const { return h_; }
  void SetLabels(const std::vector<float>& y) {
    Check(XGDMatrixSetFloatInfo(h_, "label", y.data(), y.size()), "XGDMatrixSetFloatInfo");
  }

 private:
  DMatrixHandle h_ = nullptr;
};

}  // namespace

struct RiskModel::Booster {
  BoosterHandle h = nullptr;
  explicit Booster(const DMatrix* train) {
    DMatrixHandle d[1] = {train ? train->get() : nullptr};
    Check(XGBoosterCreate(d, train ? 1 : 0, &h), "XGBoosterCreate");
  }
  Booster(const Booster&) = delete;
  Booster& operator=(const Booster&) = delete;
  ~Booster() { XGBoosterFree(h); }
  void Set(const char* k, const std::string& v) const {
    Check(XGBoosterSetParam(h, k, v.c_str()), "XGBoosterSetParam");
  }
};

namespace {

using BoosterPtr = std::shared_ptr<RiskModel::Booster>;

BoosterPtr Train(const DMatrix& d, int rounds, int depth, const RiskModelOptions& o) {
  auto b = std::make_shared<RiskModel::Booster>(&d);
  b->Set("objective", "binary:logistic");
  b->Set("tree_method", "hist");
  b->Set("max_depth", std::to_string(depth));
  b->Set("eta", std::to_string(o.eta));
  b->Set("min_child_weight", std::to_string(o.min_child_weight));
  b->Set("seed", std::to_string(o.seed));
  b->Set("nthread", std::to_string(o.threads));
  b->Set("verbosity", "1");
  for (int i = 0; i < rounds; ++i) Check(XGBoosterUpdateOneIter(b->h, i, d.get()), "UpdateOneIter");
  return b;
}

// Probabilities from the first `rounds` trees (0 = all).
std::vector<double> PredictRounds(const RiskModel::Booster& b, const DMatrix& d, int rounds) {
  const std::string config = R"({"type": 0, "training": false, "iteration_begin": 0, )"
                             R"("iteration_end": )" +
                             std::to_string(rounds) + R"(, "strict_shape": false})";
  const bst_ulong* shape = nullptr;
  bst_ulong dim = 0;
  const float* out = nullptr;
  Check(XGBoosterPredictFromDMatrix(b.h, d.get(), config.c_str(), &shape, &dim, &out),
        "XGBoosterPredictFromDMatrix");
  bst_ulong n = 1;
  for (bst_ulong i = 0; i < dim; ++i) n *= shape[i];
  return std::vector<double>(out, out + n);
}

std::string Fixed(double v, int digits) {
  std::ostringstream o;
  o.setf(std::ios::fixed);
  o.precision(digits);
  o << v;
  return o.str();
}

}  // namespace

std::vector<float> RiskModel::Matrix(const ShotTable& t) const {
  const std::size_t n = t.size(), cols = names_.size();
  std::vector<float> m(n * cols, std::nanf(""));
  std::size_t c = 0;
  for (const std::string& name : table_features_) {
    const int f = t.FeatureIndex(name);
    // A value beyond a float's range (no sensor reads one; the import and ingest refuse them)
    // would reach XGBoost as infinity, which it refuses for the whole matrix: not measured.
    if (f >= 0)
      for (std::size_t i = 0; i < n; ++i) {
        const float x = static_cast<float>(t.features[f][i]);
        m[i * cols + c] = std::isfinite(x) ? x : std::nanf("");
      }
    ++c;
  }
  if (shot_flags_) {
    for (std::size_t i = 0; i < n; ++i) {
      m[i * cols + c] = t.try_shot[i];
      m[i * cols + c + 1] = t.stopped[i];
    }
    c += 2;
  }
  for (std::size_t d = 0; d < dies_.size(); ++d, ++c)
    for (std::size_t i = 0; i < n; ++i) m[i * cols + c] = t.die[i] == dies_[d] ? 1.f : 0.f;
  return m;
}

RiskModel RiskModel::Fit(const ShotTable& table, const RiskModelOptions& o) {
  std::vector<bool> keep(table.size());
  std::size_t pos = 0, neg = 0;
  for (std::size_t i = 0; i < table.size(); ++i) {
    keep[i] = table.label[i] == 0 || table.label[i] == 1;
    pos += table.label[i] == 1;
    neg += table.label[i] == 0;
  }
  if (pos == 0 || neg == 0) {
    throw Error(ErrorCategory::kData,
                "the fit period has " + std::to_string(pos) + " scrap and " + std::to_string(neg) +
                    " good labelled shots",
                "Fit on a period with both scrap and good shots (move --split-at later)");
  }
  ShotTable fit = SelectRows(table, keep);
  // Time order, so the validation part is the latest stretch of the fit period.
  std::vector<std::size_t> order(fit.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&fit](std::size_t a, std::size_t b) {
    return fit.time_ms[a] < fit.time_ms[b];
  });

  RiskModel m;
  m.table_features_ = fit.feature_names;
  m.shot_flags_ = o.shot_flags;
  if (o.die_one_hot) {
    m.dies_ = fit.die;
    std::sort(m.dies_.begin(), m.dies_.end());
    m.dies_.erase(std::unique(m.dies_.begin(), m.dies_.end()), m.dies_.end());
  }
  m.names_ = m.table_features_;
  if (o.shot_flags) {
    m.names_.push_back("try_shot");
    m.names_.push_back("stopped");
  }
  for (const auto& d : m.dies_) m.names_.push_back("die=" + d);

  const std::vector<float> x = m.Matrix(fit);
  std::vector<float> y(fit.size());
  for (std::size_t i = 0; i < fit.size(); ++i) y[i] = fit.label[i];
  m.rounds_ = o.rounds;
  m.depth_ = o.max_depth;
  if (o.rounds <= 0) m.SelectByValidation(fit, order, x, o);
  DMatrix d(x, fit.size(), m.names_.size());
  d.SetLabels(y);
  m.booster_ = Train(d, m.rounds_, m.depth_, o);
  return m;
}

void RiskModel::SelectByValidation(const ShotTable& fit, const std::vector<std::size_t>& order,
                                   const std::vector<float>& x, const RiskModelOptions& o) {
  const std::size_t cols = names_.size();
  const std::size_t cut = static_cast<std::size_t>(fit.size() * (1 - o.validation_fraction));
  std::vector<float> xa, xb, ya;
  std::vector<std::int8_t> yb;
  for (std::size_t k = 0; k < order.size(); ++k) {
    const std::size_t i = order[k];
    const bool early = k < cut;
    if (!early && !fit.Normal(i)) continue;  // judged like the real figure: normal shots
    auto& dst = early ? xa : xb;
    dst.insert(dst.end(), x.begin() + i * cols, x.begin() + (i + 1) * cols);
    if (early)
      ya.push_back(fit.label[i]);
    else
      yb.push_back(fit.label[i]);
  }
  DMatrix da(xa, ya.size(), cols), db(xb, yb.size(), cols);
  da.SetLabels(ya);
  const int most = *std::max_element(o.candidate_rounds.begin(), o.candidate_rounds.end());
  double best = -1;
  selection_.clear();
  for (int depth : o.candidate_depths) {
    const BoosterPtr b = Train(da, most, depth, o);
    for (int r : o.candidate_rounds) {
      const double auc = Auroc(PredictRounds(*b, db, r), yb);
      selection_ += (selection_.empty() ? "" : "; ") + std::string("depth ") +
                    std::to_string(depth) + ", " + std::to_string(r) + " rounds: AUROC " +
                    Fixed(auc, 4);
      if (auc > best) {
        best = auc;
        rounds_ = r;
        depth_ = depth;
      }
    }
  }
  if (best < 0) {  // NaN everywhere: the validation stretch has one class only
    rounds_ = o.candidate_rounds.front();
    depth_ = o.max_depth;
  }
}

std::vector<double> RiskModel::Predict(const ShotTable& t) const {
  if (t.size() == 0) return {};
  DMatrix d(Matrix(t), t.size(), names_.size());
  return PredictRounds(*booster_, d, 0);
}

Contributions RiskModel::Contribute(const ShotTable& t) const {
  Contributions c;
  c.names = names_;
  if (t.size() == 0) return c;
  DMatrix d(Matrix(t), t.size(), names_.size());
  bst_ulong len = 0;
  const float* out = nullptr;
  Check(XGBoosterPredict(booster_->h, d.get(), 4, 0, 0, &len, &out), "XGBoosterPredict(SHAP)");
  if (len != t.size() * (names_.size() + 1)) {
    throw Error(ErrorCategory::kInternal,
                "XGBoost returned " + std::to_string(len) + " SHAP values for " +
                    std::to_string(t.size()) + " shots",
                "Report it as a bug with the XGBoost version");
  }
  c.values.assign(out, out + len);
  return c;
}

std::vector<std::pair<std::string, double>> RiskModel::MeanAbsShap(const ShotTable& all,
                                                                   std::size_t max_shots) const {
  std::vector<bool> keep(all.size(), true);
  if (max_shots > 0 && all.size() > max_shots) {
    for (std::size_t i = 0; i < all.size(); ++i)
      keep[i] = i * max_shots / all.size() != (i + 1) * max_shots / all.size();
  }
  const ShotTable t = SelectRows(all, keep);
  const Contributions c = Contribute(t);
  const std::size_t cols = c.names.size() + 1;
  std::map<std::string, double> sum;
  std::vector<std::string> order;
  for (std::size_t k = 0; k < c.names.size(); ++k) {
    const std::string name = c.names[k].rfind("die=", 0) == 0 ? "die" : c.names[k];
    if (!sum.count(name)) order.push_back(name);
    double s = 0;
    for (std::size_t i = 0; i < t.size(); ++i) s += std::fabs(c.values[i * cols + k]);
    sum[name] += t.size() ? s / static_cast<double>(t.size()) : 0;
  }
  std::vector<std::pair<std::string, double>> out;
  for (const auto& n : order) out.emplace_back(n, sum[n]);
  std::stable_sort(out.begin(), out.end(),
                   [](const auto& a, const auto& b) { return a.second > b.second; });
  return out;
}

std::string RiskModel::SaveJson() const {
  bst_ulong len = 0;
  const char* buf = nullptr;
  Check(XGBoosterSaveModelToBuffer(booster_->h, R"({"format": "json"})", &len, &buf),
        "XGBoosterSaveModelToBuffer");
  nlohmann::json j = {{"format", "linesight-risk-model"},
                      {"version", 1},
                      {"table_features", table_features_},
                      {"dies", dies_},
                      {"shot_flags", shot_flags_},
                      {"rounds", rounds_},
                      {"max_depth", depth_},
                      {"selection", selection_},
                      {"xgboost", std::string(buf, len)}};
  return JsonText(j);
}

RiskModel RiskModel::LoadJson(std::string_view text, int threads) {
  RiskModel m;
  try {
    const nlohmann::json j = nlohmann::json::parse(text);
    if (j.at("format") != "linesight-risk-model" || j.at("version") != 1)
      throw Error(ErrorCategory::kModel, "not a version 1 linesight risk model",
                  "Refit the model with this linesight");
    m.table_features_ = j.at("table_features").get<std::vector<std::string>>();
    m.dies_ = j.at("dies").get<std::vector<std::string>>();
    m.shot_flags_ = j.at("shot_flags").get<bool>();
    m.rounds_ = j.at("rounds").get<int>();
    m.depth_ = j.at("max_depth").get<int>();
    m.selection_ = j.at("selection").get<std::string>();
    const std::string model = j.at("xgboost").get<std::string>();
    auto b = std::make_shared<Booster>(nullptr);
    Check(XGBoosterLoadModelFromBuffer(b->h, model.data(), model.size()),
          "XGBoosterLoadModelFromBuffer");
    b->Set("nthread", std::to_string(threads));
    m.booster_ = b;
  } catch (const nlohmann::json::exception& e) {
    throw Error(ErrorCategory::kModel, std::string("risk model JSON is broken: ") + e.what(),
                "Refit the model, or restore the file from where it was saved");
  }
  m.names_ = m.table_features_;
  if (m.shot_flags_) {
    m.names_.push_back("try_shot");
    m.names_.push_back("stopped");
  }
  for (const auto& d : m.dies_) m.names_.push_back("die=" + d);
  return m;
}

void AddGapFeatures(ShotTable& t) {
  std::vector<std::size_t> order(t.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&t](std::size_t a, std::size_t b) { return t.time_ms[a] < t.time_ms[b]; });
  std::vector<double> die_gap(t.size(), kMissing), machine_gap(t.size(), kMissing);
  std::map<std::string, std::int64_t> last_die, last_machine;
  for (std::size_t i : order) {
    if (auto it = last_die.find(t.die[i]); it != last_die.end())
      die_gap[i] = (t.time_ms[i] - it->second) / 1000.0;
    if (auto it = last_machine.find(t.machine[i]); it != last_machine.end())
      machine_gap[i] = (t.time_ms[i] - it->second) / 1000.0;
    last_die[t.die[i]] = t.time_ms[i];
    last_machine[t.machine[i]] = t.time_ms[i];
  }
  t.AddFeature("die_gap_s", std::move(die_gap));
  t.AddFeature("machine_gap_s", std::move(machine_gap));
}

}  // namespace linesight::process
