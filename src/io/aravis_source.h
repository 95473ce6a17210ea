// io/aravis_source.h: a FrameSource over a GenICam camera (GigE Vision or USB3 Vision) through
// Aravis 0.8. Not thread-safe: one station loop calls Capture().
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "io/frame_source.h"

namespace linesight::io {

// How a station drives a GenICam camera (YAML: station.source.aravis.*, docs/cameras.md).
struct AravisSourceOptions {
  // Aravis device id ("Aravis-Fake-GV01", "Basler-21234567") or the camera's IP address
  // ("192.168.10.20"; use the address on a network without broadcast, e.g. 127.0.0.1).
  std::string device{};
  // Results: what frames must look like. A frame that differs is an Error{kIo}.
  std::string pixel_format = "Mono8";   // "Mono8" -> CV_8UC1; "Mono12", "Mono16" -> CV_16UC1
  int width = 0;                        // expected frame width in pixels; 0 = accept the camera's
  int height = 0;                       // expected frame height in pixels; 0 = accept the camera's
  std::optional<double> exposure_us{};  // set on connect; unset = leave the camera's setting
  std::optional<double> gain_db{};      // set on connect; unset = leave the camera's setting
  // "software": each Capture() fires a software trigger and waits for that frame (the camera
  // idles between parts). "free_run": the camera streams; Capture() takes the newest complete
  // frame that began arriving after the request (costs link bandwidth, saves the trigger).
  std::string trigger = "software";
  // Speed only.
  int buffer_count = 4;  // stream buffers allocated once per connection and reused; >= 2
  // Minimum time between reconnect attempts after the camera was lost. An attempt on a dead
  // GigE camera blocks Capture() about 2.5 s (Aravis' GVCP retries), so a dead camera stalls
  // the line once per interval, not once per part; shorter finds a camera back sooner.
  std::chrono::milliseconds reconnect_interval{5000};
};

class AravisSource : public FrameSource {
 public:
  // Checks `options` (Error{kInput} naming a bad value), then connects: opens the camera, sets
  // pixel format, exposure, gain and trigger mode, allocates the stream buffers and starts
  // acquisition. Throws Error{kIo} naming the camera and the fix if it cannot be opened, does
  // not offer the pixel format, or its frame size differs from the one expected.
  explicit AravisSource(const AravisSourceOptions& options);
  // Stops acquisition and closes the camera. May block up to about 10 s while a lost GigE
  // camera's connection is still being released (see Capture).
  ~AravisSource() override;
  AravisSource(const AravisSource&) = delete;
  AravisSource& operator=(const AravisSource&) = delete;

  // Fires the software trigger (or, free-running, waits for the next frame) and returns the
  // frame as CV_8UC1 or CV_16UC1 in `image`, named "<device> #<frame id>". `image` reuses one
  // buffer of this source when the caller has released the previous frame, and allocates a new
  // one while the caller still holds it. Throws Error{kIo} on timeout, an incomplete frame, a
  // wrong size or pixel format (naming expected and got), or a lost camera. A lost camera is
  // released in the background; until that is done, and between reconnect attempts (at most
  // one per reconnect_interval), Capture() throws at once; otherwise it tries to reconnect.
  Frame Capture(const CaptureRequest& request, std::chrono::milliseconds timeout) override;

  // "aravis <device>" plus " @ <address>" for a GigE camera, " (not connected)" after a loss.
  std::string Describe() const override;

  // True while the camera is open and streaming.
  bool connected() const;
  // Frames handed out, successful reconnects, and triggers repeated for a frame that came
  // incomplete, since construction.
  int64_t frames() const { return frames_; }
  int64_t reconnects() const { return reconnects_; }
  int64_t retriggers() const { return retriggers_; }

  // Most triggers one Capture() fires for a part whose frames keep coming incomplete.
  static constexpr int kMaxTriggers = 10;

  // Test hook: the open connection's ArvCamera* (nullptr while lost), so a test can change the
  // camera's settings behind the source's back. Not for production code.
  void* TEST_camera() const;

 private:
  struct Camera;  // the Aravis objects; keeps GLib out of this header
  void Connect();
  void Disconnect(const std::string& why);
  void EnsureConnected();
  // Fires one trigger (software) and waits until `deadline` for its frame (PopComplete).
  // The frame's ArvBuffer (void* keeps GLib out of this header), nullptr if none came complete;
  // `bad` then names the status of the broken one, if any, and `lost` says whether its packets
  // were lost on the way (a new frame may come whole).
  void* TriggerAndPop(std::chrono::steady_clock::time_point deadline, std::string& bad, bool& lost);
  [[noreturn]] void ThrowNoFrame(const CaptureRequest& request, std::chrono::milliseconds timeout,
                                 const std::string& bad, int triggers);

  AravisSourceOptions options_;
  std::unique_ptr<Camera> camera_;
  cv::Mat image_;  // reused between frames when the caller released it
  std::chrono::steady_clock::time_point last_attempt_{};
  std::string last_error_;
  std::thread releaser_;                         // releases a lost connection (see Disconnect)
  std::shared_ptr<std::atomic<bool>> released_;  // set by releaser_ when done
  int64_t frames_ = 0;
  int64_t reconnects_ = 0;
  int64_t retriggers_ = 0;
  // Software triggers of this connection whose frame has not come (the part timed out), oldest
  // first: the next frames to arrive are theirs, not a later part's. Forgotten 2 s after the
  // trigger (the frame was lost), so one lost frame does not cost every later part.
  std::deque<std::chrono::steady_clock::time_point> unanswered_;
};

}  // namespace linesight::io
