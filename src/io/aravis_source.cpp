#include "io/aravis_source.h"

#include <atomic>
#include <cstdio>
#include <cstring>
#include <string_view>
#include <utility>

#include "core/clock.h"
#include "core/error.h"
#include "io/frame_order.h"

// No warning pragmas needed: CMake passes the GLib/Aravis include dirs as -isystem, so their
// C idioms do not trip -Wextra -Werror here (checked with GCC 12, C++20).
#include <arv.h>

namespace linesight::io {

// A pixel format the source reads: named outside the anonymous namespace because
// AravisSource::Camera, a member of an exported class, holds one.
struct AravisPixelFormat {
  std::string_view name;
  ArvPixelFormat arv;
  int cv_type;
  size_t bytes;
};

namespace {

using Clock = std::chrono::steady_clock;
using Format = AravisPixelFormat;
constexpr Format kFormats[] = {
    {"Mono8", ARV_PIXEL_FORMAT_MONO_8, CV_8UC1, 1},
    {"Mono12", ARV_PIXEL_FORMAT_MONO_12, CV_16UC1, 2},
    {"Mono16", ARV_PIXEL_FORMAT_MONO_16, CV_16UC1, 2},
};

const Format* FindFormat(std::string_view name) {
  for (const Format& f : kFormats) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

std::string FormatName(ArvPixelFormat arv) {
  for (const Format& f : kFormats) {
    if (f.arv == arv) return std::string(f.name);
  }
  char hex[16];
  std::snprintf(hex, sizeof hex, "0x%08x", static_cast<unsigned>(arv));
  return std::string("pixel format ") + hex;
}

// Takes ownership of `err`: returns its message and frees it ("" if null).
std::string Take(GError*& err) {
  if (err == nullptr) return "";
  std::string message = err->message;
  g_clear_error(&err);
  return message;
}

std::string Size(int w, int h) { return std::to_string(w) + "x" + std::to_string(h); }

const Format& CheckOptions(const AravisSourceOptions& o) {
  const Format* format = FindFormat(o.pixel_format);
  if (o.device.empty()) {
    throw Error(ErrorCategory::kInput, "no camera device given",
                "set device to the camera's Aravis id or IP address (arv-tool-0.8 lists them)");
  }
  if (format == nullptr) {
    throw Error(ErrorCategory::kInput, "pixel_format '" + o.pixel_format + "' is not supported",
                "use Mono8, Mono12 or Mono16");
  }
  if (o.trigger != "software" && o.trigger != "free_run") {
    throw Error(ErrorCategory::kInput, "trigger '" + o.trigger + "' is not a trigger mode",
                "use software or free_run");
  }
  const auto check = [](bool ok, const std::string& name, int64_t value, const char* fix) {
    if (!ok) {
      throw Error(ErrorCategory::kInput, name + " " + std::to_string(value) + " is out of range",
                  fix);
    }
  };
  check(o.width >= 0, "width", o.width, "use a size in pixels, or 0 to accept the camera's");
  check(o.height >= 0, "height", o.height, "use a size in pixels, or 0 to accept the camera's");
  check(o.buffer_count >= 2, "buffer_count", o.buffer_count, "use 2 or more (default 4)");
  check(o.reconnect_interval.count() >= 0, "reconnect_interval", o.reconnect_interval.count(),
        "use 0 ms or more (default 5000)");
  return *format;
}

}  // namespace

// The Aravis objects of one connection; destroying it stops acquisition and frees the buffers.
struct AravisSource::Camera {
  ArvCamera* camera = nullptr;
  ArvStream* stream = nullptr;
  bool acquiring = false;
  std::string address;  // "127.0.0.1" for a GigE camera, else ""
  const AravisPixelFormat* format = nullptr;
  int width = 0;
  int height = 0;

