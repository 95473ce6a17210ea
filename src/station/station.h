// station/station.h: the line loop at one machine — PLC trigger, capture of each view, inspection
// against the part's deadline, the record stored durably in the outbox, then the result to the
// PLC. Fail-safe: any error (camera, model, inspection, deadline, outbox) holds the part, which
// the PLC reads as NG; nothing passes by default.
#pragma once

#include <atomic>
#include <functional>
#include <limits>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/part_record.h"
#include "inspect/die_memory.h"
#include "io/frame_source.h"
#include "io/plc_server.h"
#include "process/shot_risk.h"
#include "station/station_config.h"
#include "station/station_metrics.h"
#include "station/uplink.h"
#include "station/view_judges.h"
#include "station/worker_pool.h"
#include "store/outbox.h"

namespace linesight::station {

// What a machine reported of one of its shots, where the station can know it (the simulator; a
// plant joins telemetry later on the server): its process values (all NaN when unknown) and when
// it was made on the machine's clock (0 = unknown: the part takes the trigger's time). The shot
// time and the machine's events must share one clock, or stops and parts would not line up.
struct MachineShotReport {
  ProcessValues process;
  int64_t time_ms = 0;
};
using ProcessLookup = std::function<MachineShotReport(int64_t shot)>;

class StationServices;

class Station {
 public:
  // Opens the outbox, loads each view's model (a view whose model does not load holds its parts
  // until a good file appears), starts the PLC server and, when configured, the MQTT feed and
  // the HTTP endpoint (station_services.h) and the uplink to the factory server (uplink.h).
  // Throws Error for what the station cannot run without: an outbox it cannot open, a PLC or
  // HTTP port it cannot bind, an uplink without a token. A server that is down is no error.
  Station(StationConfig config, std::unique_ptr<io::FrameSource> camera,
          ProcessLookup process = {});
  ~Station();
  Station(const Station&) = delete;
  Station& operator=(const Station&) = delete;

  // The line loop: serves triggers until `stop` becomes true (checked at least every 100 ms).
  void Run(const std::atomic<bool>& stop);
  // One trigger, start to end (what Run does per part); returns the record as stored.
  PartRecord Handle(const io::PlcTrigger& trigger);
  // Handle, but whatever it throws holds the part (stored if the outbox can, answered NG) and
  // returns: the line loop never ends on an error.
  PartRecord HandleSafely(const io::PlcTrigger& trigger);
  // Triggers HandleSafely has finished with, the work after the PLC's result (images, die
  // memory) included: what a test waits for before it looks at that work.
  uint64_t parts_finished() const { return finished_.load(); }

  int plc_port() const { return plc_.port(); }
  // The bound /healthz + /metrics port; 0 when http is not configured.
  int http_port() const;
  // "linesight/v1/<site>/<line>/<machine>/" when mqtt is configured, else "".
  std::string mqtt_topic_prefix() const;
  // The state /healthz, /metrics and the MQTT status report. Thread-safe.
  StationSnapshot Snapshot() const;
  const StationConfig& config() const { return config_; }
  // The uplink to the factory server; null unless the station file has an uplink: section.
  const Uplink* uplink() const { return uplink_.get(); }
  StationCounters counters() const;
  store::Outbox& outbox() { return outbox_; }
  // One line for logs: "S3 at M3: 120 parts, 117 pass, 2 reject, 1 hold (camera 1)".
  std::string StatusLine() const;

 private:
  // A picture kept with a part: the frame of a view, or its anomaly heatmap. Drawn, encoded and
  // stored after the PLC has the part's result (KeepImages), off the part's time.
  struct KeptImage {
    std::string view;
    store::ImageRole role = store::ImageRole::kFrame;
    cv::Mat image;  // the frame (for a heatmap: the frame it is drawn over)
    std::shared_ptr<const Judge> judge = nullptr;  // heatmap: the view's inspector
    size_t view_index = 0;                         // heatmap: its source in heat_
  };
  using Images = std::vector<KeptImage>;
  enum class Stored { kNow, kLater, kDuplicate };

