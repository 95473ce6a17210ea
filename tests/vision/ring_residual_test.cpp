#include "vision/ring_residual.h"

#include <cmath>
#include <vector>

#include <gtest/gtest.h>
#include <opencv2/imgproc.hpp>

namespace linesight {
namespace {

constexpr int kResidualCanvas = 256;
constexpr double kMaxRadius = 120;

RingResidual MakeRing(int canvas = kResidualCanvas, double max_radius = kMaxRadius,
                      int angles = 512, int window = 21) {
  return RingResidual(canvas, max_radius, angles, std::vector<int>{window});
}

// The residual of `image` for a one-window ring.
void Residual(const RingResidual& ring, const cv::Mat& image, RingResidualScratch& scratch,
              cv::Mat& residual) {
  ASSERT_EQ(ring.windows(), 1u);
  ring.Compute(image, scratch, &residual);
}

// A perfectly rotationally symmetric disc: smooth rings of varying brightness about the canvas
// centre, fading to background beyond the rim.
cv::Mat SymmetricDisc(int canvas = kResidualCanvas) {
  cv::Mat img(canvas, canvas, CV_32F);
  const double c = (canvas - 1) / 2.0;
  for (int y = 0; y < canvas; ++y)
    for (int x = 0; x < canvas; ++x) {
      const double r = std::hypot(x - c, y - c);
      const double rings = 100 + 30 * std::cos(r / 6.0) + 0.2 * r;
      const double edge = 1 / (1 + std::exp((r - 0.8 * canvas / 2) / 2.0));  // soft rim
      img.at<float>(y, x) = static_cast<float>(20 + edge * (rings - 20));
    }
  return img;
}

cv::Mat Disc(cv::Mat img, cv::Point2d at, double radius, float delta) {
  cv::Mat mask = cv::Mat::zeros(img.size(), CV_8UC1);
  cv::circle(mask, cv::Point(static_cast<int>(at.x), static_cast<int>(at.y)),
             static_cast<int>(radius), 255, -1);
  cv::add(img, cv::Scalar(delta), img, mask);
  return img;
}

// Largest |residual| over pixels within `radius` of the canvas centre and farther than
// `exclude` from `at`.
double MaxAbsAwayFrom(const cv::Mat& residual, cv::Point2d at, double exclude, double radius) {
  const double c = (residual.cols - 1) / 2.0;
  double worst = 0;
  for (int y = 0; y < residual.rows; ++y)
    for (int x = 0; x < residual.cols; ++x) {
      if (std::hypot(x - c, y - c) > radius) continue;
      if (std::hypot(x - at.x, y - at.y) < exclude) continue;
      worst = std::max(worst, std::abs(static_cast<double>(residual.at<float>(y, x))));
    }
  return worst;
}

TEST(RingResidualTest, OutputSizeAndType) {
  const RingResidual ring = MakeRing();
  RingResidualScratch scratch;
  cv::Mat residual;
  Residual(ring, SymmetricDisc(), scratch, residual);
  ASSERT_EQ(residual.type(), CV_32F);
  EXPECT_EQ(residual.size(), cv::Size(kResidualCanvas, kResidualCanvas));
  EXPECT_TRUE(cv::checkRange(residual));
  // Beyond the outermost ring there is nothing to compare: zero.
  EXPECT_EQ(residual.at<float>(0, 0), 0);
  EXPECT_EQ(residual.at<float>(kResidualCanvas - 1, kResidualCanvas - 1), 0);
}

TEST(RingResidualTest, SymmetricDiscHasNearZeroResidual) {
  const RingResidual ring = MakeRing();
  RingResidualScratch scratch;
  cv::Mat residual;
  Residual(ring, SymmetricDisc(), scratch, residual);
  const double worst = MaxAbsAwayFrom(residual, {-1000, -1000}, 0, kMaxRadius - 1);
  EXPECT_LT(worst, 0.5) << "ring contrast is 60 grey levels";
}

TEST(RingResidualTest, SmallDarkDotStandsOut) {
  const RingResidual ring = MakeRing();
  RingResidualScratch scratch;
  cv::Mat residual;
  for (cv::Point2d dot : {cv::Point2d(190, 128), cv::Point2d(80, 60), cv::Point2d(128, 200),
                          cv::Point2d(200, 127.5)}) {  // the last sits on the 0-degree seam
    Residual(ring, Disc(SymmetricDisc(), dot, 2, -40), scratch, residual);
    const float at = residual.at<float>(static_cast<int>(dot.y), static_cast<int>(dot.x));
    EXPECT_LT(at, -12.0f) << "dot at " << dot;
    EXPECT_LT(MaxAbsAwayFrom(residual, dot, 8, kMaxRadius - 1), 0.5) << "dot at " << dot;
  }
}

TEST(RingResidualTest, SmallBrightDotIsPositive) {
  const RingResidual ring = MakeRing();
  RingResidualScratch scratch;
  cv::Mat residual;
  const cv::Point2d dot(150, 90);
  Residual(ring, Disc(SymmetricDisc(), dot, 2, +40), scratch, residual);
  EXPECT_GT(residual.at<float>(90, 150), 12.0f);
}

TEST(RingResidualTest, FeaturesWiderThanTheWindowCancel) {
  // A dark sector a quarter of the way round: far wider than the window, so inside it the ring
  // compares with itself and finds nothing.
  const RingResidual ring = MakeRing();
  cv::Mat img = SymmetricDisc();
  const double c = (kResidualCanvas - 1) / 2.0;
  for (int y = 0; y < kResidualCanvas; ++y)
    for (int x = 0; x < kResidualCanvas; ++x) {
      const double t = std::atan2(y - c, x - c);
      if (t > 0.3 && t < 1.9) img.at<float>(y, x) -= 25;
    }
  RingResidualScratch scratch;
  cv::Mat residual;
  Residual(ring, img, scratch, residual);
  // Middle of the sector (angle 1.1 rad), radius 40..100.
  for (double r = 40; r <= 100; r += 10) {
    const int x = static_cast<int>(std::lround(c + r * std::cos(1.1)));
    const int y = static_cast<int>(std::lround(c + r * std::sin(1.1)));
    EXPECT_LT(std::abs(residual.at<float>(y, x)), 0.5) << "r " << r;
  }
}

TEST(RingResidualTest, ScratchIsReusedAndResultsRepeat) {
  const RingResidual ring = MakeRing();
  RingResidualScratch scratch;
  cv::Mat a, b;
  const cv::Mat img = Disc(SymmetricDisc(), {100, 170}, 3, -30);
  Residual(ring, img, scratch, a);
  const uchar* polar = scratch.polar.data;
  Residual(ring, SymmetricDisc(), scratch, b);
  Residual(ring, img, scratch, b);
  EXPECT_EQ(scratch.polar.data, polar);
  EXPECT_EQ(cv::norm(a, b, cv::NORM_INF), 0);
  // A fresh scratch gives the same bits.
  RingResidualScratch fresh;
  cv::Mat c;
  Residual(ring, img, fresh, c);
  EXPECT_EQ(cv::norm(a, c, cv::NORM_INF), 0);
}

TEST(RingResidualTest, OtherSizesAndWindows) {
  const int canvas = 97;  // odd
  const RingResidual ring = MakeRing(canvas, 45, 256, 9);
  RingResidualScratch scratch;
  cv::Mat residual;
  cv::Mat img = Disc(SymmetricDisc(canvas), {70, 48}, 1, -50);
  Residual(ring, img, scratch, residual);
  ASSERT_EQ(residual.size(), cv::Size(canvas, canvas));
  EXPECT_LT(residual.at<float>(48, 70), -10.0f);
  EXPECT_LT(MaxAbsAwayFrom(residual, {70, 48}, 6, 44), 1.0);
}

TEST(RingResidualTest, EachWindowHasItsOwnResidual) {
  // A dot about 7 angular samples wide: wider than a 5-sample window, narrower than 21.
  const RingResidual ring(kResidualCanvas, kMaxRadius, 512, std::vector<int>{5, 21});
  ASSERT_EQ(ring.windows(), 2u);
  RingResidualScratch scratch;
  cv::Mat residuals[2];
  const cv::Point2d dot(188, 128);  // radius ~60: 1 px is ~1.4 samples
  ring.Compute(Disc(SymmetricDisc(), dot, 2, -40), scratch, residuals);
  for (const cv::Mat& r : residuals) {
    ASSERT_EQ(r.type(), CV_32F);
    ASSERT_EQ(r.size(), cv::Size(kResidualCanvas, kResidualCanvas));
  }
  const float narrow = residuals[0].at<float>(128, 188), wide = residuals[1].at<float>(128, 188);
  EXPECT_LT(wide, -12.0f) << "stands out in the wide window";
  EXPECT_GT(narrow, 0.6f * wide) << "mostly too wide for the narrow window";
  // The single-window ring of the same width gives the same bits.
  cv::Mat single;
  RingResidualScratch other;
  Residual(MakeRing(kResidualCanvas, kMaxRadius, 512, 21), Disc(SymmetricDisc(), dot, 2, -40),
           other, single);
  EXPECT_EQ(cv::norm(single, residuals[1], cv::NORM_INF), 0);
}

// The residual computed with OpenCV's remap and morphology, as RingResidual computed it before it
// had filters of its own (which allocate nothing per call).
cv::Mat ReferenceResidual(const cv::Mat& image, double max_radius, int angles, int window) {
  const int canvas = image.cols, radii = static_cast<int>(std::ceil(max_radius)) + 2;
  const double c = (canvas - 1) / 2.0;
  cv::Mat px(radii, angles, CV_32F), py(radii, angles, CV_32F);
  for (int r = 0; r < radii; ++r)
    for (int a = 0; a < angles; ++a) {
      const double t = 2 * CV_PI * a / angles;
      px.at<float>(r, a) = static_cast<float>(c + r * std::cos(t));
      py.at<float>(r, a) = static_cast<float>(c + r * std::sin(t));
    }
  cv::Mat cx(canvas, canvas, CV_32F), cy(canvas, canvas, CV_32F);
  for (int y = 0; y < canvas; ++y)
    for (int x = 0; x < canvas; ++x) {
      double t = std::atan2(y - c, x - c);
      if (t < 0) t += 2 * CV_PI;
      cx.at<float>(y, x) = static_cast<float>(t / (2 * CV_PI) * angles);
      cy.at<float>(y, x) = static_cast<float>(std::hypot(x - c, y - c));
    }
  cv::Mat polar, wrapped, opened, closed, residual, extended, out;
  cv::remap(image, polar, px, py, cv::INTER_LINEAR, cv::BORDER_REPLICATE);
  cv::copyMakeBorder(polar, wrapped, 0, 0, window, window, cv::BORDER_WRAP);
  const cv::Mat k = cv::getStructuringElement(cv::MORPH_RECT, cv::Size(window, 1));
  cv::morphologyEx(wrapped, opened, cv::MORPH_OPEN, k);
  cv::morphologyEx(wrapped, closed, cv::MORPH_CLOSE, k);
  cv::addWeighted(opened.colRange(window, window + angles), -0.5,
                  closed.colRange(window, window + angles), -0.5, 0, residual);
  residual += polar;
  cv::copyMakeBorder(residual, extended, 0, 0, 0, 1, cv::BORDER_WRAP);
  cv::remap(extended, out, cx, cy, cv::INTER_LINEAR, cv::BORDER_CONSTANT, 0);
  return out;
}

TEST(RingResidualTest, MatchesTheOpenCvReference) {
  cv::Mat noisy = Disc(SymmetricDisc(), {190, 128}, 2, -40);
  cv::Mat noise(noisy.size(), CV_32F);
  cv::RNG(9).fill(noise, cv::RNG::NORMAL, 0, 5);
  noisy += noise;
  for (int window : {3, 7, 21, 63}) {
    const RingResidual ring = MakeRing(kResidualCanvas, kMaxRadius, 512, window);
    RingResidualScratch scratch;
    cv::Mat ours;
    Residual(ring, noisy, scratch, ours);
    const cv::Mat ref = ReferenceResidual(noisy, kMaxRadius, 512, window);
    // Values up to ~150: the remaps and the min/max agree exactly, the weighted sum to rounding.
    EXPECT_LE(cv::norm(ours, ref, cv::NORM_INF), 1e-4) << "window " << window;
  }
  const cv::Mat odd = Disc(SymmetricDisc(97), {70, 48}, 1, -50);
  const RingResidual ring = MakeRing(97, 45, 256, 9);
  RingResidualScratch scratch;
  cv::Mat ours;
  Residual(ring, odd, scratch, ours);
  EXPECT_LE(cv::norm(ours, ReferenceResidual(odd, 45, 256, 9), cv::NORM_INF), 1e-4);
}

TEST(RingResidualTest, WrongInputIsRefused) {
  const RingResidual ring = MakeRing();
  RingResidualScratch scratch;
  cv::Mat residual;
  EXPECT_THROW(ring.Compute(cv::Mat(kResidualCanvas, kResidualCanvas, CV_8UC1, cv::Scalar(0)),
                            scratch, &residual),
               cv::Exception);
  EXPECT_THROW(ring.Compute(cv::Mat(kResidualCanvas - 1, kResidualCanvas, CV_32F, cv::Scalar(0)),
                            scratch, &residual),
               cv::Exception);
}

}  // namespace
}  // namespace linesight
