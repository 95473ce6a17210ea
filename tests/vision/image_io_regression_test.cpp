// Regression tests for image-loader bugs found by fuzzing (fuzz/image_loader_fuzz.cpp).
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "core/error.h"
#include "vision/image_io.h"

namespace linesight {
namespace {

// A file that starts like PNG (or PNM) but fails OpenCV's own signature check, with a DICOM
// marker at byte 128: OpenCV would hand it to GDCM, which aborts the process. It must be
// refused as a bad image instead.
std::vector<uint8_t> DicomBait(const std::string& head) {
  std::vector<uint8_t> b(200, 0);
  for (size_t i = 0; i < head.size(); ++i) b[i] = static_cast<uint8_t>(head[i]);
  b[128] = 'D';
  b[129] = 'I';
  b[130] = 'C';
  b[131] = 'M';
  return b;
}

TEST(ImageIoRegression, PngPrefixWithoutFullSignatureIsRefused) {
  auto bytes = DicomBait(std::string("\x89PNG\x00\x00\x00\x00", 8));
  EXPECT_THROW(DecodeGrey(bytes, "bait.png"), Error);
}

TEST(ImageIoRegression, PnmWithoutWhitespaceAfterMagicIsRefused) {
  auto bytes = DicomBait("P5#comment\n2 2\n255\n");
  EXPECT_THROW(DecodeGrey(bytes, "bait.pgm"), Error);
}

TEST(ImageIoRegression, FuzzFindingsAreRefusedWithoutAborting) {
  // Whatever the fuzzer saved must end as an Error or a valid image, never a crash.
  for (const char* head : {"\x89PNG\r\n\x1a\n", "P5 2 2 255 ", "BM"}) {
    auto bytes = DicomBait(head);
    try {
      cv::Mat m = DecodeGrey(bytes, "bait");
      EXPECT_EQ(m.type(), CV_8UC1);
    } catch (const Error& e) {
      EXPECT_EQ(e.category(), ErrorCategory::kImage);
    }
  }
}

}  // namespace
}  // namespace linesight
