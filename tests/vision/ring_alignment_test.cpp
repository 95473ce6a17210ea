#include "vision/ring_alignment.h"

#include <cmath>
#include <vector>

#include <gtest/gtest.h>
#include <opencv2/imgproc.hpp>

#include "sim/part_renderer.h"
#include "vision/band_features.h"
#include "vision/part_locator.h"

namespace linesight {
namespace {

constexpr int kAlignCanvas = 320;
constexpr double kRadius = 0.49 * kAlignCanvas;
constexpr double kSamplesPerDegree = RingAlignment::kAngles / 360.0;

// The fine band of a rendered part on the canvas, and its true rotation in degrees.
struct Sample {
  cv::Mat fine;
  double rotation_deg = 0;
};

Sample Rendered(uint64_t seed) {
  const sim::RenderedPart part = sim::PartRenderer().Render(seed);
  LocateOptions o;
  o.canvas = kAlignCanvas;
  const PartPose pose = LocatePart(part.image, o);
  EXPECT_TRUE(pose.found) << pose.failure;
  cv::Mat canvas;
  LocateScratch scratch;
  WarpToCanvas(part.image, pose, kAlignCanvas, canvas, scratch);
  const cv::Mat support(kAlignCanvas, kAlignCanvas, CV_8UC1, cv::Scalar(255));
  BandFeatures f;
  ComputeBandFeatures(canvas, support, BandKernels(), f, 1);
  return {f.channel[0].clone(), part.rotation_deg};
}

// Distance between two turns in samples, modulo `period` samples.
double TurnError(double a, double b, double period) {
  double d = std::fmod(a - b, period);
  if (d < 0) d += period;
  return std::min(d, period - d);
}

// A template accumulated as a model does it: the first part sets the frame, each later part is
// turned onto the sum so far and added.
std::vector<float> Learn(const RingAlignment& align, const std::vector<Sample>& parts) {
  std::vector<float> templ(align.size(), 0.f);
  RingAlignmentScratch s;
  for (size_t i = 0; i < parts.size(); ++i) {
    align.Signature(parts[i].fine, s);
    align.Accumulate(s, i == 0 ? RingTurn() : align.Find(templ, s), templ);
  }
  return templ;
}

// The simulated impeller has six vanes: its look repeats every 60 degrees, so turns are
// compared modulo that. The turn a part is given must match its true rotation to well under a
// pixel, or statistics per place would smear the vane edges.
TEST(RingAlignmentTest, FindsTheTurnOfRenderedParts) {
  const RingAlignment align(kAlignCanvas, kRadius);
  std::vector<Sample> train;
  for (uint64_t seed = 1; seed <= 16; ++seed) train.push_back(Rendered(seed));
  const std::vector<float> templ = Learn(align, train);
  const double period = 60 * kSamplesPerDegree;
  // Turns are known up to the template's own frame: compare each part's turn minus its true
  // rotation with the circular mean of that difference.
  const double mid =
      0.33 * 0.43 * kAlignCanvas;  // where the vanes start: the twist moves nothing there
  RingAlignmentScratch s;
  std::vector<double> diffs;
  for (uint64_t seed = 100; seed < 120; ++seed) {
    const Sample part = Rendered(seed);
    align.Signature(part.fine, s);
    const float turn = align.Find(templ, s).At(mid, kRadius);
    ASSERT_GE(turn, 0.f);
    ASSERT_LT(turn, static_cast<float>(RingAlignment::kAngles));
    diffs.push_back(turn - part.rotation_deg * kSamplesPerDegree);
  }
  double cx = 0, cy = 0;
  for (double d : diffs)
    cx += std::cos(2 * CV_PI * d / period), cy += std::sin(2 * CV_PI * d / period);
  const double reference = std::atan2(cy, cx) / (2 * CV_PI) * period;
  double sum_sq = 0, worst = 0;
  for (double d : diffs) {
    const double err = TurnError(d, reference, period);
    sum_sq += err * err;
    worst = std::max(worst, err);
  }
  const double rms = std::sqrt(sum_sq / static_cast<double>(diffs.size()));
  const double px_per_sample = 2 * CV_PI * mid / RingAlignment::kAngles;
  std::printf("turn error where the vanes start: rms %.2f samples (%.2f px), worst %.2f\n", rms,
              rms * px_per_sample, worst);
  // Measured 0.46 px on the renders' old dark table and 0.51 on the bright one the real castings
  // lie on, whose mottle spans 4.5 times as many grey levels.
  EXPECT_LT(rms * px_per_sample, 0.55);
  EXPECT_LT(worst * px_per_sample, 1.5);
}

TEST(RingAlignmentTest, TurnedTemplateFindsTheTurnItWasGiven) {
  // A signature with no symmetry: a few bright spokes at irregular angles.
  const RingAlignment align(kAlignCanvas, kRadius);
  auto spokes = [](double offset_deg) {
    cv::Mat img(kAlignCanvas, kAlignCanvas, CV_32F, cv::Scalar(0));
    const cv::Point2d c((kAlignCanvas - 1) / 2.0, (kAlignCanvas - 1) / 2.0);
    for (double deg : {10.0, 75.0, 140.0, 250.0}) {
      const double a = (deg + offset_deg) * CV_PI / 180;
      cv::line(img, c + 30 * cv::Point2d(std::cos(a), std::sin(a)),
               c + 140 * cv::Point2d(std::cos(a), std::sin(a)), cv::Scalar(1), 2, cv::LINE_AA);
    }
    return img;
  };
  RingAlignmentScratch s;
  std::vector<float> templ(align.size(), 0.f);
  align.Signature(spokes(0), s);
  align.Accumulate(s, RingTurn(), templ);
  for (double deg : {0.0, 33.3, 181.0, 359.0}) {
    align.Signature(spokes(deg), s);
    const float turn = align.Find(templ, s).At(kRadius / 2, kRadius);
    EXPECT_LT(TurnError(turn, deg * kSamplesPerDegree, RingAlignment::kAngles), 1.0)
        << deg << " degrees: found " << turn / kSamplesPerDegree;
  }
}

TEST(RingAlignmentTest, SignatureIgnoresTheRingsOwnLevel) {
  // A rotationally uniform image has a flat signature: nothing to align on, nothing to fake.
  const RingAlignment align(kAlignCanvas, kRadius);
  cv::Mat img(kAlignCanvas, kAlignCanvas, CV_32F);
  const double c = (kAlignCanvas - 1) / 2.0;
  for (int y = 0; y < kAlignCanvas; ++y)
    for (int x = 0; x < kAlignCanvas; ++x)
      img.at<float>(y, x) = static_cast<float>(std::cos(std::hypot(x - c, y - c) / 20));
  RingAlignmentScratch s;
  align.Signature(img, s);
  ASSERT_EQ(s.signature.size(), align.size());
  double worst = 0;
  for (float v : s.signature) worst = std::max(worst, std::abs(static_cast<double>(v)));
  EXPECT_LT(worst, 0.1);  // pixel-grid effects only, against values up to 1
}

// A template of `bands` bands whose value at angle sample a is f(a).
template <typename F>
std::vector<float> TemplateOf(int bands, F f) {
  std::vector<float> t(static_cast<size_t>(bands) * RingAlignment::kAngles);
  for (int b = 0; b < bands; ++b)
    for (int a = 0; a < RingAlignment::kAngles; ++a)
      t[static_cast<size_t>(b) * RingAlignment::kAngles + a] = f(a) * static_cast<float>(b + 1);
  return t;
}

TEST(RingAlignmentTest, SymmetryCountsHowOftenAPartRepeatsItselfAroundTheTurn) {
  constexpr double kTurn = 2 * 3.14159265358979323846 / RingAlignment::kAngles;
  for (int n : {3, 5, 6, 9}) {
    // n narrow vanes, the rest of the ring flat.
    const auto vanes = TemplateOf(3, [&](int a) {
      const double d = std::remainder(a * kTurn * n, 2 * 3.14159265358979323846);
      return static_cast<float>(std::exp(-d * d / 0.1) - 0.1);
    });
    EXPECT_EQ(RingAlignment::Symmetry(vanes), n) << n << " vanes";
  }
  // Light that falls off across the part changes slowly with the angle: it matches itself at
  // small turns, but that is no repeat.
  const auto gradient =
      TemplateOf(3, [&](int a) { return static_cast<float>(std::cos(a * kTurn)); });
  EXPECT_EQ(RingAlignment::Symmetry(gradient), 1);
  // Two vanes: their harmonics 4, 6, ... are no four- or six-fold repeat; light makes 2.
  const auto two = TemplateOf(3, [&](int a) {
    const double d = std::remainder(a * kTurn * 2, 2 * 3.14159265358979323846);
    return static_cast<float>(std::exp(-d * d / 0.1) - 0.1);
  });
  EXPECT_EQ(RingAlignment::Symmetry(two), 1);
  // One feature alone, and nothing at all.
  const auto single = TemplateOf(2, [](int a) { return a < 40 ? 1.f : -0.04f; });
  EXPECT_EQ(RingAlignment::Symmetry(single), 1);
  EXPECT_EQ(RingAlignment::Symmetry(TemplateOf(2, [](int) { return 0.f; })), 1);
  EXPECT_EQ(RingAlignment::Symmetry({}), 1);
}

}  // namespace
}  // namespace linesight
