#include "vision/filters.h"

#include <algorithm>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <opencv2/imgproc.hpp>

namespace linesight {
namespace {

// Sizes from a single pixel and sizes narrower than the kernels up to a canvas.
const cv::Size kSizes[] = {{1, 1},   {1, 7},   {7, 1},   {2, 3},     {5, 5},   {9, 13},
                           {31, 17}, {64, 64}, {300, 7}, {256, 256}, {97, 101}};

cv::Mat RandomFloat(cv::Size size, uint64_t seed, float lo = 0, float hi = 5) {
  cv::RNG rng(seed);
  cv::Mat m(size, CV_32F);
  rng.fill(m, cv::RNG::UNIFORM, lo, hi);
  return m;
}

std::string Name(cv::Size s) { return std::to_string(s.width) + "x" + std::to_string(s.height); }

TEST(GaussianKernelTest, TapsAreOpenCvs) {
  for (double sigma : {0.5, 1.0, 1.3, 3.0, 4.0, 8.0, 20.0}) {
    const GaussianKernel k(sigma);
    const int size = 2 * k.radius() + 1;
    EXPECT_EQ(size, cvRound(sigma * 8 + 1) | 1) << sigma;
    const cv::Mat ref = cv::getGaussianKernel(size, sigma, CV_32F);
    for (int i = 0; i <= k.radius(); ++i) {
      EXPECT_NEAR(k.taps()[i], ref.at<float>(k.radius() + i), 1e-8) << sigma << " tap " << i;
      EXPECT_NEAR(k.taps()[i], ref.at<float>(k.radius() - i), 1e-8) << sigma << " tap " << i;
    }
  }
  EXPECT_EQ(GaussianKernel().radius(), 0);
  EXPECT_EQ(GaussianKernel().taps()[0], 1.f);
  EXPECT_THROW(GaussianKernel(0.0), cv::Exception);
}

TEST(GaussianBlurTest, MatchesOpenCvWithReflectedBorders) {
  std::vector<float> line;
  uint64_t seed = 1;
  for (double sigma : {1.0, 3.0, 4.0, 8.0}) {
    const GaussianKernel k(sigma);
    for (cv::Size size : kSizes) {
      const cv::Mat src = RandomFloat(size, seed++);
      cv::Mat ours, ref;
      GaussianBlur(src, ours, k, line);
      cv::GaussianBlur(src, ref, cv::Size(0, 0), sigma, sigma, cv::BORDER_REFLECT);
      ASSERT_EQ(ours.size(), size);
      ASSERT_EQ(ours.type(), CV_32F);
      // Values are about 2.5: 1e-5 is a few float roundings of the sums.
      EXPECT_LE(cv::norm(ours, ref, cv::NORM_INF), 1e-5) << "sigma " << sigma << ", " << Name(size);
    }
  }
}

TEST(GaussianBlurTest, ReadsViewsAndReusesItsOutput) {
  const cv::Mat big = RandomFloat({80, 60}, 7);
  const cv::Mat view = big(cv::Rect(5, 3, 41, 29));  // not continuous
  const GaussianKernel k(3.0);
  std::vector<float> line;
  cv::Mat ours, ref;
  GaussianBlur(view, ours, k, line);
  const uchar* data = ours.data;
  GaussianBlur(view, ours, k, line);
  EXPECT_EQ(ours.data, data) << "a sized output is reused";
  // A view is an image of its own: its borders are reflected, not read from around it.
  cv::GaussianBlur(view, ref, cv::Size(0, 0), 3.0, 3.0, cv::BORDER_REFLECT | cv::BORDER_ISOLATED);
  EXPECT_LE(cv::norm(ours, ref, cv::NORM_INF), 1e-5);
  cv::Mat same = view.clone();
  EXPECT_THROW(GaussianBlur(same, same, k, line), cv::Exception) << "in place is refused";
  EXPECT_THROW(GaussianBlur(cv::Mat(4, 4, CV_8UC1), ours, k, line), cv::Exception);
}

TEST(MaxFilterTest, IsOpenCvsDilation) {
  cv::Mat tmp;
  uint64_t seed = 100;
  for (int radius : {0, 1, 2, 3}) {
    for (cv::Size size : kSizes) {
      cv::RNG rng(seed++);
      cv::Mat src(size, CV_8UC1);
      rng.fill(src, cv::RNG::UNIFORM, 0, 256);
      cv::threshold(src, src, 240, 255, cv::THRESH_TOZERO);  // sparse, like a clip mask
      cv::Mat ours, ref;
      MaxFilter(src, ours, radius, tmp);
      cv::dilate(src, ref, cv::Mat(), cv::Point(-1, -1), radius);
      EXPECT_EQ(cv::norm(ours, ref, cv::NORM_INF), 0) << "radius " << radius << ", " << Name(size);
      cv::Mat in_place = src.clone();
      MaxFilter(in_place, in_place, radius, tmp);
      EXPECT_EQ(cv::norm(in_place, ref, cv::NORM_INF), 0) << "in place, " << Name(size);
    }
  }
}

TEST(SlidingMinMaxTest, AreExactWindowMinAndMax) {
  cv::RNG rng(5);
  for (int window : {1, 2, 3, 4, 5, 7, 8, 9, 16, 21, 33, 255}) {
    for (int n : {1, 2, 7, 64, 512}) {
      const int len = n + window - 1;
      std::vector<float> in(static_cast<size_t>(len)), tmp(2 * in.size());
      for (float& v : in) v = rng.uniform(-10.f, 10.f);
      std::vector<float> lo(static_cast<size_t>(n)), hi(lo.size());
      SlidingMin(in.data(), n, window, tmp.data(), lo.data());
      SlidingMax(in.data(), n, window, tmp.data(), hi.data());
      for (int j = 0; j < n; ++j) {
        const auto first = in.begin() + j, last = first + window;
        ASSERT_EQ(lo[static_cast<size_t>(j)], *std::min_element(first, last))
            << "window " << window << ", n " << n << ", j " << j;
        ASSERT_EQ(hi[static_cast<size_t>(j)], *std::max_element(first, last))
            << "window " << window << ", n " << n << ", j " << j;
      }
    }
  }
}

// Source positions that wander a few pixels beyond every edge of a `source`-sized image.
void RandomMaps(cv::Size out, cv::Size source, uint64_t seed, cv::Mat& mx, cv::Mat& my) {
  cv::RNG rng(seed);
  mx.create(out, CV_32F);
  my.create(out, CV_32F);
  rng.fill(mx, cv::RNG::UNIFORM, -3.0, source.width + 3.0);
  rng.fill(my, cv::RNG::UNIFORM, -3.0, source.height + 3.0);
  mx.at<float>(0, 0) = -1.0f + 1.0f / 64;  // halfway between two quantisation steps
  my.at<float>(0, 0) = 0.5f;
}

// Within 2 ulp of std::log over every binade the roughness reaches (0.05 up) and beyond, on
// mantissas either side of sqrt(1/2), where the polynomial's range turns; in place as well.
TEST(LogOffsetTest, IsStdLogWithinTwoUlp) {
  std::vector<float> in;
  for (float x = 1e-3f; x < 1e6f; x *= 1.0007f) in.push_back(x);
  for (float x : {0.70710677f, 0.70710683f, 1.f, 1.4142135f, 2.f, 0.5f}) in.push_back(x - 0.05f);
  std::vector<float> out(in.size());
  LogOffset(in.data(), 0.05f, static_cast<int>(in.size()), out.data());
  for (size_t i = 0; i < in.size(); ++i) {
    const float want = std::log(in[i] + 0.05f);
    const float ulp = std::nextafter(std::abs(want), INFINITY) - std::abs(want);
    ASSERT_LE(std::abs(out[i] - want), 2 * ulp + 1e-30f) << in[i];
  }
  std::vector<float> same = in;
  LogOffset(same.data(), 0.05f, static_cast<int>(same.size()), same.data());
  EXPECT_EQ(same, out);
}

TEST(ShrinkBlocksTest, MatchesOpenCvAreaResize) {
  uint64_t seed = 31;
  for (const auto& [size, factor] : std::vector<std::pair<cv::Size, int>>{
           {{320, 320}, 8}, {{96, 40}, 8}, {{33, 21}, 3}, {{7, 5}, 1}}) {
    const cv::Mat src = RandomFloat(size, seed++);
    cv::Mat ours, ref;
    ShrinkBlocks(src, factor, ours);
    cv::resize(src, ref, cv::Size(), 1.0 / factor, 1.0 / factor, cv::INTER_AREA);
    ASSERT_EQ(ours.size(), ref.size()) << size << " / " << factor;
    EXPECT_LE(cv::norm(ours, ref, cv::NORM_INF), 1e-5) << size << " / " << factor;
  }
}

TEST(ShrinkBlocksTest, PartialBlocksAverageWhatIsLeft) {
  const cv::Mat src = RandomFloat({13, 10}, 5);  // 4 x 4 blocks of 4: the last ones are partial
  cv::Mat ours;
  ShrinkBlocks(src, 4, ours);
  ASSERT_EQ(ours.size(), cv::Size(4, 3));
  EXPECT_NEAR(ours.at<float>(2, 3), cv::mean(src(cv::Rect(12, 8, 1, 2)))[0], 1e-5);
  EXPECT_NEAR(ours.at<float>(0, 1), cv::mean(src(cv::Rect(4, 0, 4, 4)))[0], 1e-5);
}

TEST(ExpandBilinearTest, MatchesOpenCvLinearResize) {
  uint64_t seed = 41;
  std::vector<float> taps;
  for (const auto& [small, factor] : std::vector<std::pair<cv::Size, int>>{
           {{40, 40}, 8}, {{12, 5}, 8}, {{9, 7}, 3}, {{1, 4}, 2}, {{6, 6}, 1}}) {
    const cv::Mat src = RandomFloat(small, seed++, -5, 5);
    const cv::Size size(small.width * factor, small.height * factor);
    cv::Mat ours, ref;
    ExpandBilinear(src, factor, size, ours, taps);
    cv::resize(src, ref, size, 0, 0, cv::INTER_LINEAR);
    EXPECT_LE(cv::norm(ours, ref, cv::NORM_INF), 1e-4) << small << " x " << factor;
  }
}

TEST(ExpandBilinearTest, CoversSizesThatAreNoMultipleAndKeepsAConstant) {
  const cv::Mat src(3, 5, CV_32F, cv::Scalar(2.5f));
  std::vector<float> taps;
  cv::Mat out;
  ExpandBilinear(src, 8, {37, 17}, out, taps);  // ceil(37 / 8) = 5, ceil(17 / 8) = 3
  ASSERT_EQ(out.size(), cv::Size(37, 17));
  EXPECT_LE(cv::norm(out - 2.5, cv::NORM_INF), 1e-6);
  EXPECT_THROW(ExpandBilinear(src, 8, {41, 17}, out, taps), cv::Exception) << "6 blocks, not 5";
}

TEST(RemapTableTest, MatchesOpenCvRemap) {
  uint64_t seed = 200;
  for (cv::Size source : kSizes) {
    for (RemapBorder border : {RemapBorder::kReplicate, RemapBorder::kZero}) {
      const cv::Mat src = RandomFloat(source, seed++, -5, 5);
      cv::Mat mx, my;
      RandomMaps({37, 23}, source, seed++, mx, my);
      const RemapTable table(mx, my, source, border);
      cv::Mat padded, ours, ref;
      table.Pad(src, padded);
      ASSERT_EQ(padded.size(), table.padded_size());
      table.Apply(padded, ours);
      const int cv_border =
          border == RemapBorder::kZero ? cv::BORDER_CONSTANT : cv::BORDER_REPLICATE;
      cv::remap(src, ref, mx, my, cv::INTER_LINEAR, cv_border, cv::Scalar(0));
      ASSERT_EQ(ours.size(), mx.size());
      EXPECT_LE(cv::norm(ours, ref, cv::NORM_INF), 1e-5)
          << Name(source) << (border == RemapBorder::kZero ? " zero" : " replicate");
    }
  }
}

// Two sources in one pass give what two passes give, bit for bit, with the scale folded in.
TEST(RemapTableTest, ApplyTwoIsTwoApplies) {
  uint64_t seed = 900;
  for (cv::Size source : kSizes) {
    for (RemapBorder border : {RemapBorder::kReplicate, RemapBorder::kZero}) {
      cv::Mat mx, my;
      RandomMaps({29, 31}, source, seed++, mx, my);
      const RemapTable table(mx, my, source, border);
      cv::Mat a, b, one, two, both1, both2;
      table.Pad(RandomFloat(source, seed++, -5, 5), a);
      table.Pad(RandomFloat(source, seed++, -5, 5), b);
      table.Apply(a, one, 0.75f);
      table.Apply(b, two, 0.75f);
      table.Apply2(a, b, both1, both2, 0.75f);
      EXPECT_EQ(cv::norm(one, both1, cv::NORM_INF), 0) << source;
      EXPECT_EQ(cv::norm(two, both2, cv::NORM_INF), 0) << source;
      EXPECT_THROW(table.Apply2(a, b, both1, both1), cv::Exception) << "one output for both";
    }
  }
}

TEST(RemapTableTest, FillFrameServesCallersThatWriteTheInterior) {
  const cv::Size source(9, 6);
  const cv::Mat src = RandomFloat(source, 9);
  cv::Mat mx, my;
  RandomMaps({16, 16}, source, 10, mx, my);
  for (RemapBorder border : {RemapBorder::kReplicate, RemapBorder::kZero}) {
    const RemapTable table(mx, my, source, border);
    cv::Mat a, b, out_a, out_b;
    table.Pad(src, a);
    b = cv::Mat(table.padded_size(), CV_32F, cv::Scalar(123));  // stale frame
    src.copyTo(b(cv::Rect(1, 1, source.width, source.height)));
    table.FillFrame(b);
    table.Apply(a, out_a);
    table.Apply(b, out_b);
    EXPECT_EQ(cv::norm(out_a, out_b, cv::NORM_INF), 0);
  }
}

TEST(RemapTableTest, WrongInputIsRefused) {
  cv::Mat mx, my;
  RandomMaps({8, 8}, {8, 8}, 11, mx, my);
  const RemapTable table(mx, my, {8, 8}, RemapBorder::kZero);
  cv::Mat out, padded;
  EXPECT_THROW(table.Pad(cv::Mat(7, 8, CV_32F), padded), cv::Exception);
  EXPECT_THROW(table.Apply(cv::Mat(8, 8, CV_32F), out), cv::Exception) << "not padded";
  EXPECT_THROW(RemapTable(mx, my(cv::Rect(0, 0, 4, 4)), {8, 8}, RemapBorder::kZero), cv::Exception);
}

}  // namespace
}  // namespace linesight
