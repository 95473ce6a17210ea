// store/store.h: the factory server's store: every station's parts, machine events, reviews,
// users, sessions and the audit log, behind one interface with two engines (SQLite, PostgreSQL).
// Thread-safe: one Store may be shared by every server thread.
#pragma once

#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/error.h"
#include "core/part_record.h"

namespace linesight::store {

// Ingest's refusal of a part id the store holds for another shot of the same station (the
// machine's shot counter repeated): a fact about that one record, never about the batch or the
// server, so the server answers 409 and a station parks the record whatever came before.
class PartConflict : public Error {
 public:
  using Error::Error;
};

// What one Ingest() call stored. Duplicates (same part_id; same machine, time and state for
// events) are skipped, so a batch sent twice stores everything once.
struct IngestCounts {
  int64_t parts_new = 0, parts_duplicate = 0;
  int64_t events_new = 0, events_duplicate = 0;
  // Parts lacking process values whose telemetry shot of the same number lies kJoinWindowMs or
  // more from them (not joined): a restarted shot counter or a clock far off. Each says which.
  std::vector<std::string> not_joined;
};

// A part and a telemetry shot of one machine and shot number are joined only within this time
// of each other: a clock sent as local time for UTC (up to 14 h off) still joins, while a
// restarted counter's numbers were last used days or weeks before.
inline constexpr int64_t kJoinWindowMs = 24LL * 3600 * 1000;

struct ShotCounts {
  int64_t shots_new = 0, shots_duplicate = 0;
  int64_t parts_filled = 0;  // stored parts that lacked process values and got them
  // Shots over kJoinWindowMs away from the stored shot (a duplicate, not stored) or the stored
  // part of their number (stored, not joined): the machine's shot counter restarted, or a clock
  // is far off. Each says what collided with what.
  std::vector<std::string> conflicts;
};

// Which parts a query covers. Empty strings and unset optionals match everything.
struct PartFilter {
  std::string machine, die, station;
  int64_t from_ms = std::numeric_limits<int64_t>::min();  // shot time, inclusive
  int64_t to_ms = std::numeric_limits<int64_t>::max();    // shot time, exclusive
  std::optional<Decision> decision;                       // the line's verdict
  std::string defect_type;  // the part's defect type (see PartSummary::defect_type)
  std::optional<double> min_score, max_score;  // on PartSummary::score
  // Parts whose score is above this share of their own threshold (> 0): borderline passes.
  std::optional<double> above_threshold_share;
  bool unreviewed_only = false;
  bool reviewed_only = false;  // parts a person reviewed (the plant report's audits)
};

// Keyset paging for part lists, newest first: parts strictly older than (time_ms, part_id).
struct PartPage {
  int limit = 100;  // 1..1000; Store clamps
  std::optional<int64_t> before_time_ms;
  std::string before_part_id;  // with before_time_ms: ties on time are broken by part_id
};

// An operator's or engineer's judgement of a part, overruling or confirming the line.
struct Review {
  int64_t id = 0;  // assigned by AddReview
  std::string part_id;
  std::string user;
  int64_t time_ms = 0;
  Decision verdict = Decision::kReject;  // kPass: the part is good; kReject: it is bad
  std::string defect_type;               // label when bad ("" = not labelled)
  std::string note;
};

// A part as lists show it: the columns a query can filter and sort on.
struct PartSummary {
  int64_t seq = 0;  // store-wide insertion order (see PartsAfter)
  std::string part_id, station, machine, die;
  int64_t shot = 0, die_shot = 0, time_ms = 0;
  Decision decision = Decision::kHold;
  HoldReason reason = HoldReason::kNone;
  // The worst view: the one with the highest score / threshold.
  float score = 0, threshold = 0;
  // The latest review's label if reviewed as bad, else the worst view's first finding's type when
  // the line rejected the part, else "".
  std::string defect_type;
  std::string image;     // the first view's kept image name, "" if none
  std::string model_id;  // the worst view's model
  double latency_ms = 0;
  std::optional<Review> review;  // the latest review, if any
};

struct PartDetail {
  PartSummary summary;
  PartRecord record;            // as the station sent it
  std::vector<Review> reviews;  // oldest first
};

// A machine's latest state, from its events and parts.
struct MachineStatus {
  std::string machine;
  std::string station;  // the station that sent its latest part
  std::string die;      // from the latest event or part
  MachineState state = MachineState::kRunning;
  int64_t state_since_ms = 0;  // time of the event that began the state (0 = no event yet)
  std::string reason;          // that event's reason
  bool planned = true;
  int64_t last_part_ms = 0;
  int64_t parts = 0, passes = 0, rejects = 0, holds = 0;  // parts with time >= since_ms
};

// A shift calendar: shifts of `length_ms` starting at `origin_ms` after midnight (e.g. 06:00 on
// any day), on the clock of `zone`: UTC when empty, else the local time of an IANA time zone
// (Europe/Berlin), summer time included, so the 06:00 shift starts at 06:00 all year and the
// night a clock changes has one shift an hour shorter or longer.
struct ShiftCalendar {
  int64_t origin_ms = 6LL * 3600 * 1000;
  int64_t length_ms = 8LL * 3600 * 1000;
  std::string zone;
  // The start of the shift holding `time_ms` (UTC ms, as the result).
  int64_t ShiftStart(int64_t time_ms) const;
  // How far `zone`'s clock is ahead of UTC at `time_ms` (0 without a zone).
  int64_t UtcOffsetMs(int64_t time_ms) const;
};

// Throws Error{kInput} naming the fix if `zone` is not a time zone of the system's database
// (tzdata, /usr/share/zoneinfo).
void CheckTimeZone(const std::string& zone);

enum class GroupBy : uint8_t { kMachine, kDie, kStation, kShift };

// Yield of one group. First-pass yield counts the line's passes; yield also counts parts a
// review judged good (the latest review wins), and no longer counts parts a review judged bad.
struct YieldRow {
  std::string key;  // machine, die, station, or the shift's start as UTC ms in decimal
  int64_t parts = 0, passes = 0, rejects = 0, holds = 0;
  int64_t good = 0;                        // good after reviews
  double first_pass_yield = 0, yield = 0;  // passes / parts, good / parts (0 when no parts)
};

struct ParetoRow {
  std::string defect_type;
  int64_t parts = 0;
};

struct RateBucket {
  int64_t start_ms = 0;  // bucket start, a multiple of the bucket length
  int64_t parts = 0, rejects = 0, holds = 0;
};

// One shot's value of one process variable, for control charts.
struct ProcessPoint {
  int64_t time_ms = 0;
  std::string part_id, die;
  double value = kNotMeasured;  // NaN: the machine did not measure it
};

// Control charts read at most this many shots at a time.
inline constexpr int kMaxSeriesPoints = 20000;

enum class Role : uint8_t { kOperator = 0, kQualityEngineer = 1, kAdmin = 2 };
std::string_view RoleName(Role r);  // "operator", "quality_engineer", "admin"
std::optional<Role> ParseRole(std::string_view name);

struct User {
  std::string name;
  Role role = Role::kOperator;
  std::string password_hash;  // Argon2id string (crypto_pwhash_str); never the password
  int64_t created_ms = 0;
  bool disabled = false;
};

// A logged-in browser. The cookie holds the token; the store keeps only its hash.
struct Session {
  std::string token_hash;  // sha256 hex of the cookie's token
  std::string user;
  std::string csrf;  // the token writes must echo in X-CSRF-Token
  int64_t created_ms = 0, expires_ms = 0;
};

struct AuditEntry {
  int64_t id = 0;  // assigned by the store
  int64_t time_ms = 0;
  std::string user;    // who ("station:S3" for stations, "system")
  std::string action;  // "review", "user.create", "user.update", "token.create", "login", ...
  std::string target;  // what: a part id, a user name, a station id
  std::string detail;  // JSON text
};

// Alerts (docs/api.md, "Alerts"): raised by the server's alert watch, de-duplicated on `key`
// while open, closed by a person's acknowledgement.
enum class AlertSeverity : uint8_t { kWarning = 0, kAlarm = 1 };
std::string_view SeverityName(AlertSeverity s);  // "warning", "alarm"
std::optional<AlertSeverity> ParseSeverity(std::string_view name);

struct AlertInput {
  std::string key;   // e.g. "reject_rate:M3:1796000000000"; one open alert per key
  std::string kind;  // "reject_rate", "process", "die_life"
  AlertSeverity severity = AlertSeverity::kWarning;
  std::string machine, die;   // "" when not about one
  std::string title;          // one line for people
  std::string detail = "{}";  // JSON text: the evidence
  // When what was seen happened, on the clock of the parts it came from (an hour's start, a
  // shot's time; 0 = undated, as a die's life). An ack covers the evidence up to the newest seen
  // so far, whatever the server's clock says (a station's clock may run ahead). A stored alert's
  // is the newest it was raised with.
  int64_t evidence_ms = 0;
};

struct Alert {
  int64_t id = 0;
  AlertInput input;
  int64_t first_ms = 0, last_ms = 0;  // first and latest time it was raised
  int64_t count = 0;                  // times raised while open (each look of the watch)
  int64_t occurrences = 0;            // of those, with newer evidence than before (a new event)
  bool acked = false;
  std::string acked_by;
  int64_t acked_ms = 0;
  std::string ack_note;
};

struct RaisedAlert {
  int64_t id = 0;
  bool fresh = false;  // a new alert; false: an open one's count was raised
  int64_t count = 0;
};

struct ClaimedNotice {
  bool first = false;  // the alert's first notice ("raised"); false: a repeat
  Alert alert;
};

struct AlertQuery {
  bool open_only = true;
  std::string machine;    // "" = all
  std::string key;        // "" = all
  int limit = 100;        // 1..1000; clamped
  int64_t before_id = 0;  // > 0: alerts with id < before_id (paging, newest first)
};

enum class AckResult : uint8_t { kAcked, kUnknown, kAlreadyAcked };

// The highest die_shot seen for one die on one machine (die life).
struct DieShots {
  std::string die, machine;
  int64_t die_shot = 0;
  int64_t last_ms = 0;  // time of its latest part
};

struct StoreCounts {
  int64_t parts = 0, events = 0, reviews = 0, users = 0;
  int64_t bytes = 0;  // database size on disk (SQLite: file + WAL; PostgreSQL: pg_database_size)
};

class Store {
 public:
  virtual ~Store() = default;

