// store/sql_store.h: the Store's queries, written once over SqlConnection and run by both
// engines (sqlite_store.h, pg_store.h), which add only what differs: opening connections, the
// database's size and backups. Thread-safe: every call borrows a connection from a pool.
#pragma once

#include <string>

#include "store/connection_pool.h"
#include "store/server_schema.h"
#include "store/store.h"

namespace linesight::store {

class SqlStore : public Store {
 public:
  // Opens one connection and migrates the schema. `where` names the store in messages (never a
  // password). Throws Error{kIo} as OpenStore() documents.
  SqlStore(SqlEngine engine, std::string where, ConnectionFactory open, int connections);

  int schema_version() override;
  using Store::Ingest;
  IngestCounts Ingest(std::span<const PartRecord> parts, std::span<const MachineEvent> events,
                      std::string_view station) override;
  ShotCounts IngestShots(std::span<const Shot> shots) override;
  std::vector<PartSummary> FindParts(const PartFilter& filter, const PartPage& page) override;
  int64_t CountParts(const PartFilter& filter) override;
  int64_t CountPartsUpTo(const PartFilter& filter, int64_t cap) override;
  std::vector<PartSummary> PartsAfter(int64_t seq, int limit) override;
  int64_t LastSeq() override;
  std::optional<PartDetail> GetPart(std::string_view part_id) override;
  std::vector<MachineStatus> Machines(int64_t since_ms) override;
  std::vector<MachineEvent> Events(std::string_view machine, int64_t from_ms,
                                   int64_t to_ms) override;
  std::optional<MachineEvent> EventBefore(std::string_view machine, int64_t time_ms) override;
  std::vector<std::pair<int64_t, MachineEvent>> EventsAfter(int64_t id, int limit) override;
  int64_t LastEventId() override;
  std::vector<YieldRow> Yield(const PartFilter& filter, GroupBy by,
                              const ShiftCalendar& shifts) override;
  std::vector<ParetoRow> DefectPareto(const PartFilter& filter) override;
  std::vector<RateBucket> RejectRate(const PartFilter& filter, int64_t bucket_ms) override;
  std::vector<ProcessPoint> ProcessSeries(const PartFilter& filter, std::string_view variable,
                                          int limit) override;
  std::vector<std::string> DisposableImages(int64_t before_ms, int limit) override;
  std::vector<std::string> NamedImages() override;
  void ForgetImages(std::span<const std::string> names) override;
  int64_t AddReview(const Review& review, const AuditEntry& audit) override;
  void PutUser(const User& user) override;
  std::optional<User> GetUser(std::string_view name) override;
  std::vector<User> Users() override;
  void PutSession(const Session& session) override;
  std::optional<Session> GetSession(std::string_view token_hash, int64_t now_ms) override;
  void DeleteSession(std::string_view token_hash) override;
  void PutStationToken(std::string_view token_hash, std::string_view station) override;
  std::optional<std::string> StationForToken(std::string_view token_hash) override;
  int64_t Audit(const AuditEntry& entry) override;
  std::vector<AuditEntry> AuditLog(int limit, int64_t before_id) override;
  int64_t CountAudit(std::string_view action, std::string_view target, int64_t since_ms) override;
  StoreCounts Counts() override;
  RaisedAlert RaiseAlert(const AlertInput& alert, int64_t now_ms) override;
  std::vector<Alert> Alerts(const AlertQuery& query) override;
  std::optional<Alert> GetAlert(int64_t id) override;
  int64_t CountOpenAlerts() override;
  int64_t CountAllAlerts() override;
  std::optional<ClaimedNotice> ClaimAlertNotice(int64_t id, int64_t now_ms,
                                                int64_t every_ms) override;
  AckResult AckAlert(int64_t id, std::string_view user, std::string_view note, int64_t now_ms,
                     const AuditEntry& audit) override;
  std::vector<DieShots> DieShotCounts(int64_t since_ms) override;

 protected:
  // The database's size on disk in bytes.
  virtual int64_t DatabaseBytes(SqlConnection& c) = 0;
  ConnectionPool::Lease Connection() { return pool_.Acquire(); }
  const std::string& where() const { return where_; }

 private:
  std::vector<YieldRow> ZonedShiftYield(const PartFilter& filter, const ShiftCalendar& shifts);

  std::string where_;
  ConnectionPool pool_;
};

// In Ingest()'s transaction: gives each of `parts` that lacks process values those of its shot,
// if telemetry brought it first (sql_store_shots.cpp).
std::vector<std::string> FillPartsFromShots(SqlConnection& c, std::span<const PartRecord> parts);

// Inserts one audit entry (in the caller's transaction, if any); returns its id
// (sql_store_people.cpp).
int64_t InsertAudit(SqlConnection& c, const AuditEntry& a);

// Page and batch sizes are clamped to 1..kMaxRows.
inline constexpr int kMaxRows = 1000;

}  // namespace linesight::store
