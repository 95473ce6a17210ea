#include "station/sim_camera.h"

#include "core/clock.h"
#include "core/error.h"

namespace linesight::station {

SimCamera::SimCamera(std::string name, Renderer renderer)
    : name_(std::move(name)), renderer_(std::move(renderer)) {}

void SimCamera::Present(int64_t part_number, const std::string& view, cv::Mat image) {
  {
    std::lock_guard lock(mu_);
    frames_[{part_number, view}] = std::move(image);
  }
  presented_.notify_all();
}

void SimCamera::SetLost(bool lost) {
  std::lock_guard lock(mu_);
  lost_ = lost;
}

io::Frame SimCamera::Capture(const io::CaptureRequest& request, std::chrono::milliseconds timeout) {
  const auto key = std::make_pair(request.part_number, request.view);
  std::unique_lock lock(mu_);
  if (lost_)
    throw Error(ErrorCategory::kIo, "camera " + name_ + " does not answer",
                "Check the camera's cable and power; the station retries on the next part");
  if (renderer_ && !frames_.count(key)) {
    lock.unlock();
    cv::Mat image = renderer_(request.part_number, request.view);
    lock.lock();
    frames_[key] = std::move(image);
  }
  if (!presented_.wait_for(lock, timeout, [&] { return frames_.count(key) > 0; }))
    throw Error(ErrorCategory::kIo,
                "camera " + name_ + ": no frame of part " + std::to_string(request.part_number) +
                    " (" + request.view + ") within " + std::to_string(timeout.count()) + " ms",
                "Check that the robot presents the part before the PLC triggers");
  io::Frame frame;
  frame.image = std::move(frames_[key]);
  frames_.erase(key);
  // Frames of parts before this one were never triggered: drop them so memory stays bounded.
  frames_.erase(frames_.begin(), frames_.lower_bound({request.part_number, std::string()}));
  frame.name = name_ + "#" + std::to_string(request.part_number) + "/" + request.view;
  frame.time_ms = UtcNowMs();
  return frame;
}

std::string SimCamera::Describe() const { return "simulated camera " + name_; }

}  // namespace linesight::station