  // "sqlite" or "postgresql".
  virtual std::string_view engine() const = 0;
  // The schema version this store is at (== this build's after open).
  virtual int schema_version() = 0;

  // Stores parts and events in one transaction, skipping duplicates; all or nothing. On
  // PostgreSQL, ingests from several server processes are serialised so that `seq` grows in
  // commit order. `station` sent the batch (its token's station). Throws Error{kInput} for a
  // part without part_id or machine, a part id another station stored, or an event of a machine
  // whose latest part (this batch's included) came from another station than `station`: two
  // stations name one machine. Error{kIo} if the store cannot write. Then nothing is stored.
  virtual IngestCounts Ingest(std::span<const PartRecord> parts,
                              std::span<const MachineEvent> events, std::string_view station) = 0;
  // Ingest() of records no station sent (an import, tests): events are not checked against the
  // station of their machine.
  IngestCounts Ingest(std::span<const PartRecord> parts, std::span<const MachineEvent> events) {
    return Ingest(parts, events, {});
  }

  // Parts matching `filter`, newest first (time_ms desc, part_id desc), one page.
  // Stores shots' process values as telemetry brought them, idempotent by (machine, shot): the
  // first message of a shot wins. A stored part of the same machine and shot gets each value it
  // lacks; a part stored later gets them at its ingest. Throws Error{kInput} naming the shot if
  // one has no machine or a shot number below 1 (nothing is stored then).
  virtual ShotCounts IngestShots(std::span<const Shot> shots) = 0;

