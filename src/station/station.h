// station/station.h: the line loop at one machine — PLC trigger, capture of each view, inspection
// against the part's deadline, the record stored durably in the outbox, then the result to the
// PLC. Fail-safe: any error (camera, model, inspection, deadline, outbox) holds the part, which
// the PLC reads as NG; nothing passes by default.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/part_record.h"
#include "io/frame_source.h"
#include "io/plc_server.h"
#include "station/station_config.h"
#include "station/view_judges.h"
#include "station/worker_pool.h"
#include "store/outbox.h"

namespace linesight::station {

// The process values of a machine's shot, where the station can know them (the simulator; a
// plant joins telemetry later on the server). Returns all-NaN values when unknown.
using ProcessLookup = std::function<ProcessValues(int64_t shot)>;

// Counters of a running station (for status lines, /metrics and tests).
struct StationCounters {
  uint64_t parts = 0, pass = 0, reject = 0, hold = 0;
  uint64_t holds_by_reason[16] = {};
  uint64_t outbox_errors = 0;  // parts whose record could not be stored at once (kept, retried)
  uint64_t model_swaps = 0, model_swap_failures = 0;
};

class Station {
 public:
  // Opens the outbox, loads each view's model (a view whose model does not load holds its parts
  // until a good file appears) and starts the PLC server. Throws Error for what the station cannot
  // run without: an outbox it cannot open, a PLC port it cannot bind.
  Station(StationConfig config, std::unique_ptr<io::FrameSource> camera,
          ProcessLookup process = {});
  ~Station();
  Station(const Station&) = delete;
  Station& operator=(const Station&) = delete;

  // The line loop: serves triggers until `stop` becomes true (checked at least every 100 ms).
  void Run(const std::atomic<bool>& stop);
  // One trigger, start to end (what Run does per part); returns the record as stored.
  PartRecord Handle(const io::PlcTrigger& trigger);

  int plc_port() const { return plc_.port(); }
  const StationConfig& config() const { return config_; }
  StationCounters counters() const;
  store::Outbox& outbox() { return outbox_; }
  // One line for logs: "S3 at M3: 120 parts, 117 pass, 2 reject, 1 hold (camera 1)".
  std::string StatusLine() const;

 private:
  void InspectViews(const io::PlcTrigger& trigger, PartRecord& part,
                    std::vector<std::pair<std::string, std::vector<uint8_t>>>& images);
  void Store(PartRecord& part,
             const std::vector<std::pair<std::string, std::vector<uint8_t>>>& images);
  void RetryUnsaved();
  void Count(const PartRecord& part);
  bool KeepImage(const PartRecord& part) const;

  StationConfig config_;
  std::unique_ptr<io::FrameSource> camera_;
  ProcessLookup process_;
  store::Outbox outbox_;
  ViewJudges judges_;
  WorkerPool pool_;
  io::PlcServer plc_;
  mutable std::mutex mu_;
  StationCounters counters_;
  std::vector<PartRecord> unsaved_;  // records the outbox refused; retried before each part
};

}  // namespace linesight::station
