// Alerts end to end on both engines: the watch raises a reject-rate jump and a process value
// out of control once and counts repeats; people list and acknowledge alerts through the API
// (CSRF, roles, 401/403/404/409/400); alerts and acks reach a real webhook receiver (one that
// fails first) and a real mosquitto broker.
#include <algorithm>
#include <atomic>
#include <cmath>
#include <functional>
#include <mutex>
#include <optional>
#include <thread>

#include "io/mqtt_test_broker.h"
#include "server/alert_delivery.h"
#include "server/alert_sources.h"
#include "server/die_watch.h"
#include "server/server_fixture.h"
#include "store/sqlite_db.h"

namespace linesight::testing {
namespace {

using json = nlohmann::json;
constexpr int64_t kHour = 3'600'000;
// The clock the watch sees: half past an hour, so the latest complete hour is kLast.
constexpr int64_t kNow = 1'796'000'000'000 - 1'796'000'000'000 % kHour + kHour / 2;
constexpr int64_t kLast = kNow - kHour / 2 - kHour;

class AlertsTest : public ServerFixture {
 protected:
  server::ServerOptions AlertServerOptions(const std::string& name) {
    server::ServerOptions o;
    o.port = 0;
    o.image_dir = (dir_->path() / name).string();
    o.threads = 4;
    o.live_poll_ms = 50;
    o.alerts.interval_s = 1;
    o.alerts.clock = [] { return kNow; };
    return o;
  }
};
INSTANTIATE_TEST_SUITE_P(Engines, AlertsTest, ::testing::Values("sqlite", "postgresql"),
                         [](const auto& info) { return info.param; });

json Get(int port, const std::string& path, const Browser& b) {
  httplib::Client c("127.0.0.1", port);
  const auto r = c.Get(path, b.Headers());
  if (!r || r->status != 200) return json();
  return json::parse(r->body);
}

httplib::Result Ack(int port, int64_t id, const Browser& b, const std::string& body,
                    bool csrf = true) {
  httplib::Client c("127.0.0.1", port);
  return c.Post("/api/v1/alerts/" + std::to_string(id) + "/ack", b.Headers(csrf), body,
                "application/json");
}

// `n` parts of `machine` spread over the hour from `start`, the first `rejects` rejected.
std::vector<PartRecord> Hour(const std::string& machine, int64_t start, int64_t first_shot, int n,
                             int rejects) {
  std::vector<PartRecord> parts;
  for (int i = 0; i < n; ++i)
    parts.push_back(ServerTestPart(machine, first_shot + i,
                                   i < rejects ? Decision::kReject : Decision::kPass,
                                   start + i * (kHour / n)));
  return parts;
}

store::AlertInput Condition(const std::string& key) {
  store::AlertInput a;
  a.key = key;
  a.kind = "process";
  a.severity = store::AlertSeverity::kAlarm;
  a.machine = "M1";
  a.title = "M1: melt_temp_c 731 degC, outside its control limits";
  return a;
}

// Waits until server `s` has evaluated its alerts `n` more times.
void WaitEvaluations(const server::FactoryServer& s, int n) {
  const double seen = MetricValue(s, "linesight_alert_evaluations_total");
  ASSERT_TRUE(
      Eventually([&] { return MetricValue(s, "linesight_alert_evaluations_total") >= seen + n; }));
}

// After an ack, two more evaluations raise nothing: the one alert stays, acknowledged.
void ExpectTheAckHolds(const server::FactoryServer& s, const Browser& b) {
  WaitEvaluations(s, 2);
  const json all = Get(s.port(), "/api/v1/alerts?state=all", b);
  EXPECT_EQ(all["alerts"].size(), 1u) << all.dump();
  EXPECT_EQ(all["open"], 0);
}

TEST_P(AlertsTest, AJumpRaisesOneAlarmThatRepeatsCountAndAnAckEnds) {
  // M3 rejects 3 % for eight hours, then 40 % in the latest complete hour; M4 stays at 3 %.
  for (int h = 8; h >= 1; --h) {
    store_->Ingest(Hour("M3", kLast - h * kHour, 1000 * h, 100, 3), {});
    store_->Ingest(Hour("M4", kLast - h * kHour, 1000 * h, 100, 3), {});
  }
  store_->Ingest(Hour("M3", kLast, 1, 100, 40), {});
  store_->Ingest(Hour("M4", kLast, 1, 100, 3), {});
  // M5's melt temperature wanders by two degrees; after a stop its first 15 shots (warm-up) come
  // in 40 degrees cold, which is no alarm; then 4 of its latest 5 shots are 40 degrees hot.
  std::vector<PartRecord> m5 = Hour("M5", kNow - kHour, 1, 100, 0);
  for (size_t i = 0; i < m5.size(); ++i) m5[i].shot.process.melt_temp_c = 680 + 0.5 * (i % 5);
  for (size_t i = 40; i < 55; ++i) m5[i].shot.process.melt_temp_c = 640;
  for (size_t i = 95; i < 100; ++i) m5[i].shot.process.melt_temp_c = i == 97 ? 681 : 720;
  const MachineEvent stop{"M5", m5[40].shot.time_ms - 2, MachineState::kStopped, false, "fault", "",
                          ""};
  const MachineEvent restart{
      "M5", m5[40].shot.time_ms - 1, MachineState::kRunning, false, "fault", "", ""};
  store_->Ingest(m5, std::vector<MachineEvent>{stop, restart});
  // M6 restarted 15 shots ago: all of them cold, and all of them warm-up, so no alarm.
  std::vector<PartRecord> m6 = Hour("M6", kNow - kHour, 1, 100, 0);
  for (size_t i = 0; i < m6.size(); ++i)
    m6[i].shot.process.melt_temp_c = i >= 85 ? 640 : 680 + 0.5 * (i % 5);
  const MachineEvent m6_stop{
      "M6", m6[85].shot.time_ms - 2, MachineState::kStopped, true, "break", "", ""};
  store_->Ingest(m6, std::vector<MachineEvent>{m6_stop});

  server::FactoryServer s(*store_, AlertServerOptions("jump"));
  json open;
  ASSERT_TRUE(Eventually([&] {
    open = Get(s.port(), "/api/v1/alerts", operator_);
    return open.is_object() && open["alerts"].size() == 2 && open["alerts"][0]["count"] >= 2 &&
           open["alerts"][1]["count"] >= 2;
  })) << open.dump();
  std::map<std::string, json> by_kind;
  for (const json& a : open["alerts"]) by_kind[a["kind"]] = a;
  const json rate = by_kind["reject_rate"];
  EXPECT_EQ(rate["key"], "reject_rate:M3:" + std::to_string(kLast));
  EXPECT_EQ(rate["machine"], "M3");
  EXPECT_EQ(rate["severity"], "alarm");
  EXPECT_EQ(rate["detail"]["rejects"], 40);
  EXPECT_EQ(rate["occurrences"], 1) << "the same hour, looked at again: one event";
  const json process = by_kind["process"];
  EXPECT_EQ(process["key"], "process:M5:melt_temp_c");
  EXPECT_EQ(process["detail"]["value"], 720.0);
  EXPECT_EQ(process["detail"]["part_id"], PartId("M5", 100));
  EXPECT_EQ(process["detail"]["side"], "above");
  EXPECT_EQ(process["detail"]["beyond"], 4);
  EXPECT_EQ(open["open"], 2);
  EXPECT_EQ(Get(s.port(), "/api/v1/alerts?state=all", operator_)["alerts"].size(), 2u);
  // Pages: a page that holds the last alert says so (next_before null), even when it is full.
  const json page = Get(s.port(), "/api/v1/alerts?limit=1", operator_);
  ASSERT_EQ(page["alerts"].size(), 1u);
  ASSERT_FALSE(page["next_before"].is_null());
  const json last =
      Get(s.port(),
          "/api/v1/alerts?limit=1&before=" + std::to_string(page["next_before"].get<int64_t>()),
          operator_);
  EXPECT_EQ(last["alerts"].size(), 1u);
  EXPECT_TRUE(last["next_before"].is_null()) << last.dump();
  EXPECT_TRUE(Get(s.port(), "/api/v1/alerts?limit=2", operator_)["next_before"].is_null());
  EXPECT_EQ(MetricValue(s, "linesight_alerts_raised_total"), 2);

  const auto r = Ack(s.port(), rate["id"], operator_, R"({"note": "die sprayed again"})");
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(json::parse(r->body)["alert"]["acked_by"], "ana");
  // The acknowledged hour is not raised again, however often the watch looks.
  WaitEvaluations(s, 2);
  const json after = Get(s.port(), "/api/v1/alerts?state=all&machine=M3", operator_);
  ASSERT_EQ(after["alerts"].size(), 1u) << after.dump();
  EXPECT_EQ(after["alerts"][0]["acked"], true);
  EXPECT_EQ(after["alerts"][0]["ack_note"], "die sprayed again");
  EXPECT_EQ(MetricValue(s, "linesight_alerts_open"), 1);
  EXPECT_EQ(MetricValue(s, "linesight_alerts_raised_total"), 2);
}

TEST_P(AlertsTest, AnAckHoldsWhenTheWatchsClockRunsAheadOfTheWallClock) {
  // A simulated cell (the demo) dates its shots hours ahead of the wall clock. M5's melt runs hot
  // on its latest shots; once acknowledged, the same evidence must not be raised again.
  const int64_t ahead = kNow + 3 * 24 * kHour;
  std::vector<PartRecord> m5 = Hour("M5", ahead - kHour, 1, 100, 0);
  for (size_t i = 0; i < m5.size(); ++i)
    m5[i].shot.process.melt_temp_c = i >= 95 ? 720 : 680 + 0.5 * (i % 5);
  store_->Ingest(m5, {});
  server::ServerOptions o = AlertServerOptions("ahead");
  o.alerts.clock = [ahead] { return ahead; };
  server::FactoryServer s(*store_, o);
  json open;
  ASSERT_TRUE(Eventually([&] {
    open = Get(s.port(), "/api/v1/alerts", operator_);
    return open.is_object() && open["alerts"].size() == 1;
  })) << open.dump();
  const auto r = Ack(s.port(), open["alerts"][0]["id"], operator_, "{}");
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(json::parse(r->body)["alert"]["acked_ms"], ahead);  // dated on the watch's clock
  ExpectTheAckHolds(s, operator_);
}

TEST_P(AlertsTest, AnAckHoldsWhenAStationsClockRunsAheadOfTheServers) {
  // M5's station dates its parts two hours ahead of the server's clock; its melt runs hot on the
  // latest shots. The ack is dated by the server, before the evidence's own dates, and still
  // covers that evidence: acknowledged alarms do not come back at every evaluation.
  const int64_t station = kNow + 2 * kHour;
  std::vector<PartRecord> m5 = Hour("M5", station - kHour, 1, 100, 0);
  for (size_t i = 0; i < m5.size(); ++i)
    m5[i].shot.process.melt_temp_c = i >= 95 ? 720 : 680 + 0.5 * (i % 5);
  store_->Ingest(m5, {});
  server::FactoryServer s(*store_, AlertServerOptions("station_ahead"));
  // Two alerts: the hot melt, and the station's clock itself (its newest part ~2 h ahead).
  json open;
  ASSERT_TRUE(Eventually([&] {
    open = Get(s.port(), "/api/v1/alerts", operator_);
    return open.is_object() && open["alerts"].size() == 2;
  })) << open.dump();
  json melt, clock;
  for (const json& a : open["alerts"]) (a["kind"] == "clock" ? clock : melt) = a;
  EXPECT_EQ(melt["kind"], "process");
  EXPECT_EQ(melt["evidence_ms"], m5.back().shot.time_ms);
  EXPECT_EQ(clock["key"], "clock:M5");
  EXPECT_EQ(clock["severity"], "warning");
  EXPECT_NE(clock["title"].get<std::string>().find("M5 (station S1): parts dated 2.0 h ahead"),
            std::string::npos)
      << clock["title"];
  EXPECT_EQ(clock["detail"]["lead_ms"], m5.back().shot.time_ms - kNow);
  for (const json& a : {melt, clock}) {
    const auto r = Ack(s.port(), a["id"], operator_, "{}");
    ASSERT_EQ(r->status, 200) << r->body;
    EXPECT_EQ(json::parse(r->body)["alert"]["acked_ms"], kNow);
  }
  WaitEvaluations(s, 2);
  const json all = Get(s.port(), "/api/v1/alerts?state=all", operator_);
  EXPECT_EQ(all["alerts"].size(), 2u) << all.dump();
  EXPECT_EQ(all["open"], 0) << "the acks hold, the clock's too (same day)";
  EXPECT_EQ(all["total"], 2) << "state=all counts every alert kept";
  EXPECT_FALSE(Get(s.port(), "/api/v1/alerts", operator_).contains("total"));
  // A later hot shot is new evidence: raised again, as a new alert.
  std::vector<PartRecord> later = Hour("M5", station, 101, 6, 0);
  for (PartRecord& p : later) p.shot.process.melt_temp_c = 720;
  store_->Ingest(later, {});
  ASSERT_TRUE(Eventually([&] {
    open = Get(s.port(), "/api/v1/alerts", operator_);
    return open.is_object() && open["alerts"].size() == 1;
  })) << Get(s.port(), "/api/v1/alerts?state=all", operator_).dump();
  EXPECT_EQ(open["alerts"][0]["kind"], "process");
  EXPECT_GT(open["alerts"][0]["evidence_ms"], m5.back().shot.time_ms);
}

TEST_P(AlertsTest, AStationClockAFewMinutesAheadIsNoAlertButOneHoursAheadIs) {
  // M1's parts are dated 4 minutes ahead (within the lead a clock may have), M2's 3 days ahead.
  const std::vector<PartRecord> parts = {
      ServerTestPart("M1", 1, Decision::kPass, kNow + 4 * 60'000),
      ServerTestPart("M2", 1, Decision::kPass, kNow + 72 * kHour)};
  store_->Ingest(parts, {});
  const auto found = server::ClockAlerts(*store_, [] { return kNow; });
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].key, "clock:M2");
  EXPECT_EQ(found[0].machine, "M2");
  EXPECT_NE(found[0].title.find("3.0 days ahead"), std::string::npos) << found[0].title;
  EXPECT_EQ(found[0].evidence_ms % (24 * kHour), 0);
}

TEST_P(AlertsTest, PartsStoredWhileTheClockIsReadAreNotAheadOfIt) {
  // The demo's watch clock is the newest part's time. A batch an hour later is stored just after
  // the clock is first read: judged against that first reading its parts would seem an hour
  // ahead; the clock read after the parts are has them, so no clock alert.
  store_->Ingest(std::vector<PartRecord>{ServerTestPart("M1", 1, Decision::kPass, kNow)}, {});
  int64_t newest = kNow;
  int reads = 0;
  const auto clock = [&] {
    const int64_t now = newest;
    if (reads++ == 0) {
      store_->Ingest(
          std::vector<PartRecord>{ServerTestPart("M1", 2, Decision::kPass, kNow + kHour)}, {});
      newest = kNow + kHour;
    }
    return now;
  };
  EXPECT_TRUE(server::ClockAlerts(*store_, clock).empty());
  EXPECT_GE(reads, 2);
}

TEST_P(AlertsTest, ABacklogIsJudgedNotOnlyItsLatestShots) {
  // The server has judged M5's first 630 shots. Then its station uplinks a backlog at once (its
  // link was down): 10 hot shots, then 60 normal ones. The excursion is far behind the latest 20
  // shots, and is still raised, dated at its own shots.
  std::vector<PartRecord> m5 = Hour("M5", kNow - kHour, 1, 630, 0);
  for (size_t i = 0; i < m5.size(); ++i) m5[i].shot.process.melt_temp_c = 680 + 0.5 * (i % 5);
  store_->Ingest(m5, {});
  server::FactoryServer s(*store_, AlertServerOptions("backlog"));
  WaitEvaluations(s, 1);
  std::vector<PartRecord> backlog = Hour("M5", kNow - 5'000, 631, 70, 0);
  for (size_t i = 0; i < backlog.size(); ++i) {
    backlog[i].shot.process.melt_temp_c = i < 10 ? 720 : 680 + 0.5 * (i % 5);
    // One a second after the 630th (5.7 s before kNow), so that the last lie about a minute
    // past the watch's clock (no clock alert).
    backlog[i].shot.time_ms = kNow - 5'000 + static_cast<int64_t>(i) * 1000;
  }
  store_->Ingest(backlog, {});
  json open;
  ASSERT_TRUE(Eventually([&] {
    open = Get(s.port(), "/api/v1/alerts", operator_);
    return open.is_object() && open["alerts"].size() == 1;
  })) << open.dump();
  const json& a = open["alerts"][0];
  EXPECT_EQ(a["key"], "process:M5:melt_temp_c");
  EXPECT_GE(a["evidence_ms"], backlog[3].shot.time_ms);
  EXPECT_LE(a["evidence_ms"], backlog[9].shot.time_ms);
}

// `n` parts of `machine`'s die from die shot `first`, a minute apart; `finding(shot)` gives each
// its finding (a part with none passes).
std::vector<PartRecord> DieParts(const std::string& machine, int64_t first, int n,
                                 const std::function<std::optional<Finding>(int64_t)>& finding) {
  std::vector<PartRecord> parts;
  for (int64_t shot = first; shot < first + n; ++shot) {
    const std::optional<Finding> f = finding(shot);
    PartRecord p = ServerTestPart(machine, shot, f ? Decision::kReject : Decision::kPass,
                                  kNow - 4 * kHour + shot * 6'000);
    p.views[0].findings.clear();
    if (f) p.views[0].findings.push_back(*f);
    CombineViews(p);
    parts.push_back(std::move(p));
  }
  return parts;
}

Finding Placed(const std::string& type, double x, double y, double size) {
  Finding f;
  f.box = {100, 120, 8, 3};
  f.area_px = 20;
  f.peak = f.severity = 1.5f;
  f.type = type;
  f.placed = true;
  f.place_x = x, f.place_y = y, f.place_size = size;
  return f;
}

TEST_P(AlertsTest, AMarkRecurringAndGrowingAtOnePlaceOfADieIsACrackAlarm) {
  // M1's die marks every part from its shot 100 on at one place of the part, 6 px (of a 120 px
  // rim) at first, growing 40% per 100 shots; M2's parts carry marks as often, but each at a place
  // of its own. Only M1's die is a crack.
  const auto jitter = [](int64_t shot) { return 0.004 * static_cast<double>(shot % 5 - 2); };
  store_->Ingest(DieParts("M1", 1, 600,
                          [&](int64_t shot) -> std::optional<Finding> {
                            if (shot < 100) return std::nullopt;
                            const double size = 0.05 * std::exp(0.004 * (shot - 100));
                            return Placed("raised_line", 0.5 + jitter(shot), 0.2, size);
                          }),
                 {});
  store_->Ingest(DieParts("M2", 1, 600,
                          [&](int64_t shot) -> std::optional<Finding> {
                            if (shot < 100) return std::nullopt;
                            const double a = static_cast<double>(shot * 7919 % 1000) * 0.00628;
                            return Placed("raised_line", 0.7 * std::cos(a), 0.7 * std::sin(a),
                                          0.05 * std::exp(0.004 * (shot - 100)));
                          }),
                 {});
  server::DieWatch watch;
  const std::vector<server::AlertCandidate> found = watch.Evaluate(*store_);
  EXPECT_EQ(watch.parts_read(), 1200);
  std::string keys;
  for (const auto& f : found) keys += f.key + " " + f.title + "\n";
  ASSERT_EQ(found.size(), 1u) << keys;
  const server::AlertCandidate& c = found[0];
  EXPECT_EQ(c.key, "die_crack:M1-D01");
  EXPECT_EQ(c.kind, "die_crack");
  EXPECT_EQ(c.severity, store::AlertSeverity::kAlarm);
  EXPECT_EQ(c.machine, "M1");
  const json detail = json::parse(c.detail);
  EXPECT_NEAR(detail["place"]["x"].get<double>(), 0.5, 0.02);
  EXPECT_NEAR(detail["place"]["y"].get<double>(), 0.2, 0.02);
  EXPECT_GT(detail["growth_pct_per_100"].get<double>(), 20);
  EXPECT_GT(detail["shots_left"].get<double>(), 0);
  EXPECT_EQ(detail["box"], json({100, 120, 8, 3}));  // where to draw it on that part's image
  EXPECT_TRUE(detail["part_id"].get<std::string>().starts_with("M1-"));
  EXPECT_GT(c.evidence_ms, kNow - 4 * kHour + 100 * 6'000);  // dated by the part that raised it
  // Read again: nothing new, the standing warning again (the store keeps one alert per key).
  EXPECT_EQ(watch.Evaluate(*store_).size(), 1u);
  EXPECT_EQ(watch.parts_read(), 1200);
  // M1 gets a new die: the old one's watch ends.
  std::vector<PartRecord> next = DieParts("M1", 601, 1, [](int64_t) { return std::nullopt; });
  next[0].shot.die = "M1-D02";
  next[0].shot.die_shot = 1;
  store_->Ingest(next, {});
  EXPECT_TRUE(watch.Evaluate(*store_).empty());
}

TEST_P(AlertsTest, ADieMarkTheStationsMemorySeesOnPassedPartsIsACrackAlarm) {
  // M4's parts all pass, but from shot 100 its station's die memory marks one place of the part,
  // its region growing: the vein no single part shows.
  std::vector<PartRecord> parts = DieParts("M4", 1, 500, [](int64_t) { return std::nullopt; });
  for (PartRecord& p : parts)
    if (p.shot.die_shot >= 100)
      p.views[0].die_mark =
          DieMarkSeen{0.3, 0.45, 0.06 * std::exp(0.004 * (p.shot.die_shot - 100)), 8};
  store_->Ingest(parts, {});
  server::DieWatch watch;
  const std::vector<server::AlertCandidate> found = watch.Evaluate(*store_);
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].key, "die_crack:M4-D01");
  const json detail = json::parse(found[0].detail);
  EXPECT_NEAR(detail["place"]["x"].get<double>(), 0.3, 0.01);
  EXPECT_NEAR(detail["place"]["y"].get<double>(), 0.45, 0.01);
  EXPECT_EQ(detail["part_id"], PartId("M4", 500)) << "the newest part the mark was seen on";
  EXPECT_FALSE(detail.contains("box")) << "which repeat of the part it is on is not known";
}

TEST_P(AlertsTest, ADieWhosePartsAStationRejectsForARecurringMarkIsAnAlarmWhileItStands) {
  // M5's station finds a mark back at one place on parts 40, 41, 43 and 45 and rejects the die's
  // parts from 45 on (docs/station.md, "Recurring marks"), until part 70, when it stops.
  std::vector<PartRecord> parts = DieParts("M5", 1, 80, [](int64_t shot) -> std::optional<Finding> {
    if (shot == 40 || shot == 41 || shot == 43 || shot == 45 || shot == 50)
      return Placed("pin_hole", 0.45, 0.13, 0.05);
    return std::nullopt;
  });
  for (PartRecord& p : parts)
    if (p.shot.die_shot >= 45 && p.shot.die_shot < 70) {
      p.views[0].recurring_mark = RecurringMarkSeen{0.45, 0.13, 0.05, 4, 12};
      p.views[0].decision = Decision::kReject;
      CombineViews(p);
    }
  std::vector<PartRecord> upto69(parts.begin(), parts.begin() + 69);
  store_->Ingest(upto69, {});
  server::DieWatch watch;
  std::vector<server::AlertCandidate> found = watch.Evaluate(*store_);
  ASSERT_EQ(found.size(), 1u);
  const server::AlertCandidate& c = found[0];
  EXPECT_EQ(c.key, "die_mark:M5-D01");
  EXPECT_EQ(c.kind, "die_mark");
  EXPECT_EQ(c.severity, store::AlertSeverity::kAlarm);
  EXPECT_EQ(c.machine, "M5");
  const json detail = json::parse(c.detail);
  EXPECT_EQ(detail["since_shot"], 45);
  EXPECT_EQ(detail["parts_rejected"], 25);
  EXPECT_EQ(detail["parts"], 4);
  EXPECT_EQ(detail["part_id"], PartId("M5", 50)) << "the latest part that showed it";
  EXPECT_EQ(detail["box"], json({100, 120, 8, 3}));
  EXPECT_EQ(c.evidence_ms, parts[44].shot.time_ms) << "dated by the part it began on";
  // The station's watch ends: so does the alarm's standing (a person acknowledges what was).
  store_->Ingest(std::vector<PartRecord>(parts.begin() + 69, parts.end()), {});
  EXPECT_TRUE(watch.Evaluate(*store_).empty());
}

TEST_P(AlertsTest, FlashOnMoreAndMorePartsOfADieIsAWarningAndTheServerRaisesIt) {
  // M3's flash rate climbs from none to one part in ten over 400 shots (bins of 100 here).
  store_->Ingest(DieParts("M3", 1, 400,
                          [](int64_t shot) -> std::optional<Finding> {
                            const int64_t every = shot < 100 ? 0 : shot < 200 ? 50 : 10;
                            if (every == 0 || shot % every != 0) return std::nullopt;
                            return Placed("flash", std::cos(static_cast<double>(shot)),
                                          std::sin(static_cast<double>(shot)), 0.1);
                          }),
                 {});
  server::ServerOptions o = AlertServerOptions("flash");
  o.alerts.die.health.flash_bin_shots = 100;
  server::FactoryServer s(*store_, o);
  json open;
  ASSERT_TRUE(Eventually([&] {
    open = Get(s.port(), "/api/v1/alerts?state=open", operator_);
    if (!open.is_object()) return false;
    for (const json& a : open["alerts"])
      if (a["key"] == "die_flash:M3-D01") return true;
    return false;
  })) << open.dump();
  for (const json& a : open["alerts"]) {
    EXPECT_NE(a["kind"], "die_crack") << a.dump();  // flash all round the rim recurs nowhere
    if (a["key"] != "die_flash:M3-D01") continue;
    EXPECT_EQ(a["severity"], "warning");
    EXPECT_EQ(a["die"], "M3-D01");
    EXPECT_NE(a["title"].get<std::string>().find("flash on"), std::string::npos) << a.dump();
  }
}

TEST_P(AlertsTest, OnlyTheChosenProcessValuesAreJudged) {
  // M5's melt runs hot on its latest shots, but the plant watches its vacuum only.
  std::vector<PartRecord> m5 = Hour("M5", kNow - kHour, 1, 100, 0);
  for (size_t i = 0; i < m5.size(); ++i) {
    m5[i].shot.process.melt_temp_c = i >= 95 ? 720 : 680 + 0.5 * (i % 5);
    m5[i].shot.process.vacuum_mbar = 45 + 0.5 * (i % 5);
  }
  store_->Ingest(m5, {});
  server::ServerOptions o = AlertServerOptions("chosen");
  o.alerts.sources.process_variables = {"vacuum_mbar"};
  server::FactoryServer s(*store_, o);
  WaitEvaluations(s, 2);
  EXPECT_TRUE(Get(s.port(), "/api/v1/alerts?state=all", operator_)["alerts"].empty());
  o.alerts.sources.process_variables = {"melt"};
  EXPECT_EQ(testing::ThrownCategory([&] { server::CheckAlertSourceOptions(o.alerts.sources); }),
            ErrorCategory::kInput);
}

TEST_P(AlertsTest, AcksNeedASessionCsrfAGoodBodyAndAnOpenAlert) {
  const int64_t id = store_->RaiseAlert(Condition("process:M1:melt_temp_c"), 1000).id;
  const int port = server_->port();
  httplib::Client anonymous("127.0.0.1", port);
  EXPECT_EQ(anonymous.Get("/api/v1/alerts")->status, 401);
  EXPECT_EQ(
      anonymous.Post("/api/v1/alerts/" + std::to_string(id) + "/ack", "{}", "application/json")
          ->status,
      401);
  EXPECT_EQ(Ack(port, id, operator_, "{}", false)->status, 403);  // no CSRF token
  EXPECT_EQ(Ack(port, id, operator_, "not json")->status, 400);
  EXPECT_EQ(Ack(port, id, operator_, R"({"note": 5})")->status, 400);
  EXPECT_EQ(Ack(port, id, operator_, json{{"note", std::string(501, 'x')}}.dump())->status, 400);
  EXPECT_EQ(Ack(port, id + 1000, operator_, "{}")->status, 404);
  httplib::Client c("127.0.0.1", port);
  EXPECT_EQ(
      c.Post("/api/v1/alerts/abc/ack", operator_.Headers(true), "{}", "application/json")->status,
      404);
  EXPECT_EQ(c.Get("/api/v1/alerts?state=closed", operator_.Headers())->status, 400);
  EXPECT_EQ(c.Get("/api/v1/alerts?limit=0", operator_.Headers())->status, 400);
  EXPECT_EQ(Get(port, "/api/v1/alerts", operator_)["alerts"][0]["acked"], false);

  const std::string markup = "<script>alert(1)</script> ok";
  const auto ok = Ack(port, id, operator_, json{{"note", markup}}.dump());
  ASSERT_EQ(ok->status, 200) << ok->body;
  const auto again = Ack(port, id, admin_, "{}");
  EXPECT_EQ(again->status, 409);
  EXPECT_NE(again->body.find("ana"), std::string::npos) << again->body;
  const json all = Get(port, "/api/v1/alerts?state=all", operator_);
  EXPECT_EQ(all["alerts"][0]["ack_note"], markup);
  EXPECT_EQ(all["open"], 0);
  EXPECT_TRUE(Get(port, "/api/v1/alerts", operator_)["alerts"].empty());
  const json audit = Get(port, "/api/v1/audit", admin_);
  ASSERT_FALSE(audit["entries"].empty());
  EXPECT_EQ(audit["entries"][0]["action"], "alert.ack");
  EXPECT_EQ(audit["entries"][0]["user"], "ana");
  EXPECT_EQ(audit["entries"][0]["target"], std::to_string(id));
}

TEST_P(AlertsTest, TheLiveStreamCarriesAlertEventsBesideParts) {
  const int64_t id = store_->RaiseAlert(Condition("process:M1:die_temp_c"), 1000).id;
  std::atomic<bool> open{false}, got{false};
  std::string received;
  std::thread reader([&] {
    httplib::Client c("127.0.0.1", server_->port());
    c.set_read_timeout(10, 0);
    c.Get("/api/v1/stream", operator_.Headers(), [&](const char* data, size_t n) {
      received.append(data, n);
      open = true;
      got = received.find("event: alert") != std::string::npos &&
            received.find("\"event\":\"acked\"") != std::string::npos;
      return !got.load();
    });
  });
  ASSERT_TRUE(Eventually([&] { return open.load(); }));
  ASSERT_EQ(Ack(server_->port(), id, operator_, R"({"note": "live"})")->status, 200);
  reader.join();
  EXPECT_TRUE(got) << received;
}

std::string EventOf(const MqttMessage& m) {
  const json j = json::parse(m.payload, nullptr, false);
  return j.is_object() ? j.value("event", "") : "";
}

// A chat app's webhook on 127.0.0.1 that refuses its first `failures` posts with 503.
class WebhookReceiver {
 public:
  explicit WebhookReceiver(int failures) : failures_(failures) {
    server_.Post("/hooks/linesight", [this](const httplib::Request& req, httplib::Response& res) {
      std::lock_guard lock(mu_);
      if (++attempts_ <= failures_) {
        res.status = 503;
        return;
      }
      bodies_.push_back(json::parse(req.body, nullptr, false));
      res.status = 200;
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    while (!server_.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ~WebhookReceiver() {
    server_.stop();
    thread_.join();
  }
  std::string url() const {
    return "http://127.0.0.1:" + std::to_string(port_) + "/hooks/linesight";
  }
  // The first received body whose event is `event`, or null.
  json Find(const std::string& event) const {
    std::lock_guard lock(mu_);
    for (const json& b : bodies_)
      if (b.is_object() && b.value("event", "") == event) return b;
    return json();
  }
  int attempts() const {
    std::lock_guard lock(mu_);
    return attempts_;
  }
  // How many received bodies have event `event`.
  int Count(const std::string& event) const {
    std::lock_guard lock(mu_);
    return static_cast<int>(std::count_if(bodies_.begin(), bodies_.end(), [&](const json& b) {
      return b.is_object() && b.value("event", "") == event;
    }));
  }

 private:
  httplib::Server server_;
  int failures_;
  int port_ = 0;
  mutable std::mutex mu_;
  int attempts_ = 0;
  std::vector<json> bodies_;
  std::thread thread_;
};

TEST_P(AlertsTest, AlertsAndAcksReachTheWebhookAndMqtt) {
  if (MosquittoBinary().empty()) GTEST_SKIP() << "mosquitto is not installed";
  MqttTestBroker broker;
  MqttTestSubscriber mqtt(broker.port(), "linesight/v1/+/alerts");
  WebhookReceiver hook(1);
  PartRecord worn = ServerTestPart("M2", 7, Decision::kPass, kNow - 60'000);
  worn.shot.die_shot = 95'000;  // 95 % of the default expected life
  store_->Ingest(std::vector<PartRecord>{worn}, {});

  server::ServerOptions o = AlertServerOptions("delivery");
  o.alerts.delivery.site = "plantX";
  o.alerts.delivery.mqtt_host = "127.0.0.1";
  o.alerts.delivery.mqtt_port = broker.port();
  o.alerts.delivery.webhook_url = hook.url();
  o.alerts.delivery.webhook_backoff_ms = 100;
  server::FactoryServer s(*store_, o);

  ASSERT_TRUE(Eventually([&] { return !hook.Find("raised").is_null(); })) << hook.attempts();
  const json raised = hook.Find("raised");
  EXPECT_GE(hook.attempts(), 2);  // the first post was refused, and retried
  EXPECT_EQ(raised["alert"]["kind"], "die_life");
  EXPECT_EQ(raised["alert"]["key"], "die_life:M2-D01");
  EXPECT_EQ(raised["alert"]["severity"], "warning");
  EXPECT_NE(raised["text"].get<std::string>().find("[WARNING] die M2-D01"), std::string::npos)
      << raised["text"];
  const std::string topic = "linesight/v1/plantX/alerts";
  const MqttMessage m = mqtt.WaitFor(
      topic, [](const MqttMessage& x) { return EventOf(x) == "raised"; }, std::chrono::seconds(20));
  ASSERT_EQ(m.topic, topic);
  EXPECT_FALSE(m.retain);
  EXPECT_EQ(json::parse(m.payload)["alert"]["die"], "M2-D01");

  const int64_t id = raised["alert"]["id"];
  ASSERT_EQ(Ack(s.port(), id, operator_, R"({"note": "new die on order"})")->status, 200);
  ASSERT_TRUE(Eventually([&] { return !hook.Find("acked").is_null(); }));
  const std::string line = hook.Find("acked")["text"];
  EXPECT_NE(line.find("[ACK] ana acknowledged"), std::string::npos) << line;
  EXPECT_NE(line.find("new die on order"), std::string::npos) << line;
  const MqttMessage acked = mqtt.WaitFor(
      topic, [](const MqttMessage& x) { return EventOf(x) == "acked"; }, std::chrono::seconds(20));
  EXPECT_EQ(json::parse(acked.payload)["alert"]["acked_by"], "ana");
  EXPECT_EQ(MetricValue(s, "linesight_alert_deliveries_failed_total{target=\"webhook\"}"), 0);
  EXPECT_EQ(MetricValue(s, "linesight_alert_deliveries_failed_total{target=\"mqtt\"}"), 0);
}

TEST_P(AlertsTest, ARestartedOrSecondServerSendsAnOpenAlertAgainOnlyAfterTheRepeatInterval) {
  WebhookReceiver hook(0);
  PartRecord worn = ServerTestPart("M2", 7, Decision::kPass, kNow - 60'000);
  worn.shot.die_shot = 95'000;
  store_->Ingest(std::vector<PartRecord>{worn}, {});
  std::atomic<int64_t> now{kNow};
  server::ServerOptions o = AlertServerOptions("restart");
  o.alerts.clock = [&now] { return now.load(); };
  o.alerts.delivery.webhook_url = hook.url();
  {
    server::FactoryServer first(*store_, o);
    ASSERT_TRUE(Eventually([&] { return hook.Count("raised") == 1; })) << hook.attempts();
    WaitEvaluations(first, 2);
  }
  // A restart within the repeat interval sends nothing again.
  server::FactoryServer second(*store_, o);
  WaitEvaluations(second, 3);
  EXPECT_EQ(hook.Count("raised"), 1);
  EXPECT_EQ(hook.Count("repeated"), 0);
  // Ten minutes later one repeat goes out, from either of two servers on the store, not both.
  server::FactoryServer third(*store_, o);
  WaitEvaluations(third, 1);
  now += int64_t{o.alerts.repeat_every_s} * 1000;
  ASSERT_TRUE(Eventually([&] { return hook.Count("repeated") == 1; }));
  WaitEvaluations(second, 2);
  WaitEvaluations(third, 2);
  EXPECT_EQ(hook.Count("repeated"), 1);
  EXPECT_EQ(hook.Count("raised"), 1);
  const json open = Get(second.port(), "/api/v1/alerts", operator_);
  ASSERT_EQ(open["alerts"].size(), 1u) << open.dump();
  EXPECT_GE(open["alerts"][0]["count"], 8);  // every evaluation of every server counted it
}

TEST_P(AlertsTest, AWebhookThatNeverAnswersIsCountedAsFailedAndTheServerGoesOn) {
  WebhookReceiver hook(1000);
  PartRecord worn = ServerTestPart("M2", 7, Decision::kPass, kNow - 60'000);
  worn.shot.die_shot = 99'000;
  store_->Ingest(std::vector<PartRecord>{worn}, {});
  server::ServerOptions o = AlertServerOptions("failing");
  o.alerts.delivery.webhook_url = hook.url();
  o.alerts.delivery.webhook_backoff_ms = 50;
  o.alerts.delivery.webhook_attempts = 3;
  server::FactoryServer s(*store_, o);
  const std::string failed = "linesight_alert_deliveries_failed_total{target=\"webhook\"}";
  ASSERT_TRUE(Eventually([&] { return MetricValue(s, failed) == 1; })) << MetricValue(s, failed);
  EXPECT_EQ(hook.attempts(), 3);
  EXPECT_EQ(Get(s.port(), "/api/v1/alerts", operator_)["open"], 1);
}

TEST_P(AlertsTest, AStoreErrorIsRetriedAtTheNextEvaluation) {
  if (GetParam() != "sqlite") GTEST_SKIP() << "breaks the store by renaming a table: SQLite only";
  PartRecord worn = ServerTestPart("M2", 7, Decision::kPass, kNow - 60'000);
  worn.shot.die_shot = 97'000;
  store_->Ingest(std::vector<PartRecord>{worn}, {});
  store::SqliteDb db((dir_->path() / "server.db").string());
  db.Exec("PRAGMA busy_timeout = 5000");
  db.Exec("ALTER TABLE alerts RENAME TO alerts_away");
  server::FactoryServer s(*store_, AlertServerOptions("store-error"));
  ASSERT_TRUE(Eventually([&] { return MetricValue(s, "linesight_alert_evaluations_total") >= 2; }));
  httplib::Client c("127.0.0.1", s.port());
  EXPECT_EQ(c.Get("/healthz")->status, 200);  // the server goes on
  db.Exec("ALTER TABLE alerts_away RENAME TO alerts");
  json open;
  ASSERT_TRUE(Eventually([&] {
    open = Get(s.port(), "/api/v1/alerts", operator_);
    return open.is_object() && open["open"] == 1;
  })) << open.dump();
  EXPECT_EQ(open["alerts"][0]["key"], "die_life:M2-D01");
}

TEST_P(AlertsTest, ABadWebhookUrlStopsTheStartWithAClearError) {
  server::ServerOptions o = AlertServerOptions("bad-url");
  o.alerts.delivery.webhook_url = "hooks.example.com/x";
  const Error e = Caught([&] { server::FactoryServer s(*store_, o); });
  EXPECT_EQ(e.category(), ErrorCategory::kInput);
  EXPECT_NE(std::string(e.what()).find("--alert-webhook"), std::string::npos) << e.what();
}

// What people and stations wrote reaches a chat channel as text: no mention that notifies
// everyone, no link or image markup.
TEST(AlertChatLine, ShowsWhatPeopleWroteAsText) {
  store::Alert a;
  a.id = 7;
  a.input.title = "M<3>: reject rate & more";
  a.acked_by = "op";
  a.ack_note =
      "<!channel> @channel see <https://evil.example|here> ![x](https://evil.example/t.png)";
  const std::string line = server::AlertChatLine("acked", a);
  for (const char* inert : {"<!channel>", "@channel", "<https", "![x]", "<3>", " & "})
    EXPECT_EQ(line.find(inert), std::string::npos) << inert << " in " << line;
  EXPECT_NE(line.find("M&lt;3&gt;: reject rate &amp; more"), std::string::npos) << line;
  EXPECT_NE(line.find("channel"), std::string::npos) << "the words stay readable: " << line;
  a.occurrences = 1;
  EXPECT_NE(server::AlertChatLine("repeated", a).find("still open"), std::string::npos);
  a.occurrences = 3;
  EXPECT_NE(server::AlertChatLine("repeated", a).find("seen 3 times"), std::string::npos);
}

}  // namespace
}  // namespace linesight::testing