  virtual std::vector<PartSummary> FindParts(const PartFilter& filter, const PartPage& page) = 0;
  // Exact count of the parts matching `filter`: reads every matching row (seconds over millions).
  virtual int64_t CountParts(const PartFilter& filter) = 0;
  // min(CountParts(filter), cap) without reading more than `cap` matching rows: for a list's
  // total ("10000+" when it returns cap and cap = 10001). Throws Error{kInput} if cap < 1. The
  // default counts everything; engines override it.
  virtual int64_t CountPartsUpTo(const PartFilter& filter, int64_t cap);
  // Parts stored after `seq` (PartSummary::seq), oldest first: what live updates poll.
  virtual std::vector<PartSummary> PartsAfter(int64_t seq, int limit) = 0;
  virtual int64_t LastSeq() = 0;
  virtual std::optional<PartDetail> GetPart(std::string_view part_id) = 0;

  // Every machine that sent a part or an event, by machine id; counts over parts since `since_ms`.
  virtual std::vector<MachineStatus> Machines(int64_t since_ms) = 0;
  // Events stored after event id `id`, in insertion order (commit order, as for parts): what
  // live updates poll. Each with its id.
  virtual std::vector<std::pair<int64_t, MachineEvent>> EventsAfter(int64_t id, int limit) = 0;
  virtual int64_t LastEventId() = 0;
  // Events of one machine ("" = all) with time in [from_ms, to_ms), oldest first.
  virtual std::vector<MachineEvent> Events(std::string_view machine, int64_t from_ms,
                                           int64_t to_ms) = 0;
  // The latest event of `machine` before `time_ms` (the state a period starts in), if any.
  virtual std::optional<MachineEvent> EventBefore(std::string_view machine, int64_t time_ms) = 0;

  virtual std::vector<YieldRow> Yield(const PartFilter& filter, GroupBy by,
                                      const ShiftCalendar& shifts) = 0;
  // Rejected parts by defect type, most first (parts without a type count as "unclassified").
  virtual std::vector<ParetoRow> DefectPareto(const PartFilter& filter) = 0;
  // Parts per time bucket of `bucket_ms`, oldest first; empty buckets are left out.
  virtual std::vector<RateBucket> RejectRate(const PartFilter& filter, int64_t bucket_ms) = 0;
  // The latest `limit` shots (clamped to 1..kMaxSeriesPoints) matching `filter`, oldest first,
  // with their value of `variable`, a ProcessVariables() name. Throws Error{kInput} naming the
  // known variables if `variable` is not one.
  virtual std::vector<ProcessPoint> ProcessSeries(const PartFilter& filter,
                                                  std::string_view variable, int limit) = 0;