  ~Camera() {
    if (acquiring) arv_camera_stop_acquisition(camera, nullptr);
    if (stream != nullptr) g_object_unref(stream);  // frees the buffers in its queues
    if (camera != nullptr) g_object_unref(camera);
  }
};

AravisSource::AravisSource(const AravisSourceOptions& options) : options_(options) {
  CheckOptions(options_);
  // The in-process fake camera ("Fake_1"), for trying a station without any network.
  if (options_.device.rfind("Fake_", 0) == 0) arv_enable_interface("Fake");
  Connect();
}

AravisSource::~AravisSource() {
  if (releaser_.joinable()) releaser_.join();
}

bool AravisSource::connected() const { return camera_ != nullptr; }

void* AravisSource::TEST_camera() const { return camera_ ? camera_->camera : nullptr; }

std::string AravisSource::Describe() const {
  std::string d = "aravis " + options_.device;
  if (camera_ && !camera_->address.empty() && camera_->address != options_.device) {
    d += " @ " + camera_->address;
  }
  return camera_ ? d : d + " (not connected)";
}

namespace {

// Sets the pixel format, or throws naming the formats the camera offers.
void SetPixelFormat(ArvCamera* camera, const std::string& device, const Format& format) {
  GError* err = nullptr;
  arv_camera_set_pixel_format_from_string(camera, std::string(format.name).c_str(), &err);
  std::string why = Take(err);
  if (why.empty() && arv_camera_get_pixel_format(camera, &err) != format.arv) {
    why = "it kept " + FormatName(arv_camera_get_pixel_format(camera, nullptr));
  }
  if (why.empty() && err == nullptr) return;
  why += Take(err);
  guint n = 0;
  const char** offered = arv_camera_dup_available_pixel_formats_as_strings(camera, &n, nullptr);
  std::string list;
  for (guint i = 0; i < n; ++i) list += (i ? ", " : "") + std::string(offered[i]);
  g_free(offered);
  throw Error(ErrorCategory::kIo,
              "camera " + device + " does not take pixel format " + std::string(format.name) +
                  " (" + why + "; it offers: " + list + ")",
              "set pixel_format to Mono8, Mono12 or Mono16 among those the camera offers");
}

// Sets exposure, gain and trigger mode as the options ask.
void Configure(ArvCamera* camera, const AravisSourceOptions& o) {
  GError* err = nullptr;
  const auto check = [&](const std::string& what, const std::string& fix) {
    if (err != nullptr) {
      throw Error(ErrorCategory::kIo,
                  "camera " + o.device + ": cannot " + what + " (" + Take(err) + ")", fix);
    }
  };
  if (o.exposure_us) arv_camera_set_exposure_time(camera, *o.exposure_us, &err);
  check("set exposure", "set exposure_us within the camera's range, or leave it unset");
  if (o.gain_db) arv_camera_set_gain(camera, *o.gain_db, &err);
  check("set gain", "set gain_db within the camera's range, or leave it unset");
  if (o.trigger == "software") {
    arv_camera_set_trigger(camera, "Software", &err);
    check("enable the software trigger", "use trigger: free_run if the camera has none");
  } else {
    arv_camera_clear_triggers(camera, &err);
    if (err == nullptr)
      arv_camera_set_acquisition_mode(camera, ARV_ACQUISITION_MODE_CONTINUOUS, &err);
    check("start free-running", "check the camera's trigger settings with arv-tool-0.8");
  }
}

}  // namespace

namespace {

// The camera's IP address if it is a GigE Vision camera, else "".
std::string DeviceAddress(ArvCamera* camera) {
  if (!arv_camera_is_gv_device(camera)) return "";
  // Transfer none: the device owns the address.
  GSocketAddress* where =
      arv_gv_device_get_device_address(ARV_GV_DEVICE(arv_camera_get_device(camera)));
  if (where == nullptr || !G_IS_INET_SOCKET_ADDRESS(where)) return "";
  gchar* text =
      g_inet_address_to_string(g_inet_socket_address_get_address(G_INET_SOCKET_ADDRESS(where)));
  std::string address = text;
  g_free(text);
  return address;
}

// Reads the camera's frame size into `width`, `height`; throws if it is not the expected one.
void ReadRegion(ArvCamera* camera, const AravisSourceOptions& o, int& width, int& height) {
  GError* err = nullptr;
  arv_camera_get_region(camera, nullptr, nullptr, &width, &height, &err);
  if (err != nullptr) {
    throw Error(ErrorCategory::kIo,
                "camera " + o.device + ": cannot read its frame size (" + Take(err) + ")",
                "check the camera with arv-tool-0.8");
  }
  if ((o.width > 0 && o.width != width) || (o.height > 0 && o.height != height)) {
    throw Error(ErrorCategory::kIo,
                "camera " + o.device + " sends " + Size(width, height) + " frames, expected " +
                    Size(o.width, o.height),
                "set the camera's region (Width, Height) or the station's width and height to "
                "match");
  }
}

// Opens the stream with `buffer_count` buffers of one frame each, then starts acquisition.
ArvStream* StartStream(ArvCamera* camera, const AravisSourceOptions& o) {
  GError* err = nullptr;
  const guint payload = arv_camera_get_payload(camera, &err);
  ArvStream* stream = nullptr;
  if (err == nullptr) stream = arv_camera_create_stream(camera, nullptr, nullptr, &err);
  if (stream == nullptr) {
    throw Error(ErrorCategory::kIo,
                "camera " + o.device + ": cannot open its stream (" + Take(err) + ")",
                "check that no other program is streaming from it, and the firewall lets its "
                "UDP stream in");
  }
  for (int i = 0; i < o.buffer_count; ++i) {
    arv_stream_push_buffer(stream, arv_buffer_new(payload, nullptr));
  }
  arv_camera_start_acquisition(camera, &err);
  if (err != nullptr) {
    g_object_unref(stream);
    throw Error(ErrorCategory::kIo,
                "camera " + o.device + ": cannot start acquisition (" + Take(err) + ")",
                "check that no other program controls it (only one may), then retry");
  }
  return stream;
}

}  // namespace

void AravisSource::Connect() {
  last_attempt_ = Clock::now();
  unanswered_.clear();  // a new stream: no frame of the old one can come
  auto c = std::make_unique<Camera>();
  c->format = &CheckOptions(options_);
  GError* err = nullptr;
  c->camera = arv_camera_new(options_.device.c_str(), &err);
  if (c->camera == nullptr) {
    throw Error(ErrorCategory::kIo,
                "cannot open camera " + options_.device + " (" + Take(err) + ")",
                "check its power and network link (arv-tool-0.8 lists the cameras it finds); "
                "give a GigE camera's IP address as device where broadcast discovery fails");
  }
  c->address = DeviceAddress(c->camera);
  SetPixelFormat(c->camera, options_.device, *c->format);
  Configure(c->camera, options_);
  ReadRegion(c->camera, options_, c->width, c->height);
  c->stream = StartStream(c->camera, options_);
  c->acquiring = true;
  camera_ = std::move(c);
  last_error_.clear();
}

void AravisSource::Disconnect(const std::string& why) {
  last_error_ = why;
  // Releasing a lost GigE camera waits out Aravis' fixed GVCP retries (5 x 500 ms per register:
  // stopping the stream, leaving control), about 10 s. A thread does it so the line keeps
  // getting fast errors meanwhile; Connect() waits for it, so the old connection never writes
  // to a camera that came back after the new one has taken control.
  camera_->acquiring = false;  // stopping acquisition on a lost camera is pointless
  released_ = std::make_shared<std::atomic<bool>>(false);
  releaser_ = std::thread([camera = std::move(camera_), done = released_]() mutable {
    camera.reset();
    done->store(true);
  });
}

void AravisSource::EnsureConnected() {
  if (camera_) return;
  const std::string down = "camera " + options_.device + " is not connected (" + last_error_ + ")";
  if (releaser_.joinable() && !released_->load()) {
    throw Error(ErrorCategory::kIo, down + "; still releasing the lost connection",
                "check the camera's power and network link; the station reconnects after");
  }
  if (releaser_.joinable()) releaser_.join();
  const auto since = Clock::now() - last_attempt_;
  if (since < options_.reconnect_interval) {
    const auto wait =
        std::chrono::ceil<std::chrono::milliseconds>(options_.reconnect_interval - since);
    throw Error(ErrorCategory::kIo,
                down + "; next reconnect attempt in " + std::to_string(wait.count()) + " ms",
                "check the camera's power and network link");
  }
  try {
    Connect();
  } catch (const Error& e) {
    last_error_ = e.cause();
    throw Error(ErrorCategory::kIo,
                "camera " + options_.device + " was lost; reconnecting failed: " + e.cause(),
                e.fix());
  }
  ++reconnects_;
}

namespace {

// A triggered frame not come this long after its trigger is lost, not late: longer than any
// camera's exposure and transfer, shorter than a die-casting cycle.
constexpr std::chrono::seconds kLateFrameLimit{2};

std::string StatusName(ArvBufferStatus s) {
  switch (s) {
    case ARV_BUFFER_STATUS_MISSING_PACKETS:
      return "missing packets";
    case ARV_BUFFER_STATUS_TIMEOUT:
      return "timed out while arriving";
    case ARV_BUFFER_STATUS_SIZE_MISMATCH:
      return "larger than the buffer";
    case ARV_BUFFER_STATUS_ABORTED:
      return "aborted";
    default:
      return "status " + std::to_string(static_cast<int>(s));
  }
}

// Waits until `deadline` for this capture's frame: the first one popped that is neither owed to
// an earlier trigger nor stale (io/frame_order.h) once `owed` earlier triggers are paid off.
// Free-running, waits for a complete one, keeps the newest one queued and hands older, stale and
// incomplete buffers back. Returns nullptr on timeout or, triggered, when this trigger's frame
// came incomplete; `bad` then gets its status, and `lost` whether packets were lost on the way
// (so that a new frame may come whole), not a frame that cannot fit or was cut off on purpose.
ArvBuffer* PopComplete(ArvStream* stream, Clock::time_point deadline, guint64 since_ns, bool newest,
                       size_t& owed, std::string& bad, bool& lost) {
  for (;;) {
    const auto left =
        std::chrono::duration_cast<std::chrono::microseconds>(deadline - Clock::now());
    ArvBuffer* b = left.count() > 0 ? arv_stream_timeout_pop_buffer(stream, left.count())
                                    : arv_stream_try_pop_buffer(stream);
    if (b == nullptr) return nullptr;
    const bool complete = arv_buffer_get_status(b) == ARV_BUFFER_STATUS_SUCCESS;
    if (TurnOf(complete, arv_buffer_get_system_timestamp(b), since_ns, owed, newest) !=
        FrameTurn::kOurs) {
      arv_stream_push_buffer(stream, b);
      continue;
    }
    if (!complete) {
      const ArvBufferStatus status = arv_buffer_get_status(b);
      bad = StatusName(status);
      lost = status == ARV_BUFFER_STATUS_MISSING_PACKETS || status == ARV_BUFFER_STATUS_TIMEOUT;
      arv_stream_push_buffer(stream, b);
      if (!newest) return nullptr;  // the one triggered frame is broken: no other is coming
      continue;
    }
    while (newest) {
      ArvBuffer* later = arv_stream_try_pop_buffer(stream);
      if (later == nullptr) break;
      const bool ok = arv_buffer_get_status(later) == ARV_BUFFER_STATUS_SUCCESS;
      arv_stream_push_buffer(stream, ok ? b : later);
      if (ok) b = later;
    }
    return b;
  }
}

// Copies `buffer` into `image` (reused unless the caller still holds it) and fills `frame`.
// Throws Error{kIo} if the buffer's size or pixel format is not the expected one.
void CopyFrame(ArvBuffer* buffer, const std::string& device, const Format& f, int width, int height,
               cv::Mat& image, Frame& frame) {
  const int w = arv_buffer_get_image_width(buffer);
  const int h = arv_buffer_get_image_height(buffer);
  const ArvPixelFormat got = arv_buffer_get_image_pixel_format(buffer);
  size_t size = 0;
  const void* data = arv_buffer_get_image_data(buffer, &size);
  const size_t need = static_cast<size_t>(w) * static_cast<size_t>(h) * f.bytes;
  if (arv_buffer_get_payload_type(buffer) != ARV_BUFFER_PAYLOAD_TYPE_IMAGE || data == nullptr ||
      w != width || h != height || got != f.arv || size < need) {
    throw Error(ErrorCategory::kIo,
                "frame from camera " + device + " is " + Size(w, h) + " " + FormatName(got) + " (" +
                    std::to_string(size) + " bytes), expected " + Size(width, height) + " " +
                    std::string(f.name),
                "set the camera's region and pixel format, or the station's width, height and "
                "pixel_format, so they match");
  }
  // Reuse the last frame's pixels unless the caller still holds them.
  if (image.u != nullptr && image.u->refcount > 1) image.release();
  image.create(h, w, f.cv_type);
  std::memcpy(image.data, data, need);
  frame.image = image;
  frame.name = device + " #" + std::to_string(arv_buffer_get_frame_id(buffer));
  const guint64 ns = arv_buffer_get_system_timestamp(buffer);
  frame.time_ms = ns > 0 ? static_cast<int64_t>(ns / 1000000) : UtcNowMs();
}

}  // namespace

void* AravisSource::TriggerAndPop(Clock::time_point deadline, std::string& bad, bool& lost) {
  ArvStream* stream = camera_->stream;
  const bool software = options_.trigger == "software";
  const guint64 since_ns = static_cast<guint64>(g_get_real_time()) * 1000;
  GError* err = nullptr;
  const Clock::time_point triggered = Clock::now();
  if (software) arv_camera_software_trigger(camera_->camera, &err);
  if (err != nullptr) {
    const std::string why = "software trigger not taken (" + Take(err) + ")";
    Disconnect(why);
    throw Error(ErrorCategory::kIo, "camera " + options_.device + ": " + why,
                "check its power and network link; the station reconnects on the next part");
  }
  bad.clear();
  lost = false;
  // Triggered frames of parts that timed out may still come after this trigger, before its own.
  size_t owed = software ? unanswered_.size() : 0;
  const size_t owed_before = owed;
  ArvBuffer* buffer = PopComplete(stream, deadline, since_ns, !software, owed, bad, lost);
  unanswered_.erase(unanswered_.begin(),
                    unanswered_.begin() + static_cast<std::ptrdiff_t>(owed_before - owed));
  if (buffer == nullptr && software && bad.empty()) unanswered_.push_back(triggered);
  return buffer;
}

Frame AravisSource::Capture(const CaptureRequest& request, std::chrono::milliseconds timeout) {
  EnsureConnected();
  const Clock::time_point deadline = Clock::now() + timeout;
  ArvStream* stream = camera_->stream;
  // A frame later than this is taken for lost: its trigger is owed nothing any more.
  while (!unanswered_.empty() && Clock::now() - unanswered_.front() > kLateFrameLimit)
    unanswered_.pop_front();
  // Frames completed before this request show an earlier part: hand their buffers back. Each
  // answers the oldest trigger still waiting for its frame.
  while (ArvBuffer* old = arv_stream_try_pop_buffer(stream)) {
    arv_stream_push_buffer(stream, old);
    if (!unanswered_.empty()) unanswered_.pop_front();
  }
  // A triggered frame cut short by packets lost on the way is taken again: the part is still in
  // front of the camera, and each software trigger exposes it anew. Only while another frame,
  // taking as long as the last one did, can come before the part's result is due. (A
  // free-running camera sends its next frame anyway, and PopComplete waits for it.) A repeated
  // trigger's frame is waited for only until the part is due: a camera that ignored the trigger
  // must not stall the line for the whole timeout.
  std::string bad, broken;  // this trigger's broken frame; the last one of any trigger
  bool lost = false;
  ArvBuffer* buffer = nullptr;
  int triggers = 0;
  const Clock::time_point due = std::min(deadline, request.due);
  for (;;) {
    const Clock::time_point start = Clock::now();
    buffer = static_cast<ArvBuffer*>(TriggerAndPop(triggers == 0 ? deadline : due, bad, lost));
    ++triggers;
    if (!bad.empty()) broken = bad;
    const Clock::time_point end = Clock::now();
    if (buffer != nullptr || !lost || triggers >= kMaxTriggers || end + (end - start) >= due) break;
    ++retriggers_;
  }
  // A part whose repeated trigger then brought no frame still failed for its lost packets.
  if (buffer == nullptr) ThrowNoFrame(request, timeout, broken, triggers);
  Frame frame;
  try {
    CopyFrame(buffer, options_.device, *camera_->format, camera_->width, camera_->height, image_,
              frame);
  } catch (...) {
    arv_stream_push_buffer(stream, buffer);
    throw;
  }
  arv_stream_push_buffer(stream, buffer);
  ++frames_;
  return frame;
}

void AravisSource::ThrowNoFrame(const CaptureRequest& request, std::chrono::milliseconds timeout,
                                const std::string& bad, int triggers) {
  const std::string part = " for part " + std::to_string(request.part_number);
  if (!bad.empty()) {
    const std::string tries =
        triggers > 1 ? ", triggered " + std::to_string(triggers) + " times" : std::string();
    throw Error(ErrorCategory::kIo,
                "frame from camera " + options_.device + part + " incomplete (" + bad + tries + ")",
                "check the network: cabling, switch, packet size (GevSCPSPacketSize) and the "
                "host's UDP receive buffer");
  }
  // A camera that still answers its control channel is alive: the frame alone did not come.
  GError* err = nullptr;
  arv_camera_get_payload(camera_->camera, &err);
  if (err != nullptr) {
    const std::string why = "not answering (" + Take(err) + ")";
    Disconnect(why);
    throw Error(ErrorCategory::kIo, "camera " + options_.device + part + ": " + why,
                "check its power and network link; the station reconnects on the next part");
  }
  throw Error(ErrorCategory::kIo,
              "no frame from camera " + options_.device + " within " +
                  std::to_string(timeout.count()) + " ms after trigger" + part,
              "check the trigger mode and exposure time, and that the camera's stream reaches "
              "this host (firewall, packet size)");
}

}  // namespace linesight::io
