// bench/queries.cpp: the factory dashboard's store queries over many stored parts, on each engine
// given. Fills the store with N realistic parts through Store::Ingest() (batches of 1000; 9
// machines, dies changing every 20 k shots, 30 days of shots, ~4 % rejects with defect types,
// ~0.3 % holds, a few thousand reviews), then times every query the HTTP API makes (cold once,
// then the median of 5) over the whole range, the last shift, the last day and one machine.
// Prints one JSON object.
//   usage: queries <new sqlite file> [<postgresql uri of a new, empty database>] [--parts N]
//          [--skip-fill]  (time an already filled store; N must match the fill)
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <functional>
#include <iostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/clock.h"
#include "store/store.h"

namespace {

using namespace linesight;
using Clock = std::chrono::steady_clock;
constexpr size_t kBatch = 1000;
constexpr int kMachines = 9;
constexpr int64_t kDieShots = 20'000;
constexpr int64_t kStartMs = 1'796'000'000'000;  // 2026-11-30
constexpr int64_t kSpanMs = 30 * kDayMs;

uint64_t Mix(uint64_t x) {  // splitmix64: the same parts on every run
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

// Rejects' defect types, most common first (a die-casting Pareto).
const char* DefectType(uint64_t h) {
  const int r = static_cast<int>(h % 100);
  return r < 45   ? "porosity"
         : r < 65 ? "cold_shut"
         : r < 80 ? "crack"
         : r < 90 ? "flash"
                  : "misrun";
}

int64_t TimeOf(int64_t i, int64_t parts) {
  const int64_t per_machine = std::max<int64_t>(1, parts / kMachines);
  return kStartMs + (i / kMachines) * kSpanMs / per_machine;
}

std::string MachineOf(int64_t i) { return "M" + std::to_string(1 + i % kMachines); }

// Part `i` of `parts`: machine i % 9, shots spread evenly over 30 days.
PartRecord MakePart(int64_t i, int64_t parts) {
  const uint64_t h = Mix(static_cast<uint64_t>(i));
  PartRecord r;
  const std::string machine = MachineOf(i);
  const int64_t shot = i / kMachines + 1;
  const std::string die = machine + "-D" + std::to_string((shot / kDieShots) % 6 + 1);
  r.shot = {machine, die, shot, shot % kDieShots + 1, TimeOf(i, parts), {}};
  r.shot.process = {675.0 + static_cast<double>(h % 13), 215.5, 4.2, 850.0, 3.1, 45.0, 62.5};
  r.part_id = PartId(machine, shot);
  r.station = "S" + machine.substr(1);
  ViewResult v;
  const int roll = static_cast<int>((h >> 20) % 1000);
  v.decision = roll < 40 ? Decision::kReject : roll < 43 ? Decision::kHold : Decision::kPass;
  v.reason = v.decision == Decision::kHold ? HoldReason::kPartNotFound : HoldReason::kNone;
  v.threshold = 1.25f;
  v.score = v.decision == Decision::kReject ? 1.3f + 0.001f * static_cast<float>((h >> 40) % 1500)
                                            : 0.2f + 0.001f * static_cast<float>((h >> 40) % 1000);
  v.model_id = "impeller@2026-11-30/9f2c41d0";
  v.inspect_ms = 31.5;
  if (v.decision == Decision::kReject)
    v.findings.push_back({cv::Rect(120, 80, 14, 9), 96, 2.2f, 1.76f, DefectType(h >> 8)});
  r.views = {v};
  CombineViews(r);
  r.trigger_time_ms = r.shot.time_ms + 40;
  r.latency_ms = 38.25;
  return r;
}

// Fills `s` with `parts` parts and ~3000 reviews (of rejects and holds, spread over the range).
nlohmann::json Fill(store::Store& s, int64_t parts) {
  const auto t0 = Clock::now();
  std::vector<PartRecord> batch;
  for (int64_t b = 0; b < parts; b += static_cast<int64_t>(kBatch)) {
    batch.clear();
    for (int64_t i = b; i < std::min(parts, b + static_cast<int64_t>(kBatch)); ++i)
      batch.push_back(MakePart(i, parts));
    s.Ingest(batch, {});
    if ((b / static_cast<int64_t>(kBatch)) % 100 == 99 ||
        b + static_cast<int64_t>(kBatch) >= parts) {
      const double sec = std::chrono::duration<double>(Clock::now() - t0).count();
      std::fprintf(stderr, "%s: %lld parts, %.0f parts/s\n", std::string(s.engine()).c_str(),
                   static_cast<long long>(b + static_cast<int64_t>(batch.size())),
                   static_cast<double>(b + static_cast<int64_t>(batch.size())) / sec);
    }
  }
  const double ingest_s = std::chrono::duration<double>(Clock::now() - t0).count();
  int64_t reviews = 0;
  const int64_t step = std::max<int64_t>(1, parts / 3000);
  for (int64_t i = 0; i < parts && reviews < 3000; i += step) {
    // The first reject or hold at or after i.
    for (int64_t j = i; j < std::min(parts, i + 200); ++j) {
      const PartRecord p = MakePart(j, parts);
      if (p.decision == Decision::kPass) continue;
      store::Review r;
      r.part_id = p.part_id;
      r.user = "qe";
      r.time_ms = p.shot.time_ms + 600'000;
      r.verdict = j % 4 == 0 ? Decision::kPass : Decision::kReject;
      r.defect_type = r.verdict == Decision::kReject ? "porosity" : "";
      store::AuditEntry a{0, r.time_ms, "qe", "review", r.part_id, "{}"};
      s.AddReview(r, a);
      ++reviews;
      break;
    }
  }
  return {{"parts", parts},
          {"reviews", reviews},
          {"ingest_s", ingest_s},
          {"ingest_parts_per_s", static_cast<double>(parts) / ingest_s}};
}

double Ms(Clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

// Cold (first) run, then the median of 5; `rows` is what the last run returned.
nlohmann::json Time(const std::function<size_t()>& run) {
  auto t0 = Clock::now();
  size_t rows = run();
  const double cold = Ms(t0);
  std::vector<double> warm;
  for (int k = 0; k < 5; ++k) {
    t0 = Clock::now();
    rows = run();
    warm.push_back(Ms(t0));
  }
  std::sort(warm.begin(), warm.end());
  return {{"cold_ms", std::round(cold * 10) / 10},
          {"median_ms", std::round(warm[2] * 10) / 10},
          {"rows", rows}};
}

nlohmann::json Queries(store::Store& s, int64_t parts) {
  const int64_t last_ms = TimeOf(parts - 1, parts) + 1;
  const store::ShiftCalendar shifts;
  const int64_t shift_start = shifts.ShiftStart(last_ms - 1);
  struct Scope {
    const char* name;
    store::PartFilter f;
  };
  std::vector<Scope> scopes(4);
  scopes[0].name = "all";
  scopes[1].name = "last_shift";
  scopes[1].f.from_ms = shift_start;
  scopes[2].name = "last_day";
  scopes[2].f.from_ms = last_ms - kDayMs;
  scopes[3].name = "machine";
  scopes[3].f.machine = "M3";
  const store::PartPage page;  // 100, newest first
  nlohmann::json out;
  auto add = [&](const std::string& query, const char* scope, const std::function<size_t()>& f) {
    std::fprintf(stderr, "%s: %s / %s\n", std::string(s.engine()).c_str(), query.c_str(), scope);
    out[query][scope] = Time(f);
  };
  for (const Scope& sc : scopes) {
    const store::PartFilter base = sc.f;
    auto with = [&](auto change) {
      store::PartFilter f = base;
      change(f);
      return f;
    };
    const auto rej = with([](auto& f) { f.decision = Decision::kReject; });
    const auto type = with([](auto& f) { f.defect_type = "crack"; });
    const auto score = with([](auto& f) {
      f.min_score = 1.0;
      f.max_score = 1.25;
    });
    const auto held = with([](auto& f) {
      f.decision = Decision::kHold;
      f.unreviewed_only = true;
    });
    const auto rej_q = with([](auto& f) {
      f.decision = Decision::kReject;
      f.unreviewed_only = true;
    });
    const auto pass_q = with([](auto& f) {
      f.decision = Decision::kPass;
      f.unreviewed_only = true;
    });
    const char* n = sc.name;
    add("find_parts", n, [&] { return s.FindParts(base, page).size(); });
    add("find_parts_reject", n, [&] { return s.FindParts(rej, page).size(); });
    add("find_parts_defect_type", n, [&] { return s.FindParts(type, page).size(); });
    add("find_parts_score_range", n, [&] { return s.FindParts(score, page).size(); });
    add("review_queue_reject", n, [&] { return s.FindParts(rej_q, page).size(); });
    add("review_queue_hold", n, [&] { return s.FindParts(held, page).size(); });
    add("review_queue_pass", n, [&] { return s.FindParts(pass_q, page).size(); });
    add("count_parts", n, [&] { return static_cast<size_t>(s.CountParts(base)); });
    add("count_parts_reject", n, [&] { return static_cast<size_t>(s.CountParts(rej)); });
    add("count_parts_upto_10001", n,
        [&] { return static_cast<size_t>(s.CountPartsUpTo(base, 10001)); });
    add("count_parts_reject_upto_10001", n,
        [&] { return static_cast<size_t>(s.CountPartsUpTo(rej, 10001)); });
    add("count_review_queue_reject", n, [&] { return static_cast<size_t>(s.CountParts(rej_q)); });
    add("count_review_queue_reject_upto_10001", n,
        [&] { return static_cast<size_t>(s.CountPartsUpTo(rej_q, 10001)); });
    add("yield_by_machine", n,
        [&] { return s.Yield(base, store::GroupBy::kMachine, shifts).size(); });
    add("yield_by_die", n, [&] { return s.Yield(base, store::GroupBy::kDie, shifts).size(); });
    add("yield_by_shift", n, [&] { return s.Yield(base, store::GroupBy::kShift, shifts).size(); });
    add("defect_pareto", n, [&] { return s.DefectPareto(base).size(); });
    add("reject_rate_1h", n, [&] { return s.RejectRate(base, 3'600'000).size(); });
  }
  add("machines", "since_shift_start", [&] { return s.Machines(shift_start).size(); });
  add("machines", "since_day", [&] { return s.Machines(last_ms - kDayMs).size(); });
  return out;
}

nlohmann::json Run(const std::string& location, int64_t parts, bool fill) {
  auto s = store::OpenStore(location);
  nlohmann::json r = {{"engine", s->engine()}};
  if (fill) r["fill"] = Fill(*s, parts);
  r["bytes"] = s->Counts().bytes;
  r["queries"] = Queries(*s, parts);
  return r;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> stores;
  int64_t parts = 10'000'000;
  bool fill = true;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--parts" && i + 1 < argc)
      parts = std::stoll(argv[++i]);
    else if (a == "--skip-fill")
      fill = false;
    else
      stores.push_back(a);
  }
  if (stores.empty() || parts < kMachines) {
    std::cerr << "usage: queries <new sqlite file> [<postgresql uri>] [--parts N] [--skip-fill]\n";
    return 2;
  }
  try {
    nlohmann::json out = {{"parts", parts}, {"goal_ms", 200}, {"engines", nlohmann::json::array()}};
    for (const std::string& where : stores) {
      out["engines"].push_back(Run(where, parts, fill));
      std::cout << out["engines"].back().dump() << std::endl;  // partial results as they come
    }
    std::cout << out.dump(2) << "\n";
  } catch (const std::exception& e) {
    std::cerr << "queries bench: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
