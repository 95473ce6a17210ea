// store/store_fixture.h: the server store's test fixture, run once per engine: SQLite in a temp
// folder, and a real PostgreSQL server started by the test process (one database per test);
// and the parts it stores.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "core/part_record.h"
#include "store/sqlite_db.h"
#include "store/store.h"
#include "testing/postgres_server.h"
#include "testing/test_util.h"

namespace linesight::store::testing {

inline constexpr int64_t kT0 = 1'796'000'000'000;  // a Tuesday in 2026, 23:33:20 UTC
inline const char* const kTypes[] = {"porosity", "crack", "cold_shut"};

// A part of `machine` with one "top" view. Rejects get a finding typed by shot; scores spread.
inline PartRecord Part(const std::string& machine, int64_t shot, Decision d, int64_t time_ms) {
  PartRecord r;
  r.shot = {machine, machine + "-D" + std::to_string(1 + shot % 2), shot, shot, time_ms, {}};
  r.shot.process.melt_temp_c = 670 + static_cast<double>(shot % 10);
  r.part_id = PartId(machine, shot);
  r.station = "S" + machine.substr(1);
  ViewResult v;
  v.decision = d;
  v.reason = d == Decision::kHold ? HoldReason::kPartNotFound : HoldReason::kNone;
  v.threshold = 1.0f;
  v.score = d == Decision::kReject ? 1.5f + static_cast<float>(shot % 3)
                                   : 0.1f * static_cast<float>(shot % 10);
  v.model_id = "model-" + machine;
  v.image = "img-" + r.part_id + ".png";
  if (d == Decision::kReject)
    v.findings.push_back({cv::Rect(1, 2, 3, 4), 12, v.score, v.score, kTypes[shot % 3]});
  r.views = {v};
  CombineViews(r);
  r.trigger_time_ms = time_ms + 5;
  r.latency_ms = 12.25;
  return r;
}

// The line's decision for shot `shot` in Dataset(): every 7th rejected, every 11th held.
inline Decision DecisionOf(int64_t shot) {
  if (shot % 7 == 0) return Decision::kReject;
  if (shot % 11 == 0) return Decision::kHold;
  return Decision::kPass;
}

// Machines M1..M3, `shots` each; shot pairs share a time and machines share times, so there
// are many ties on time_ms (what keyset paging must break by part_id).
inline std::vector<PartRecord> Dataset(int shots = 40) {
  std::vector<PartRecord> parts;
  for (const std::string m : {"M1", "M2", "M3"})
    for (int64_t s = 1; s <= shots; ++s)
      parts.push_back(Part(m, s, DecisionOf(s), kT0 + (s / 2) * 60'000));
  return parts;
}

inline MachineEvent Event(const std::string& machine, int64_t time_ms, MachineState state,
                          const std::string& reason = "machine_fault") {
  MachineEvent e;
  e.machine = machine;
  e.time_ms = time_ms;
  e.state = state;
  e.planned = reason != "machine_fault";
  e.reason = reason;
  e.die = machine + "-D1";
  e.detail = "test";
  return e;
}

inline Review MakeReview(const std::string& part_id, Decision verdict, const std::string& type,
                         int64_t time_ms = kT0 + 9'000'000) {
  Review r;
  r.part_id = part_id;
  r.user = "ana";
  r.time_ms = time_ms;
  r.verdict = verdict;
  r.defect_type = type;
  r.note = "checked";
  return r;
}

inline AuditEntry AuditFor(const Review& r) {
  return {0, r.time_ms, r.user, "review", r.part_id, R"({"verdict":"x"})"};
}

// A T with the fields `set` sets (designated initializers would warn about the others).
template <typename T, typename F>
T With(F set) {
  T t;
  set(t);
  return t;
}

// Runs every test on both engines; GetParam() is "sqlite" or "postgresql".
class StoreTest : public ::testing::TestWithParam<std::string> {
 protected:
  static void TearDownTestSuite() { pg_.reset(); }

  void SetUp() override {
    try {
      location_ = NewLocation();
    } catch (const std::exception& e) {
      FAIL() << e.what();
    }
    store_ = OpenStore(location_);
  }

  bool IsPg() const { return GetParam() == "postgresql"; }

  // A fresh store location of this test's engine.
  std::string NewLocation() {
    db_ = "t" + std::to_string(++count_);
    if (!IsPg()) return (dir_ / (db_ + ".db")).string();
    if (!pg_error_.empty()) throw std::runtime_error(pg_error_);
    if (!pg_) {
      pg_ = std::make_unique<linesight::testing::PostgresServer>();
      try {
        pg_->Start();
      } catch (const std::exception& e) {
        pg_error_ = e.what();
        throw;
      }
    }
    return pg_->NewDatabase(db_);
  }

  // Runs `sql` on the current store behind the Store's back.
  void RawSql(const std::string& sql) {
    if (IsPg()) return pg_->Sql(db_, sql);
    SqliteDb db(location_);
    db.Exec("PRAGMA busy_timeout = 5000");
    db.Exec(sql);
  }

  void Ingest(const std::vector<PartRecord>& parts, const std::vector<MachineEvent>& events = {}) {
    store_->Ingest(parts, events);
  }

  static inline std::unique_ptr<linesight::testing::PostgresServer> pg_;
  static inline std::string pg_error_;
  static inline int count_ = 0;
  linesight::testing::TempDir dir_;
  std::string db_, location_;
  std::unique_ptr<Store> store_;
};

}  // namespace linesight::store::testing
