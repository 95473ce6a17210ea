// bench/ingest.cpp: sustained ingest into the server store, in parts per second, on each engine
// given: Store::Ingest() in batches of 500 realistic parts (one view, process values, findings on
// rejects; no images), against a plain INSERT loop of the same rows, one transaction per batch,
// on the same engine and schema (the floor the engine sets). Prints a JSON summary.
//   usage: ingest <folder> [<postgresql uri> <postgresql uri> [<parts>]]
//   (SQLite files go in the new folder; the two PostgreSQL databases must be new and empty)
#include <libpq-fe.h>

#include <chrono>
#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "store/part_columns.h"
#include "store/sqlite_db.h"
#include "store/store.h"

namespace {

using namespace linesight;
using Clock = std::chrono::steady_clock;
constexpr size_t kBatch = 500;

// Part `i` of a 9-machine cell: one shot every 2 s per machine; 3 % rejected, 0.5 % held.
PartRecord MakePart(int64_t i, const std::string& tag) {
  PartRecord r;
  const std::string machine = "M" + std::to_string(1 + i % 9);
  const int64_t shot = i / 9 + 1;
  r.shot = {machine, machine + "-D1", shot, shot, 1'796'000'000'000 + (i / 9) * 2000, {}};
  r.shot.process = {675.0 + static_cast<double>(i % 13), 215.5, 4.2, 850.0, 3.1, 45.0, 62.5};
  r.part_id = PartId(machine, shot) + tag;
  r.station = "S" + machine.substr(1);
  ViewResult v;
  v.decision = i % 33 == 0 ? Decision::kReject : (i % 200 == 1 ? Decision::kHold : Decision::kPass);
  v.reason = v.decision == Decision::kHold ? HoldReason::kPartNotFound : HoldReason::kNone;
  v.score = v.decision == Decision::kReject ? 1.8f : 0.4f + 0.001f * static_cast<float>(i % 300);
  v.threshold = 1.25f;
  v.model_id = "impeller@2026-11-30/9f2c41d0";
  v.inspect_ms = 31.5;
  if (v.decision == Decision::kReject)
    v.findings.push_back({cv::Rect(120, 80, 14, 9), 96, 2.2f, 1.76f, "porosity"});
  r.views = {v};
  CombineViews(r);
  r.trigger_time_ms = r.shot.time_ms + 40;
  r.latency_ms = 38.25;
  return r;
}

constexpr const char* kInsert =
    "INSERT INTO parts (part_id, station, machine, die, shot, die_shot, time_ms, decision, "
    "reason, score, threshold, defect_type_line, defect_type, image, model_id, latency_ms, "
    "melt_temp_c, die_temp_c, fast_shot_mps, intensification_bar, spray_s, vacuum_mbar, "
    "cycle_s, record) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, "
    "$16, $17, $18, $19, $20, $21, $22, $23, $24)";

// The row's values as text, in kInsert's order.
std::vector<std::string> RowText(const PartRecord& p) {
  const store::PartColumns c = store::DerivePartColumns(p);
  const ProcessValues& v = p.shot.process;
  return {p.part_id,
          p.station,
          p.shot.machine,
          p.shot.die,
          std::to_string(p.shot.shot),
          std::to_string(p.shot.die_shot),
          std::to_string(p.shot.time_ms),
          std::string(DecisionName(p.decision)),
          std::string(HoldReasonName(p.reason)),
          std::to_string(c.score),
          std::to_string(c.threshold),
          c.defect_type_line,
          c.defect_type_line,
          c.image,
          c.model_id,
          std::to_string(p.latency_ms),
          std::to_string(v.melt_temp_c),
          std::to_string(v.die_temp_c),
          std::to_string(v.fast_shot_mps),
          std::to_string(v.intensification_bar),
          std::to_string(v.spray_s),
          std::to_string(v.vacuum_mbar),
          std::to_string(v.cycle_s),
          ToJson(p).dump()};
}

void PlainSqlite(const std::string& path, const std::vector<PartRecord>& parts) {
  store::SqliteDb db(path);
  db.Exec("PRAGMA busy_timeout = 10000; PRAGMA synchronous = FULL");
  std::string sql = kInsert;
  for (char& ch : sql)
    if (ch == '$') ch = '?';
  store::Statement s = db.Prepare(sql);
  for (size_t b = 0; b < parts.size(); b += kBatch) {
    store::Transaction t(db);
    for (size_t i = b; i < std::min(parts.size(), b + kBatch); ++i) {
      const auto row = RowText(parts[i]);
      s.Reset();
      for (size_t k = 0; k < row.size(); ++k)
        s.Bind(static_cast<int>(k + 1), std::string_view(row[k]));
      s.Run();
    }
    t.Commit();
  }
}

void PgExec(PGconn* c, const char* sql) {
  PGresult* r = PQexec(c, sql);
  if (PQresultStatus(r) != PGRES_COMMAND_OK && PQresultStatus(r) != PGRES_TUPLES_OK)
    throw std::runtime_error(PQerrorMessage(c));
  PQclear(r);
}

void PlainPg(const std::string& uri, const std::vector<PartRecord>& parts) {
  PGconn* c = PQconnectdb(uri.c_str());
  if (PQstatus(c) != CONNECTION_OK) throw std::runtime_error(PQerrorMessage(c));
  for (size_t b = 0; b < parts.size(); b += kBatch) {
    PgExec(c, "BEGIN");
    for (size_t i = b; i < std::min(parts.size(), b + kBatch); ++i) {
      const auto row = RowText(parts[i]);
      std::vector<const char*> values;
      for (const auto& v : row) values.push_back(v.c_str());
      PGresult* r = PQexecParams(c, kInsert, static_cast<int>(values.size()), nullptr,
                                 values.data(), nullptr, nullptr, 0);
      if (PQresultStatus(r) != PGRES_COMMAND_OK) throw std::runtime_error(PQerrorMessage(c));
      PQclear(r);
    }
    PgExec(c, "COMMIT");
  }
  PQfinish(c);
}

void ViaStore(store::Store& s, const std::vector<PartRecord>& parts) {
  for (size_t b = 0; b < parts.size(); b += kBatch) {
    const size_t n = std::min(kBatch, parts.size() - b);
    s.Ingest(std::span(parts).subspan(b, n), {});
  }
}

template <typename F>
double PartsPerSecond(size_t parts, F run) {
  const auto t0 = Clock::now();
  run();
  return static_cast<double>(parts) / std::chrono::duration<double>(Clock::now() - t0).count();
}

// `location` gets Store::Ingest(); `plain`, a store of the same schema, the plain loop.
nlohmann::json Measure(const std::string& location, const std::string& plain_location,
                       int64_t count, bool pg) {
  std::vector<PartRecord> store_parts, plain_parts;
  for (int64_t i = 0; i < count; ++i) {
    store_parts.push_back(MakePart(i, ""));
    plain_parts.push_back(MakePart(i, "-plain"));
  }
  auto store = store::OpenStore(location);
  store::OpenStore(plain_location);  // the schema
  const double plain = PartsPerSecond(plain_parts.size(), [&] {
    pg ? PlainPg(plain_location, plain_parts) : PlainSqlite(plain_location, plain_parts);
  });
  const double ingest = PartsPerSecond(store_parts.size(), [&] { ViaStore(*store, store_parts); });
  const double again = PartsPerSecond(store_parts.size(), [&] { ViaStore(*store, store_parts); });
  return {{"engine", store->engine()},
          {"parts", count},
          {"batch", kBatch},
          {"ingest_parts_per_s", ingest},
          {"plain_insert_parts_per_s", plain},
          {"ingest_over_plain", ingest / plain},
          {"duplicate_batches_parts_per_s", again},
          {"bytes", store->Counts().bytes}};
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2 && argc < 4) {
    std::cerr << "usage: ingest <new folder> [<postgresql uri> <postgresql uri> [<parts>]]\n";
    return 2;
  }
  const int64_t count = argc > 4 ? std::stoll(argv[4]) : 100'000;
  const std::string dir = argv[1];
  try {
    nlohmann::json out = nlohmann::json::array();
    out.push_back(Measure(dir + "/store.db", dir + "/plain.db", count, false));
    if (argc > 3) out.push_back(Measure(argv[2], argv[3], count, true));
    std::cout << out.dump(2) << "\n";
  } catch (const std::exception& e) {
    std::cerr << "ingest bench: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
