// The server store's reviews, users, sessions, station tokens, audit log and counts, on both
// engines (store_fixture.h).
#include "store/store_fixture.h"

namespace linesight::store::testing {
namespace {

using linesight::testing::Caught;

TEST_P(StoreTest, ReviewsAreKeptInOrderAndTheLatestWins) {
  Ingest(Dataset(7));
  const std::string id = "M2-000000007";  // the line rejected it as a crack
  const Review first = MakeReview(id, Decision::kReject, "porosity", kT0 + 1);
  const Review second = MakeReview(id, Decision::kPass, "", kT0 + 2);
  const int64_t a = store_->AddReview(first, AuditFor(first));
  EXPECT_EQ(store_->GetPart(id)->summary.defect_type, "porosity");
  const int64_t b = store_->AddReview(second, AuditFor(second));
  EXPECT_GT(b, a);
  const auto d = store_->GetPart(id);
  ASSERT_EQ(d->reviews.size(), 2u);
  EXPECT_EQ(d->reviews[0].id, a);
  EXPECT_EQ(d->reviews[0].defect_type, "porosity");
  EXPECT_EQ(d->reviews[1].verdict, Decision::kPass);
  ASSERT_TRUE(d->summary.review.has_value());
  EXPECT_EQ(d->summary.review->id, b);
  EXPECT_EQ(d->summary.review->user, "ana");
  EXPECT_EQ(d->summary.review->note, "checked");
  EXPECT_EQ(d->summary.defect_type, "crack");  // reviewed good: the line's type again
  const auto listed = store_->FindParts(With<PartFilter>([&](auto& x) {
                                          x.machine = "M2";
                                          x.decision = Decision::kReject;
                                        }),
                                        {});
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0].review->id, b);
  const auto audit = store_->AuditLog(10, 0);
  ASSERT_EQ(audit.size(), 2u);
  EXPECT_EQ(audit[0].action, "review");
  EXPECT_EQ(audit[0].target, id);
}

TEST_P(StoreTest, ReviewingAnUnknownPartStoresNothing) {
  const Review r = MakeReview("M1-000000001", Decision::kReject, "crack");
  EXPECT_EQ(Caught([&] { store_->AddReview(r, AuditFor(r)); }).category(), ErrorCategory::kInput);
  Ingest({Part("M1", 1, Decision::kPass, kT0)});
  Review hold = r;
  hold.verdict = Decision::kHold;
  EXPECT_EQ(Caught([&] { store_->AddReview(hold, AuditFor(hold)); }).category(),
            ErrorCategory::kInput);
  EXPECT_EQ(store_->Counts().reviews, 0);
  EXPECT_TRUE(store_->AuditLog(10, 0).empty());
}

TEST_P(StoreTest, UsersAreCreatedAndReplacedByName) {
  EXPECT_FALSE(store_->GetUser("ana").has_value());
  store_->PutUser({"ana", Role::kOperator, "$argon2id$v=19$a", kT0, false});
  store_->PutUser({"bo", Role::kAdmin, "$argon2id$v=19$b", kT0 + 1, false});
  store_->PutUser({"ana", Role::kQualityEngineer, "$argon2id$v=19$c", kT0 + 2, true});
  const auto ana = store_->GetUser("ana");
  ASSERT_TRUE(ana.has_value());
  EXPECT_EQ(ana->role, Role::kQualityEngineer);
  EXPECT_EQ(ana->password_hash, "$argon2id$v=19$c");
  EXPECT_EQ(ana->created_ms, kT0 + 2);
  EXPECT_TRUE(ana->disabled);
  const auto all = store_->Users();
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[1].name, "bo");
  EXPECT_EQ(all[1].role, Role::kAdmin);
  EXPECT_EQ(store_->Counts().users, 2);
}

TEST_P(StoreTest, SessionsExpireAndCanBeDeleted) {
  store_->PutSession({"hash1", "ana", "csrf1", kT0, kT0 + 1000});
  auto s = store_->GetSession("hash1", kT0 + 999);
  ASSERT_TRUE(s.has_value());
  EXPECT_EQ(s->user, "ana");
  EXPECT_EQ(s->csrf, "csrf1");
  EXPECT_EQ(s->created_ms, kT0);
  EXPECT_EQ(s->expires_ms, kT0 + 1000);
  EXPECT_FALSE(store_->GetSession("hash1", kT0 + 1000).has_value());
  EXPECT_FALSE(store_->GetSession("nope", kT0).has_value());
  store_->PutSession({"hash2", "bo", "csrf2", kT0, kT0 + 5000});
  store_->DeleteSession("hash2");
  EXPECT_FALSE(store_->GetSession("hash2", kT0).has_value());
}

TEST_P(StoreTest, StationTokensMapToTheirStationAndANewOneRevokesTheOld) {
  EXPECT_FALSE(store_->StationForToken("t1").has_value());
  store_->PutStationToken("t1", "S3");
  store_->PutStationToken("t2", "S4");
  EXPECT_EQ(store_->StationForToken("t1"), "S3");
  EXPECT_EQ(store_->StationForToken("t2"), "S4");
  store_->PutStationToken("t3", "S3");
  EXPECT_FALSE(store_->StationForToken("t1").has_value());
  EXPECT_EQ(store_->StationForToken("t3"), "S3");
  EXPECT_EQ(store_->StationForToken("t2"), "S4");
}

TEST_P(StoreTest, AuditLogPagesNewestFirst) {
  std::vector<int64_t> ids;
  for (int i = 0; i < 25; ++i)
    ids.push_back(store_->Audit({0, kT0 + i, "system", "login", "u" + std::to_string(i), "{}"}));
  for (size_t i = 1; i < ids.size(); ++i) EXPECT_GT(ids[i], ids[i - 1]);
  std::vector<std::string> targets;
  int64_t before = 0;
  for (int pages = 0; pages < 10; ++pages) {
    const auto page = store_->AuditLog(10, before);
    for (const auto& e : page) targets.push_back(e.target);
    if (page.size() < 10) break;
    before = page.back().id;
  }
  ASSERT_EQ(targets.size(), 25u);
  EXPECT_EQ(targets.front(), "u24");
  EXPECT_EQ(targets.back(), "u0");
  const auto one = store_->AuditLog(1, ids[5]);
  ASSERT_EQ(one.size(), 1u);
  EXPECT_EQ(one[0].id, ids[4]);
  EXPECT_EQ(one[0].time_ms, kT0 + 4);
  EXPECT_EQ(one[0].user, "system");
  EXPECT_EQ(one[0].detail, "{}");
}

TEST_P(StoreTest, CountsCoverEveryTableAndTheSize) {
  const StoreCounts empty = store_->Counts();
  EXPECT_EQ(empty.parts, 0);
  EXPECT_GT(empty.bytes, 0);
  Ingest(Dataset(10), {Event("M1", kT0, MachineState::kStopped)});
  const Review r = MakeReview("M1-000000001", Decision::kReject, "crack");
  store_->AddReview(r, AuditFor(r));
  store_->PutUser({"ana", Role::kOperator, "h", kT0, false});
  const StoreCounts n = store_->Counts();
  EXPECT_EQ(n.parts, 30);
  EXPECT_EQ(n.events, 1);
  EXPECT_EQ(n.reviews, 1);
  EXPECT_EQ(n.users, 1);
  EXPECT_GT(n.bytes, 0);
}

}  // namespace
}  // namespace linesight::store::testing
