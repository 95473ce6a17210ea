#include "station/uplink.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/json_text.h"

namespace linesight::station {
namespace {

// 60 -> "60", 0.5 -> "0.5" (std::to_string gives "60.000000").
std::string FormatSeconds(double s) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", s);
  return buf;
}

// A server that refuses this many records in a row, accepting none in between, refuses them all
// (a wrong server, an API mismatch): the uplink stops parking and backs off instead, so a
// misconfiguration parks at most this many records rather than the whole outbox.
constexpr int kMaxParksWithoutSuccess = 10;

// PruneSent batches per retention round: a backlog of old records (keep_sent_days lowered) goes
// some batches at a time, between batches sent to the server.
constexpr int kPruneBatchesPerRound = 20;
// Before each batch: std::mutex is not fair, and a thread that locks again at once can keep a
// waiting Put out through batch after batch (rounds follow each other at once while records are
// due). 20 ms lets it in; a backlog still goes at ~4,000 records a second.
constexpr double kPrunePauseS = 0.02;

// Missing images are logged for the first few, then once per this many.
constexpr uint64_t kMissingLogEvery = 1000;

bool Is2xx(int status) { return status >= 200 && status < 300; }

// Answers that say "this request can never succeed as it is": bisect the batch to find the
// record, then park it. Every other failure (5xx, 429, 401, 403, 404, transport) is retried, since
// it is the server or the configuration that is wrong, not the data.
// Only the linesight server's own refusal (its JSON error) counts: a proxy's 413 page or a web
// server's 400 at a wrong URL says nothing about the record, and is retried like a 5xx.
bool IsRefusalStatus(int status) {
  return status == 400 || status == 409 || status == 413 || status == 415 || status == 422;
}

bool IsRefusal(const io::HttpAnswer& a) {
  if (!IsRefusalStatus(a.status)) return false;
  const auto j = nlohmann::json::parse(a.body, nullptr, false);
  return j.is_object() && j.contains("error") && j["error"].is_string();
}

// A 2xx or a refusal that is not the server's own answer: something else answered.
bool IsForeign(const io::HttpAnswer& a) {
  return Is2xx(a.status) || (IsRefusalStatus(a.status) && !IsRefusal(a));
}

// A 2xx is a delivery only with the server's answer: for a batch, counts that add up to its
// records; for an image, its name. A proxy's or another web server's page at a wrong URL
// ("200 Welcome to nginx") is not, and the records stay pending.
bool IsIngestAnswer(const io::HttpAnswer& a, size_t parts, size_t events) {
  if (!Is2xx(a.status)) return false;
  const auto j = nlohmann::json::parse(a.body, nullptr, false);
  if (!j.is_object()) return false;
  const auto count = [&j](const char* key) -> int64_t {
    return j.contains(key) && j[key].is_number_integer() ? j[key].get<int64_t>() : -1;
  };
  const int64_t pn = count("parts_new"), pd = count("parts_duplicate");
  const int64_t en = count("events_new"), ed = count("events_duplicate");
  return pn >= 0 && pd >= 0 && en >= 0 && ed >= 0 && static_cast<size_t>(pn + pd) == parts &&
         static_cast<size_t>(en + ed) == events;
}

bool IsImageAnswer(const io::HttpAnswer& a, const std::string& name) {
  if (!Is2xx(a.status)) return false;
  const auto j = nlohmann::json::parse(a.body, nullptr, false);
  return j.is_object() && j.contains("image") && j["image"] == name;
}

std::string NotTheServer(const std::string& url) {
  return ": not a linesight server's answer; check that the uplink's url (" + url +
         ") points at the factory server itself, and any proxy between passes requests of up to "
         "16 MiB";
}

// Names of images dealt with (sent, refused or missing) that the uplink remembers, so that a
// batch retried after a failure neither sends nor counts them again; forgotten past this many.
constexpr size_t kImagesRemembered = 20'000;

std::string Trimmed(const std::string& body) {
  std::string b = body;
  if (b.size() > 300) {
    b.resize(300);
    b += "…";
  }
  while (!b.empty() && (b.back() == '\n' || b.back() == '\r')) b.pop_back();
  return b;
}

// "<64 hex>.<letters/digits>": what the outbox writes. Anything else is not a file of ours.
bool SafeImageName(const std::string& name) {
  const size_t dot = name.find('.');
  if (dot == std::string::npos || dot == 0 || dot + 1 == name.size()) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    const bool ok = i < dot ? std::isxdigit(static_cast<unsigned char>(c)) != 0
                            : i == dot || std::isalnum(static_cast<unsigned char>(c)) != 0;
    if (!ok) return false;
  }
  return true;
}

