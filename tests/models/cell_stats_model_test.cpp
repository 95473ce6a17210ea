#include "models/cell_stats_model.h"

#include <cmath>
#include <cstring>
#include <limits>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <opencv2/imgproc.hpp>

#include "core/error.h"
#include "testing/test_util.h"

namespace linesight {
namespace {

using testing::Caught;
using testing::Contains;

constexpr int kCanvas = 128;  // small canvases keep the suite fast; the model is size-agnostic
constexpr int kTrainParts = 12;

// A synthetic cast part on a canvas: a disc with a dark bore, concentric steps and six spokes,
// turned by `rotation_deg`, with a random gain and sensor noise from `seed`. If `dot` is set, a
// dark pit is drawn there and marked in `mask`.
cv::Mat SyntheticPart(uint64_t seed, double rotation_deg, const cv::Point* dot = nullptr,
                      cv::Mat* mask = nullptr, int n = kCanvas) {
  cv::RNG rng(seed * 7919 + 17);
  const double scale = 4;  // draw large, then shrink: smooth anti-aliased edges
  const int big = n * 4;
  const cv::Point2d c((big - 1) / 2.0, (big - 1) / 2.0);
  const double r = 0.43 * big;
  cv::Mat img(big, big, CV_8UC1, cv::Scalar(40));
  auto circle = [&](double rr, int level) {
    cv::circle(img, cv::Point(cvRound(c.x * 16), cvRound(c.y * 16)), cvRound(rr * 16),
               cv::Scalar(level), -1, cv::LINE_AA, 4);
  };
  circle(r, 150);
  circle(0.9 * r, 130);
  circle(0.34 * r, 165);
  circle(0.15 * r, 25);
  for (int k = 0; k < 6; ++k) {
    const double a = (rotation_deg + 60.0 * k) * CV_PI / 180;
    const cv::Point2d dir(std::cos(a), std::sin(a));
    cv::line(img, c + 0.36 * r * dir, c + 0.86 * r * dir, cv::Scalar(185),
             static_cast<int>(2.5 * scale), cv::LINE_AA);
  }
  cv::Mat out;
  cv::resize(img, out, cv::Size(n, n), 0, 0, cv::INTER_AREA);
  if (mask) *mask = cv::Mat::zeros(n, n, CV_8UC1);
  if (dot) {
    cv::circle(out, *dot, 2, cv::Scalar(20), -1);
    if (mask) cv::circle(*mask, *dot, 2, cv::Scalar(255), -1);
  }
  cv::Mat f;
  out.convertTo(f, CV_32F, rng.uniform(0.9, 1.1));
  cv::Mat noise(n, n, CV_32F);
  rng.fill(noise, cv::RNG::NORMAL, 0, 2.0);
  f += noise;
  f.convertTo(out, CV_8U);
  return out;
}

// A uniform texture (cast surface, sheet): blurred noise about mid-grey, with an optional pit.
cv::Mat SyntheticTexture(uint64_t seed, const cv::Point* dot = nullptr, cv::Mat* mask = nullptr,
                         int n = kCanvas) {
  cv::RNG rng(seed * 104729 + 3);
  cv::Mat f(n, n, CV_32F);
  rng.fill(f, cv::RNG::NORMAL, 0, 1);
  cv::GaussianBlur(f, f, cv::Size(0, 0), 1.5);
  f = f * (12.0 / 0.19) + 128;  // blurred unit noise has sigma ~0.19
  if (mask) *mask = cv::Mat::zeros(n, n, CV_8UC1);
  if (dot) {
    cv::circle(f, *dot, 2, cv::Scalar(40), -1);
    if (mask) cv::circle(*mask, *dot, 2, cv::Scalar(255), -1);
  }
  cv::Mat out;
  f.convertTo(out, CV_8U, rng.uniform(0.9, 1.1));
  return out;
}

CellStatsOptions Options(CellLayout layout) {
  CellStatsOptions o;
  o.layout = layout;
  o.canvas = kCanvas;
  o.block = 16;
  o.support_radius = layout == CellLayout::kRings ? 0.48 : 0.49;
  return o;
}

// Parts in a fixed pose for blocks, turned at random for rings; whole-texture models see both.
double Rotation(CellLayout layout, uint64_t seed) {
  if (layout == CellLayout::kBlocks) return 0;
  return static_cast<double>((seed * 37) % 360);
}

// What each layout is for: turning round parts (rings), parts in a fixed pose (blocks), uniform
// textures (whole).
cv::Mat Sample(CellLayout layout, uint64_t seed, const cv::Point* dot = nullptr,
               cv::Mat* mask = nullptr) {
  if (layout == CellLayout::kWhole) return SyntheticTexture(seed, dot, mask);
  return SyntheticPart(seed, Rotation(layout, seed), dot, mask);
}

// Arcs learn each place from one sample per part: they get the 30 or more parts that training
// asks for (docs/guide.md); the other layouts pool many pixels per cell and need fewer.
int TrainParts(const CellStatsOptions& o) {
  return o.layout == CellLayout::kRings && o.arc_px > 0 ? 40 : kTrainParts;
}

CellStatsModel Fit(const CellStatsOptions& o, int parts = 0) {
  if (parts == 0) parts = TrainParts(o);
  CellStatsModel::Fitter fitter(o);
  CellStatsWorkspace ws;
  for (int i = 0; i < parts; ++i) fitter.Add(Sample(o.layout, 1000 + static_cast<uint64_t>(i)), ws);
  EXPECT_EQ(fitter.count(), parts);
  return fitter.Finish();
}

double MaxOver(const cv::Mat& map, const cv::Mat& mask) {
  double hi = 0;
  cv::minMaxLoc(map, nullptr, &hi, nullptr, nullptr, mask);
  return hi;
}

bool SameBits(const cv::Mat& a, const cv::Mat& b) {
  if (a.size() != b.size() || a.type() != b.type()) return false;
  for (int y = 0; y < a.rows; ++y)
    if (std::memcmp(a.ptr(y), b.ptr(y), a.cols * a.elemSize()) != 0) return false;
  return true;
}

CellStatsModel RoundTrip(const CellStatsModel& m, std::vector<uint8_t>* bytes = nullptr) {
  const nlohmann::json options = nlohmann::json::parse(m.OptionsJson().dump());
  std::vector<uint8_t> payload;
  m.AppendPayload(payload);
  size_t offset = 0;
  CellStatsModel loaded = CellStatsModel::Load(options, payload, offset, "m.lsm");
  EXPECT_EQ(offset, payload.size()) << "Load must consume exactly what AppendPayload wrote";
  if (bytes) *bytes = payload;
  return loaded;
}

class LayoutTest : public ::testing::TestWithParam<CellLayout> {};

TEST_P(LayoutTest, ScoreMapShapeAndRange) {
  const CellStatsModel m = Fit(Options(GetParam()));
  CellStatsWorkspace ws;
  cv::Mat map;
  m.Score(Sample(GetParam(), 1), ws, map);
  ASSERT_EQ(map.type(), CV_32F);
  ASSERT_EQ(map.size(), cv::Size(kCanvas, kCanvas));
  EXPECT_TRUE(cv::checkRange(map));
  double lo = 0;
  cv::minMaxLoc(map, &lo);
  EXPECT_GE(lo, 0);
  if (cv::countNonZero(m.support()) < kCanvas * kCanvas) {
    EXPECT_EQ(MaxOver(map, m.support() == 0), 0) << "nothing is scored off the support";
  }
  EXPECT_EQ(m.support().type(), CV_8UC1);
  EXPECT_EQ(m.options().layout, GetParam());
}

TEST_P(LayoutTest, DefectScoresHigherInsideItsMaskThanOutside) {
  const CellLayout layout = GetParam();
  const CellStatsModel m = Fit(Options(layout));
  CellStatsWorkspace ws;
  cv::Mat map;
  const cv::Point dots[] = {{90, 64}, {45, 50}, {64, 95}};
  for (size_t i = 0; i < std::size(dots); ++i) {
    cv::Mat mask;
    const uint64_t seed = 50 + i;
    m.Score(Sample(layout, seed, &dots[i], &mask), ws, map);
    // The roughness (sigma 4 px) may put the peak a few pixels beside a pit.
    cv::Mat near;
    cv::dilate(mask, near, cv::getStructuringElement(cv::MORPH_ELLIPSE, cv::Size(9, 9)));
    const double inside = MaxOver(map, near), outside = MaxOver(map, near == 0);
    EXPECT_GT(inside, outside) << "dot " << dots[i];
    // Band-pass filters and smoothing spread a pit's response a few pixels; beyond that halo
    // the map must be clearly lower.
    cv::Mat halo;
    cv::dilate(mask, halo, cv::getStructuringElement(cv::MORPH_ELLIPSE, cv::Size(21, 21)));
    const double far = MaxOver(map, halo == 0);
    EXPECT_GT(inside, 1.3 * far) << "dot " << dots[i] << ": inside " << inside << " far " << far;
  }
}

TEST_P(LayoutTest, GoodPartsScoreBelowDefects) {
  const CellLayout layout = GetParam();
  const CellStatsModel m = Fit(Options(layout));
  CellStatsWorkspace ws;
  cv::Mat map;
  double worst_good = 0;
  for (uint64_t seed = 200; seed < 206; ++seed) {
    m.Score(Sample(layout, seed), ws, map);
    worst_good = std::max(worst_good, MaxOver(map, cv::Mat()));
  }
  const cv::Point dot(88, 70);
  m.Score(Sample(layout, 300, &dot), ws, map);
  EXPECT_GT(MaxOver(map, cv::Mat()), 1.3 * worst_good);
}

TEST_P(LayoutTest, SaveLoadRoundTripGivesIdenticalMaps) {
  const CellStatsModel m = Fit(Options(GetParam()));
  std::vector<uint8_t> payload;
  const CellStatsModel loaded = RoundTrip(m, &payload);
  EXPECT_EQ(loaded.OptionsJson(), m.OptionsJson());
  std::vector<uint8_t> again;
  loaded.AppendPayload(again);
  EXPECT_EQ(again, payload);
  EXPECT_TRUE(SameBits(loaded.support(), m.support()));
  CellStatsWorkspace ws1, ws2;
  cv::Mat a, b;
  const cv::Point dot(80, 40);
  for (uint64_t seed : {3u, 4u}) {
    const cv::Mat part = Sample(GetParam(), seed, seed == 4 ? &dot : nullptr);
    m.Score(part, ws1, a);
    loaded.Score(part, ws2, b);
    EXPECT_TRUE(SameBits(a, b)) << "seed " << seed;
  }
}

TEST_P(LayoutTest, ScoringIsDeterministicAcrossThreads) {
  const CellStatsModel m = Fit(Options(GetParam()));
  const cv::Point dot(70, 90);
  const cv::Mat part = Sample(GetParam(), 9, &dot);
  CellStatsWorkspace ws;
  cv::Mat reference;
  m.Score(part, ws, reference);
  cv::Mat maps[2];
  std::thread t0([&] {
    CellStatsWorkspace w;
    for (int i = 0; i < 3; ++i) m.Score(part, w, maps[0]);
  });
  std::thread t1([&] {
    CellStatsWorkspace w;
    const CellStatsModel copy = m;  // copies share the immutable parts
    for (int i = 0; i < 3; ++i) copy.Score(part, w, maps[1]);
  });
  t0.join();
  t1.join();
  EXPECT_TRUE(SameBits(maps[0], reference));
  EXPECT_TRUE(SameBits(maps[1], reference));
}

INSTANTIATE_TEST_SUITE_P(AllLayouts, LayoutTest,
                         ::testing::Values(CellLayout::kRings, CellLayout::kBlocks,
                                           CellLayout::kWhole),
                         [](const auto& info) {
                           switch (info.param) {
                             case CellLayout::kRings:
                               return std::string("Rings");
                             case CellLayout::kBlocks:
                               return std::string("Blocks");
                             case CellLayout::kWhole:
                               return std::string("Whole");
                           }
                           return std::string("Unknown");
                         });

// Blocks and texture score the level too: a stain too wide and too faint for the band-pass
// channels still stands out in its middle, away from its edges.
TEST(CellStatsModelTest, BlocksSeeAWideFaintStainInItsMiddle) {
  CellStatsOptions o = Options(CellLayout::kBlocks);
  CellStatsModel::Fitter fitter(o);
  CellStatsWorkspace ws;
  for (int i = 0; i < kTrainParts; ++i) fitter.Add(SyntheticTexture(300 + i), ws);
  const CellStatsModel model = fitter.Finish();
  const cv::Mat clean = SyntheticTexture(77);
  cv::Mat stained;
  clean.convertTo(stained, CV_32F);
  const cv::Rect stain(40, 40, 48, 48);  // its middle is 24 px (3 coarse sigmas) from its edges
  stained(stain) *= 0.88;
  stained.convertTo(stained, CV_8U);
  cv::Mat before, after;
  model.Score(clean, ws, before);
  model.Score(stained, ws, after);
  const cv::Rect middle(60, 60, 8, 8);
  const double clean_peak = MaxOver(before, cv::Mat());
  EXPECT_GT(cv::mean(after(middle))[0], 1.5 * clean_peak)
      << "middle of the stain against the clean part's peak " << clean_peak;
  // Without the level the middle would look clean: the band-pass channels do not change there.
  CellStatsWorkspace a, b;
  ComputeFeatures(clean, model.support(), BandKernels(o.bands), nullptr, a);
  ComputeFeatures(stained, model.support(), BandKernels(o.bands), nullptr, b);
  for (int k = 0; k < 3; ++k)
    EXPECT_LT(cv::norm(a.features.channel[k](middle), b.features.channel[k](middle), cv::NORM_INF),
              0.2)
        << "channel " << k;
}

TEST(CellStatsModelTest, RingsIgnoreTheRotationOfTheParts) {
  const CellStatsModel m = Fit(Options(CellLayout::kRings));
  CellStatsWorkspace ws;
  cv::Mat map;
  // The same part at angles never seen in training scores like the training parts do.
  double worst = 0;
  for (double deg : {7.0, 113.0, 271.5}) {
    m.Score(SyntheticPart(400, deg), ws, map);
    worst = std::max(worst, MaxOver(map, cv::Mat()));
  }
  const cv::Point dot(90, 64);
  m.Score(SyntheticPart(400, 7.0, &dot), ws, map);
  EXPECT_GT(MaxOver(map, cv::Mat()), 1.5 * worst);
}

// A bright line like a spoke, but halfway between two spokes: on a ring it looks like the spokes
// that ring always crosses; on arcs, which turn with the part, it lies on the plain face.
cv::Mat SpokeWhereNoneIs(uint64_t seed, double rotation_deg, cv::Mat* mask) {
  cv::Mat part = SyntheticPart(seed, rotation_deg);
  const double a = (rotation_deg + 30) * CV_PI / 180, c = (kCanvas - 1) / 2.0;
  const cv::Point2d dir(std::cos(a), std::sin(a)), centre(c, c);
  const cv::Point p0 = centre + 26 * dir, p1 = centre + 42 * dir;
  cv::line(part, p0, p1, cv::Scalar(185), 2, cv::LINE_AA);
  *mask = cv::Mat::zeros(part.size(), CV_8UC1);
  cv::line(*mask, p0, p1, cv::Scalar(255), 4);
  return part;
}

TEST(CellStatsModelTest, ArcsSeeASpokeWhereThePartHasNone) {
  auto margin = [](double arc_px) {
    CellStatsOptions o = Options(CellLayout::kRings);
    o.arc_px = arc_px;
    const CellStatsModel m = Fit(o);
    CellStatsWorkspace ws;
    cv::Mat map, mask;
    double worst_good = 0;
    for (uint64_t seed = 200; seed < 206; ++seed) {
      m.Score(Sample(CellLayout::kRings, seed), ws, map);
      worst_good = std::max(worst_good, MaxOver(map, cv::Mat()));
    }
    m.Score(SpokeWhereNoneIs(300, 77, &mask), ws, map);
    return MaxOver(map, mask) / worst_good;
  };
  const double arcs = margin(1.0), rings = margin(0);
  EXPECT_GT(arcs, 1.5) << "arcs: the line against the worst good part";
  EXPECT_GT(arcs, 1.5 * rings) << "plain rings: " << rings;
}

TEST(CellStatsModelTest, PlainRingsStoreNoTemplate) {
  CellStatsOptions o = Options(CellLayout::kRings);
  o.arc_px = 0;
  const CellStatsModel rings = Fit(o);
  std::vector<uint8_t> payload;
  rings.AppendPayload(payload);
  const int cells = rings.OptionsJson().at("cells").get<int>();
  EXPECT_EQ(payload.size(), static_cast<size_t>(cells) * ChannelCount(o) * 2 * sizeof(float));
  o.arc_px = 1;
  EXPECT_EQ(ChannelCount(o), ChannelCount(Options(CellLayout::kRings)));
  EXPECT_GT(ChannelCount(o), 1 + static_cast<int>(o.ring_windows.size()))
      << "arcs add the roughness";
  const CellStatsModel arcs = Fit(o);
  EXPECT_GT(arcs.OptionsJson().at("cells").get<int>(), 10 * cells);  // about one per pixel
}

// Whole rings beside arcs read the arcs' features: the same map as scoring on their own, without
// computing the band and ring residuals twice.
TEST(CellStatsModelTest, WholeRingsBesideArcsScoreFromTheArcsFeatures) {
  CellStatsOptions o = Options(CellLayout::kRings);
  o.arc_px = 1;
  const CellStatsModel arcs = Fit(o);
  o.arc_px = 0;
  const CellStatsModel rings = Fit(o);
  EXPECT_TRUE(rings.SharesFeaturesOf(arcs));
  EXPECT_FALSE(arcs.SharesFeaturesOf(rings)) << "arcs need the roughness rings do not compute";
  EXPECT_FALSE(Fit(Options(CellLayout::kBlocks)).SharesFeaturesOf(arcs));
  CellStatsOptions other = o;
  other.ring_windows = {9, 21};
  EXPECT_FALSE(Fit(other).SharesFeaturesOf(arcs)) << "other ring windows, other features";
  other = o;
  other.bands.fine_sigma = 1.5;
  EXPECT_FALSE(Fit(other).SharesFeaturesOf(arcs));

  CellStatsWorkspace first, own, shared;
  cv::Mat arcs_map, alone, beside;
  for (uint64_t seed : {300u, 301u}) {
    const cv::Mat part = Sample(CellLayout::kRings, seed);
    rings.Score(part, own, alone);
    arcs.Score(part, first, arcs_map);
    rings.ScoreShared(first, shared, beside);
    EXPECT_TRUE(SameBits(alone, beside)) << seed;
  }
}

TEST(CellStatsModelTest, FinishWithoutPartsThrowsData) {
  for (CellLayout layout : {CellLayout::kRings, CellLayout::kBlocks, CellLayout::kWhole}) {
    CellStatsModel::Fitter fitter(Options(layout));
    EXPECT_EQ(fitter.count(), 0);
    Error e = Caught([&] { fitter.Finish(); });
    EXPECT_EQ(e.category(), ErrorCategory::kData);
  }
}

TEST(CellStatsModelTest, OnePartIsEnoughToFit) {
  const CellStatsModel m = Fit(Options(CellLayout::kRings), 1);
  CellStatsWorkspace ws;
  cv::Mat map;
  m.Score(SyntheticPart(5, 20), ws, map);
  EXPECT_TRUE(cv::checkRange(map)) << "a zero spread must not divide by zero";
}

TEST(CellStatsModelTest, WrongCanvasIsRefused) {
  CellStatsModel::Fitter fitter(Options(CellLayout::kWhole));
  CellStatsWorkspace ws;
  EXPECT_THROW(fitter.Add(cv::Mat(kCanvas + 1, kCanvas, CV_8UC1, cv::Scalar(0)), ws),
               cv::Exception);
  EXPECT_THROW(fitter.Add(cv::Mat(kCanvas, kCanvas, CV_8UC3, cv::Scalar(0)), ws), cv::Exception);
  EXPECT_EQ(fitter.count(), 0);
  const CellStatsModel m = Fit(Options(CellLayout::kWhole), 2);
  cv::Mat map;
  EXPECT_THROW(m.Score(cv::Mat(64, 64, CV_8UC1, cv::Scalar(0)), ws, map), cv::Exception);
}

TEST(CellStatsModelTest, BuildCells) {
  std::vector<int32_t> cell_of;
  cv::Mat support;
  CellStatsOptions o = Options(CellLayout::kBlocks);
  o.canvas = 100;  // not a multiple of the block: partial blocks at the edges
  o.block = 16;
  EXPECT_EQ(BuildCells(o, cell_of, support), 7 * 7);
  EXPECT_EQ(cv::countNonZero(support), 100 * 100);
  EXPECT_EQ(cell_of[0], 0);
  EXPECT_EQ(cell_of[99 * 100 + 99], 48);
  EXPECT_EQ(cell_of[17], 1);

  o.layout = CellLayout::kWhole;
  EXPECT_EQ(BuildCells(o, cell_of, support), 1);
  EXPECT_EQ(cv::countNonZero(support), 100 * 100);

  o.layout = CellLayout::kRings;
  o.support_radius = 0.3;
  const int cells = BuildCells(o, cell_of, support);
  EXPECT_GE(cells, 30);  // at least one cell per 1-pixel ring out to radius 30
  ASSERT_EQ(cell_of.size(), 100u * 100u);
  const double c = 49.5;
  for (int y = 0; y < 100; ++y)
    for (int x = 0; x < 100; ++x) {
      const bool inside = std::hypot(x - c, y - c) <= 30;
      const int32_t cell = cell_of[static_cast<size_t>(y) * 100 + x];
      EXPECT_EQ(support.at<uint8_t>(y, x) != 0, inside) << x << "," << y;
      EXPECT_EQ(cell >= 0, inside) << x << "," << y;
      EXPECT_LT(cell, cells);
    }
}

TEST(CellStatsModelTest, ChannelCount) {
  EXPECT_EQ(ChannelCount(Options(CellLayout::kBlocks)), kBandChannels);
  EXPECT_EQ(ChannelCount(Options(CellLayout::kWhole)), kBandChannels);
  EXPECT_GE(ChannelCount(Options(CellLayout::kRings)), 2);
  EXPECT_LE(ChannelCount(Options(CellLayout::kRings)), kMaxChannels);
}

// Tail calibration: good parts on rings made of smooth concentric waves and mild noise; in the
// inner annulus kSpikyRing they also carry a rare strong speck (glare, a burr: good parts that
// stray rarely but far there), while the outer annulus kCalmRing only ever shows noise.
constexpr double kSpikyRing[2] = {22, 30};  // pixels from the canvas centre (annulus A)
constexpr double kCalmRing[2] = {38, 48};   // annulus B
constexpr int kTailParts = 18;  // >= 2000 samples per ring from r = 18 on: enough for a 0.9995 tail

// `specks`: draw one +-20 grey-level speck in kSpikyRing. `pits`: small dark pits (-30 levels)
// to score.
cv::Mat WavyRingsPart(uint64_t seed, bool specks, const std::vector<cv::Point>& pits = {}) {
  cv::RNG rng(seed * 6364136223846793005ull + 1442695040888963407ull);
  const int n = kCanvas;
  const double c = (n - 1) / 2.0;
  cv::Mat f(n, n, CV_32F);
  for (int y = 0; y < n; ++y)
    for (int x = 0; x < n; ++x)
      f.at<float>(y, x) = static_cast<float>(120 + 25 * std::cos(std::hypot(x - c, y - c) / 9.0));
  cv::Mat noise(n, n, CV_32F);
  rng.fill(noise, cv::RNG::NORMAL, 0, 2.0);
  f += noise;
  cv::Mat mark = cv::Mat::zeros(n, n, CV_32F);
  if (specks) {
    const double r = rng.uniform(kSpikyRing[0], kSpikyRing[1]);
    const double a = rng.uniform(0.0, 2 * CV_PI);
    const cv::Point p(cvRound(c + r * std::cos(a)), cvRound(c + r * std::sin(a)));
    cv::circle(mark, p, 1, cv::Scalar(rng.uniform(0, 2) ? 20 : -20), -1);
  }
  for (const cv::Point& p : pits) cv::circle(mark, p, 2, cv::Scalar(-30), -1);
  f += mark;
  cv::Mat out;
  f.convertTo(out, CV_8U);
  return out;
}

// Fits a rings model on kTailParts speckled parts: pass 1, then (if `tails`) pass 2.
CellStatsModel FitWavyRings(double tail_quantile, bool tails = true) {
  CellStatsOptions o = Options(CellLayout::kRings);
  o.arc_px = 0;  // whole rings: one tail per ring, as the annuli below assume
  o.tail_quantile = tail_quantile;
  CellStatsModel::Fitter fitter(o);
  CellStatsWorkspace ws;
  std::vector<cv::Mat> parts;
  for (int i = 0; i < kTailParts; ++i)
    parts.push_back(WavyRingsPart(700 + static_cast<uint64_t>(i), true));
  for (const cv::Mat& part : parts) fitter.Add(part, ws);
  if (tails)
    for (const cv::Mat& part : parts) fitter.AddTail(part, ws);
  EXPECT_EQ(fitter.count(), kTailParts) << "AddTail must not count parts again";
  return fitter.Finish();
}

std::vector<uint8_t> PayloadOf(const CellStatsModel& m) {
  std::vector<uint8_t> p;
  m.AppendPayload(p);
  return p;
}

TEST(CellStatsModelTest, TailCalibrationDiscountsCellsWhoseGoodPartsStrayFar) {
  const double c = (kCanvas - 1) / 2.0;
  const double ra = (kSpikyRing[0] + kSpikyRing[1]) / 2, rb = (kCalmRing[0] + kCalmRing[1]) / 2;
  const cv::Point in_a(cvRound(c + ra), cvRound(c));
  const cv::Point in_b(cvRound(c - 0.6 * rb), cvRound(c + 0.8 * rb));
  // The same pit in both annuli of an unseen part without specks.
  const cv::Mat part = WavyRingsPart(9999, false, {in_a, in_b});
  cv::Mat near_a = cv::Mat::zeros(kCanvas, kCanvas, CV_8UC1), near_b = near_a.clone();
  cv::circle(near_a, in_a, 3, cv::Scalar(255), -1);
  cv::circle(near_b, in_b, 3, cv::Scalar(255), -1);

  const CellStatsModel calibrated = FitWavyRings(0.9995), plain = FitWavyRings(0);
  EXPECT_EQ(calibrated.options().tail_quantile, 0.9995);
  EXPECT_EQ(plain.options().tail_quantile, 0);
  CellStatsWorkspace ws;
  cv::Mat map;
  calibrated.Score(part, ws, map);
  const double cal_a = MaxOver(map, near_a), cal_b = MaxOver(map, near_b);
  plain.Score(part, ws, map);
  const double plain_a = MaxOver(map, near_a), plain_b = MaxOver(map, near_b);
  ASSERT_GT(cal_b, 0);
  ASSERT_GT(plain_b, 0);
  const double cal_ratio = cal_a / cal_b, plain_ratio = plain_a / plain_b;
  // Where good parts stray far now and then, the same pit counts clearly less...
  EXPECT_LT(cal_ratio, 0.5) << "A " << cal_a << ", B " << cal_b;
  // ...because of the tails: plain spreads (inflated a little by the specks) discount it far
  // less (about 0.75 against 0.25 with calibration).
  EXPECT_LT(cal_ratio, 0.6 * plain_ratio) << "calibrated " << cal_ratio << ", plain " << plain_ratio
                                          << " (A " << plain_a << ", B " << plain_b << ")";
  // Calm cells have the typical tail: their scale barely moves.
  EXPECT_NEAR(cal_b / plain_b, 1.0, 0.25) << "calibrated " << cal_b << ", plain " << plain_b;

  // tail_quantile 0 turns calibration off even when pass 2 runs.
  EXPECT_EQ(PayloadOf(FitWavyRings(0, false)), PayloadOf(plain));
  EXPECT_NE(PayloadOf(calibrated), PayloadOf(plain));
}

TEST(CellStatsModelTest, AddTailBeforeAnyAddThrowsData) {
  for (CellLayout layout : {CellLayout::kRings, CellLayout::kBlocks, CellLayout::kWhole}) {
    CellStatsModel::Fitter fitter(Options(layout));
    CellStatsWorkspace ws;
    Error e = Caught([&] { fitter.AddTail(Sample(layout, 1), ws); });
    EXPECT_EQ(e.category(), ErrorCategory::kData) << e.what();
    EXPECT_EQ(fitter.count(), 0);
  }
}

TEST(CellStatsModelTest, AddAfterTheTailPassBeganThrowsInternal) {
  CellStatsModel::Fitter fitter(Options(CellLayout::kRings));
  CellStatsWorkspace ws;
  fitter.Add(Sample(CellLayout::kRings, 1), ws);
  fitter.AddTail(Sample(CellLayout::kRings, 1), ws);
  // The tails were measured against the first part's statistics: another part would skew them.
  Error e = Caught([&] { fitter.Add(Sample(CellLayout::kRings, 2), ws); });
  EXPECT_EQ(e.category(), ErrorCategory::kInternal) << e.what();
  EXPECT_EQ(fitter.count(), 1);
}

TEST(CellStatsModelTest, FewPartsStillCalibrateTheInnerRingsFromTheirNeighbours) {
  // Four parts give the innermost rings far fewer than the 1 / (1 - q) samples the quantile
  // needs; they borrow neighbouring rings' tails instead of keeping raw, uncalibrated scales.
  CellStatsOptions o = Options(CellLayout::kRings);
  CellStatsModel::Fitter with_tails(o);
  o.tail_quantile = 0;
  CellStatsModel::Fitter plain(o);
  CellStatsWorkspace ws;
  for (uint64_t seed = 1; seed <= 4; ++seed) {
    with_tails.Add(Sample(CellLayout::kRings, seed), ws);
    plain.Add(Sample(CellLayout::kRings, seed), ws);
  }
  for (uint64_t seed = 1; seed <= 4; ++seed)
    with_tails.AddTail(Sample(CellLayout::kRings, seed), ws);
  std::vector<uint8_t> a, b;
  with_tails.Finish().AppendPayload(a);
  plain.Finish().AppendPayload(b);
  ASSERT_EQ(a.size(), b.size());
  // Payload: means, then inverse deviations, cell-major; ring 0's first channel is the first
  // inverse deviation.
  const size_t half = a.size() / 2;
  float inv_tail = 0, inv_plain = 0;
  std::memcpy(&inv_tail, &a[half], sizeof(float));
  std::memcpy(&inv_plain, &b[half], sizeof(float));
  EXPECT_NE(inv_tail, inv_plain) << "ring 0 kept its raw scale";
}

// Corrupt-model tests share one small fitted model.
class CellStatsLoadTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { model_ = new CellStatsModel(Fit(Options(CellLayout::kRings), 3)); }
  static void TearDownTestSuite() {
    delete model_;
    model_ = nullptr;
  }

