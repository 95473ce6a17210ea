// fuzz/image_loader_fuzz.cpp: libFuzzer target for the image loader. Any bytes given to
// DecodeGrey must either decode to an 8-bit single-channel image of the size ProbeImage reads
// from the header, or throw linesight::Error. Anything else (a crash, a sanitizer report, another
// exception type escaping, a wrong result) is a bug in src/. See fuzz/README.md.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <span>

#include <opencv2/core.hpp>

#include "core/error.h"
#include "vision/image_io.h"

namespace {

[[noreturn]] void Violation(const char* what) {
  std::fprintf(stderr, "image_loader_fuzz: contract violated: %s\n", what);
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  cv::setNumThreads(1);  // keep each run on the fuzzer's thread: simpler stacks, steadier timing
  return 0;
}

// Other exception types are deliberately not caught: they reach std::terminate while the
// throwing frame is still on the stack, so the crash report shows where they came from.
extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::span<const uint8_t> bytes(data, size);
  cv::Mat grey;
  try {
    grey = linesight::DecodeGrey(bytes, "fuzz-input");
  } catch (const linesight::Error&) {
    return 0;  // refused cleanly
  }
  linesight::ImageInfo info;
  try {
    info = linesight::ProbeImage(bytes, "fuzz-input");
  } catch (const linesight::Error&) {
    Violation("DecodeGrey accepted bytes that ProbeImage refuses");
  }
  if (grey.empty()) Violation("DecodeGrey returned an empty image");
  if (grey.type() != CV_8UC1) Violation("DecodeGrey returned an image that is not CV_8UC1");
  if (grey.cols != info.width || grey.rows != info.height)
    Violation("DecodeGrey returned a size that differs from ProbeImage");
  return 0;
}