std::string ContentType(const std::string& name) {
  const std::string ext = name.substr(name.rfind('.') + 1);
  if (ext == "png") return "image/png";
  if (ext == "jpg" || ext == "jpeg") return "image/jpeg";
  return "application/octet-stream";
}

bool ReadFile(const std::filesystem::path& path, std::string& out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  out.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  return !in.bad();
}

io::HttpClientOptions ClientOptions(const UplinkOptions& o) {
  if (o.token.empty())
    throw Error(ErrorCategory::kInput, "uplink: no station token",
                "Give the station's ingest token (uplink.token_file or LINESIGHT_UPLINK_TOKEN; "
                "an admin makes one with `linesight server token --station <id>`)");
  io::HttpClientOptions c;
  c.base_url = o.url;
  c.connect_timeout_s = o.connect_timeout_s;
  c.timeout_s = o.timeout_s;
  c.ca_file = o.ca_file;
  return c;
}

}  // namespace

struct Uplink::Record {
  bool is_part = true;
  PartRecord part;       // is_part
  int64_t event_id = 0;  // !is_part: the outbox's id
  std::string json;      // ToJson(part or event).dump()
  std::string Name() const {
    return is_part ? "part " + part.part_id : "event " + std::to_string(event_id);
  }
};

Uplink::Uplink(store::Outbox& outbox, const UplinkOptions& options, UplinkHooks hooks)
    : outbox_(outbox),
      options_(options),
      hooks_(std::move(hooks)),
      client_(ClientOptions(options)) {
  options_.batch_parts = std::max<size_t>(1, options_.batch_parts);
  options_.backoff_min_s = std::max(0.001, options_.backoff_min_s);
  options_.backoff_max_s = std::max(options_.backoff_min_s, options_.backoff_max_s);
  options_.keep_sent_ms = std::max<int64_t>(0, options_.keep_sent_ms);
  options_.prune_rows = std::max(1, options_.prune_rows);
  running_ = true;
  thread_ = std::thread([this] { Run(); });
}

Uplink::~Uplink() { Stop(); }

void Uplink::Notify() {
  {
    std::lock_guard lock(mu_);
    notified_ = true;
  }
  wake_.notify_all();
}

void Uplink::Stop() {
  std::lock_guard stop_lock(stop_mu_);
  if (!thread_.joinable()) return;
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  // A request may be under way (a server that hangs): cancel it until the thread notices. One
  // Cancel() could land just before the request starts and miss it, hence the loop.
  std::unique_lock lock(mu_);
  while (running_) {
    lock.unlock();
    client_.Cancel();
    lock.lock();
    wake_.wait_for(lock, std::chrono::milliseconds(20), [this] { return !running_; });
  }
  lock.unlock();
  thread_.join();
}

UplinkStats Uplink::stats() const {
  std::lock_guard lock(mu_);
  return stats_;
}

bool Uplink::stopping() const {
  std::lock_guard lock(mu_);
  return stopping_;
}

void Uplink::Log(const std::string& line) {
  if (hooks_.log)
    hooks_.log(line);
  else
    std::cerr << line << std::endl;
}

void Uplink::Wait(double seconds, bool wake_on_notify) {
  std::unique_lock lock(mu_);
  wake_.wait_for(lock, std::chrono::duration<double>(seconds),
                 [&] { return stopping_ || (wake_on_notify && notified_); });
}

