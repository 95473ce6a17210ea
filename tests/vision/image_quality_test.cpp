#include "vision/image_quality.h"

#include <gtest/gtest.h>
#include <opencv2/imgproc.hpp>

#include "sim/part_renderer.h"
#include "vision/exposure.h"

namespace linesight {
namespace {

// A rendered part cropped to its disc's square, standing in for a canvas.
cv::Mat Canvas(uint64_t seed = 11) {
  const sim::RenderedPart part = sim::PartRenderer().Render(seed);
  const int r = static_cast<int>(part.radius / 0.43);
  const cv::Rect box(static_cast<int>(part.centre.x) - r, static_cast<int>(part.centre.y) - r,
                     2 * r, 2 * r);
  return part.image(box & cv::Rect(0, 0, part.image.cols, part.image.rows)).clone();
}

TEST(ImageQualityTest, BlurLowersFocusAndGainDoesNot) {
  const cv::Mat sharp = Canvas();
  const double focus = MeasureQuality(sharp, 0.43).focus;
  EXPECT_GT(focus, 0.05);
  double previous = focus;
  for (double sigma : {1.0, 2.0, 3.0}) {
    cv::Mat blurred;
    cv::GaussianBlur(sharp, blurred, cv::Size(0, 0), sigma);
    const double f = MeasureQuality(blurred, 0.43).focus;
    EXPECT_LT(f, previous) << sigma;
    previous = f;
  }
  EXPECT_LT(previous, 0.5 * focus);
  // Exposure gain and gamma change focus little: it is a ratio of local differences.
  for (const ExposureChange change : {ExposureChange{0.6, 1.4}, ExposureChange{1.3, 0.8}}) {
    cv::Mat drifted = sharp.clone();
    ApplyExposure(change, drifted);
    EXPECT_NEAR(MeasureQuality(drifted, 0.43).focus, focus, 0.25 * focus) << change.gain;
  }
}

TEST(ImageQualityTest, SaturationAndExposureOfKnownImages) {
  cv::Mat img(100, 100, CV_8UC1, cv::Scalar(100));
  img(cv::Rect(0, 0, 100, 25)).setTo(255);  // a quarter clipped
  QualityMeasures q = MeasureQuality(img, 0);
  EXPECT_NEAR(q.saturated, 0.25, 0.02);  // the outermost rows and columns are not counted
  EXPECT_EQ(q.exposure, 100);
  EXPECT_DOUBLE_EQ(q.focus, 1.0) << "one sharp step: each two-pixel difference sees it twice";
  img(cv::Rect(0, 0, 100, 60)).setTo(252);  // over half at or above kSaturatedLevel
  q = MeasureQuality(img, 0);
  EXPECT_EQ(q.exposure, 252);
  EXPECT_GT(q.saturated, 0.5);
  // Inside a disc only: the clipped corners are outside it.
  cv::Mat corners(101, 101, CV_8UC1, cv::Scalar(255));
  cv::circle(corners, cv::Point(50, 50), 40, cv::Scalar(80), cv::FILLED);
  q = MeasureQuality(corners, 0.35);
  EXPECT_EQ(q.saturated, 0);
  EXPECT_EQ(q.exposure, 80);
  // Pixel noise is all fine detail.
  cv::Mat noise(64, 64, CV_8UC1);
  cv::RNG(7767517).fill(noise, cv::RNG::UNIFORM, 0, 256);
  EXPECT_NEAR(MeasureQuality(noise, 0).focus, 3.0, 0.3);
}

TEST(ImageQualityTest, HistogramAndSaturationUnderADrift) {
  cv::Mat img(50, 50, CV_8UC1, cv::Scalar(200));
  img(cv::Rect(0, 0, 50, 10)).setTo(120);
  GreyHistogram hist;
  MeasureQuality(img, 0, &hist);
  uint64_t total = 0;
  for (uint32_t h : hist) total += h;
  EXPECT_EQ(total, 48u * 48u);
  EXPECT_EQ(hist[200] + hist[120], total);
  EXPECT_EQ(SaturatedShareAfter(hist, {1.0, 1.0}), 0);
  // 200 x 1.5 clips, 120 x 1.5 = 180 does not.
  EXPECT_DOUBLE_EQ(SaturatedShareAfter(hist, {1.5, 1.0}), double(hist[200]) / total);
  EXPECT_DOUBLE_EQ(SaturatedShareAfter(hist, {3.0, 1.0}), 1.0);
  EXPECT_EQ(SaturatedShareAfter(GreyHistogram{}, {3.0, 1.0}), 0);
  EXPECT_DOUBLE_EQ(LevelAfter(255, {0.6, 1.4}), 153);
  EXPECT_NEAR(LevelAfter(64, {1.0, 2.0}), 64.0 * 64 / 255, 1e-9);
}

TEST(ImageQualityTest, SameCanvasSameMeasures) {
  const cv::Mat c = Canvas(21);
  const QualityMeasures a = MeasureQuality(c, 0.43), b = MeasureQuality(c.clone(), 0.43);
  EXPECT_EQ(a.focus, b.focus);
  EXPECT_EQ(a.saturated, b.saturated);
  EXPECT_EQ(a.exposure, b.exposure);
}

}  // namespace
}  // namespace linesight
