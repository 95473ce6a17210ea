// io/frame_source.h: where a station's frames come from (a watched folder, a GenICam camera, the
// simulator): one interface, so the line loop does not know which.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include <opencv2/core.hpp>

namespace linesight::io {

// What the station asks for when the PLC triggers a part.
struct CaptureRequest {
  int64_t part_number = 0;   // the PLC's part id (the machine's shot counter)
  std::string view = "top";  // the pose the robot presents
  // When the part's result is due. A source may take the part again (a camera re-triggers a frame
  // that came incomplete) only while a new frame can still come before it; the capture's own
  // timeout still bounds the wait. Never: no retry is cut short by it.
  std::chrono::steady_clock::time_point due = std::chrono::steady_clock::time_point::max();
};

// One captured frame. A camera fills `image` (raw pixels, CV_8UC1 or CV_16UC1); a folder fills
// `encoded` with the file's bytes and `name` with its file name, and the station decodes them
// with the one image loader (vision/image_io.h).
struct Frame {
  cv::Mat image;
  std::vector<uint8_t> encoded;
  std::string name;     // file name or camera id and frame number, for records and logs
  int64_t time_ms = 0;  // UTC ms when the frame was taken (or the file appeared)
};

class FrameSource {
 public:
  virtual ~FrameSource() = default;
  // Captures the frame of the part just triggered, waiting at most `timeout`. Throws
  // linesight::Error (category kIo) naming the cause and the fix when no usable frame comes:
  // camera lost or not answering, timeout, wrong size or pixel format. The station then holds
  // the part (reason "camera") and keeps running. May reconnect a lost camera on the next call.
  virtual Frame Capture(const CaptureRequest& request, std::chrono::milliseconds timeout) = 0;
  // One line for logs and status: "folder /data/cam1", "aravis Fake_1 @ 127.0.0.1", ...
  virtual std::string Describe() const = 0;
};

}  // namespace linesight::io