void Uplink::Run() {
  RefreshBacklog();
  auto prune_at = SteadyClock::now();
  while (!stopping()) {
    bool sent_any = false;
    Outcome outcome = Outcome::kDone;
    try {
      outcome = DrainOnce(sent_any);
    } catch (const std::exception& e) {  // the outbox failed (disk): retry later
      Failed(std::string("uplink: outbox: ") + e.what(), 0);
      outcome = Outcome::kRetry;
    }
    bool prune_due = false;
    if (SteadyClock::now() >= prune_at) {
      try {
        prune_due = PruneOnce();
      } catch (const std::exception& e) {  // the outbox failed (disk): the next round retries
        Log(std::string("uplink: deleting records sent long ago: ") + e.what());
      }
      prune_at = SteadyClock::now() +
                 std::chrono::duration_cast<SteadyClock::duration>(
                     std::chrono::duration<double>(prune_due ? 0 : options_.prune_every_s));
    }
    try {
      RefreshBacklog();
    } catch (const std::exception&) {  // only figures for metrics; the next round retries
    }
    if (outcome == Outcome::kRetry) {
      Wait(stats().backoff_s, false);
    } else if (!sent_any && !prune_due) {
      Wait(options_.poll_s, true);
    }
  }
  std::lock_guard lock(mu_);
  running_ = false;
  wake_.notify_all();
}

Uplink::Outcome Uplink::DrainOnce(bool& sent_any) {
  {
    std::lock_guard lock(mu_);
    notified_ = false;  // a Notify() from here on wakes the next idle wait
  }
  std::vector<Record> records;
  size_t bytes = 0;
  const auto fits = [&](const std::string& json) {
    return records.empty() || bytes + json.size() + 1 <= options_.max_batch_bytes;
  };
  for (auto& part : outbox_.PendingParts(options_.batch_parts)) {
    Record r;
    r.json = JsonText(ToJson(part));
    if (!fits(r.json)) break;
    bytes += r.json.size() + 1;
    r.part = std::move(part);
    records.push_back(std::move(r));
  }
  for (auto& [id, event] : outbox_.PendingEvents(options_.batch_parts)) {
    Record r;
    r.is_part = false;
    r.event_id = id;
    r.json = JsonText(ToJson(event));
    if (!fits(r.json)) break;
    bytes += r.json.size() + 1;
    records.push_back(std::move(r));
  }
  if (records.empty()) return Outcome::kDone;
  sent_any = true;
  if (images_done_.size() > kImagesRemembered) images_done_.clear();
  if (SendImages(records) == Outcome::kRetry) return Outcome::kRetry;
  const Outcome sent = SendBatch(std::move(records));
  return sent == Outcome::kHeld ? Outcome::kRetry : sent;  // held: back off, then try again
}

Uplink::Outcome Uplink::SendImages(const std::vector<Record>& records) {
  const std::filesystem::path dir = outbox_.image_dir();
  const io::HttpHeaders auth = {{"Authorization", "Bearer " + options_.token}};
  for (const auto& r : records) {
    if (!r.is_part) continue;
    for (const auto& view : r.part.views)
      for (const std::string* kept : {&view.image, &view.heatmap}) {
        const std::string& name = *kept;
        if (name.empty() || images_done_.count(name)) continue;
        if (stopping()) return Outcome::kRetry;
        std::string bytes;
        if (!SafeImageName(name) || !ReadFile(dir / name, bytes)) {
          images_done_.insert(name);
          uint64_t missing = 0;
          {
            std::lock_guard lock(mu_);
            missing = ++stats_.images_missing;
          }
          if (missing <= 5 || missing % kMissingLogEvery == 0)
            Log("uplink: image " + name + " of part " + r.part.part_id + " is not in " +
                dir.string() + " (deleted under the disk cap?); the part is sent without it (" +
                std::to_string(missing) + " missing so far)");
          continue;
        }
        io::HttpAnswer a;
        try {
          a = client_.Put("/api/v1/images/" + name, bytes, ContentType(name), auth);
        } catch (const Error& e) {
          Failed(e.what(), 0);
          return Outcome::kRetry;
        }
        if (IsImageAnswer(a, name)) {
          images_done_.insert(name);
          std::lock_guard lock(mu_);
          ++stats_.images_sent;
        } else if (IsRefusal(a)) {
          images_done_.insert(name);
          {
            std::lock_guard lock(mu_);
            ++stats_.images_missing;
          }
          Log("uplink: the server refused image " + name + " (HTTP " + std::to_string(a.status) +
              ": " + Trimmed(a.body) + "); part " + r.part.part_id + " is sent without it");
        } else {
          Failed("uplink: PUT image " + name + ": HTTP " + std::to_string(a.status) + ": " +
                     Trimmed(a.body) + (IsForeign(a) ? NotTheServer(options_.url) : ""),
                 a.status);
          return Outcome::kRetry;
        }
      }
  }
  return Outcome::kDone;
}

