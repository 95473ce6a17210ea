// station/sim_camera.h: the simulated camera. The simulated robot presents a rendered part (one
// frame per view) before the PLC triggers; Capture() hands over the frame of the triggered part.
// Without a presented frame it renders one itself if given a renderer, else reports no frame.
#pragma once

#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <utility>

#include "io/frame_source.h"

namespace linesight::station {

class SimCamera : public io::FrameSource {
 public:
  // Renders the frame of a part number and view when none was presented (may be empty).
  using Renderer = std::function<cv::Mat(int64_t part_number, const std::string& view)>;

  explicit SimCamera(std::string name = "sim", Renderer renderer = {});

  // Puts the frame of `part_number` seen from `view` in front of the camera.
  void Present(int64_t part_number, const std::string& view, cv::Mat image);
  // Fault injection: while lost, Capture() throws as a camera that stopped answering does.
  void SetLost(bool lost);

  // Waits up to `timeout` for the presented frame of the request. Throws Error{kIo} when the
  // camera is lost or no frame of that part and view comes in time.
  io::Frame Capture(const io::CaptureRequest& request, std::chrono::milliseconds timeout) override;
  std::string Describe() const override;

 private:
  std::string name_;
  Renderer renderer_;
  std::mutex mu_;
  std::condition_variable presented_;
  std::map<std::pair<int64_t, std::string>, cv::Mat> frames_;
  bool lost_ = false;
};

}  // namespace linesight::station
