#include "vision/band_features.h"

#include <cmath>

#include <gtest/gtest.h>
#include <opencv2/imgproc.hpp>

#include "sim/part_renderer.h"
#include "vision/part_locator.h"

namespace linesight {
namespace {

constexpr int kFeatureCanvas = 256;

// A rendered part mapped onto the canonical canvas, and the disc that covers it.
struct Canvas {
  cv::Mat image;
  cv::Mat support;
};

Canvas RenderedCanvas(uint64_t seed) {
  const sim::RenderedPart part = sim::PartRenderer().Render(seed);
  LocateOptions o;
  o.canvas = kFeatureCanvas;
  const PartPose pose = LocatePart(part.image, o);
  EXPECT_TRUE(pose.found) << pose.failure;
  Canvas c;
  cv::warpAffine(part.image, c.image, cv::Mat(pose.image_to_canvas),
                 cv::Size(kFeatureCanvas, kFeatureCanvas), cv::INTER_LINEAR, cv::BORDER_REPLICATE);
  c.support = cv::Mat::zeros(kFeatureCanvas, kFeatureCanvas, CV_8UC1);
  cv::circle(c.support, cv::Point(kFeatureCanvas / 2, kFeatureCanvas / 2),
             static_cast<int>(o.canvas_radius * kFeatureCanvas), 255, -1);
  return c;
}

cv::Mat Gain(const cv::Mat& img, double gain) {
  cv::Mat out;
  img.convertTo(out, CV_8U, gain);  // rounds and saturates like a camera would
  return out;
}

cv::Mat Gamma(const cv::Mat& img, double gamma) {
  cv::Mat lut(1, 256, CV_8U);
  for (int i = 0; i < 256; ++i)
    lut.at<uint8_t>(i) = cv::saturate_cast<uint8_t>(255.0 * std::pow(i / 255.0, gamma));
  cv::Mat out;
  cv::LUT(img, lut, out);
  return out;
}

// Interior of the part: the support disc shrunk so that filter borders and the rim are left out.
cv::Mat Interior(const cv::Mat& support, int margin) {
  cv::Mat out;
  cv::erode(support, out,
            cv::getStructuringElement(cv::MORPH_ELLIPSE, cv::Size(2 * margin + 1, 2 * margin + 1)));
  return out;
}

// Mean |a - b| over `mask`, relative to the mean |a| there.
double RelativeDifference(const cv::Mat& a, const cv::Mat& b, const cv::Mat& mask) {
  cv::Mat diff;
  cv::absdiff(a, b, diff);
  const double d = cv::mean(diff, mask)[0];
  const double s = cv::mean(cv::abs(a), mask)[0];
  return d / std::max(s, 1e-9);
}

TEST(BandFeaturesTest, OutputSizesAndTypes) {
  const Canvas c = RenderedCanvas(1);
  BandFeatures f;
  ComputeBandFeatures(c.image, c.support, BandKernels(), f);
  for (int k = 0; k < kBandChannels; ++k) {
    ASSERT_EQ(f.channel[k].type(), CV_32F) << k;
    EXPECT_EQ(f.channel[k].size(), c.image.size()) << k;
    EXPECT_TRUE(cv::checkRange(f.channel[k])) << "channel " << k << " has NaN or infinity";
  }
  EXPECT_TRUE(f.channel[kBandChannels].empty()) << "the extra channel is the model's to fill";
  EXPECT_GT(f.detail_scale, 0);
  // The fine band is normalised: its mean magnitude over the support is 1.
  EXPECT_NEAR(cv::mean(cv::abs(f.channel[0]), c.support)[0], 1.0, 1e-3);
}

TEST(BandFeaturesTest, OddSizedCanvas) {
  cv::Mat img(77, 131, CV_8UC1);
  cv::RNG rng(7767517);
  rng.fill(img, cv::RNG::UNIFORM, 40, 200);
  const cv::Mat support(img.size(), CV_8UC1, cv::Scalar(255));
  BandFeatures f;
  ComputeBandFeatures(img, support, BandKernels(), f);
  for (int k = 0; k < kBandChannels; ++k) {
    EXPECT_EQ(f.channel[k].size(), img.size());
    EXPECT_TRUE(cv::checkRange(f.channel[k]));
  }
}

TEST(BandFeaturesTest, OnlyRequestedChannelsAreComputed) {
  const Canvas c = RenderedCanvas(2);
  BandFeatures one, all;
  ComputeBandFeatures(c.image, c.support, BandKernels(), one, 1);
  ComputeBandFeatures(c.image, c.support, BandKernels(), all, kBandChannels);
  EXPECT_FALSE(one.channel[0].empty());
  EXPECT_TRUE(one.channel[1].empty());
  EXPECT_TRUE(one.channel[2].empty());
  EXPECT_EQ(cv::norm(one.channel[0], all.channel[0], cv::NORM_INF), 0);
  EXPECT_EQ(one.detail_scale, all.detail_scale);
  BandFeatures two;
  ComputeBandFeatures(c.image, c.support, BandKernels(), two, 2);
  EXPECT_EQ(cv::norm(two.channel[1], all.channel[1], cv::NORM_INF), 0);
  EXPECT_TRUE(two.channel[2].empty());
  BandFeatures three;
  ComputeBandFeatures(c.image, c.support, BandKernels(), three, 3);
  EXPECT_EQ(cv::norm(three.channel[2], all.channel[2], cv::NORM_INF), 0);
  EXPECT_TRUE(three.channel[3].empty());
}

TEST(BandFeaturesTest, BuffersAreReusedAndResultsRepeat) {
  const Canvas c = RenderedCanvas(3);
  BandFeatures f;
  ComputeBandFeatures(c.image, c.support, BandKernels(), f);
  const cv::Mat first = f.channel[2].clone();
  const uchar* data[kBandChannels];
  for (int k = 0; k < kBandChannels; ++k) data[k] = f.channel[k].data;
  const uchar* log_data = f.log_image.data;
  // Another image of the same size, then the first again.
  ComputeBandFeatures(RenderedCanvas(4).image, c.support, BandKernels(), f);
  ComputeBandFeatures(c.image, c.support, BandKernels(), f);
  for (int k = 0; k < kBandChannels; ++k) EXPECT_EQ(f.channel[k].data, data[k]) << k;
  EXPECT_EQ(f.log_image.data, log_data);
  EXPECT_EQ(cv::norm(f.channel[2], first, cv::NORM_INF), 0);
}

TEST(BandFeaturesTest, ExposureGainBarelyChangesFeatures) {
  for (uint64_t seed : {5u, 6u}) {
    const Canvas c = RenderedCanvas(seed);
    const cv::Mat interior = Interior(c.support, 12);
    BandFeatures a, b;
    ComputeBandFeatures(c.image, c.support, BandKernels(), a);
    ComputeBandFeatures(Gain(c.image, 0.7), c.support, BandKernels(), b);
    for (int k = 0; k < 2; ++k) {
      const double rel = RelativeDifference(a.channel[k], b.channel[k], interior);
      EXPECT_LT(rel, 0.07) << "seed " << seed << " channel " << k;
    }
    cv::Mat diff;
    cv::absdiff(a.channel[2], b.channel[2], diff);
    EXPECT_LT(cv::mean(diff, interior)[0], 0.07) << "seed " << seed << " roughness";
    // Without the log and the per-image scale, a 0.7 gain would change band values by 30%.
    cv::Mat raw_a, raw_b;
    c.image.convertTo(raw_a, CV_32F);
    Gain(c.image, 0.7).convertTo(raw_b, CV_32F);
    EXPECT_GT(RelativeDifference(raw_a, raw_b, interior), 0.25);
  }
}

TEST(BandFeaturesTest, GammaBarelyChangesFeatures) {
  const Canvas c = RenderedCanvas(8);
  const cv::Mat interior = Interior(c.support, 12);
  BandFeatures a, b;
  ComputeBandFeatures(c.image, c.support, BandKernels(), a);
  ComputeBandFeatures(Gamma(c.image, 1.25), c.support, BandKernels(), b);
  for (int k = 0; k < 2; ++k)
    EXPECT_LT(RelativeDifference(a.channel[k], b.channel[k], interior), 0.08) << "channel " << k;
}

TEST(BandFeaturesTest, SlowLightingGradientIsIgnored) {
  const Canvas c = RenderedCanvas(9);
  const cv::Mat interior = Interior(c.support, 12);
  // A brightness ramp of +-20% across the canvas: slower than the coarse band.
  cv::Mat ramp(c.image.size(), CV_32F);
  for (int y = 0; y < ramp.rows; ++y)
    for (int x = 0; x < ramp.cols; ++x) ramp.at<float>(y, x) = 0.8f + 0.4f * x / (ramp.cols - 1);
  cv::Mat f32, lit;
  c.image.convertTo(f32, CV_32F);
  cv::multiply(f32, ramp, f32);
  f32.convertTo(lit, CV_8U);
  BandFeatures a, b;
  ComputeBandFeatures(c.image, c.support, BandKernels(), a);
  ComputeBandFeatures(lit, c.support, BandKernels(), b);
  EXPECT_LT(RelativeDifference(a.channel[0], b.channel[0], interior), 0.05);
  EXPECT_LT(RelativeDifference(a.channel[1], b.channel[1], interior), 0.05);
}

// The level channel (3) keeps what the band-pass channels drop: a large, low-contrast patch.
TEST(BandFeaturesTest, LargeFaintPatchStandsOutInTheLevelOnly) {
  const Canvas c = RenderedCanvas(11);
  cv::Mat f32, stained;
  c.image.convertTo(f32, CV_32F);
  const cv::Rect patch(kFeatureCanvas / 2 + 10, kFeatureCanvas / 2 - 50, 60, 60);
  f32(patch) *= 0.85;  // 15% darker over a patch far wider than the coarse band
  f32.convertTo(stained, CV_8U);
  BandFeatures a, b;
  ComputeBandFeatures(c.image, c.support, BandKernels(), a);
  ComputeBandFeatures(stained, c.support, BandKernels(), b);
  const cv::Point centre(patch.x + patch.width / 2, patch.y + patch.height / 2);
  // Inside the patch, the band-pass channels see no change; the level drops.
  EXPECT_NEAR(b.channel[0].at<float>(centre), a.channel[0].at<float>(centre), 0.1);
  EXPECT_NEAR(b.channel[1].at<float>(centre), a.channel[1].at<float>(centre), 0.1);
  const float drop = a.channel[3].at<float>(centre) - b.channel[3].at<float>(centre);
  // log(0.85) = -0.16 in log units; the surroundings (sigma 24 px) take in about 60% of the patch,
  // so the level drops by about 0.06, divided by the image's fine contrast (a few hundredths).
  EXPECT_GT(drop, 0.04f / a.detail_scale) << "detail scale " << a.detail_scale;
}

// The level is relative to its surroundings: a gain shifts nothing, gamma scales nothing.
TEST(BandFeaturesTest, LevelIgnoresExposureAndGamma) {
  const Canvas c = RenderedCanvas(12);
  const cv::Mat interior = Interior(c.support, 12);
  BandFeatures a, gain, gamma;
  ComputeBandFeatures(c.image, c.support, BandKernels(), a);
  ComputeBandFeatures(Gain(c.image, 0.7), c.support, BandKernels(), gain);
  ComputeBandFeatures(Gamma(c.image, 1.25), c.support, BandKernels(), gamma);
  EXPECT_LT(RelativeDifference(a.channel[3], gain.channel[3], interior), 0.1);
  EXPECT_LT(RelativeDifference(a.channel[3], gamma.channel[3], interior), 0.15);
}

TEST(BandFeaturesTest, DarkPitStandsOutInTheFineBand) {
  const Canvas c = RenderedCanvas(10);
  cv::Mat pitted = c.image.clone();
  const cv::Point pit(kFeatureCanvas / 2 + 60, kFeatureCanvas / 2 + 10);
  cv::circle(pitted, pit, 2, cv::Scalar(10), -1);
  BandFeatures a, b;
  ComputeBandFeatures(c.image, c.support, BandKernels(), a);
  ComputeBandFeatures(pitted, c.support, BandKernels(), b);
  const float before = a.channel[0].at<float>(pit), after = b.channel[0].at<float>(pit);
  EXPECT_LT(after, before - 3.0f) << "a dark pit is a strong negative fine-band response";
  // Roughness rises there too.
  EXPECT_GT(b.channel[2].at<float>(pit), a.channel[2].at<float>(pit) + 0.5f);
  // Far away nothing changes.
  const cv::Point far(kFeatureCanvas / 2 - 60, kFeatureCanvas / 2 - 10);
  EXPECT_NEAR(b.channel[0].at<float>(far), a.channel[0].at<float>(far),
              0.05 * std::abs(a.channel[0].at<float>(far)) + 0.05);
}

TEST(BandFeaturesTest, UniformAndEmptySupportStayFinite) {
  const cv::Mat flat(64, 64, CV_8UC1, cv::Scalar(120));
  const cv::Mat all(64, 64, CV_8UC1, cv::Scalar(255)), none = cv::Mat::zeros(64, 64, CV_8UC1);
  for (const cv::Mat* support : {&all, &none}) {
    BandFeatures f;
    ComputeBandFeatures(flat, *support, BandKernels(), f);
    EXPECT_GT(f.detail_scale, 0);
    for (int k = 0; k < kBandChannels; ++k) EXPECT_TRUE(cv::checkRange(f.channel[k])) << k;
  }
  // Without support pixels the contrast cannot be measured: no scaling at all.
  BandFeatures f;
  ComputeBandFeatures(flat, none, BandKernels(), f);
  EXPECT_EQ(f.detail_scale, 1.0f);
  EXPECT_LT(cv::norm(f.channel[0], cv::NORM_INF), 1e-4);
  const cv::Mat black = cv::Mat::zeros(64, 64, CV_8UC1), white(64, 64, CV_8UC1, cv::Scalar(255));
  for (const cv::Mat* img : {&black, &white}) {
    ComputeBandFeatures(*img, all, BandKernels(), f);
    for (int k = 0; k < kBandChannels; ++k) EXPECT_TRUE(cv::checkRange(f.channel[k]));
  }
}

// The features computed with OpenCV's filters, as ComputeBandFeatures computed them before it had
// filters of its own (which allocate nothing per call).
BandFeatures ReferenceFeatures(const cv::Mat& canvas, const cv::Mat& support,
                               const BandOptions& o) {
  BandFeatures f;
  cv::Mat lut(1, 256, CV_32F);
  for (int i = 0; i < 256; ++i) lut.at<float>(i) = std::log(4.0f + static_cast<float>(i));
  cv::Mat log_image(canvas.size(), CV_32F);
  for (int y = 0; y < canvas.rows; ++y)
    for (int x = 0; x < canvas.cols; ++x)
      log_image.at<float>(y, x) = lut.at<float>(canvas.at<uint8_t>(y, x));
  auto blur = [](const cv::Mat& src, double sigma) {
    cv::Mat out;
    cv::GaussianBlur(src, out, cv::Size(0, 0), sigma, sigma, cv::BORDER_REFLECT);
    return out;
  };
  const cv::Mat fine = blur(log_image, o.fine_sigma), mid = blur(log_image, o.mid_sigma);
  cv::subtract(fine, mid, f.channel[0]);
  cv::Mat low;
  cv::compare(canvas, 252, f.clipped, cv::CMP_GE);
  cv::compare(canvas, 1, low, cv::CMP_LE);
  cv::bitwise_or(f.clipped, low, f.clipped);
  cv::dilate(f.clipped, f.clipped, cv::Mat(), cv::Point(-1, -1), 2);
  double sum = 0;
  int64_t n = 0;
  for (int y = 0; y < canvas.rows; ++y)
    for (int x = 0; x < canvas.cols; ++x)
      if (support.at<uint8_t>(y, x) && !f.clipped.at<uint8_t>(y, x)) {
        sum += std::abs(f.channel[0].at<float>(y, x));
        ++n;
      }
  const double scale = std::max(n > 0 ? sum / n : 1.0, 1e-6);
  f.detail_scale = static_cast<float>(scale);
  f.channel[0] *= 1.0 / scale;
  cv::subtract(mid, blur(log_image, o.coarse_sigma), f.channel[1]);
  f.channel[1] *= 1.0 / scale;
  f.channel[2] = blur(f.channel[0].mul(f.channel[0]), o.rough_sigma) + 0.05;
  cv::log(f.channel[2], f.channel[2]);
  // Level: the coarse blur against its surroundings, blurred on a grid shrunk 8 times. Only
  // comparable where 8 divides the canvas (ShrinkBlocks averages partial blocks otherwise).
  const cv::Mat coarse = blur(log_image, o.coarse_sigma);
  cv::Mat small, surround;
  cv::resize(coarse, small, cv::Size(), 0.125, 0.125, cv::INTER_AREA);
  cv::resize(blur(small, 3 * o.coarse_sigma / 8), surround, coarse.size(), 0, 0, cv::INTER_LINEAR);
  f.channel[3] = (coarse - surround) * (1.0 / scale);
  return f;
}

TEST(BandFeaturesTest, MatchTheOpenCvReference) {
  Canvas c = RenderedCanvas(8);
  c.image.rowRange(100, 110).setTo(255);  // clipped pixels
  c.image.colRange(40, 44).setTo(0);
  cv::Mat odd(77, 131, CV_8UC1);
  cv::RNG(7767517).fill(odd, cv::RNG::UNIFORM, 0, 256);
  const cv::Mat odd_support(odd.size(), CV_8UC1, cv::Scalar(255));
  for (const Canvas& in : {c, Canvas{odd, odd_support}}) {
    BandFeatures ours;
    ComputeBandFeatures(in.image, in.support, BandKernels(), ours);
    const BandFeatures ref = ReferenceFeatures(in.image, in.support, BandOptions());
    EXPECT_EQ(cv::norm(ours.clipped, ref.clipped, cv::NORM_INF), 0);
    EXPECT_NEAR(ours.detail_scale, ref.detail_scale, 1e-5 * ref.detail_scale);
    const bool level_comparable = in.image.cols % 8 == 0 && in.image.rows % 8 == 0;
    for (int k = 0; k < (level_comparable ? kBandChannels : 3); ++k) {
      const double size = std::max(1.0, cv::norm(ref.channel[k], cv::NORM_INF));
      EXPECT_LE(cv::norm(ours.channel[k], ref.channel[k], cv::NORM_INF), 1e-4 * size) << k;
    }
  }
}

TEST(BandFeaturesTest, WrongInputTypesAreRefused) {
  const cv::Mat grey(32, 32, CV_8UC1, cv::Scalar(1)), support(32, 32, CV_8UC1, cv::Scalar(255));
  BandFeatures f;
  EXPECT_THROW(ComputeBandFeatures(cv::Mat(32, 32, CV_8UC3), support, BandKernels(), f),
               cv::Exception);
  EXPECT_THROW(ComputeBandFeatures(cv::Mat(32, 32, CV_32F), support, BandKernels(), f),
               cv::Exception);
  EXPECT_THROW(ComputeBandFeatures(grey, cv::Mat(31, 32, CV_8UC1), BandKernels(), f),
               cv::Exception);
}

}  // namespace
}  // namespace linesight