Uplink::Outcome Uplink::SendBatch(std::vector<Record> records) {
  if (stopping()) return Outcome::kRetry;
  std::string parts = "[", events = "[";
  for (const auto& r : records) {
    std::string& list = r.is_part ? parts : events;
    if (list.size() > 1) list += ',';
    list += r.json;
  }
  const std::string body = "{\"parts\":" + parts + "],\"events\":" + events + "]}";
  io::HttpAnswer a;
  try {
    a = client_.Post("/api/v1/parts", body, "application/json",
                     {{"Authorization", "Bearer " + options_.token}});
  } catch (const Error& e) {
    Failed(e.what(), 0);
    return Outcome::kRetry;
  }
  std::vector<std::string> part_ids;
  std::vector<int64_t> event_ids;
  for (const auto& r : records) {
    if (r.is_part)
      part_ids.push_back(r.part.part_id);
    else
      event_ids.push_back(r.event_id);
  }
  if (IsIngestAnswer(a, part_ids.size(), event_ids.size())) {
    outbox_.MarkPartsSent(part_ids);
    outbox_.MarkEventsSent(event_ids);
    consecutive_parks_ = 0;
    Succeeded(a.status);
    UplinkStats copy;
    {
      std::lock_guard lock(mu_);
      stats_.parts_sent += part_ids.size();
      stats_.events_sent += event_ids.size();
      ++stats_.batches;
      copy = stats_;
    }
    if (hooks_.on_batch) hooks_.on_batch(copy);
    return Outcome::kDone;
  }
  const std::string answer = "HTTP " + std::to_string(a.status) + ": " + Trimmed(a.body);
  if (!IsRefusal(a)) {
    // A proxy's body limit (its own 413 page, nginx's 1 MiB by default): halves may pass it.
    // A single record is never parked on a proxy's word; it waits, retried, with the hint below.
    if (a.status == 413 && records.size() > 1) return Bisect(std::move(records));
    Failed(
        "uplink: POST /api/v1/parts: " + answer + (IsForeign(a) ? NotTheServer(options_.url) : ""),
        a.status);
    return Outcome::kRetry;
  }
  Answered(a.status);  // the server is there; it refuses something in this batch
  if (records.size() == 1) {
    // A 409 is the server's word that this record conflicts with one it holds (a repeated shot
    // number): about the record alone, so it is parked however many were parked before.
    const bool record_conflict = a.status == 409;
    if (!record_conflict && consecutive_parks_ >= kMaxParksWithoutSuccess) {
      Failed("uplink: the server refused " + std::to_string(consecutive_parks_ + 1) +
                 " records in a row and accepted none (" + answer +
                 "); not parking more: check that " + options_.url +
                 " is a linesight server of this version",
             a.status);
      return Outcome::kHeld;
    }
    Park(records.front(), answer, !record_conflict);
    return Outcome::kDone;
  }
  return Bisect(std::move(records));
}

// Each half is sent on its own until the refused records stand alone. Records held in the first
// half do not keep the second's from the server.
Uplink::Outcome Uplink::Bisect(std::vector<Record> records) {
  const auto mid = records.begin() + static_cast<std::ptrdiff_t>(records.size() / 2);
  std::vector<Record> first(std::make_move_iterator(records.begin()), std::make_move_iterator(mid));
  std::vector<Record> second(std::make_move_iterator(mid), std::make_move_iterator(records.end()));
  const Outcome head = SendBatch(std::move(first));
  if (head == Outcome::kRetry) return Outcome::kRetry;
  const Outcome tail = SendBatch(std::move(second));
  return head == Outcome::kHeld && tail == Outcome::kDone ? Outcome::kHeld : tail;
}

