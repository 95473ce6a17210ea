// The pool of database connections: a lost connection takes the idle ones with it, so calls
// after a database restart open fresh connections instead of each failing once.
#include "store/connection_pool.h"

#include <gtest/gtest.h>

namespace linesight::store {
namespace {

// A connection that only knows whether it is healthy; the test breaks it by hand.
class FakeConnection final : public SqlConnection {
 public:
  int64_t Exec(std::string_view, std::span<const SqlValue>) override { return 0; }
  void Query(std::string_view, std::span<const SqlValue>,
             const std::function<void(const SqlRow&)>&) override {}
  void ExecScript(std::string_view) override {}
  void Begin(TxKind) override {}
  void Commit() override {}
  void Rollback() noexcept override {}
  bool healthy() const override { return healthy_; }
  bool healthy_ = true;
};

TEST(ConnectionPool, ALostConnectionTakesTheIdleOnesWithIt) {
  int opened = 0;
  ConnectionPool pool(
      [&] {
        ++opened;
        return std::make_unique<FakeConnection>();
      },
      4);
  { auto a = pool.Acquire(), b = pool.Acquire(), c = pool.Acquire(); }  // three idle now
  EXPECT_EQ(opened, 3);
  {
    auto a = pool.Acquire();
    EXPECT_EQ(opened, 3) << "an idle one is lent first";
    static_cast<FakeConnection&>(*a).healthy_ = false;  // the database went away under it
  }
  {
    auto a = pool.Acquire(), b = pool.Acquire(), c = pool.Acquire(), d = pool.Acquire();
    EXPECT_EQ(opened, 7) << "the idle ones were dropped with the lost one, and the pool refilled";
  }
  {
    auto a = pool.Acquire();
    EXPECT_EQ(opened, 7);
  }
}

}  // namespace
}  // namespace linesight::store
