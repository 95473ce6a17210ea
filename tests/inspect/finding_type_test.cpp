// Tests inspect/finding_type.h: each rule of TypeOfFinding on shapes built to meet it, the PLC
// codes, and that measuring reads the finding's core and its stray pixels' shape.
#include "inspect/finding_type.h"

#include <cmath>
#include <numbers>

#include <gtest/gtest.h>

#include <opencv2/core.hpp>

namespace linesight {
namespace {

FindingShape Shape(double radius, double outer, double length, double width, double fill,
                   double dark, double bright) {
  FindingShape s;
  s.area = 50;
  s.stray = 40;
  s.radius = radius, s.outer = outer;
  s.length = length, s.width = width, s.fill = fill;
  s.dark = dark, s.bright = bright;
  return s;
}

TEST(FindingType, AtTheRimMetalBeyondTheOutlineIsFlashAndMetalMissingAChip) {
  EXPECT_EQ(TypeOfFinding(Shape(1.04, 1.12, 0.3, 0.15, 0.9, 10, 5)), "flash");
  EXPECT_EQ(TypeOfFinding(Shape(0.98, 1.02, 0.3, 0.15, 0.9, 10, 5)), "edge_chip");
  // Polarity does not decide at the rim: its own edge gives both signs.
  EXPECT_EQ(TypeOfFinding(Shape(1.04, 1.12, 0.3, 0.15, 0.9, 1, 10)), "flash");
  // Near the rim but not reaching it: judged as any other finding.
  EXPECT_EQ(TypeOfFinding(Shape(0.91, 0.95, 0.1, 0.09, 0.95, 10, 1)), "blow_hole");
}

TEST(FindingType, LongFindingsAreCracksWhenDarkerAndRaisedLinesWhenBrighter) {
  EXPECT_EQ(TypeOfFinding(Shape(0.5, 0.6, 0.4, 0.05, 0.3, 10, 3)), "crack");
  EXPECT_EQ(TypeOfFinding(Shape(0.5, 0.6, 0.4, 0.05, 0.3, 3, 10)), "raised_line");
  // Not long enough for a line (8% of the rim radius), or not three times its width.
  EXPECT_EQ(TypeOfFinding(Shape(0.5, 0.6, 0.07, 0.02, 0.3, 10, 3)), "pin_hole");
  EXPECT_EQ(TypeOfFinding(Shape(0.5, 0.6, 0.2, 0.1, 0.95, 10, 3)), "blow_hole");
}

TEST(FindingType, ASolidDarkBlobIsABlowHoleAndSmallOrScatteredPitsArePinHoles) {
  EXPECT_EQ(TypeOfFinding(Shape(0.5, 0.6, 0.1, 0.09, 0.97, 10, 1)), "blow_hole");
  EXPECT_EQ(TypeOfFinding(Shape(0.5, 0.6, 0.2, 0.12, 0.3, 10, 1)), "pin_hole");     // a cluster
  EXPECT_EQ(TypeOfFinding(Shape(0.5, 0.6, 0.03, 0.025, 0.97, 10, 1)), "pin_hole");  // one pit
  EXPECT_EQ(TypeOfFinding(Shape(0.5, 0.6, 0.1, 0.09, 0.97, 1, 10)), "anomaly");     // a bright spot
}

TEST(FindingType, NothingMeasuredIsAnAnomaly) {
  EXPECT_EQ(TypeOfFinding(FindingShape()), "anomaly");
  FindingShape s = Shape(0.5, 0.6, 0.1, 0.09, 0.97, 10, 1);
  s.stray = 0;  // the core scored, but no pixel strays far on either side
  EXPECT_EQ(TypeOfFinding(s), "anomaly");
}

TEST(FindingType, PlcCodesFollowTheListAndNeverChange) {
  EXPECT_EQ(FindingTypeCode("anomaly"), 1);
  EXPECT_EQ(FindingTypeCode("flash"), 2);
  EXPECT_EQ(FindingTypeCode("edge_chip"), 3);
  EXPECT_EQ(FindingTypeCode("crack"), 4);
  EXPECT_EQ(FindingTypeCode("raised_line"), 5);
  EXPECT_EQ(FindingTypeCode("pin_hole"), 6);
  EXPECT_EQ(FindingTypeCode("blow_hole"), 7);
  EXPECT_EQ(FindingTypeCode("porosity"), 1);  // unknown: an anomaly
}

TEST(FindingType, APlaceIsReadInThePartsOwnFrameWhateverItsTurn) {
  const cv::Point2d centre(100, 100);
  const double rim = 50, kDeg = std::numbers::pi / 180;
  // A point 0.6 rim radii out at 20 degrees of the part's frame, on a part turned by 100 degrees.
  const auto seen = [&](double part_deg, double turn_deg, int symmetry) {
    const double a = (20 + part_deg) * kDeg;
    return PartFramePlace(centre + 30.0 * cv::Point2d(std::cos(a), std::sin(a)), centre, rim,
                          turn_deg * kDeg, symmetry);
  };
  const cv::Point2d at = seen(100, 100, 1);
  EXPECT_NEAR(at.x, 0.6 * std::cos(20 * kDeg), 1e-9);
  EXPECT_NEAR(at.y, 0.6 * std::sin(20 * kDeg), 1e-9);
  // A six-fold part's turn is known up to 60 degrees: every such reading gives the same place.
  for (double off : {-120.0, 60.0, 240.0}) {
    const cv::Point2d folded = seen(100, 100 + off, 6);
    EXPECT_NEAR(folded.x, at.x, 1e-9) << off;
    EXPECT_NEAR(folded.y, at.y, 1e-9) << off;
  }
  // Without the fold the same readings are other places.
  EXPECT_GT(cv::norm(seen(100, 160, 1) - at), 0.5);
  // Negative angles land in the first repeat too.
  const cv::Point2d low = seen(-30, 0, 6);  // -10 degrees: 50 in the first repeat of 60
  EXPECT_NEAR(std::atan2(low.y, low.x) / kDeg, 50, 1e-9);
}

}  // namespace
}  // namespace linesight
