// Tests of die-crack veins in the renderer (PartRenderer::Render with DieVein, PaintDieVein) and
// of RenderShot (sim/cell.h).
#include <cmath>
#include <cstdio>
#include <vector>

#include <gtest/gtest.h>
#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include "sim/cell.h"
#include "sim/part_renderer.h"

namespace linesight::sim {
namespace {

constexpr double kPi = 3.14159265358979323846;

DieVein TestVein(double length) { return {{0.55, 0.25}, 2.0, length, 1234}; }

// Centroid of the mask in part coordinates (fractions of the radius, part frame).
cv::Point2d PartCentroid(const RenderedPart& part) {
  const cv::Moments m = cv::moments(part.mask, true);
  EXPECT_GT(m.m00, 0);
  const cv::Point2d p(m.m10 / m.m00 - part.centre.x, m.m01 / m.m00 - part.centre.y);
  const double a = -part.rotation_deg * kPi / 180;
  return cv::Point2d(p.x * std::cos(a) - p.y * std::sin(a), p.x * std::sin(a) + p.y * std::cos(a)) /
         part.radius;
}

TEST(DieVein, SitsAtTheSamePlaceOfEveryPartAndTurnsWithIt) {
  const PartRenderer renderer;
  const std::vector<DieVein> veins{TestVein(30)};
  const RenderedPart a = renderer.Render(11, {}, veins);
  const RenderedPart b = renderer.Render(12, {}, veins);
  ASSERT_GT(std::abs(a.rotation_deg - b.rotation_deg), 20) << "pick seeds with different poses";
  const cv::Point2d ca = PartCentroid(a), cb = PartCentroid(b);
  EXPECT_NEAR(ca.x, cb.x, 0.02);
  EXPECT_NEAR(ca.y, cb.y, 0.02);
  // Near its start, about half its length along its heading.
  EXPECT_NEAR(std::hypot(ca.x - 0.55, ca.y - 0.25), 15.0 / 120, 0.06);
  ASSERT_EQ(a.defects.size(), 1u);
  EXPECT_EQ(a.defects[0], DefectType::kDieVein);
}

TEST(DieVein, LongerVeinExtendsTheShorterOne) {
  const PartRenderer renderer;
  const std::vector<DieVein> short_vein{TestVein(15)}, long_vein{TestVein(45)};
  const RenderedPart s = renderer.Render(5, {}, short_vein);
  const RenderedPart l = renderer.Render(5, {}, long_vein);
  const int short_area = cv::countNonZero(s.mask), long_area = cv::countNonZero(l.mask);
  EXPECT_GT(long_area, 2 * short_area);
  cv::Mat both = s.mask & l.mask;
  EXPECT_GE(cv::countNonZero(both), short_area * 95 / 100);
}

TEST(DieVein, IsAThinRaisedRidgeAndLeavesTheRestOfThePartAlone) {
  const PartRenderer renderer;
  const RenderedPart good = renderer.Render(21);
  const std::vector<DieVein> veins{TestVein(40)};
  const RenderedPart bad = renderer.Render(21, {}, veins);
  cv::Mat diff;
  cv::absdiff(good.image, bad.image, diff);
  diff.setTo(0, bad.mask);
  EXPECT_EQ(cv::countNonZero(diff), 0) << "outside its mask the vein changes nothing";
  int brighter = 0, darker = 0;
  for (int y = 0; y < bad.mask.rows; ++y) {
    for (int x = 0; x < bad.mask.cols; ++x) {
      if (!bad.mask.at<uint8_t>(y, x)) continue;
      const int d = bad.image.at<uint8_t>(y, x) - good.image.at<uint8_t>(y, x);
      brighter += d > 10;
      darker += d < -10;
    }
  }
  EXPECT_GT(brighter, 10) << "its lit side and top are bright";
  EXPECT_GT(darker, 3) << "its far side is in shadow";
  // 1-3 px of clearly changed pixels across; the mask adds the anti-aliased fringe and one
  // pixel each side (shading reads the neighbours' heights).
  const double visible_width = (brighter + darker) / 40.0;
  EXPECT_GT(visible_width, 1.0);
  EXPECT_LT(visible_width, 3.0);
  EXPECT_LT(cv::countNonZero(bad.mask) / 40.0, 10.0);
  std::printf("vein 40 px: %.2f px visible width, %.2f px mask width\n", visible_width,
              cv::countNonZero(bad.mask) / 40.0);
}

TEST(DieVein, ZeroLengthDrawsNothingAndNamesRoundTrip) {
  const PartRenderer renderer;
  const std::vector<DieVein> none{TestVein(0)};
  const RenderedPart part = renderer.Render(3, {}, none);
  EXPECT_EQ(cv::countNonZero(part.mask), 0);
  EXPECT_TRUE(part.defects.empty());
  EXPECT_EQ(DefectName(DefectType::kDieVein), "die_vein");
  EXPECT_EQ(ParseDefectType("die_vein"), DefectType::kDieVein);
  const std::vector<DefectType> random{DefectType::kDieVein};
  EXPECT_GT(cv::countNonZero(renderer.Render(3, random).mask), 20) << "placed at random";
}

TEST(RenderShot, DrawsTheTruthsDefectsAndTheVein) {
  const PartRenderer renderer;
  CellShot shot;
  shot.render_seed = 99;
  EXPECT_EQ(cv::norm(RenderShot(renderer, shot).image, renderer.Render(99).image, cv::NORM_INF), 0);
  shot.truth.defects.push_back({DefectType::kColdShut, Cause::kColdMetal});
  shot.truth.defects.push_back({DefectType::kPinHole, Cause::kPoorVacuum});
  const DieVein vein = TestVein(20);
  shot.truth.defects.push_back({DefectType::kDieVein, Cause::kDieCrack, vein.at, vein.length});
  shot.veins.push_back(vein);
  const RenderedPart part = RenderShot(renderer, shot);
  ASSERT_EQ(part.defects.size(), 3u);
  EXPECT_EQ(part.defects[0], DefectType::kColdShut);
  EXPECT_EQ(part.defects[1], DefectType::kPinHole);
  EXPECT_EQ(part.defects[2], DefectType::kDieVein);
  const std::vector<DefectType> types{DefectType::kColdShut, DefectType::kPinHole};
  const std::vector<DieVein> veins{vein};
  EXPECT_EQ(cv::norm(part.mask, renderer.Render(99, types, veins).mask, cv::NORM_INF), 0);
}

}  // namespace
}  // namespace linesight::sim
