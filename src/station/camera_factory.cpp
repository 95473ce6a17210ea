#include "station/camera_factory.h"

#include <iostream>

#include "io/aravis_source.h"
#include "io/folder_source.h"
#include "sim/part_renderer.h"
#include "station/sim_camera.h"

namespace linesight::station {

std::unique_ptr<io::FrameSource> MakeCamera(const CameraConfig& c) {
  switch (c.kind) {
    case CameraKind::kFolder: {
      io::FolderSourceOptions o;
      o.folder = c.folder;
      o.take_existing = c.take_existing;
      o.delete_after_read = c.delete_after_read;
      o.move_to = c.move_to;
      o.max_early_ms = c.max_early_ms;
      return std::make_unique<io::FolderSource>(o);
    }
    case CameraKind::kAravis: {
      io::AravisSourceOptions o;
      o.device = c.device;
      o.pixel_format = c.pixel_format;
      o.width = c.width;
      o.height = c.height;
      if (c.exposure_us > 0) o.exposure_us = c.exposure_us;
      if (c.gain_db >= 0) o.gain_db = c.gain_db;
      o.trigger = c.trigger;
      return std::make_unique<io::AravisSource>(o);
    }
    case CameraKind::kSimulator:
      break;
  }
  // A station without a real camera: each trigger shows the simulator's good part of that
  // number, for trying a PLC handshake with no camera at hand.
  auto renderer = std::make_shared<sim::PartRenderer>();
  return std::make_unique<SimCamera>("sim", [renderer](int64_t part, const std::string&) {
    return renderer->Render(static_cast<uint64_t>(part)).image;
  });
}

}  // namespace linesight::station
