#include "sim/part_renderer.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include "core/error.h"

namespace linesight::sim {
namespace {

bool SameBytes(const cv::Mat& a, const cv::Mat& b) {
  return a.size() == b.size() && a.type() == b.type() && cv::norm(a, b, cv::NORM_INF) == 0;
}

RenderedPart RenderWith(const PartRenderer& renderer, uint64_t seed, DefectType type) {
  return renderer.Render(seed, std::span<const DefectType>(&type, 1));
}

// Pixels whose distance from the part centre, as a fraction of its radius, lies in [lo, hi).
cv::Mat Annulus(const RenderedPart& part, double lo, double hi) {
  cv::Mat out = cv::Mat::zeros(part.image.size(), CV_8UC1);
  for (int y = 0; y < out.rows; ++y) {
    for (int x = 0; x < out.cols; ++x) {
      const double r = std::hypot(x - part.centre.x, y - part.centre.y) / part.radius;
      if (r >= lo && r < hi) out.at<uint8_t>(y, x) = 255;
    }
  }
  return out;
}

// Smallest and largest distance of the mask pixels from the centre, in part radii.
std::pair<double, double> MaskRadii(const RenderedPart& part) {
  double lo = std::numeric_limits<double>::max(), hi = 0;
  for (int y = 0; y < part.mask.rows; ++y) {
    for (int x = 0; x < part.mask.cols; ++x) {
      if (part.mask.at<uint8_t>(y, x) == 0) continue;
      const double r = std::hypot(x - part.centre.x, y - part.centre.y) / part.radius;
      lo = std::min(lo, r);
      hi = std::max(hi, r);
    }
  }
  return {lo, hi};
}

TEST(DefectNames, RoundTrip) {
  std::vector<std::string> seen;
  for (DefectType type : AllDefectTypes()) {
    const std::string_view name = DefectName(type);
    EXPECT_EQ(ParseDefectType(name), type) << name;
    seen.emplace_back(name);
  }
  std::sort(seen.begin(), seen.end());
  EXPECT_EQ(std::unique(seen.begin(), seen.end()), seen.end()) << "names must be unique";
  EXPECT_EQ(DefectName(DefectType::kBlowHole), "blow_hole");
  EXPECT_EQ(DefectName(DefectType::kColdShut), "cold_shut");
}

TEST(DefectNames, AllTypesInEnumOrder) {
  const std::span<const DefectType> all = AllDefectTypes();
  ASSERT_EQ(all.size(), 6u);
  for (size_t i = 0; i < all.size(); ++i)
    EXPECT_EQ(static_cast<int>(all[i]), static_cast<int>(i) + 1);
}

TEST(DefectNames, UnknownNamesAreRejected) {
  EXPECT_EQ(ParseDefectType(""), std::nullopt);
  EXPECT_EQ(ParseDefectType("Crack"), std::nullopt);
  EXPECT_EQ(ParseDefectType("crack "), std::nullopt);
  EXPECT_EQ(ParseDefectType("scratch"), std::nullopt);
  EXPECT_EQ(DefectName(static_cast<DefectType>(0)), "unknown");
}

TEST(PartRenderer, OutputShapeAndTypes) {
  const PartRenderer renderer;
  const RenderedPart part = renderer.Render(1);
  EXPECT_EQ(part.image.type(), CV_8UC1);
  EXPECT_EQ(part.mask.type(), CV_8UC1);
  EXPECT_EQ(part.image.size(), cv::Size(300, 300));
  EXPECT_EQ(part.mask.size(), cv::Size(300, 300));
  EXPECT_TRUE(part.defects.empty());

  RenderOptions small;
  small.size = 128;
  small.max_shift_px = 3;
  const RenderedPart tiny = PartRenderer(small).Render(1);
  EXPECT_EQ(tiny.image.size(), cv::Size(128, 128));
}

TEST(PartRenderer, SameSeedGivesSameBytes) {
  const PartRenderer renderer;
  const std::vector<DefectType> defects{DefectType::kCrack, DefectType::kFlash};
  const RenderedPart a = renderer.Render(77, defects);
  renderer.Render(78, {});  // reuses the thread's scratch planes in between
  const RenderedPart b = renderer.Render(77, defects);
  EXPECT_TRUE(SameBytes(a.image, b.image));
  EXPECT_TRUE(SameBytes(a.mask, b.mask));
  EXPECT_EQ(a.centre, b.centre);
  EXPECT_EQ(a.radius, b.radius);
  EXPECT_EQ(a.rotation_deg, b.rotation_deg);

  // Another renderer, another image size in between, another thread: still the same bytes.
  RenderOptions other;
  other.size = 200;
  other.max_shift_px = 4;
  PartRenderer(other).Render(77, defects);
  RenderedPart c;
  std::thread([&] { c = PartRenderer().Render(77, defects); }).join();
  EXPECT_TRUE(SameBytes(a.image, c.image));
  EXPECT_TRUE(SameBytes(a.mask, c.mask));
}

TEST(PartRenderer, DifferentSeedsDiffer) {
  const PartRenderer renderer;
  const RenderedPart a = renderer.Render(1), b = renderer.Render(2);
  EXPECT_FALSE(SameBytes(a.image, b.image));
  EXPECT_NE(a.centre, b.centre);
  EXPECT_NE(a.rotation_deg, b.rotation_deg);
}

TEST(PartRenderer, GoodPartsHaveEmptyMasks) {
  const PartRenderer renderer;
  for (uint64_t seed = 100; seed < 120; ++seed) {
    const RenderedPart part = renderer.Render(seed);
    EXPECT_EQ(cv::countNonZero(part.mask), 0) << "seed " << seed;
    EXPECT_TRUE(part.defects.empty());
  }
}

TEST(PartRenderer, PoseStaysWithinOptions) {
  const RenderOptions options;
  const PartRenderer renderer(options);
  const double mid = (options.size - 1) / 2.0;
  const double nominal = options.part_radius * options.size;
  double min_rot = 1e9, max_rot = -1e9;
  for (uint64_t seed = 0; seed < 30; ++seed) {
    const RenderedPart part = renderer.Render(seed);
    EXPECT_LE(std::abs(part.centre.x - mid), options.max_shift_px);
    EXPECT_LE(std::abs(part.centre.y - mid), options.max_shift_px);
    EXPECT_LE(std::abs(part.radius / nominal - 1), options.max_scale + 1e-12);
    EXPECT_LE(std::abs(part.rotation_deg), options.max_rotation_deg + 1e-9);
    min_rot = std::min(min_rot, part.rotation_deg);
    max_rot = std::max(max_rot, part.rotation_deg);
  }
  EXPECT_LT(min_rot, 0);
  EXPECT_GT(max_rot, 0);
}

TEST(PartRenderer, NoVariationGivesNominalPose) {
  RenderOptions options;
  options.max_shift_px = 0;
  options.max_scale = 0;
  options.max_rotation_deg = 0;
  const RenderedPart part = PartRenderer(options).Render(12345);
  EXPECT_EQ(part.centre, cv::Point2d(149.5, 149.5));
  EXPECT_DOUBLE_EQ(part.radius, 120.0);
  EXPECT_EQ(part.rotation_deg, 0.0);
}

TEST(PartRenderer, PartWhereThePoseSaysAndDarkerThanTheTable) {
  const PartRenderer renderer;
  for (uint64_t seed = 200; seed < 210; ++seed) {
    const RenderedPart part = renderer.Render(seed);
    const double bore = cv::mean(part.image, Annulus(part, 0, 0.10))[0];
    const double hub = cv::mean(part.image, Annulus(part, 0.19, 0.26))[0];
    const double face = cv::mean(part.image, Annulus(part, 0.40, 0.85))[0];
    const double background = cv::mean(part.image, Annulus(part, 1.15, 10))[0];
    EXPECT_GT(background, face + 30) << "a bright table, as under the real castings, seed " << seed;
    EXPECT_LT(bore, face - 40) << "seed " << seed;
    EXPECT_LT(bore, 45) << "seed " << seed;
    EXPECT_GT(hub, face + 15) << "machined hub is brighter, seed " << seed;

    // The outline of the part, darker than the table, is the circle the pose describes, give or
    // take the rounded rim edge and the contact shadow (up to ~2 px).
    const cv::Mat dark = part.image < (face + background) / 2;
    std::vector<std::vector<cv::Point>> contours;
    cv::findContours(dark, contours, cv::RETR_EXTERNAL, cv::CHAIN_APPROX_NONE);
    ASSERT_FALSE(contours.empty());
    const auto outline = std::max_element(
        contours.begin(), contours.end(),
        [](const auto& a, const auto& b) { return cv::contourArea(a) < cv::contourArea(b); });
    const cv::Moments m = cv::moments(*outline);
    EXPECT_NEAR(m.m10 / m.m00, part.centre.x, 2.5) << "seed " << seed;
    EXPECT_NEAR(m.m01 / m.m00, part.centre.y, 2.5) << "seed " << seed;
    EXPECT_NEAR(std::sqrt(m.m00 / CV_PI), part.radius, 3.0) << "seed " << seed;
  }
}

TEST(PartRenderer, ExposureVariesAcrossSeeds) {
  const PartRenderer renderer;
  double lo = 255, hi = 0;
  for (uint64_t seed = 300; seed < 320; ++seed) {
    const double mean = cv::mean(renderer.Render(seed).image)[0];
    lo = std::min(lo, mean);
    hi = std::max(hi, mean);
  }
  EXPECT_GT(hi - lo, 20) << "means " << lo << ".." << hi;

  RenderOptions fixed;
  fixed.exposure_range = 0;
  fixed.gamma_range = 0;
  fixed.lighting_gradient = 0;
  const PartRenderer steady(fixed);
  double steady_lo = 255, steady_hi = 0;
  for (uint64_t seed = 300; seed < 320; ++seed) {
    const double mean = cv::mean(steady.Render(seed).image)[0];
    steady_lo = std::min(steady_lo, mean);
    steady_hi = std::max(steady_hi, mean);
  }
  EXPECT_LT(steady_hi - steady_lo, (hi - lo) / 3);
}

TEST(PartRenderer, EachDefectHasAPlausibleMaskOnThePart) {
  const PartRenderer renderer;
  for (DefectType type : AllDefectTypes()) {
    const bool on_rim = type == DefectType::kFlash || type == DefectType::kEdgeChip;
    for (uint64_t seed = 400; seed < 406; ++seed) {
      const RenderedPart part = RenderWith(renderer, seed, type);
      SCOPED_TRACE(std::string(DefectName(type)) + " seed " + std::to_string(seed));
      ASSERT_EQ(part.defects, std::vector<DefectType>{type});
      const int area = cv::countNonZero(part.mask);
      EXPECT_GE(area, 20);    // at least a few pits' worth
      EXPECT_LE(area, 1200);  // well under 2% of the image
      const auto [lo, hi] = MaskRadii(part);
      if (on_rim) {
        EXPECT_GT(lo, 0.80);
        EXPECT_LT(hi, 1.0 + 12 / part.radius);
        EXPECT_GT(hi, 0.98);  // reaches the rim
      } else {
        EXPECT_GT(lo, 0.30);  // on the as-cast face, off the hub
        EXPECT_LT(hi, 0.93);
      }
    }
  }
}

// A defect must be visible: the same seed without it differs inside the mask, clearly, and
// nowhere else (so the mask covers every pixel the defect touched).
TEST(PartRenderer, DefectsChangeOnlyTheirMaskAndVisibly) {
  const PartRenderer renderer;
  for (DefectType type : AllDefectTypes()) {
    for (uint64_t seed = 500; seed < 505; ++seed) {
      SCOPED_TRACE(std::string(DefectName(type)) + " seed " + std::to_string(seed));
      const RenderedPart good = renderer.Render(seed);
      const RenderedPart bad = RenderWith(renderer, seed, type);
      cv::Mat diff;
      cv::absdiff(good.image, bad.image, diff);
      const cv::Mat outside = bad.mask == 0;
      const double inside_mean = cv::mean(diff, bad.mask)[0];
      const double outside_mean = cv::mean(diff, outside)[0];
      EXPECT_GT(inside_mean, 8.0);
      EXPECT_GT(inside_mean, 20 * outside_mean + 1);
      EXPECT_EQ(cv::countNonZero(diff & outside), 0);
    }
  }
}

// Defect sizes scale with the image, so every defect fits and shows at any supported size.
TEST(PartRenderer, DefectsScaleWithImageSize) {
  for (const int size : {64, 600}) {
    RenderOptions options;
    options.size = size;
    const PartRenderer renderer(options);
    const double scale2 = (size / 300.0) * (size / 300.0);
    for (DefectType type : AllDefectTypes()) {
      SCOPED_TRACE(std::string(DefectName(type)) + " size " + std::to_string(size));
      const RenderedPart part = RenderWith(renderer, 700, type);
      EXPECT_EQ(part.image.size(), cv::Size(size, size));
      const int area = cv::countNonZero(part.mask);
      EXPECT_GE(area, 6);
      EXPECT_LE(area, 1200 * scale2 + 60);
      const auto [lo, hi] = MaskRadii(part);
      EXPECT_GT(lo, 0.25);
      EXPECT_LT(hi, 1.2);
    }
  }
}

TEST(PartRenderer, SeveralDefectsAtOnce) {
  const PartRenderer renderer;
  const std::vector<DefectType> defects{DefectType::kBlowHole, DefectType::kEdgeChip,
                                        DefectType::kBlowHole};
  const RenderedPart part = renderer.Render(600, defects);
  EXPECT_EQ(part.defects, defects);
  int single = 0;
  for (DefectType type : defects) single += cv::countNonZero(RenderWith(renderer, 600, type).mask);
  EXPECT_GT(cv::countNonZero(part.mask), single / 2);
  // The same defect twice lands in two places.
  const RenderedPart twice =
      renderer.Render(601, std::vector<DefectType>(2, DefectType::kBlowHole));
  EXPECT_GT(cv::countNonZero(twice.mask),
            cv::countNonZero(RenderWith(renderer, 601, DefectType::kBlowHole).mask));
}

TEST(PartRenderer, VaneCountChangesTheDesign) {
  RenderOptions plain, many;
  plain.vanes = 0;
  many.vanes = 12;
  const RenderedPart a = PartRenderer(plain).Render(7), b = PartRenderer(many).Render(7);
  EXPECT_FALSE(SameBytes(a.image, b.image));
  EXPECT_EQ(a.centre, b.centre);
}

TEST(PartRenderer, UnknownDefectTypeThrows) {
  const PartRenderer renderer;
  EXPECT_THROW(RenderWith(renderer, 1, static_cast<DefectType>(99)), Error);
}

TEST(PartRenderer, RejectsOptionsOutOfRange) {
  const auto rejects = [](auto change) {
    RenderOptions options;
    change(options);
    try {
      PartRenderer renderer(options);
    } catch (const Error& e) {
      return e.category() == ErrorCategory::kInput;
    }
    return false;
  };
  EXPECT_TRUE(rejects([](RenderOptions& o) { o.size = 16; }));
  EXPECT_TRUE(rejects([](RenderOptions& o) { o.vanes = -1; }));
  EXPECT_TRUE(rejects([](RenderOptions& o) { o.part_radius = 0.6; }));
  EXPECT_TRUE(rejects([](RenderOptions& o) { o.max_shift_px = 80; }));
  EXPECT_TRUE(rejects([](RenderOptions& o) { o.max_scale = -0.1; }));
  EXPECT_TRUE(rejects([](RenderOptions& o) { o.exposure_range = 1.5; }));
  EXPECT_TRUE(rejects([](RenderOptions& o) { o.gamma_range = -0.1; }));
  EXPECT_TRUE(rejects([](RenderOptions& o) { o.noise_sigma = std::nan(""); }));
  EXPECT_TRUE(rejects([](RenderOptions& o) { o.lighting_gradient = 2; }));
  EXPECT_FALSE(rejects([](RenderOptions&) {}));
}

}  // namespace
}  // namespace linesight::sim