void Uplink::Park(const Record& r, const std::string& why, bool counts_toward_limit) {
  if (r.is_part)
    outbox_.MarkPartRejected(r.part.part_id, why);
  else
    outbox_.MarkEventRejected(r.event_id, why);
  consecutive_parks_ += counts_toward_limit;
  {
    std::lock_guard lock(mu_);
    ++(r.is_part ? stats_.parts_parked : stats_.events_parked);
  }
  Log("uplink: the server refused " + r.Name() + " for good (" + why +
      "); parked in the outbox, not sent again (docs/outbox.md, \"Parked records\")");
}

void Uplink::Failed(const std::string& why, int status) {
  if (stopping()) return;  // a request cancelled by Stop() is not a failure of the server
  ++failures_;
  if (status == 401) ReloadToken();
  const double exp = std::min(options_.backoff_max_s,
                              options_.backoff_min_s * std::pow(2.0, std::min(failures_ - 1, 30)));
  // 50..100 % of the exponential step: stations that failed together do not retry together.
  const double backoff = exp * std::uniform_real_distribution<double>(0.5, 1.0)(rng_);
  int previous_status = 0;
  bool was_failing = false;
  {
    std::lock_guard lock(mu_);
    previous_status = stats_.last_status;
    was_failing = !stats_.last_error.empty();
    ++stats_.retries;
    stats_.connected = false;
    stats_.last_status = status;
    stats_.last_error = why;
    stats_.backoff_s = backoff;
  }
  // One line when the trouble starts or changes kind, not one per retry.
  if (!was_failing || previous_status != status)
    Log(why + "; retrying with backoff (up to " + FormatSeconds(options_.backoff_max_s) +
        " s), nothing is lost meanwhile");
}

// `linesight server token` replaces a station's token: the new one, copied into the token file,
// is taken at the next 401 without a restart of the station.
void Uplink::ReloadToken() {
  if (!options_.reload_token) return;
  std::string token;
  try {
    token = options_.reload_token();
  } catch (const std::exception& e) {
    Log(std::string("uplink: cannot read the token again: ") + e.what());
    return;
  }
  if (token.empty() || token == options_.token) return;
  options_.token = token;
  Log("uplink: the server refused the token; a new one was found in the token file and is used "
      "from the next request");
}

void Uplink::Succeeded(int status) {
  bool was_failing = false;
  {
    std::lock_guard lock(mu_);
    was_failing = !stats_.last_error.empty();
    stats_.connected = true;
    stats_.last_status = status;
    stats_.last_error.clear();
    stats_.backoff_s = 0;
  }
  if (was_failing)
    Log("uplink: " + client_.endpoint() + " answers again after " + std::to_string(failures_) +
        " failed attempts");
  failures_ = 0;
}

// A refusal proves the server is reachable but is no success: the last error and the backoff
// stay, so a server refusing everything is reported and retried ever more slowly.
void Uplink::Answered(int status) {
  std::lock_guard lock(mu_);
  stats_.connected = true;
  stats_.last_status = status;
}

bool Uplink::PruneOnce() {
  int64_t pruned = 0;
  bool due = false;
  for (int i = 0; i < kPruneBatchesPerRound && !stopping(); ++i) {
    Wait(kPrunePauseS, false);  // the outbox's lock free for the line's Put between batches
    const int64_t n = outbox_.PruneSent(UtcNowMs(), options_.keep_sent_ms, options_.prune_rows);
    pruned += n;
    due = n >= options_.prune_rows;
    if (!due) break;
  }
  std::lock_guard lock(mu_);
  stats_.records_pruned += static_cast<uint64_t>(pruned);
  return due;
}

void Uplink::RefreshBacklog() {
  const store::Outbox::Backlog b = outbox_.backlog();
  std::lock_guard lock(mu_);
  stats_.pending_parts = b.pending_parts;
  stats_.pending_events = b.pending_events;
  stats_.parked_parts = b.rejected_parts;
  stats_.parked_events = b.rejected_events;
}

}  // namespace linesight::station