  nlohmann::json GoodOptions() const { return model_->OptionsJson(); }
  std::vector<uint8_t> GoodPayload() const {
    std::vector<uint8_t> p;
    model_->AppendPayload(p);
    return p;
  }
  // Loads and returns the error it must throw.
  Error LoadError(const nlohmann::json& options, const std::vector<uint8_t>& payload) const {
    return Caught([&] {
      size_t offset = 0;
      CellStatsModel::Load(options, payload, offset, "bad.lsm");
    });
  }
  void ExpectModelError(const nlohmann::json& options, const std::vector<uint8_t>& payload,
                        const std::string& what) const {
    Error e = LoadError(options, payload);
    EXPECT_EQ(e.category(), ErrorCategory::kModel) << what << ": " << e.what();
    EXPECT_TRUE(Contains(e.what(), "bad.lsm")) << what << ": " << e.what();
  }

  static CellStatsModel* model_;
};

CellStatsModel* CellStatsLoadTest::model_ = nullptr;

TEST_F(CellStatsLoadTest, GoodInputLoads) {
  size_t offset = 0;
  const std::vector<uint8_t> payload = GoodPayload();
  EXPECT_NO_THROW(CellStatsModel::Load(GoodOptions(), payload, offset, "ok.lsm"));
  EXPECT_EQ(offset, payload.size());
}

TEST_F(CellStatsLoadTest, PayloadCanFollowOtherData) {
  std::vector<uint8_t> payload = {1, 2, 3};
  model_->AppendPayload(payload);
  size_t offset = 3;
  const CellStatsModel m = CellStatsModel::Load(GoodOptions(), payload, offset, "ok.lsm");
  EXPECT_EQ(offset, payload.size());
}

TEST_F(CellStatsLoadTest, BadLayout) {
  for (int layout : {0, 4, 255, -1}) {
    nlohmann::json j = GoodOptions();
    j["layout"] = layout;
    ExpectModelError(j, GoodPayload(), "layout " + std::to_string(layout));
  }
  nlohmann::json j = GoodOptions();
  j["layout"] = "rings";
  ExpectModelError(j, GoodPayload(), "layout as text");
}

TEST_F(CellStatsLoadTest, CanvasOutOfRange) {
  for (int canvas : {0, 16, 31, 2049, 100000, -256}) {
    nlohmann::json j = GoodOptions();
    j["canvas"] = canvas;
    ExpectModelError(j, GoodPayload(), "canvas " + std::to_string(canvas));
  }
}

TEST_F(CellStatsLoadTest, OtherOptionsOutOfRange) {
  const std::vector<std::pair<std::string, nlohmann::json>> bad = {
      {"block", 1},           {"block", 100000},          {"support_radius", 0.0},
      {"support_radius", 2},  {"smooth_sigma", 0},        {"smooth_sigma", -1},
      {"smooth_sigma", 1000}, {"support_radius", nullptr}};
  for (const auto& [key, value] : bad) {
    nlohmann::json j = GoodOptions();
    j[key] = value;
    ExpectModelError(j, GoodPayload(), key + "=" + value.dump());
  }
  nlohmann::json j = GoodOptions();
  j["bands"]["fine_sigma"] = 0;
  ExpectModelError(j, GoodPayload(), "fine_sigma 0");
  j = GoodOptions();
  j["bands"]["coarse_sigma"] = std::numeric_limits<double>::infinity();
  ExpectModelError(j, GoodPayload(), "coarse_sigma inf");
}

TEST_F(CellStatsLoadTest, MissingKeys) {
  for (const char* key :
       {"layout", "canvas", "support_radius", "block", "smooth_sigma", "cells", "bands"}) {
    nlohmann::json j = GoodOptions();
    j.erase(key);
    ExpectModelError(j, GoodPayload(), std::string("without ") + key);
  }
  ExpectModelError(nlohmann::json::object(), GoodPayload(), "empty options");
  ExpectModelError(nlohmann::json::array(), GoodPayload(), "options not an object");
}

TEST_F(CellStatsLoadTest, TailQuantileIsSavedAndRestored) {
  EXPECT_EQ(GoodOptions().at("tail_quantile").get<double>(), model_->options().tail_quantile);
  for (double q : {0.0, 0.99, 0.9995, 0.999999}) {
    nlohmann::json j = GoodOptions();
    j["tail_quantile"] = q;
    size_t offset = 0;
    const CellStatsModel m = CellStatsModel::Load(j, GoodPayload(), offset, "ok.lsm");
    EXPECT_EQ(m.options().tail_quantile, q);
    EXPECT_EQ(m.OptionsJson().at("tail_quantile").get<double>(), q);
  }
  // A fitted model's own setting survives a save and load.
  CellStatsOptions o = Options(CellLayout::kWhole);
  o.tail_quantile = 0.995;
  const CellStatsModel loaded = RoundTrip(Fit(o, 2));
  EXPECT_EQ(loaded.options().tail_quantile, 0.995);
}

TEST_F(CellStatsLoadTest, ModelWithoutTailQuantileLoadsWithCalibrationOff) {
  // Models written before tails were calibrated have no "tail_quantile".
  nlohmann::json j = GoodOptions();
  ASSERT_TRUE(j.contains("tail_quantile"));
  j.erase("tail_quantile");
  const std::vector<uint8_t> payload = GoodPayload();
  size_t offset = 0;
  const CellStatsModel m = CellStatsModel::Load(j, payload, offset, "old.lsm");
  EXPECT_EQ(offset, payload.size());
  EXPECT_EQ(m.options().tail_quantile, 0);
  EXPECT_EQ(PayloadOf(m), payload);
}

TEST_F(CellStatsLoadTest, TailQuantileOutOfRange) {
  const double inf = std::numeric_limits<double>::infinity();
  for (const nlohmann::json& bad : {nlohmann::json(-0.01), nlohmann::json(-1), nlohmann::json(1.0),
                                    nlohmann::json(1.5), nlohmann::json(inf), nlohmann::json(-inf),
                                    nlohmann::json(std::numeric_limits<double>::quiet_NaN()),
                                    nlohmann::json("high"), nlohmann::json(nullptr)}) {
    nlohmann::json j = GoodOptions();
    j["tail_quantile"] = bad;
    ExpectModelError(j, GoodPayload(), "tail_quantile " + bad.dump());
  }
}

TEST_F(CellStatsLoadTest, WrongCellCount) {
  const int cells = GoodOptions()["cells"].get<int>();
  for (int wrong : {cells - 1, cells + 1, 0, -5}) {
    nlohmann::json j = GoodOptions();
    j["cells"] = wrong;
    ExpectModelError(j, GoodPayload(), "cells " + std::to_string(wrong));
  }
  // A layout change without the matching cell count.
  nlohmann::json j = GoodOptions();
  j["layout"] = static_cast<int>(CellLayout::kWhole);
  ExpectModelError(j, GoodPayload(), "whole layout with ring cells");
}

TEST_F(CellStatsLoadTest, ShortPayload) {
  const std::vector<uint8_t> full = GoodPayload();
  for (size_t len : {size_t{0}, size_t{3}, full.size() / 2, full.size() - 4, full.size() - 1}) {
    std::vector<uint8_t> cut(full.begin(), full.begin() + static_cast<ptrdiff_t>(len));
    ExpectModelError(GoodOptions(), cut, "payload of " + std::to_string(len));
  }
  // Offset near the end.
  size_t offset = full.size() - 8;
  Error e = Caught([&] { CellStatsModel::Load(GoodOptions(), full, offset, "bad.lsm"); });
  EXPECT_EQ(e.category(), ErrorCategory::kModel);
}

TEST_F(CellStatsLoadTest, InvalidStatistics) {
  const std::vector<uint8_t> full = GoodPayload();
  const nlohmann::json options = GoodOptions();
  CellStatsOptions o = Options(CellLayout::kRings);
  const size_t stats = options.at("cells").get<size_t>() * ChannelCount(o);
  ASSERT_GT(full.size(), 8 * stats) << "arcs store their alignment template after the statistics";
  auto with = [&](size_t index, float value) {
    std::vector<uint8_t> p = full;
    std::memcpy(&p[index * 4], &value, 4);  // little-endian hosts only, as the format
    return p;
  };
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const float inf = std::numeric_limits<float>::infinity();
  // Means, then inverse spreads, then the template.
  ExpectModelError(GoodOptions(), with(0, nan), "NaN mean");
  ExpectModelError(GoodOptions(), with(stats - 1, inf), "infinite mean");
  ExpectModelError(GoodOptions(), with(stats, nan), "NaN inverse spread");
  ExpectModelError(GoodOptions(), with(2 * stats - 1, 0.0f), "zero inverse spread");
  ExpectModelError(GoodOptions(), with(2 * stats - 1, -1.0f), "negative inverse spread");
  ExpectModelError(GoodOptions(), with(stats + 3, -inf), "-inf inverse spread");
  ExpectModelError(GoodOptions(), with(2 * stats + 5, nan), "NaN in the template");
}

}  // namespace
}  // namespace linesight