  // Image retention (server/image_retention.h). Kept images that only good, unreviewed parts
  // name (frames and heatmaps), ordered by the newest such part, oldest first; only images whose
  // newest part was shot before `before_ms`; at most `limit` (1..kMaxRows).
  virtual std::vector<std::string> DisposableImages(int64_t before_ms, int limit) = 0;
  // Every image name some stored part names.
  virtual std::vector<std::string> NamedImages() = 0;
  // Forgets that parts name `names` (their files were deleted); the part records are unchanged.
  virtual void ForgetImages(std::span<const std::string> names) = 0;

  // Stores a review and its audit entry in one transaction; returns the review's id. Throws
  // Error{kInput} if the part is unknown.
  virtual int64_t AddReview(const Review& review, const AuditEntry& audit) = 0;

  // Creates or replaces a user (by name).
  virtual void PutUser(const User& user) = 0;
  virtual std::optional<User> GetUser(std::string_view name) = 0;
  virtual std::vector<User> Users() = 0;

  virtual void PutSession(const Session& session) = 0;
  // The session with that token hash, if it exists and has not expired at `now_ms`.
  virtual std::optional<Session> GetSession(std::string_view token_hash, int64_t now_ms) = 0;
  virtual void DeleteSession(std::string_view token_hash) = 0;

  // Station tokens for ingest: the store keeps the token's sha256 hex and the station id.
  virtual void PutStationToken(std::string_view token_hash, std::string_view station) = 0;
  virtual std::optional<std::string> StationForToken(std::string_view token_hash) = 0;

  virtual int64_t Audit(const AuditEntry& entry) = 0;
  // Newest first; entries with id < before_id when before_id > 0.
  virtual std::vector<AuditEntry> AuditLog(int limit, int64_t before_id) = 0;
  // How many entries of `action` on `target` were made at or after `since_ms` (the sign-in
  // limiter counts failed sign-ins this way, so every server process sees the same count).
  virtual int64_t CountAudit(std::string_view action, std::string_view target,
                             int64_t since_ms) = 0;

  // Opens an alert, or, while one of the same key is open (not acknowledged), raises its count
  // and updates its last_ms, title, severity and detail. Safe with several server processes on
  // one store: a key has at most one open alert. Throws Error{kInput} for an empty key.
  virtual RaisedAlert RaiseAlert(const AlertInput& alert, int64_t now_ms) = 0;
  // Newest first (by id).
  virtual std::vector<Alert> Alerts(const AlertQuery& query) = 0;
  virtual std::optional<Alert> GetAlert(int64_t id) = 0;
  virtual int64_t CountOpenAlerts() = 0;
  virtual int64_t CountAllAlerts() = 0;  // open and acknowledged
  // Claims the sending of open alert `id` to the plant's delivery targets at `now_ms`: the alert
  // as stored, with its notified_ms set to now_ms, when it was never sent (`first`) or last sent
  // at or before now_ms - every_ms; nothing when it is not due, acknowledged or unknown. Each
  // claim is one statement, so of several server processes (or a restarted one) exactly one
  // sends the first notice and each repeat.
  virtual std::optional<ClaimedNotice> ClaimAlertNotice(int64_t id, int64_t now_ms,
                                                        int64_t every_ms) = 0;
  // Acknowledges an open alert and stores `audit` in the same transaction. kUnknown / kAlreadyAcked
  // change nothing.
  virtual AckResult AckAlert(int64_t id, std::string_view user, std::string_view note,
                             int64_t now_ms, const AuditEntry& audit) = 0;
  // Each die's highest die_shot over parts shot at or after `since_ms`, by die and machine.
  virtual std::vector<DieShots> DieShotCounts(int64_t since_ms) = 0;

  virtual StoreCounts Counts() = 0;
  // Writes a consistent copy of the running store to `path` (SQLite: a database file;
  // PostgreSQL: not supported here, throws Error{kInput} naming pg_dump).
  virtual void Backup(const std::string& path) = 0;
};

// Throws Error{kInput} unless cap >= 1 (for CountPartsUpTo implementations).
void CheckCountCap(int64_t cap);

// Opens the store at `location`: a "postgresql://" or "postgres://" URI, else a SQLite file path
// (created if missing). Migrates the schema to this build's version. Throws Error{kIo} naming the
// location and the cause (cannot connect, newer schema: upgrade linesight, ...).
std::unique_ptr<Store> OpenStore(const std::string& location);

}  // namespace linesight::store
