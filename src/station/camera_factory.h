// station/camera_factory.h: the frame source a station file's camera: section names.
#pragma once

#include <memory>

#include "io/frame_source.h"
#include "station/station_config.h"

namespace linesight::station {

// A folder source, a GenICam camera through Aravis, or the simulated camera (which renders the
// simulator's part for each part number it is triggered with). Throws Error naming the cause and
// the fix when the folder or camera cannot be opened.
std::unique_ptr<io::FrameSource> MakeCamera(const CameraConfig& config);

}  // namespace linesight::station