  void InspectViews(const io::PlcTrigger& trigger, PartRecord& part, Images& images);
  // Stores `part`; `last_word` (may be null) changes it once the outbox is ready to write it
  // (Outbox::Put). With `images_follow` the uplink waits for KeepImages. Holds the part if its
  // part id is already stored (kDuplicate: this record is not kept anywhere), or if the outbox
  // fails (kLater: kept to retry, without images).
  Stored Store(PartRecord& part, bool images_follow,
               const std::function<void(PartRecord&)>& last_word);
  // Encodes `images` and keeps them with the stored `part`; logs what fails, never throws.
  void KeepImages(const PartRecord& part, Images& images);
  void HoldIfLate(PartRecord& part, const Deadline& deadline) const;
  void RetryUnsaved();
  void HoldDuplicate(PartRecord& part);                     // a part id the outbox already holds
  PartRecord NewPart(const io::PlcTrigger& trigger) const;  // ids and times, nothing judged
  void RefreshModels();  // takes new model files; FAULT while a view has none
  void UpdateFault();    // FAULT while a view has no model or records wait for the outbox
  void Count(const PartRecord& part);
  // Before `part`'s result goes to the PLC: counts holds in a row and sets HOLD_STREAK.
  void NoteHoldStreak(const PartRecord& part);
  void NoteModels();
  void LoadRiskModel();
  void NoteForDieMemory(const std::shared_ptr<const Judge>& judge, const std::string& die,
                        const Workspace& ws, ViewResult& view);
  void RememberDie();  // after the PLC has the result
  void FindFaintPlaces(const Inspector& inspector, Workspace& ws, const ViewResult& view);
  void WatchRecurringMark(const Shot& shot, ViewResult& view);
  // A CLEAR_MARK edge from the PLC: forgets the standing mark (logged and counted).
  void ClearRecurringMark();
  // The die memory outlives a restart (docs/station.md, "Recurring marks"): taken back from
  // memory_file_ when the station starts (reading it must not take a part's time), for the die
  // the file names (RememberDie starts again for a part of another); saved every
  // kMemorySaveParts parts after the PLC has its result, after a die change or a clear (stale),
  // and when the station stops (at_stop). A file that cannot be read or written is logged:
  // the memory is advice, never a reason to stop the line.
  void RestoreDieMemory();
  void SaveDieMemory(bool at_stop);
  void JudgeRisk(PartRecord& part, double since_restart);
  int64_t OutboxPending() const;
  bool KeepImage(const PartRecord& part) const;
  bool KeepPassImage(const std::string& part_id) const;

  StationConfig config_;
  std::unique_ptr<io::FrameSource> camera_;
  ProcessLookup process_;
  store::Outbox outbox_;
  ViewJudges judges_;
  WorkerPool pool_;
  io::PlcServer plc_;
  uint64_t zero_part_ids_ = 0;  // refused triggers with part id 0 already logged
  void ReportZeroPartIds();
  mutable std::mutex mu_;
  StationCounters counters_;
  std::vector<PartRecord> unsaved_;  // records the outbox refused, until it takes them
  std::vector<std::pair<std::string, std::string>> models_;  // view -> model id, under mu_
  bool camera_ok_ = true;                                    // under mu_
  HoldReason last_hold_ = HoldReason::kNone;  // of the previous part, under mu_ (for the log)
  SteadyClock::time_point last_part_{};       // under mu_; epoch = none yet
  double last_risk_ = std::numeric_limits<double>::quiet_NaN();  // under mu_
  std::unique_ptr<LatencyHistogram> latency_;
  // outbox counts() scans its tables under the outbox's lock, so scrapes reuse one for 1 s.
  mutable std::mutex pending_mu_;
  mutable int64_t pending_ = 0;
  mutable SteadyClock::time_point pending_at_{};
  std::optional<process::ShotRisk> risk_;  // the defect-risk model, if configured and loaded
  process::RestartCounter restarts_;       // shots since the machine's last stop (Handle only)
  double since_restart_ = 0;               // the part in flight's count (set by Handle)
  // The first view's memory of the die's parts, for the model and die it was built with. The
  // line loop's thread owns it and the memory_* fields below; the worker inspecting the first
  // view of the part in flight only reads memory_judge_, memory_die_ and memory_mark_ and fills
  // memory_next_ (WorkerPool::RunAll orders both around the task).
  std::optional<DieMemory> die_memory_;
  // Per view: the pose and weighted anomaly map of the last part whose heatmap is kept, copied
  // from the worker's workspace (only pose and weighted are set) for KeepImages to draw from.
  std::vector<Workspace> heat_;
  std::shared_ptr<const Judge> memory_judge_;
  std::string memory_die_;
  std::optional<DieMarkSeen> memory_mark_;  // what the memory found after its last part
  struct {                                  // the part in flight's, for RememberDie
    std::shared_ptr<const Judge> judge;     // null: nothing to add
    std::string die;
    cv::Mat deviations;  // reused part after part
    double turn = 0;
  } memory_next_;
  std::filesystem::path memory_file_;          // beside the outbox
  int memory_unsaved_ = 0;                     // parts added since the memory was last saved
  bool memory_stale_ = false;                  // the file no longer matches the memory: save soon
  std::atomic<int64_t> memory_parts_{0};       // die_memory_->parts(), for Snapshot()
  std::atomic<uint64_t> finished_{0};          // parts_finished()
  RecurringMarkWatch recurring_;               // the first view's, like the die memory
  std::vector<FaintPlace> faint_;              // the first view's faint places, for recurring_
  std::unique_ptr<Uplink> uplink_;             // null unless configured; stopped before the outbox
  std::unique_ptr<StationServices> services_;  // last: stopped before the rest
};

}  // namespace linesight::station
