// The server store's alerts on both engines (store_fixture.h): de-duplicated while open, a new
// alert after an acknowledgement, acks audited and refused twice, one open alert when two stores
// race on one key; and the dies' shot counts that die-life alerts read.
#include <atomic>
#include <thread>

#include "store/server_schema.h"
#include "store/store_fixture.h"

namespace linesight::store::testing {
namespace {

using linesight::testing::Caught;

AlertInput Input(const std::string& key, const std::string& detail = "{}") {
  AlertInput a;
  a.key = key;
  a.kind = "process";
  a.severity = AlertSeverity::kAlarm;
  a.machine = "M3";
  a.die = "M3-D1";
  a.title = "melt temperature beyond 3 sigma";
  a.detail = detail;
  return a;
}

AuditEntry AckAudit(int64_t id) {
  return {0, kT0 + 50, "ana", "alert.ack", std::to_string(id), R"({"note":"seen"})"};
}

TEST_P(StoreTest, AnOpenAlertCountsRepeatsInsteadOfAddingRows) {
  const RaisedAlert first = store_->RaiseAlert(Input("process:M3:melt_temp_c", R"({"v":1})"), kT0);
  EXPECT_TRUE(first.fresh);
  EXPECT_EQ(first.count, 1);
  const RaisedAlert again =
      store_->RaiseAlert(Input("process:M3:melt_temp_c", R"({"v":2})"), kT0 + 10);
  EXPECT_FALSE(again.fresh);
  EXPECT_EQ(again.id, first.id);
  EXPECT_EQ(again.count, 2);
  const RaisedAlert other = store_->RaiseAlert(Input("process:M3:die_temp_c"), kT0 + 20);
  EXPECT_TRUE(other.fresh);
  EXPECT_NE(other.id, first.id);

  const auto open = store_->Alerts({});
  ASSERT_EQ(open.size(), 2u);
  EXPECT_EQ(open[0].id, other.id);  // newest first
  const Alert& a = open[1];
  EXPECT_EQ(a.count, 2);
  EXPECT_EQ(a.occurrences, 1) << "raised again on the same evidence: the same event";
  EXPECT_EQ(a.first_ms, kT0);
  EXPECT_EQ(a.last_ms, kT0 + 10);
  EXPECT_EQ(a.input.detail, R"({"v":2})");
  EXPECT_EQ(a.input.severity, AlertSeverity::kAlarm);
  EXPECT_EQ(a.input.machine, "M3");
  EXPECT_FALSE(a.acked);
  EXPECT_EQ(store_->CountOpenAlerts(), 2);
  EXPECT_EQ(store_->CountAllAlerts(), 2);
  EXPECT_EQ(Caught([&] { store_->RaiseAlert(Input(""), kT0); }).category(), ErrorCategory::kInput);
}

TEST_P(StoreTest, AnAckIsAuditedClosesTheAlertAndTheSameKeyOpensANewOne) {
  const int64_t id = store_->RaiseAlert(Input("die_life:M3-D1"), kT0).id;
  EXPECT_EQ(store_->AckAlert(id, "ana", "<b>die ordered</b>", kT0 + 50, AckAudit(id)),
            AckResult::kAcked);
  EXPECT_EQ(store_->CountOpenAlerts(), 0);
  EXPECT_EQ(store_->CountAllAlerts(), 1) << "an acknowledged alert still counts in all";
  const auto acked = store_->GetAlert(id);
  ASSERT_TRUE(acked.has_value());
  EXPECT_TRUE(acked->acked);
  EXPECT_EQ(acked->acked_by, "ana");
  EXPECT_EQ(acked->acked_ms, kT0 + 50);
  EXPECT_EQ(acked->ack_note, "<b>die ordered</b>");  // text, as given
  const auto log = store_->AuditLog(10, 0);
  ASSERT_FALSE(log.empty());
  EXPECT_EQ(log[0].action, "alert.ack");
  EXPECT_EQ(log[0].target, std::to_string(id));

  EXPECT_EQ(store_->AckAlert(id, "bo", "", kT0 + 60, AckAudit(id)), AckResult::kAlreadyAcked);
  EXPECT_EQ(store_->GetAlert(id)->acked_by, "ana");
  EXPECT_EQ(store_->AckAlert(id + 100, "bo", "", kT0 + 60, AckAudit(id + 100)),
            AckResult::kUnknown);
  EXPECT_EQ(store_->AuditLog(10, 0).size(), log.size());  // refused acks are not audited

  const RaisedAlert reopened = store_->RaiseAlert(Input("die_life:M3-D1"), kT0 + 70);
  EXPECT_TRUE(reopened.fresh);
  EXPECT_NE(reopened.id, id);
  EXPECT_EQ(store_->Alerts({}).size(), 1u);
  AlertQuery all;
  all.open_only = false;
  EXPECT_EQ(store_->Alerts(all).size(), 2u);
}

TEST_P(StoreTest, AlertListsFilterByMachineAndKeyAndPage) {
  for (const std::string m : {"M1", "M2", "M1"}) {
    AlertInput in = Input("k:" + m + ":" + std::to_string(store_->Alerts({}).size()));
    in.machine = m;
    store_->RaiseAlert(in, kT0);
  }
  AlertQuery q;
  q.machine = "M1";
  const auto m1 = store_->Alerts(q);
  ASSERT_EQ(m1.size(), 2u);
  q.before_id = m1[0].id;
  ASSERT_EQ(store_->Alerts(q).size(), 1u);
  EXPECT_EQ(store_->Alerts(q)[0].id, m1[1].id);
  AlertQuery by_key;
  by_key.key = "k:M2:1";
  ASSERT_EQ(store_->Alerts(by_key).size(), 1u);
  EXPECT_EQ(store_->Alerts(by_key)[0].input.machine, "M2");
}

TEST_P(StoreTest, TwoStoresRaisingOneKeyAtOnceKeepOneOpenAlert) {
  auto second = OpenStore(location_);
  constexpr int kEach = 20;
  std::vector<std::thread> threads;
  for (Store* s : {store_.get(), second.get(), store_.get(), second.get()})
    threads.emplace_back([s] {
      for (int i = 0; i < kEach; ++i) s->RaiseAlert(Input("reject_rate:M3:1"), kT0 + i);
    });
  for (auto& t : threads) t.join();
  const auto open = store_->Alerts({});
  ASSERT_EQ(open.size(), 1u);
  EXPECT_EQ(open[0].count, 4 * kEach);
}

TEST_P(StoreTest, AnAlertNoticeIsClaimedOncePerIntervalAndNeverAfterAnAck) {
  const int64_t id = store_->RaiseAlert(Input("process:M3:melt_temp_c"), kT0).id;
  constexpr int64_t kEvery = 600'000;
  const auto first = store_->ClaimAlertNotice(id, kT0, kEvery);  // never sent
  ASSERT_TRUE(first.has_value());
  EXPECT_TRUE(first->first);
  EXPECT_EQ(first->alert.id, id);
  EXPECT_EQ(first->alert.input.key, "process:M3:melt_temp_c");
  EXPECT_FALSE(store_->ClaimAlertNotice(id, kT0 + 1, kEvery));
  EXPECT_FALSE(store_->ClaimAlertNotice(id, kT0 + kEvery - 1, kEvery));
  const auto repeat = store_->ClaimAlertNotice(id, kT0 + kEvery, kEvery);
  ASSERT_TRUE(repeat.has_value());
  EXPECT_FALSE(repeat->first);
  EXPECT_FALSE(store_->ClaimAlertNotice(id, kT0 + kEvery + 1, kEvery));  // just sent again
  EXPECT_FALSE(store_->ClaimAlertNotice(id + 1000, kT0, 0));             // unknown
  ASSERT_EQ(store_->AckAlert(id, "ana", "", kT0 + 50, AckAudit(id)), AckResult::kAcked);
  EXPECT_FALSE(store_->ClaimAlertNotice(id, kT0 + 10 * kEvery, kEvery));
}

TEST_P(StoreTest, OfTwoStoresClaimingOneNoticeAtOnceExactlyOneWins) {
  auto second = OpenStore(location_);
  const int64_t id = store_->RaiseAlert(Input("reject_rate:M3:1"), kT0).id;
  // Four claims at once on a never-sent alert: one first notice, and no repeat beside it.
  std::atomic<int> wins{0}, firsts{0};
  std::vector<std::thread> threads;
  for (Store* s : {store_.get(), second.get(), store_.get(), second.get()})
    threads.emplace_back([s, id, &wins, &firsts] {
      const auto claimed = s->ClaimAlertNotice(id, kT0 + 5, 600'000);
      wins += claimed.has_value();
      firsts += claimed && claimed->first;
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(wins.load(), 1);
  EXPECT_EQ(firsts.load(), 1);
}

TEST_P(StoreTest, AnUpgradedStoreCountsItsOpenAlertsAsSentWhenLastRaised) {
  const int64_t open = store_->RaiseAlert(Input("process:M3:melt_temp_c"), kT0).id;
  store_->RaiseAlert(Input("process:M3:melt_temp_c"), kT0 + 100);
  // Back to schema 4, as a store written by an earlier version.
  RawSql("ALTER TABLE alerts DROP COLUMN occurrences");
  RawSql("ALTER TABLE alerts DROP COLUMN evidence_ms");
  RawSql("ALTER TABLE alerts DROP COLUMN notified_ms");
  RawSql("DROP TABLE part_hours");
  RawSql("DELETE FROM schema_version WHERE version >= 5");
  store_.reset();
  store_ = OpenStore(location_);
  EXPECT_EQ(store_->schema_version(), kServerSchemaVersion);
  EXPECT_FALSE(store_->ClaimAlertNotice(open, kT0 + 100 + 599'999, 600'000));
  const auto repeat = store_->ClaimAlertNotice(open, kT0 + 100 + 600'000, 600'000);
  ASSERT_TRUE(repeat.has_value());
  EXPECT_FALSE(repeat->first);
}

// An ack covers the newest evidence the alert was raised with, dated on the parts' clock; an
// older raise does not move it back.
TEST_P(StoreTest, AnAlertKeepsTheNewestEvidenceItWasRaisedWith) {
  AlertInput in = Input("process:M3:melt_temp_c", R"({"v":5})");
  in.evidence_ms = kT0 + 5000;
  const int64_t id = store_->RaiseAlert(in, kT0).id;
  AlertInput older = Input("process:M3:melt_temp_c", R"({"v":3})");
  older.evidence_ms = kT0 + 3000;  // a slower server's older look
  EXPECT_EQ(store_->RaiseAlert(older, kT0 + 10).count, 2);
  EXPECT_EQ(store_->GetAlert(id)->input.evidence_ms, kT0 + 5000);
  EXPECT_EQ(store_->GetAlert(id)->input.detail, R"({"v":5})");
  in.evidence_ms = kT0 + 9000;
  in.detail = R"({"v":9})";
  store_->RaiseAlert(in, kT0 + 20);
  EXPECT_EQ(store_->GetAlert(id)->input.evidence_ms, kT0 + 9000);
  EXPECT_EQ(store_->GetAlert(id)->input.detail, R"({"v":9})");
  // Only the newer evidence was a new event: the first raise, then 9000 (3000 was older).
  EXPECT_EQ(store_->GetAlert(id)->occurrences, 2);
  EXPECT_EQ(store_->GetAlert(id)->count, 3);
  ASSERT_EQ(store_->AckAlert(id, "ana", "", kT0 + 30, AckAudit(id)), AckResult::kAcked);
  EXPECT_EQ(store_->GetAlert(id)->input.evidence_ms, kT0 + 9000);
}

TEST_P(StoreTest, AnUpgradedStoreDatesItsAlertsEvidenceWhenAcknowledgedOrLastRaised) {
  const int64_t acked = store_->RaiseAlert(Input("reject_rate:M3:1"), kT0).id;
  ASSERT_EQ(store_->AckAlert(acked, "ana", "", kT0 + 50, AckAudit(acked)), AckResult::kAcked);
  AlertInput die = Input("die_life:M3-D1");
  die.kind = "die_life";
  const int64_t life = store_->RaiseAlert(die, kT0 + 60).id;
  const int64_t open = store_->RaiseAlert(Input("process:M3:melt_temp_c"), kT0 + 70).id;
  // Back to schema 5, as a store written by an earlier version.
  RawSql("ALTER TABLE alerts DROP COLUMN occurrences");
  RawSql("ALTER TABLE alerts DROP COLUMN evidence_ms");
  RawSql("DROP TABLE part_hours");
  RawSql("DELETE FROM schema_version WHERE version >= 6");
  store_.reset();
  store_ = OpenStore(location_);
  EXPECT_EQ(store_->schema_version(), kServerSchemaVersion);
  EXPECT_EQ(store_->GetAlert(acked)->input.evidence_ms, kT0 + 50);
  EXPECT_EQ(store_->GetAlert(life)->input.evidence_ms, 0);  // a die's life is undated
  EXPECT_EQ(store_->GetAlert(open)->input.evidence_ms, kT0 + 70);
  EXPECT_EQ(store_->GetAlert(open)->occurrences, 1);
}

TEST_P(StoreTest, DieShotCountsAreEachDiesHighestShot) {
  Ingest(Dataset(10));  // dies M<n>-D1 (even shots) and M<n>-D2 (odd shots)
  const auto dies = store_->DieShotCounts(kT0);
  ASSERT_EQ(dies.size(), 6u);
  EXPECT_EQ(dies[0].die, "M1-D1");
  EXPECT_EQ(dies[0].machine, "M1");
  EXPECT_EQ(dies[0].die_shot, 10);  // Part(): die M-D(1 + shot % 2), die_shot = shot
  EXPECT_EQ(dies[1].die, "M1-D2");
  EXPECT_EQ(dies[1].die_shot, 9);
  EXPECT_EQ(dies[1].last_ms, kT0 + 4 * 60'000);
  EXPECT_TRUE(store_->DieShotCounts(kT0 + 3'600'000).empty());
}

}  // namespace
}  // namespace linesight::store::testing
