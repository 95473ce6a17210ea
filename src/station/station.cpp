#include "station/station.h"

#include <cmath>
#include <iostream>
#include <sstream>

#include <opencv2/imgcodecs.hpp>

#include "core/clock.h"
#include "core/error.h"
#include "inspect/finding_type.h"
#include "inspect/overlay.h"
#include "station/station_metrics.h"
#include "station/station_services.h"
#include "vision/image_io.h"

namespace linesight::station {
namespace {

// Heatmaps are smooth: this many pixels along the longest side show every finding.
constexpr int kHeatmapSide = 512;
// The die memory is saved after this many of its parts (~1.2 MB each time on the default canvas):
// a station killed between two saves starts again from at most this many parts back, which its
// running means over hundreds of parts hardly notice.
constexpr int kMemorySaveParts = 25;

// PNG bytes of `image`, empty if it cannot be encoded (the record matters more than its picture).
std::vector<uint8_t> Png(const cv::Mat& image) {
  std::vector<uint8_t> png;
  try {
    cv::imencode(".png", image, png);
  } catch (const cv::Exception&) {
    png.clear();
  }
  return png;
}

store::OutboxOptions OutboxOptionsOf(const OutboxConfig& c) {
  store::OutboxOptions o;
  o.path = c.path.string();
  o.image_dir = c.image_dir.string();
  o.image_cap_bytes = static_cast<int64_t>(c.image_cap_mb * 1024 * 1024);
  o.sync = c.sync_full ? store::OutboxSync::kFull : store::OutboxSync::kNormal;
  return o;
}

io::PlcServerOptions PlcOptionsOf(const PlcConfig& c) {
  io::PlcServerOptions o;
  o.host = c.host;
  o.port = c.port;
  return o;
}

// The frame as the 8-bit grey image the Inspector reads. Throws Error{kImage}.
cv::Mat GreyOf(const io::Frame& frame, const std::string& pixel_format) {
  if (!frame.encoded.empty()) return DecodeGrey(frame.encoded, frame.name);
  if (frame.image.type() == CV_8UC1) return frame.image;
  if (frame.image.type() == CV_16UC1) {
    const double full = pixel_format == "Mono12" ? 4095.0 : 65535.0;
    cv::Mat grey;
    frame.image.convertTo(grey, CV_8U, 255.0 / full);
    return grey;
  }
  throw Error(ErrorCategory::kImage, frame.name + ": frame is not a grey image",
              "Set the camera to Mono8, Mono12 or Mono16");
}

ViewResult ResultOf(const std::string& view, const Verdict& v) {
  ViewResult r;
  r.view = view;
  r.decision = v.decision;
  r.reason = v.reason;
  r.detail = v.detail;
  r.score = v.score;
  r.threshold = v.threshold;
  r.findings = v.findings;
  r.model_id = v.model_id;
  r.inspect_ms = v.times.align_ms + v.times.score_ms;
  return r;
}

ViewResult HeldView(const std::string& view, HoldReason reason, std::string detail) {
  ViewResult r;
  r.view = view;
  r.decision = Decision::kHold;
  r.reason = reason;
  r.detail = std::move(detail);
  return r;
}

// What the PLC reads: the worst view's score relative to its threshold.
io::PlcResult PlcResultOf(const PartRecord& part, uint32_t part_id) {
  io::PlcResult r{};
  r.part_id = part_id;
  r.decision = part.decision;
  r.reason = part.reason;
  r.latency_ms = part.latency_ms;
  // The worst view (the first of equals) gives the score; its most severe finding the type
  // (docs/plc.md, register 17), or, if it has none, the worst view that has one.
  float worst = -1, worst_found = -1;
  for (const auto& v : part.views) {
    const float rel = v.threshold > 0 ? v.score / v.threshold : 0;
    if (rel > worst) {
      worst = rel;
      r.score = v.score;
      r.threshold = v.threshold;
    }
    if (!v.findings.empty() && rel > worst_found) {
      worst_found = rel;
      r.defect_type = static_cast<uint16_t>(FindingTypeCode(v.findings.front().type));
    }
  }
  if (r.defect_type == 0 && RejectedForRecurringMark(part))
    r.defect_type = static_cast<uint16_t>(FindingTypeCode("die_mark"));
  // A held part that no model scored (not found, another size, out of focus) has no score: the
  // PLC reads 65535, "unusable" (docs/plc.md), never 0, which reads as a flawless part.
  if (part.decision == Decision::kHold && !(r.score > 0)) r.threshold = 0;
  return r;
}

UplinkOptions UplinkOptionsOf(const StationConfig& c) {
  UplinkOptions o;
  o.url = c.uplink.url;
  o.token = UplinkToken(c.uplink);
  if (!c.uplink.token_file.empty())
    o.reload_token = [uplink = c.uplink] { return UplinkToken(uplink); };
  o.ca_file = c.uplink.ca_file.string();
  o.batch_parts = static_cast<size_t>(c.uplink.batch_parts);
  o.max_batch_bytes = static_cast<size_t>(c.uplink.max_batch_mb * (1 << 20));
  o.timeout_s = c.uplink.timeout_s;
  o.backoff_max_s = c.uplink.backoff_max_s;
  o.keep_sent_ms = c.outbox.keep_sent_days * kDayMs;
  return o;
}

// A die memory's mark as a view's record carries it.
std::optional<DieMarkSeen> SeenOf(const std::optional<DieMark>& mark) {
  if (!mark) return std::nullopt;
  return DieMarkSeen{mark->x, mark->y, mark->size, mark->sigma};
}

}  // namespace

Station::Station(StationConfig config, std::unique_ptr<io::FrameSource> camera,
                 ProcessLookup process)
    : config_(std::move(config)),
      camera_(std::move(camera)),
      process_(std::move(process)),
      outbox_(OutboxOptionsOf(config_.outbox)),
      judges_(config_.views),
      pool_(std::min<int>(config_.workers, static_cast<int>(config_.views.size()))),
      plc_(PlcOptionsOf(config_.plc)),
      latency_(std::make_unique<LatencyHistogram>()),
      recurring_(config_.recurring_mark) {
  faint_.reserve(kRecurringPlacesReserved);
  memory_file_ = std::filesystem::path(config_.outbox.path).replace_extension(".die-memory");
  if (!outbox_.recovered_note().empty())
    std::cerr << config_.station << ": " << outbox_.recovered_note() << "\n";
  for (size_t i = 0; i < judges_.size(); ++i)
    if (!judges_.judge(i))
      std::cerr << config_.station << ": view " << judges_.name(i)
                << " has no model, its parts are held: " << judges_.problem(i) << "\n";
  plc_.SetModelLoaded(judges_.all_loaded());
  UpdateFault();
  NoteModels();
  RestoreDieMemory();
  LoadRiskModel();
  if (config_.uplink.enabled) uplink_ = std::make_unique<Uplink>(outbox_, UplinkOptionsOf(config_));
  if (config_.mqtt.enabled || config_.http.enabled)
    services_ = std::make_unique<StationServices>(config_, [this] { return Snapshot(); });
}

Station::~Station() {
  services_.reset();  // its threads read the station: stop them first
  uplink_.reset();    // unsent records stay in the outbox
  plc_.Stop();
  SaveDieMemory(true);
}

// Risk is advice beside the verdict: a model that does not load is logged and the station
// inspects on without it, rather than stopping the line.
void Station::LoadRiskModel() {
  if (config_.risk_model.empty()) return;
  try {
    risk_.emplace(process::ShotRisk::Load(config_.risk_model));
  } catch (const Error& e) {
    std::cerr << config_.station << ": no defect risk on the parts: " << e.what() << "\n";
  }
}

void Station::JudgeRisk(PartRecord& part, double since_restart) {
  if (!risk_) return;
  try {
    part.risk = risk_->Risk(part.shot, since_restart);
    part.risk_model = risk_->id();
    if (std::isfinite(part.risk)) {
      std::lock_guard lock(mu_);
      last_risk_ = part.risk;
    }
  } catch (const std::exception& e) {  // XGBoost failing on one shot: that shot has no risk
    std::cerr << config_.station << ": no risk for " << part.part_id << ": " << e.what() << "\n";
  }
}

int Station::http_port() const { return services_ ? services_->http_port() : 0; }

std::string Station::mqtt_topic_prefix() const {
  return services_ ? services_->topic_prefix() : "";
}

void Station::NoteModels() {
  std::vector<std::pair<std::string, std::string>> models;
  for (size_t i = 0; i < judges_.size(); ++i) {
    const auto judge = judges_.judge(i);
    models.emplace_back(judges_.name(i), judge ? judge->model.Id() : "");
  }
  std::lock_guard lock(mu_);
  models_.swap(models);
}

int64_t Station::OutboxPending() const {
  std::lock_guard lock(pending_mu_);
  const auto now = SteadyClock::now();
  if (pending_at_ == SteadyClock::time_point{} || now - pending_at_ > std::chrono::seconds(1)) {
    pending_ = outbox_.backlog().pending_parts;  // partial indexes: cheap however long the history
    pending_at_ = now;
  }
  return pending_;
}

StationSnapshot Station::Snapshot() const {
  StationSnapshot s;
  s.station = config_.station;
  s.machine = config_.machine;
  s.plc_connected = plc_.client_connected();
  s.latency = latency_->Read();
  s.outbox_pending = OutboxPending();
  s.time_ms = UtcNowMs();
  if (uplink_) {
    s.uplink_enabled = true;
    s.uplink = uplink_->stats();
  }
  std::lock_guard lock(mu_);
  s.counters = counters_;
  s.models = models_;
  for (const auto& [view, id] : models_) s.fault = s.fault || id.empty();
  s.fault = s.fault || !unsaved_.empty();  // as the PLC's FAULT (UpdateFault)
  s.unsaved = static_cast<int64_t>(unsaved_.size());
  s.camera_ok = camera_ok_;
  if (last_part_ != SteadyClock::time_point{}) s.last_part_age_s = MillisSince(last_part_) / 1000.0;
  s.last_risk = last_risk_;
  s.die_memory_parts = memory_parts_.load();
  return s;
}

void Station::Run(const std::atomic<bool>& stop) {
  auto refreshed = SteadyClock::now();
  while (!stop.load()) {
    const auto trigger = plc_.WaitTrigger(std::chrono::milliseconds(100));
    if (plc_.TakeMarkClear()) ClearRecurringMark();  // before the part the PLC may have sent
    ReportZeroPartIds();
    if (trigger) {
      HandleSafely(*trigger);
      refreshed = SteadyClock::now();
    } else if (SteadyClock::now() - refreshed > std::chrono::seconds(1)) {
      // Idle: a model copied in, or room made on a full disk, clears FAULT without a trigger (a
      // PLC that heeds FAULT sends none).
      RetryUnsaved();
      RefreshModels();
      refreshed = SteadyClock::now();
    }
  }
}

void Station::ReportZeroPartIds() {
  const uint64_t refused = plc_.counters().zero_part_ids;
  if (refused == zero_part_ids_) return;
  zero_part_ids_ = refused;
  std::cerr << config_.station << ": the PLC raised TRIGGER with part id 0 (" << refused
            << " times so far); the trigger was refused with Modbus exception 03 and no part was "
               "inspected. Write the machine's shot counter (1 or more) to registers 1-2 before "
               "or with TRIGGER (docs/plc.md)\n";
}

PartRecord Station::HandleSafely(const io::PlcTrigger& trigger) {
  struct Finished {
    std::atomic<uint64_t>& count;
    ~Finished() { ++count; }
  } finished{finished_};
  std::string what;
  try {
    return Handle(trigger);
  } catch (const std::exception& e) {
    what = e.what();
  } catch (...) {
    what = "unknown error";
  }
  // A bug or a resource failure must not end the line loop (the PLC would only see a stale
  // heartbeat): the part is held, its record kept if the outbox can, and the loop goes on.
  std::cerr << config_.station << ": part " << trigger.part_id
            << " failed in the line loop and is held: " << what << "\n";
  PartRecord part = NewPart(trigger);
  for (size_t i = 0; i < judges_.size(); ++i)
    part.views.push_back(
        HeldView(judges_.name(i), HoldReason::kInternal, "line loop failed: " + what));
  CombineViews(part);
  part.latency_ms = MillisSince(trigger.at);
  try {
    Store(part, false, nullptr);  // no deadline: it is held already
    NoteHoldStreak(part);
    if (!plc_.PublishResult(PlcResultOf(part, trigger.part_id)))
      std::cerr << config_.station << ": the PLC took back trigger " << trigger.part_id << "\n";
  } catch (const std::exception& e) {
    std::cerr << config_.station << ": part " << trigger.part_id
              << " could not be answered either (" << e.what() << "); the PLC treats it as NG\n";
  }
  Count(part);
  return part;
}

void Station::RefreshModels() {
  uint64_t swaps = 0, failures = 0;
  for (const auto& line : judges_.Refresh(swaps, failures))
    std::cerr << config_.station << ": " << line << "\n";
  {
    std::lock_guard lock(mu_);
    counters_.model_swaps += swaps;
    counters_.model_swap_failures += failures;
  }
  if (swaps > 0) NoteModels();  // the ids /healthz and the MQTT status show
  plc_.SetModelLoaded(judges_.all_loaded());
  UpdateFault();
}

void Station::UpdateFault() {
  bool unsaved = false;
  {
    std::lock_guard lock(mu_);
    unsaved = !unsaved_.empty();
  }
  // No model: nothing can be judged. Records the outbox refused (disk full, read-only): nothing
  // judged now could be kept before the PLC reads it, and every part would be held. Either way
  // the line should stop rather than make parts that all go to NG.
  plc_.SetFault(!judges_.all_loaded() || unsaved);
}

PartRecord Station::NewPart(const io::PlcTrigger& trigger) const {
  PartRecord part;
  part.station = config_.station;
  part.shot.machine = config_.machine;
  part.shot.shot = trigger.part_id;
  part.shot.die_shot = trigger.die_shot;
  char die[16];
  std::snprintf(die, sizeof die, "-D%02u", static_cast<unsigned>(trigger.die_number));
  part.shot.die = config_.machine + die;
  part.part_id = PartId(part.shot.machine, part.shot.shot);
  part.trigger_time_ms = UtcNowMs() - static_cast<int64_t>(MillisSince(trigger.at));
  part.shot.time_ms = part.trigger_time_ms;
  return part;
}

PartRecord Station::Handle(const io::PlcTrigger& trigger) {
  const Deadline deadline(trigger.at + std::chrono::milliseconds(config_.deadline_ms));
  PartRecord part = NewPart(trigger);
  if (process_) {
    const MachineShotReport report = process_(part.shot.shot);
    part.shot.process = report.process;
    if (report.time_ms > 0) part.shot.time_ms = report.time_ms;
  }
  // Shots since the machine's last stop, for the risk and the recurring-mark watch's warm-up.
  since_restart_ = restarts_.Next(part.shot.process.cycle_s);
  JudgeRisk(part, since_restart_);

  RetryUnsaved();
  RefreshModels();

  Images images;
  InspectViews(trigger, part, images);
  CombineViews(part);
  // Durable before the PLC sees the result. The deadline is looked at last once the outbox is
  // ready to write: a wait for its lock (the uplink, /metrics, another program) must not let a
  // late verdict through, and the record's latency counts that wait.
  const Stored stored = Store(part, !images.empty(), [&](PartRecord& p) {
    p.latency_ms = MillisSince(trigger.at);
    HoldIfLate(p, deadline);
  });
  // Should answering the PLC throw, the record stored before its images still goes uplink.
  struct LetGo {
    store::Outbox* outbox;
    std::string part_id;
    ~LetGo() {
      if (outbox == nullptr) return;
      try {
        outbox->AttachImages(part_id, {});
      } catch (...) {  // the next start lets it go
      }
    }
  } let_go{stored == Stored::kNow && !images.empty() ? &outbox_ : nullptr, part.part_id};
  part.latency_ms = MillisSince(trigger.at);
  NoteHoldStreak(part);
  if (!plc_.PublishResult(PlcResultOf(part, trigger.part_id)))
    std::cerr << config_.station << ": result of part " << part.part_id
              << " not published (the PLC took back its trigger); the PLC treats it as NG\n";
  latency_->Record(part.latency_ms / 1000.0);
  Count(part);
  // After the PLC has its result, off the part's time: the pictures (encoding them costs about
  // as much as inspecting), then the uplink, the live feed, the die memory (adding the part) and
  // its file. MQTT is a live feed of the records, so a repeated part id, which left none, is not
  // published (the status counts it in duplicate_parts).
  if (let_go.outbox) {
    KeepImages(part, images);
    let_go.outbox = nullptr;
  }
  if (uplink_) uplink_->Notify();
  if (services_ && stored != Stored::kDuplicate) services_->OnPart(part);
  RememberDie();
  SaveDieMemory(false);
  return part;
}

void Station::InspectViews(const io::PlcTrigger& trigger, PartRecord& part, Images& images) {
  const size_t n = judges_.size();
  part.views.assign(n, ViewResult{});
  std::vector<cv::Mat> frames(n);
  std::vector<std::shared_ptr<const Judge>> heat(n);  // set for a view whose heatmap is kept
  heat_.resize(n);
  memory_next_.judge = nullptr;  // a part whose answer failed after its inspection adds nothing
  std::vector<WorkerPool::Task> tasks;
  bool first_watched = false;  // set by the first view's task, if it runs
  const Deadline deadline(trigger.at + std::chrono::milliseconds(config_.deadline_ms));
  for (size_t i = 0; i < n; ++i) {
    const std::string& view = judges_.name(i);
    const auto judge = judges_.judge(i);
    if (!judge) {
      part.views[i] = HeldView(view, HoldReason::kNoModel, "no model: " + judges_.problem(i));
      continue;
    }
    try {
      // A camera may take the part again (a frame cut short) only within the first four fifths
      // of the deadline: the last fifth is the inspection's.
      const io::CaptureRequest request{
          static_cast<int64_t>(trigger.part_id), view,
          trigger.at + std::chrono::microseconds(int64_t{800} * config_.deadline_ms)};
      const io::Frame frame =
          camera_->Capture(request, std::chrono::milliseconds(config_.camera.timeout_ms));
      frames[i] = GreyOf(frame, config_.camera.pixel_format);
    } catch (const Error& e) {
      const HoldReason reason =
          e.category() == ErrorCategory::kImage ? HoldReason::kBadImage : HoldReason::kCamera;
      part.views[i] = HeldView(view, reason, e.what());
      continue;
    } catch (const std::exception& e) {
      part.views[i] = HeldView(view, HoldReason::kCamera, e.what());
      continue;
    }
    tasks.push_back([&, i, judge, view](Workspace& ws, Verdict& v) {
      try {
        judge->inspector.Inspect(frames[i], ws, deadline, v);
        part.views[i] = ResultOf(view, v);
        if (i == 0) {
          NoteForDieMemory(judge, part.shot.die, ws, part.views[i]);
          FindFaintPlaces(judge->inspector, ws, part.views[i]);
          WatchRecurringMark(part.shot, part.views[i]);
          first_watched = true;
        }
      } catch (const std::exception& e) {  // a view that failed is held, never passed
        part.views[i] = HeldView(view, HoldReason::kInternal, std::string("failed: ") + e.what());
        return;
      }
      // Only here is the workspace this frame's: what its heatmap is drawn from is copied now
      // (into buffers reused part after part), and drawn after the PLC has the result.
      try {  // a heatmap that cannot be kept leaves the verdict as it is
        if (ws.pose.found &&
            (part.views[i].decision != Decision::kPass || KeepPassImage(part.part_id))) {
          heat_[i].pose = ws.pose;
          ws.weighted.copyTo(heat_[i].weighted);
          heat[i] = judge;
        }
      } catch (const std::exception& e) {
        std::cerr << config_.station << ": part " << part.part_id << " view " << view
                  << ": no heatmap: " << e.what() << "\n";
      }
    });
  }
  pool_.RunAll(tasks);
  // A first view held before inspection (camera, model) is still one of the die's shots: a miss
  // for a standing mark, and maybe the first after a stop.
  if (n > 0 && !first_watched) WatchRecurringMark(part.shot, part.views[0]);
  if (!KeepImage(part)) return;
  for (size_t i = 0; i < n; ++i) {
    if (frames[i].empty()) continue;
    images.push_back({part.views[i].view, store::ImageRole::kFrame, frames[i]});
    if (heat[i])
      images.push_back({part.views[i].view, store::ImageRole::kHeatmap, frames[i], heat[i], i});
  }
}

void Station::KeepImages(const PartRecord& part, Images& images) {
  std::vector<std::vector<uint8_t>> pngs;  // what the blobs' spans show, until AttachImages
  pngs.reserve(images.size());
  store::PartImages blobs;
  for (auto& kept : images) {
    if (kept.role == store::ImageRole::kHeatmap) {
      try {  // a heatmap that fails leaves the record as it is
        kept.image = HeatmapLayer(kept.judge->inspector, kept.image.size(), heat_[kept.view_index],
                                  kHeatmapSide);
      } catch (const std::exception& e) {
        std::cerr << config_.station << ": part " << part.part_id << " view " << kept.view
                  << ": no heatmap: " << e.what() << "\n";
        continue;
      }
    }
    pngs.push_back(Png(kept.image));
    if (!pngs.back().empty())
      blobs.push_back({kept.view, store::ImageBlob{pngs.back(), "png", kept.role}});
  }
  try {
    outbox_.AttachImages(part.part_id, blobs);
  } catch (const std::exception& e) {
    std::cerr << config_.station << ": part " << part.part_id
              << " is stored without its images: " << e.what() << "\n";
  }
}

// A round part's first view goes into its die's memory (inspect/die_memory.h), after the PLC has
// the part's result: here, in the worker, only what the memory needs is copied out of the
// workspace (its deviations and turn). The view takes the mark the memory last found on this
// die with this model, for the server's die health and the recurring-mark watch (which decides):
// the mark of the parts before this one, which a horizon of hundreds of parts hardly changes.
void Station::NoteForDieMemory(const std::shared_ptr<const Judge>& judge, const std::string& die,
                               const Workspace& ws, ViewResult& view) {
  if (view.decision == Decision::kHold || !ws.pose.found ||
      judge->model.recipe.locate.method != LocateMethod::kDisc)
    return;
  if (judge == memory_judge_ && die == memory_die_ && memory_mark_) view.die_mark = memory_mark_;
  try {
    ws.cell.raw_map.copyTo(memory_next_.deviations);
    memory_next_.turn = judge->model.anomaly.TurnRadians(ws.cell);
    memory_next_.die = die;
    memory_next_.judge = judge;        // last: set only once the rest is this part's
  } catch (const std::exception& e) {  // the memory is advice: the part's verdict stands
    std::cerr << config_.station << ": die memory: " << e.what() << "\n";
  }
}

// Adds the part NoteForDieMemory copied, if any. The memory starts again for a new die or a new
// model (its deviations mean something else).
void Station::RememberDie() {
  const std::shared_ptr<const Judge> judge = std::move(memory_next_.judge);  // leaves it null
  if (!judge) return;
  memory_mark_.reset();  // until the memory has judged this part
  try {
    if (judge != memory_judge_) {
      die_memory_.emplace(judge->model, config_.recurring_mark.memory);
      memory_judge_ = judge;
      memory_die_ = memory_next_.die;
      memory_stale_ = true;  // the file is another model's
    } else if (memory_next_.die != memory_die_) {
      die_memory_->Reset();
      memory_die_ = memory_next_.die;
      memory_stale_ = true;  // the old die's file must not come back
    }
    memory_mark_ = SeenOf(die_memory_->Add(memory_next_.deviations, memory_next_.turn));
    ++memory_unsaved_;
    memory_parts_ = die_memory_->parts();
  } catch (const std::exception& e) {  // the memory is advice: the part's verdict stands
    std::cerr << config_.station << ": die memory: " << e.what() << "\n";
  }
}

void Station::RestoreDieMemory() {
  const auto judge = judges_.size() > 0 ? judges_.judge(0) : nullptr;
  std::error_code ec;
  if (!judge || judge->model.recipe.locate.method != LocateMethod::kDisc ||
      !std::filesystem::exists(memory_file_, ec))
    return;
  die_memory_.emplace(judge->model, config_.recurring_mark.memory);
  memory_judge_ = judge;
  memory_stale_ = true;  // replaced after the first part unless taken back here
  try {
    if (const auto die = die_memory_->Restore(memory_file_)) {
      memory_die_ = *die;
      memory_stale_ = false;
      // The mark it stood for its last part holds for the next one (judged here, at start).
      memory_mark_ = SeenOf(die_memory_->Mark());
      std::cerr << config_.station << ": die memory of die " << *die << " taken back from "
                << memory_file_.string() << ": " << die_memory_->parts() << " parts\n";
    } else {
      std::cerr << config_.station << ": " << memory_file_.string()
                << " holds another model's die memory; the die's parts start a new one\n";
    }
  } catch (const std::exception& e) {
    std::cerr << config_.station
              << ": die memory not taken back, the die's parts start a new one: " << e.what()
              << "\n";
  }
  memory_parts_ = die_memory_->parts();
}

void Station::SaveDieMemory(bool at_stop) {
  if (!die_memory_) return;
  if (!memory_stale_ && memory_unsaved_ < kMemorySaveParts && !(at_stop && memory_unsaved_ > 0))
    return;
  try {
    die_memory_->Save(memory_file_, memory_die_);
  } catch (const std::exception& e) {  // tried again kMemorySaveParts parts later
    std::cerr << config_.station << ": die memory not saved: " << e.what() << "\n";
    std::error_code ec;
    std::filesystem::remove(memory_file_.string() + ".tmp", ec);
    // A file that no longer matches the memory (a clear, another die) must not be taken back by
    // the next start: without it, that start begins a new memory.
    if (memory_stale_) std::filesystem::remove(memory_file_, ec);
  }
  memory_unsaved_ = 0;
  memory_stale_ = false;
}

void Station::ClearRecurringMark() {
  const auto stood = recurring_.Clear();
  // The die memory's mark would stand the watch up again within a few parts: a person who checked
  // the die (a false mark, or one polished out) starts its memory again too, on disk as well.
  memory_mark_.reset();
  if (die_memory_) {
    die_memory_->Reset();
    memory_stale_ = true;
    SaveDieMemory(false);
    memory_parts_ = 0;
  }
  if (!stood) {
    std::cerr << config_.station << ": CLEAR_MARK from the PLC: no recurring mark stood\n";
    return;
  }
  {
    std::lock_guard lock(mu_);
    ++counters_.recurring_mark_clears;
  }
  std::cerr << config_.station << ": the recurring mark at (" << stood->x << ", " << stood->y
            << ") was cleared from the PLC (CLEAR_MARK): the die's next parts are judged by "
               "their inspection alone until findings recur there\n";
}

// A passed first view's faint places, for the recurring-mark watch: a die's young vein rises
// under the threshold on most of its parts, at the same place (docs/station.md). Advice, like the
// die memory: if finding them fails, the part's verdict stands.
void Station::FindFaintPlaces(const Inspector& inspector, Workspace& ws, const ViewResult& view) {
  faint_.clear();
  if (view.decision != Decision::kPass || !config_.recurring_mark.enabled) return;
  try {
    inspector.FaintPlaces(ws, config_.recurring_mark.faint_share, faint_);
  } catch (const std::exception& e) {
    faint_.clear();
    std::cerr << config_.station << ": faint places: " << e.what() << "\n";
  }
}

// Findings recurring at one place of this die's parts are the die's mark, on every further part
// even where one part's inspection misses it: such a part does not pass (station/recurring_mark.h).
// A held view stays held (a hold may name no model: the watch goes on with the one it had); its
// shot still counts for the restart and the misses.
void Station::WatchRecurringMark(const Shot& shot, ViewResult& view) {
  const bool held = view.decision == Decision::kHold;
  const std::span<const Finding> findings = held ? std::span<const Finding>() : view.findings;
  const auto mark = recurring_.Add(shot.die, view.model_id, findings, since_restart_,
                                   held ? std::nullopt : view.die_mark,
                                   held ? std::span<const FaintPlace>() : faint_);
  faint_.clear();
  if (!mark || held) return;
  view.recurring_mark = RecurringMarkSeen{mark->x, mark->y, mark->size, mark->parts, mark->window};
  view.decision = Decision::kReject;
}

bool Station::KeepImage(const PartRecord& part) const {
  // Called before the views are combined, so the part's own decision is not set yet.
  for (const auto& v : part.views)
    if (v.decision != Decision::kPass) return true;
  return KeepPassImage(part.part_id);
}

bool Station::KeepPassImage(const std::string& part_id) const {
  // A fixed sample by part id, so the same parts are kept whatever the timing.
  const uint64_t h = std::hash<std::string>{}(part_id) % 1000000;
  return h < config_.outbox.keep_pass_images * 1000000;
}

void Station::HoldIfLate(PartRecord& part, const Deadline& deadline) const {
  if (!deadline.Passed() || part.decision == Decision::kHold) return;
  // A verdict the line can no longer act on in time is not trusted: hold it.
  for (auto& v : part.views)
    if (v.decision != Decision::kHold) {
      v.decision = Decision::kHold;
      v.reason = HoldReason::kDeadline;
      v.detail = "result later than the " + std::to_string(config_.deadline_ms) + " ms deadline";
    }
  CombineViews(part);
}

Station::Stored Station::Store(PartRecord& part, bool images_follow,
                               const std::function<void(PartRecord&)>& last_word) {
  try {
    if (!(images_follow ? outbox_.PutBeforeImages(part, last_word)
                        : outbox_.Put(part, {}, last_word))) {
      HoldDuplicate(part);
      return Stored::kDuplicate;
    }
  } catch (const std::exception& e) {
    std::cerr
        << config_.station << ": part " << part.part_id
        << " not stored yet (kept in memory and retried, FAULT set until the outbox takes it): "
        << e.what() << "\n";
    // The line must not pass a part that left no record: hold it (the PLC reads NG).
    part.decision = Decision::kHold;
    part.reason = HoldReason::kOutbox;
    {
      std::lock_guard lock(mu_);
      ++counters_.outbox_errors;
      unsaved_.push_back(part);
    }
    UpdateFault();  // before the PLC reads this part's hold
    return Stored::kLater;
  }
  return Stored::kNow;
}

void Station::HoldDuplicate(PartRecord& part) {
  // The outbox keeps the first record of a part id; this inspection cannot be stored beside it,
  // and the PLC must not read a verdict that has no record: hold the part (NG).
  std::cerr << config_.station << ": part " << part.part_id
            << " is already in the outbox, so this inspection of it is not stored and the part "
               "is held. The PLC sent part id "
            << part.shot.shot
            << " again: a re-trigger after a station restart (send the part to a person), or a "
               "part id that does not change (write the machine's shot counter to registers 1-2 "
               "for every part, docs/plc.md)\n";
  part.decision = Decision::kHold;
  part.reason = HoldReason::kOutbox;
  std::lock_guard lock(mu_);
  ++counters_.duplicate_parts;
}

void Station::RetryUnsaved() {
  // No part is between storing its record and keeping its images now (both run on this thread):
  // a record whose images could not be kept, nor the record let go, goes up without them.
  try {
    outbox_.ReleaseImagesToCome();
  } catch (const std::exception& e) {
    std::cerr << config_.station << ": records still wait for their images: " << e.what() << "\n";
  }
  // Each record leaves unsaved_ only once stored, so /healthz counts it until then. Only the line
  // loop's thread adds to unsaved_ (Store), and this runs on it too.
  size_t stored = 0;
  while (true) {
    PartRecord next;
    {
      std::lock_guard lock(mu_);
      if (unsaved_.empty()) break;
      next = unsaved_.front();
    }
    try {
      if (!outbox_.Put(next))
        std::cerr << config_.station << ": part " << next.part_id
                  << " held while the outbox failed is already stored under its id; its later "
                     "record is dropped\n";
    } catch (const std::exception&) {
      return;  // still failing: FAULT stays, the next part or idle second tries again
    }
    std::lock_guard lock(mu_);
    unsaved_.erase(unsaved_.begin());
    ++stored;
  }
  if (stored > 0) {
    std::cerr << config_.station << ": the outbox takes records again; " << stored
              << " held part(s) stored\n";
    UpdateFault();
  }
}

// Counted as the result goes out, whether or not the PLC still waits for it (a trigger it took
// back is its own NG), and once more for a part whose handling failed after this (HandleSafely's
// hold): a streak then reaches the limit a part early, never late.
void Station::NoteHoldStreak(const PartRecord& part) {
  uint64_t streak = 0;
  bool new_reason = false;
  {
    std::lock_guard lock(mu_);
    uint64_t& n = counters_.holds_in_a_row;
    n = part.decision == Decision::kHold ? n + 1 : 0;
    streak = n;
    const HoldReason reason = part.decision == Decision::kHold ? part.reason : HoldReason::kNone;
    new_reason = reason != HoldReason::kNone && reason != last_hold_;
    last_hold_ = reason;
  }
  // The first held part of a run (or of a new reason) is logged with its cause and fix, so that
  // a lost camera or a moved lens shows in the station's log at once; the rest of the run is
  // counted (/metrics, holds_in_a_row), not logged part by part.
  if (new_reason) {
    std::string detail;
    for (const ViewResult& v : part.views)
      if (v.decision == Decision::kHold && detail.empty()) detail = v.view + ": " + v.detail;
    std::cerr << config_.station << ": part " << part.part_id << " held ("
              << HoldReasonName(part.reason) << ")" << (detail.empty() ? "" : ": " + detail)
              << "; further parts held for this reason are counted, not logged\n";
  }
  const bool on = config_.hold_streak > 0 && streak >= static_cast<uint64_t>(config_.hold_streak);
  // Said once, when the streak reaches the limit: the PLC should stop the line.
  if (on && streak == static_cast<uint64_t>(config_.hold_streak))
    std::cerr << config_.station << ": the latest " << streak
              << " parts were all held (the latest for " << HoldReasonName(part.reason)
              << "): HOLD_STREAK set for the PLC; every part goes to NG until one is judged\n";
  plc_.SetHoldStreak(on);
}

void Station::Count(const PartRecord& part) {
  std::lock_guard lock(mu_);
  last_part_ = SteadyClock::now();
  camera_ok_ = true;
  for (const auto& v : part.views) camera_ok_ = camera_ok_ && v.reason != HoldReason::kCamera;
  ++counters_.parts;
  switch (part.decision) {
    case Decision::kPass:
      ++counters_.pass;
      break;
    case Decision::kReject:
      ++counters_.reject;
      counters_.recurring_mark_parts += RejectedForRecurringMark(part);
      break;
    case Decision::kHold:
      ++counters_.hold;
      ++counters_.holds_by_reason[static_cast<size_t>(part.reason) % 16];
      break;
  }
}

StationCounters Station::counters() const {
  std::lock_guard lock(mu_);
  return counters_;
}

std::string Station::StatusLine() const {
  const StationCounters c = counters();
  std::ostringstream s;
  s << config_.station << " at " << config_.machine << ": " << c.parts << " parts, " << c.pass
    << " pass, " << c.reject << " reject, " << c.hold << " hold";
  std::string gap = " (";
  for (size_t r = 1; r < 16; ++r)
    if (c.holds_by_reason[r]) {
      s << gap << HoldReasonName(static_cast<HoldReason>(r)) << " " << c.holds_by_reason[r];
      gap = ", ";
    }
  if (gap == ", ") s << ")";
  if (uplink_) {
    const UplinkStats u = uplink_->stats();
    // "idle": nothing was sent yet, so whether the server answers is not known.
    s << "; uplink "
      << (u.connected            ? "up"
          : u.last_error.empty() ? "idle"
                                 : "down")
      << ": " << u.parts_sent << " sent, " << u.pending_parts << " pending";
    if (u.parked_parts > 0) s << ", " << u.parked_parts << " parked";
    if (!u.last_error.empty()) s << " (" << u.last_error << ")";
  }
  return s.str();
}

}  // namespace linesight::station
